// A plain `ws` viewer for CI: connects to /ws, counts hello, video frames (whole JPEGs, or H.264 access units
// starting at a keyframe) and audio chunks by the 16-byte header, and exits 0 once it has the wanted counts
// (1 on timeout, refusal, a malformed message or video of the other codec).
//   node build/scripts/stream-client.js --url ws://127.0.0.1:PORT/ws [--token T] [--video 10] [--audio 10] [--codec jpeg|h264] [--timeout-seconds 120]
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { ChunkFlag, ChunkKind, decodeHeader } from '../src/protocol/header.js';

interface Counts {
  hello: boolean;
  video: number;
  audio: number;
  bytes: number;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    video: { type: 'string', default: '10' },
    audio: { type: 'string', default: '10' },
    codec: { type: 'string', default: 'jpeg' },
    'timeout-seconds': { type: 'string', default: '120' },
  },
});
if (values.url === undefined) {
  process.stderr.write('stream-client: --url ws://HOST:PORT/ws is required\n');
  process.exit(2);
}
const videoKind = values.codec === 'h264' ? ChunkKind.H264 : ChunkKind.Jpeg;
const wantVideo = Number(values.video);
const wantAudio = Number(values.audio);
const timeoutMs = Number(values['timeout-seconds']) * 1000;
const counts: Counts = { hello: false, video: 0, audio: 0, bytes: 0 };
const startedAt = Date.now();

function finish(code: number, why: string): void {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(`${JSON.stringify({ result: why, seconds: Number(seconds), ...counts })}\n`);
  ws.terminate();
  process.exit(code);
}

function isWholeJpeg(payload: Buffer): boolean {
  const last = payload.length - 1;
  return payload.length > 4 && payload[0] === 0xff && payload[1] === 0xd8 && payload[last - 1] === 0xff && payload[last] === 0xd9;
}

function isAnnexB(payload: Buffer): boolean {
  return payload.length > 4 && payload[0] === 0 && payload[1] === 0 && (payload[2] === 1 || (payload[2] === 0 && payload[3] === 1));
}

const headers: Record<string, string> = values.token === undefined ? {} : { authorization: `Bearer ${values.token}` };
const ws = new WebSocket(values.url, { headers, perMessageDeflate: false });
const timer = setTimeout(() => finish(1, 'timeout'), timeoutMs);
timer.unref();

ws.on('unexpected-response', (_request, response) => finish(1, `upgrade refused with ${response.statusCode}`));
ws.on('error', (error) => finish(1, `error: ${error.message}`));
ws.on('close', (code) => finish(1, `closed with ${code}`));
ws.on('message', (data: Buffer, isBinary) => {
  counts.bytes += data.length;
  if (!isBinary) {
    const message = JSON.parse(data.toString()) as { type?: string };
    if (message.type === 'hello') counts.hello = true;
    return;
  }
  const decoded = decodeHeader(data);
  if (!decoded.ok) return finish(1, `bad header: ${decoded.error}`);
  const payload = data.subarray(decoded.payloadOffset);
  const { kind, flags, sequence } = decoded.header;
  if (kind === ChunkKind.Jpeg || kind === ChunkKind.H264) {
    if (kind !== videoKind) return finish(1, `video of kind ${kind}, not ${videoKind}`);
    if (kind === ChunkKind.Jpeg && !isWholeJpeg(payload)) return finish(1, `frame ${sequence} is not a whole JPEG`);
    if (kind === ChunkKind.H264 && counts.video === 0 && (flags & ChunkFlag.Keyframe) === 0)
      return finish(1, 'the first access unit is no keyframe');
    if (kind === ChunkKind.H264 && !isAnnexB(payload)) return finish(1, `access unit ${sequence} does not start with a start code`);
    counts.video += 1;
  } else {
    counts.audio += 1;
  }
  if (counts.hello && counts.video >= wantVideo && counts.audio >= wantAudio) finish(0, 'ok');
});
