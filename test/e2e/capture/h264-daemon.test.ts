import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { ChunkFlag, ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { isWholeJpeg, TestViewer } from '../../helpers/ws-viewer.js';
import { childPids } from './proc-children.js';

const CAMERA = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=20'];
const VIDEO = { codec: 'h264', source: 'ffmpeg', input: CAMERA, width: 320, height: 240, fps: 10, keyframeSeconds: 1 } as const;

/** Polls /healthz until `accept` holds (bounded): the daemon has no push channel for health. */
async function waitForHealth(daemon: RunningDaemon, accept: (body: Record<string, unknown>) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const body = (await (await fetch(`${daemon.baseUrl}/healthz`)).json()) as Record<string, unknown>;
    last = body;
    if (accept(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`health never matched; last: ${JSON.stringify(last)}`);
}

/** Reads `count` whole parts of /stream.mjpg (bounded) and returns their bodies. */
async function mjpegParts(daemon: RunningDaemon, count: number): Promise<Buffer[]> {
  const controller = new AbortController();
  const stream = await fetch(`${daemon.baseUrl}/stream.mjpg`, { signal: controller.signal });
  assert.match(stream.headers.get('content-type') ?? '', /^multipart\/x-mixed-replace; boundary=wscamframe/);
  const reader = stream.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let received = Buffer.alloc(0);
  const deadline = Date.now() + 20_000;
  while ((received.toString('latin1').match(/--wscamframe\r\n/g)?.length ?? 0) <= count && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    received = Buffer.concat([received, value]);
  }
  controller.abort();
  return received
    .toString('latin1')
    .split('--wscamframe\r\n')
    .slice(1, count + 1)
    .map((part) => {
      const head = part.slice(0, part.indexOf('\r\n\r\n'));
      const body = Buffer.from(part.slice(part.indexOf('\r\n\r\n') + 4), 'latin1');
      return body.subarray(0, Number(/Content-Length: (\d+)/.exec(head)?.[1]));
    });
}

test('H.264 mode in the daemon: hello with the SPS codec string, a keyframe first; JPEG endpoints and JPEG subscribers still get JPEGs', async () => {
  const daemon = await startDaemon({ config: { video: VIDEO, audio: { enabled: false } } });
  const viewer = new TestViewer(daemon.wsUrl);
  const jpegViewer = new TestViewer(daemon.wsUrl);
  try {
    await viewer.waitFor(() => viewer.of(ChunkKind.H264).length >= 15, 30_000, 'access units');
    const video = viewer.hello?.video;
    assert.ok(video?.codec === 'h264', JSON.stringify(viewer.hello));
    assert.match(video.codecString, /^avc1\.[0-9A-F]{6}$/i);
    assert.deepEqual([video.width, video.height, video.fps], [320, 240, 10]);
    const units = viewer.of(ChunkKind.H264);
    assert.equal(units[0]!.flags & ChunkFlag.Keyframe, ChunkFlag.Keyframe, 'the first access unit a viewer gets is a keyframe');
    assert.ok(
      units.slice(1).some((unit) => (unit.flags & ChunkFlag.Keyframe) !== 0),
      'a keyframe every keyframeSeconds',
    );
    assert.equal(viewer.of(ChunkKind.Jpeg).filter((frame) => isWholeJpeg(frame.payload)).length, 0, 'an H.264 viewer gets no JPEGs');

    await jpegViewer.opened;
    jpegViewer.ws.send(JSON.stringify({ type: 'subscribe', video: true, audio: false, videoCodec: 'jpeg' }));
    await jpegViewer.waitFor(() => jpegViewer.of(ChunkKind.Jpeg).length >= 3, 30_000, 'JPEGs for a JPEG subscriber');

    const snapshot = await fetch(`${daemon.baseUrl}/snapshot.jpg`);
    assert.equal(snapshot.status, 200);
    assert.equal(snapshot.headers.get('content-type'), 'image/jpeg');
    const picture = jpeg.decode(Buffer.from(await snapshot.arrayBuffer()), { useTArray: true });
    assert.deepEqual([picture.width, picture.height], [320, 240]);
    const parts = await mjpegParts(daemon, 3);
    assert.equal(parts.length, 3);
    for (const part of parts) assert.ok(isWholeJpeg(part), '/stream.mjpg serves whole JPEGs');
    assert.ok(daemon.logLines().some((line) => line.msg === 'H.264 encoder chosen' && line['video encoder'] === 'libx264'));
  } finally {
    viewer.close();
    jpegViewer.close();
    await daemon.stop();
  }
});

test('H.264 mode: a killed encoder is restarted with backoff, /healthz reports it, and the viewer resumes at a keyframe', async () => {
  const daemon = await startDaemon({ config: { video: { ...VIDEO, idleSeconds: 0 }, audio: { enabled: false } } });
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    await viewer.waitFor(() => viewer.of(ChunkKind.H264).length >= 3, 30_000, 'access units');
    const [pid] = childPids(daemon.child.pid!, 'ffmpeg');
    assert.ok(pid !== undefined, 'the daemon runs one ffmpeg');
    const before = viewer.chunks.length;
    process.kill(pid, 'SIGKILL');
    const down = await waitForHealth(daemon, (body) => (body.video as { restarts?: number } | undefined)?.restarts === 1);
    assert.match(JSON.stringify(down.video), /ffmpeg exited with signal SIGKILL/);
    await daemon.waitForLog((line) => /^frames again \d+ ms after restart$/.test(String(line.msg)), 30_000);
    await viewer.waitFor(
      () => viewer.chunks.slice(before).filter((c) => c.kind === ChunkKind.H264).length >= 3,
      30_000,
      'access units again',
    );
    const after = viewer.chunks.slice(before).filter((chunk) => chunk.kind === ChunkKind.H264);
    assert.equal(after[0]!.flags & ChunkFlag.Keyframe, ChunkFlag.Keyframe, 'after the gap the viewer starts again at a keyframe');
    await waitForHealth(daemon, (body) => (body.video as { state?: string } | undefined)?.state === 'running');
    assert.deepEqual(childPids(daemon.child.pid!, 'ffmpeg').length, 1, 'one ffmpeg again, a new one');
    assert.notDeepEqual(childPids(daemon.child.pid!, 'ffmpeg'), [pid]);
  } finally {
    viewer.close();
    await daemon.stop();
  }
});
