import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { ChunkFlag, ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon } from '../../helpers/daemon.js';
import { readMjpegParts } from '../../helpers/mjpeg-reader.js';
import { isWholeJpeg, TestViewer } from '../../helpers/ws-viewer.js';
import { waitForHealth } from './health.js';
import { childPids } from './proc-children.js';

const CAMERA = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=20'];
const VIDEO = { codec: 'h264', source: 'ffmpeg', input: CAMERA, width: 320, height: 240, fps: 10, keyframeSeconds: 1 } as const;

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
    const parts = await readMjpegParts(daemon.baseUrl, 3);
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
    process.kill(pid, 'SIGKILL');
    // Every byte of the old child is read before its exit is logged, so later access units are the new child's.
    const exit = await daemon.waitForLog((line) => line.msg === 'ffmpeg exited unexpectedly', 10_000);
    const fromNewChild = () => viewer.of(ChunkKind.H264).filter((unit) => unit.captureTimeUs > Date.parse(String(exit.time)) * 1000);
    const down = await waitForHealth(daemon, (_status, body) => (body.video as { restarts?: number } | undefined)?.restarts === 1);
    assert.match(JSON.stringify(down.video), /ffmpeg exited with signal SIGKILL/);
    await daemon.waitForLog((line) => /^frames again \d+ ms after restart$/.test(String(line.msg)), 30_000);
    await viewer.waitFor(() => fromNewChild().length >= 3, 30_000, 'access units again');
    assert.equal(
      fromNewChild()[0]!.flags & ChunkFlag.Keyframe,
      ChunkFlag.Keyframe,
      "the new child's stream reaches the viewer from a keyframe",
    );
    await waitForHealth(daemon, (_status, body) => (body.video as { state?: string } | undefined)?.state === 'running');
    assert.deepEqual(childPids(daemon.child.pid!, 'ffmpeg').length, 1, 'one ffmpeg again, a new one');
    assert.notDeepEqual(childPids(daemon.child.pid!, 'ffmpeg'), [pid]);
  } finally {
    viewer.close();
    await daemon.stop();
  }
});
