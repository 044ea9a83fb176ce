import type { Config } from '../../config/schema.js';
import type { ChildCommand } from './child-supervisor.js';
import type { MjpegProgram } from '../sources/mjpeg-video-source.js';
import { findOnPath } from './program-path.js';

type VideoConfig = Config['video'];

/** Current Raspberry Pi OS names the libcamera capture tool rpicam-vid; releases before 2023 call it libcamera-vid. */
export const LIBCAMERA_PROGRAMS = ['rpicam-vid', 'libcamera-vid'] as const;

/**
 * rpicam-vid arguments that write MJPEG to stdout for ever: no timeout (-t 0), no preview window (-n),
 * then the configured size, rate and JPEG quality, the user's extra arguments, and stdout last.
 */
export function libcameraArgs(video: VideoConfig): string[] {
  const size = ['--width', String(video.width), '--height', String(video.height)];
  const rate = ['--framerate', String(video.fps), '--quality', String(video.quality)];
  return ['-t', '0', '-n', '--codec', 'mjpeg', ...size, ...rate, ...video.libcameraArgs, '-o', '-'];
}

/** The Pi camera module through rpicam-vid (or libcamera-vid), found on PATH again at every spawn. */
export function libcameraProgram(video: VideoConfig, env: NodeJS.ProcessEnv = process.env): MjpegProgram {
  return {
    async command(): Promise<ChildCommand> {
      for (const name of LIBCAMERA_PROGRAMS) {
        const file = await findOnPath(name, env.PATH ?? '');
        if (file !== null) return { ok: true, file, args: libcameraArgs(video) };
      }
      return {
        ok: false,
        error: `libcamera: neither ${LIBCAMERA_PROGRAMS.join(' nor ')} is on PATH; install rpicam-apps (sudo apt install rpicam-apps)`,
      };
    },
  };
}
