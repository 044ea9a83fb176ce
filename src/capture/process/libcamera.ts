import type { Config } from '../../config/schema.js';
import type { ChildCommand } from './child-supervisor.js';
import type { CaptureProgram } from '../sources/mjpeg-video-source.js';
import { h264BitrateKbps, keyframeIntervalFrames } from './h264-encoder.js';
import { findOnPath } from './program-path.js';

type VideoConfig = Config['video'];

/** Current Raspberry Pi OS names the libcamera capture tool rpicam-vid; releases before 2023 call it libcamera-vid. */
export const LIBCAMERA_PROGRAMS = ['rpicam-vid', 'libcamera-vid'] as const;

/**
 * rpicam-vid arguments that write the video to stdout for ever: no timeout (-t 0), no preview window (-n),
 * the codec, the configured size and rate, the user's extra arguments, and stdout last. MJPEG at the JPEG
 * quality; in H.264 mode the Pi's encoder with SPS/PPS before every keyframe (--inline), an IDR every
 * keyframeSeconds (--intra, in frames), the bitrate in bit/s, and each frame written out at once (--flush).
 */
export function libcameraArgs(video: VideoConfig): string[] {
  const size = ['--width', String(video.width), '--height', String(video.height), '--framerate', String(video.fps)];
  const h264 = [
    '--inline',
    '--intra',
    String(keyframeIntervalFrames(video)),
    '--bitrate',
    String(h264BitrateKbps(video) * 1000),
    '--flush',
  ];
  const encode = video.codec === 'h264' ? h264 : ['--quality', String(video.quality)];
  return ['-t', '0', '-n', '--codec', video.codec === 'h264' ? 'h264' : 'mjpeg', ...size, ...encode, ...video.libcameraArgs, '-o', '-'];
}

/** The Pi camera module through rpicam-vid (or libcamera-vid), found on PATH again at every spawn. */
export function libcameraProgram(video: VideoConfig, env: NodeJS.ProcessEnv = process.env): CaptureProgram {
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
