import { ChildSupervisor, type ChildCommand, type ChildSupervisorOptions } from './child-supervisor.js';
import { resolveFfmpeg } from './ffmpeg-path.js';

export type { SupervisorTiming } from './child-supervisor.js';

export interface FfmpegSupervisorOptions extends Omit<ChildSupervisorOptions, 'command'> {
  /** config `ffmpeg.path`; resolved again at every spawn, so installing ffmpeg later fixes a down source. */
  ffmpegPath: string | null;
  /** Arguments for the next spawn; called before every (re)start. */
  args(): string[];
}

/** A ChildSupervisor whose program is ffmpeg. */
export class FfmpegSupervisor extends ChildSupervisor {
  constructor(options: FfmpegSupervisorOptions) {
    const { ffmpegPath, ...supervision } = options;
    super({ ...supervision, command: () => ffmpegCommand(ffmpegPath, options.args()) });
  }
}

/** ffmpeg as found now by resolveFfmpeg (config path, PATH, npm package) with these arguments. */
export async function ffmpegCommand(ffmpegPath: string | null, args: string[]): Promise<ChildCommand> {
  const resolved = await resolveFfmpeg(ffmpegPath);
  return resolved.ok ? { ok: true, file: resolved.path, args } : resolved;
}
