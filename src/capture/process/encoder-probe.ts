import { spawn } from 'node:child_process';
import type { Config } from '../../config/schema.js';
import { describeError } from '../../describe-error.js';
import { h264EncodeArgs } from './ffmpeg-args.js';
import { cameraH264Probe, chooseEncoder, stderrReason, type EncoderChoice, type EncoderProbes, type ProbeResult } from './h264-encoder.js';

type VideoConfig = Config['video'];

/** How a probe ended: its exit code (null: killed) and what it wrote to stderr. */
export interface ProbeOutcome {
  code: number | null;
  stderr: string;
}

/** Runs one short ffmpeg probe; tests may pass another. */
export type ProbeRunner = (file: string, args: string[]) => Promise<ProbeOutcome>;

/** A probe that takes longer is killed and counts as failed (a wedged device must not hold capture up). */
const PROBE_TIMEOUT_MS = 5000;
const MAX_PROBE_STDERR = 64 * 1024;
const QUIET = ['-hide_banner', '-nostdin', '-nostats'];

/** Runs `file args`, collecting stderr; bounded in time and in bytes kept. */
export const runProbe: ProbeRunner = (file, args) =>
  new Promise((resolve) => {
    let stderr = '';
    let child;
    try {
      child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      resolve({ code: null, stderr: describeError(error) });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (stderr.length < MAX_PROBE_STDERR) stderr += text;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stderr: describeError(error) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: code === null ? `${stderr}\nkilled after ${PROBE_TIMEOUT_MS} ms` : stderr });
    });
  });

/** `ffmpeg -f v4l2 -list_formats all -i DEVICE`: the camera's pixel formats and sizes, then it exits. */
export function listFormatsArgs(device: string): string[] {
  return [...QUIET, '-f', 'v4l2', '-list_formats', 'all', '-i', device];
}

/** Encodes one test frame with h264_v4l2m2m at the configured size and settings, into nothing. */
export function v4l2m2mProbeArgs(video: VideoConfig): string[] {
  const input = ['-f', 'lavfi', '-i', `testsrc2=size=${video.width}x${video.height}:rate=${video.fps}`];
  return [...QUIET, '-loglevel', 'error', ...input, '-frames:v', '1', ...h264EncodeArgs(video, 'h264_v4l2m2m'), '-f', 'null', '-'];
}

/** Runs the probes the choice needs, in order of preference, stopping at the first that works. */
export async function probeEncoder(ffmpeg: string, video: VideoConfig, run: ProbeRunner = runProbe): Promise<EncoderChoice> {
  const probes: EncoderProbes = {};
  if (video.source === 'v4l2') {
    // list_formats makes ffmpeg exit with an error after listing, so the list, not the exit code, is the answer.
    const listed = await run(ffmpeg, listFormatsArgs(video.device));
    probes.camera = cameraH264Probe(listed.stderr, video);
    if (probes.camera.ok) return chooseEncoder(probes);
  }
  probes.v4l2m2m = exitedCleanly(await run(ffmpeg, v4l2m2mProbeArgs(video)));
  return chooseEncoder(probes);
}

function exitedCleanly(outcome: ProbeOutcome): ProbeResult {
  if (outcome.code === 0) return { ok: true };
  return { ok: false, error: stderrReason(outcome.stderr) || `exit code ${outcome.code}` };
}

/**
 * The probes run once per ffmpeg binary, device and picture settings for the life of the daemon: restarts
 * and reloads that change nothing the probes depend on reuse the answer instead of spawning probes again.
 */
export class EncoderChoices {
  private readonly known = new Map<string, Promise<EncoderChoice>>();

  constructor(private readonly run: ProbeRunner = runProbe) {}

  /** The choice for this ffmpeg and these settings: probed on the first call, the same promise after. */
  choose(ffmpeg: string, video: VideoConfig): Promise<EncoderChoice> {
    const key = JSON.stringify([
      ffmpeg,
      video.source,
      video.device,
      video.width,
      video.height,
      video.fps,
      video.bitrateKbps,
      video.keyframeSeconds,
    ]);
    const cached = this.known.get(key);
    if (cached !== undefined) return cached;
    const choice = probeEncoder(ffmpeg, video, this.run);
    this.known.set(key, choice);
    return choice;
  }
}

/** The daemon's one cache of encoder choices. */
export const encoderChoices = new EncoderChoices();
