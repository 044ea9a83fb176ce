import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../../src/package-root.js';

/** The Python helpers live beside this file's source (tsc copies only TypeScript into dist/). */
export function pythonHelper(name: string): string {
  return packagePath('test', 'e2e', 'daemon', name);
}

export interface NotifyMessage {
  pid: number | null;
  /** Arrival time on the receiver's monotonic clock, in seconds. */
  at: number;
  message: string;
}

/** A real unix datagram socket standing in for systemd's NOTIFY_SOCKET, read by notify-receiver.py. */
export class NotifyReceiver {
  readonly messages: NotifyMessage[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly path: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<NotifyReceiver> {
    const path = join(mkdtempSync(join(tmpdir(), 'wscam-notify-')), 'notify.sock');
    const child = spawn('python3', [pythonHelper('notify-receiver.py'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const receiver = new NotifyReceiver(path, child);
    let bound!: () => void;
    const boundPromise = new Promise<void>((resolve, reject) => {
      bound = resolve;
      child.once('exit', (code) => reject(new Error(`notify-receiver.py exited with ${code} before binding`)));
    });
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as NotifyMessage | { bound: true };
        if ('bound' in parsed) bound();
        else receiver.messages.push(parsed);
      }
      for (const listener of receiver.listeners) listener();
    });
    await boundPromise;
    return receiver;
  }

  /** Resolves with the first message matching, checked on every datagram; rejects after timeoutMs. */
  waitFor(match: (message: NotifyMessage) => boolean, timeoutMs = 15000, what = 'a notify message'): Promise<NotifyMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(match);
        if (!found) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.message))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves once count messages match. */
  async waitForCount(match: (message: NotifyMessage) => boolean, count: number, timeoutMs = 15000, what = 'messages'): Promise<void> {
    await this.waitFor(() => this.messages.filter(match).length >= count, timeoutMs, `${count} × ${what}`);
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}
