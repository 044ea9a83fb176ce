import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cameraInput } from './camera-graph.js';
import { runFfmpeg, runFfmpegOk } from './ffmpeg-run.js';

/** A recorded stream as ffmpeg reads it: concatenated JPEGs, or H.264 access units in Annex B. */
export type StreamFormat = 'mjpeg' | 'h264';

export interface SsimResult {
  /** ffmpeg ssim "All" (Y, U, V weighted by plane size) over every compared frame. */
  all: number;
  y: number;
  /** The worst single frame's "All". */
  min: number;
  frames: number;
}

export interface SsimJob {
  ffmpeg: string;
  file: string;
  format: StreamFormat;
  width: number;
  height: number;
  fps: number;
  /** Which frame of the regenerated source the file's first frame is (capture order from there). */
  firstSourceFrame: number;
  /** Compare at most this many frames. */
  maxFrames?: number;
}

const SSIM_TIMEOUT_MS = 600_000;

/**
 * SSIM of a recorded stream against the uncompressed source: the camera graph is deterministic,
 * so it is generated again, frame i of the file against source frame firstSourceFrame + i, both
 * as limited-range yuv420p (what libx264 encodes from; the JPEGs are full range and converted).
 */
export async function ssimAgainstSource(job: SsimJob): Promise<SsimResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-ssim-'));
  const statsFile = join(dir, 'ssim.log');
  const { width, height, fps } = job;
  const limit = job.maxFrames === undefined ? '' : `trim=end_frame=${job.maxFrames},`;
  const graph =
    `[0:v]${limit}scale=${width}:${height}:out_range=tv,format=yuv420p,setpts=N/${fps}/TB[d];` +
    `[1:v]trim=start_frame=${job.firstSourceFrame},format=yuv420p,setpts=N/${fps}/TB[r];` +
    `[d][r]ssim=stats_file=${statsFile}:shortest=1`;
  try {
    const run = await runFfmpegOk(
      job.ffmpeg,
      ['-nostats', '-f', job.format, '-i', job.file, ...cameraInput(width, height, fps, false), '-lavfi', graph, '-f', 'null', '-'],
      SSIM_TIMEOUT_MS,
      'ssim',
    );
    const summary = /SSIM Y:([\d.]+).*All:([\d.]+)/.exec(run.stderr);
    if (!summary) throw new Error(`ffmpeg ssim printed no summary: ${run.stderr.slice(-1000)}`);
    const perFrame = readFileSync(statsFile, 'utf8')
      .split('\n')
      .map((line) => /All:([\d.]+)/.exec(line))
      .filter((match) => match !== null)
      .map((match) => Number(match[1]));
    return { y: Number(summary[1]), all: Number(summary[2]), min: Math.min(...perFrame), frames: perFrame.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The frame alignment, checked: SSIM of the first frames at the assumed source frame and one
 * either side. The assumed one must be clearly best (the object moves several pixels a frame).
 */
export async function alignmentCheck(job: SsimJob, frames = 20): Promise<{ before: number; at: number; after: number; ok: boolean }> {
  const at = (offset: number) =>
    ssimAgainstSource({ ...job, firstSourceFrame: job.firstSourceFrame + offset, maxFrames: frames }).then((result) => result.all);
  const before = job.firstSourceFrame > 0 ? await at(-1) : 0;
  const centre = await at(0);
  const after = await at(1);
  return { before, at: centre, after, ok: centre > before && centre > after };
}

/** Decoder complaints (lines ffmpeg logs at level error) while decoding the whole file. */
export async function decodeErrors(ffmpeg: string, file: string, format: StreamFormat): Promise<{ errors: number; lines: string[] }> {
  const run = await runFfmpeg(ffmpeg, ['-nostats', '-v', 'error', '-f', format, '-i', file, '-f', 'null', '-'], SSIM_TIMEOUT_MS);
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  return { errors: lines.length + (run.code === 0 ? 0 : 1), lines: lines.slice(0, 5) };
}
