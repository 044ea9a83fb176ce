import { spawnSync } from 'node:child_process';
import { H264AccessUnitParser, type H264Chunk } from '../../../src/capture/formats/h264-access-units.js';

/** A real H.264 Annex B stream from ffmpeg's libx264, with what ffprobe says about it. */
export interface H264Fixture {
  name: string;
  stream: Buffer;
  /** ffprobe -show_packets: one packet per access unit, in order. */
  packets: { size: number; keyframe: boolean }[];
  width: number;
  height: number;
  /** ffprobe's profile name and level_idc. */
  profile: string;
  level: number;
}

function run(program: string, args: string[], input?: Buffer): Buffer {
  const result = spawnSync(program, args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}`);
  return result.stdout;
}

/** Encodes `frames` of lavfi testsrc2 at 100x60 (not a multiple of 16, so the SPS crops) with libx264 and `encoderArgs`. */
export function encodeTestsrc(name: string, encoderArgs: string[], frames = 20, size = '100x60'): H264Fixture {
  return encodeLavfi(name, `testsrc2=size=${size}:rate=15`, encoderArgs, frames);
}

/** What a fixed camera sees at 320x240@15: a still background and a small moving object, so P-frames are small. */
export const CAMERA_LIKE_GRAPH =
  "testsrc2=size=320x240:rate=15,trim=end_frame=1,loop=loop=-1:size=1,setpts=N/15/TB[bg];testsrc2=size=64x48:rate=15[fg];[bg][fg]overlay=x='mod(t*40,256)':y=96";

export function encodeLavfi(name: string, graph: string, encoderArgs: string[], frames: number): H264Fixture {
  const stream = run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', graph],
    ...['-frames:v', String(frames), '-c:v', 'libx264', '-g', '7', '-bf', '0', ...encoderArgs, '-f', 'h264', 'pipe:1'],
  ]);
  return { name, stream, ...probe(stream) };
}

/** ffprobe's view of an Annex B stream read from stdin. */
export function probe(stream: Buffer): Omit<H264Fixture, 'name' | 'stream'> {
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'h264', '-show_packets', '-show_streams', '-of', 'json', 'pipe:0'];
  const json = JSON.parse(run('ffprobe', args, stream).toString()) as {
    packets: { size: string; flags: string }[];
    streams: { width: number; height: number; profile: string; level: number }[];
  };
  const video = json.streams[0]!;
  return {
    packets: json.packets.map((packet) => ({ size: Number(packet.size), keyframe: packet.flags.startsWith('K') })),
    width: video.width,
    height: video.height,
    profile: video.profile,
    level: video.level,
  };
}

/** Decodes an Annex B stream with ffmpeg; returns the number of frames decoded (any decoder error throws). */
export function decodedFrames(stream: Buffer): number {
  const args = ['-hide_banner', '-loglevel', 'error', '-xerror', '-f', 'h264', '-i', 'pipe:0', '-f', 'framemd5', 'pipe:1'];
  return run('ffmpeg', args, stream)
    .toString()
    .split('\n')
    .filter((line) => /^\d/.test(line)).length;
}

/** The real streams the parser tests run on: both profiles, with and without AUD, headers repeated two ways. */
export const fixtures = {
  baselineAud: () =>
    encodeTestsrc('baseline, AUD, repeat-headers', [
      '-profile:v',
      'baseline',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-x264-params',
      'aud=1:repeat-headers=1',
    ]),
  baselinePlain: () =>
    encodeTestsrc('baseline, no AUD, repeat-headers', [
      '-profile:v',
      'baseline',
      '-preset',
      'ultrafast',
      '-x264-params',
      'repeat-headers=1',
    ]),
  highSlices: () =>
    encodeTestsrc('high, 3 slices, no AUD, dump_extra', [
      '-profile:v',
      'high',
      '-preset',
      'veryfast',
      '-x264-params',
      'slices=3',
      '-bsf:v',
      'dump_extra',
    ]),
  highAud: () =>
    encodeTestsrc('high, AUD, repeat-headers', ['-profile:v', 'high', '-preset', 'veryfast', '-x264-params', 'aud=1:repeat-headers=1']),
  high444Cqm: () =>
    encodeTestsrc('high 4:4:4, scaling lists', ['-pix_fmt', 'yuv444p', '-preset', 'veryfast', '-x264-params', 'cqm=jvt:repeat-headers=1']),
  high422Interlaced: () =>
    encodeTestsrc('high 4:2:2, interlaced, AUD', [
      '-pix_fmt',
      'yuv422p',
      '-preset',
      'veryfast',
      '-x264-params',
      'interlaced=1:aud=1:repeat-headers=1',
    ]),
  /** 1920x1080, coded as 1088 rows and cropped by 8. */
  encodeWide: () => encodeTestsrc('high, 1920x1080', ['-profile:v', 'high', '-preset', 'veryfast'], 1, '1920x1080'),
};

/** NAL units of an Annex B buffer, start codes cut off (a simple search: fixtures only, not the parser under test). */
export function nalUnits(annexB: Buffer): Buffer[] {
  const starts: { code: number; nal: number }[] = [];
  for (let i = 2; i < annexB.length; i += 1) {
    if (annexB[i] === 1 && annexB[i - 1] === 0 && annexB[i - 2] === 0)
      starts.push({ code: i >= 3 && annexB[i - 3] === 0 ? i - 3 : i - 2, nal: i + 1 });
  }
  return starts.map((start, index) => annexB.subarray(start.nal, index + 1 < starts.length ? starts[index + 1]!.code : annexB.length));
}

/** `fixture`'s stream with every SPS and PPS after the first of each dropped, as cameras that send them once write it. */
export function withHeadersOnce(fixture: H264Fixture): H264Fixture {
  const seen = new Set<number>();
  const kept = nalUnits(fixture.stream).filter((nal) => {
    const type = nal[0]! & 0x1f;
    if (type !== 7 && type !== 8) return true;
    if (seen.has(type)) return false;
    seen.add(type);
    return true;
  });
  const stream = Buffer.concat(kept.flatMap((nal) => [Buffer.from([0, 0, 0, 1]), nal]));
  return { name: `${fixture.name}, SPS/PPS sent once`, stream, ...probe(stream) };
}

/** A fixture's access units as the wscam parser cuts them, for tests of what consumes them. */
export function accessUnitsOf(fixture: H264Fixture): H264Chunk[] {
  const parser = new H264AccessUnitParser();
  return [...parser.push(fixture.stream, 0), ...parser.end()];
}
