import type { ChildSupervisor } from '../process/child-supervisor.js';
import type { CaptureSource, SourceState } from '../source.js';

/** What the child-process sources share: their state, restarts and lifecycle are the supervisor's. */
export abstract class SupervisedSource implements CaptureSource {
  abstract readonly name: 'video' | 'audio';
  protected abstract readonly supervisor: ChildSupervisor;

  get state(): SourceState {
    return this.supervisor.state;
  }

  /** Restarts of the child since construction. */
  get restarts(): number {
    return this.supervisor.restarts;
  }

  /** Process id of the current child, if one runs. */
  get pid(): number | undefined {
    return this.supervisor.pid;
  }

  start(): Promise<void> {
    return this.supervisor.start();
  }

  stop(): Promise<void> {
    return this.supervisor.stop();
  }
}
