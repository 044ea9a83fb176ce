import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { startDaemon } from '../../helpers/daemon.js';
import { isWholeJpeg, TestViewer } from '../../helpers/ws-viewer.js';
import { waitForHealth } from './health.js';
import { childPids } from './proc-children.js';

const CAMERA = ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15'];
const MICROPHONE = ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];

/** The ffmpeg children of a process. */
function ffmpegChildren(parentPid: number): number[] {
  return childPids(parentPid, 'ffmpeg');
}

test('camera and microphone through ffmpeg: whole JPEGs at the configured size, 20 ms PCM chunks', async () => {
  const daemon = await startDaemon({
    config: {
      video: { source: 'ffmpeg', input: CAMERA, width: 320, height: 240, fps: 15 },
      audio: { source: 'ffmpeg', input: MICROPHONE, codec: 'pcm' },
    },
  });
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 5 && viewer.of(ChunkKind.Pcm).length >= 20, 30000, 'media');
    assert.deepEqual(viewer.hello?.audio, { codec: 'pcm_s16le', sampleRate: 48000, channels: 1 });
    const frames = viewer.of(ChunkKind.Jpeg);
    assert.ok(frames.every((frame) => isWholeJpeg(frame.payload)));
    const decoded = jpeg.decode(frames.at(-1)!.payload, { useTArray: true });
    assert.deepEqual([decoded.width, decoded.height], [320, 240]);
    assert.ok(viewer.of(ChunkKind.Pcm).every((chunk) => chunk.payload.length === 1920));
    for (let index = 1; index < frames.length; index += 1) assert.ok(frames[index]!.sequence > frames[index - 1]!.sequence);
  } finally {
    viewer.close();
    await daemon.stop();
  }
});

test('Opus microphone: the hello says opus, Opus packets arrive, and a viewer may switch to PCM', async () => {
  const daemon = await startDaemon({
    config: {
      video: { source: 'ffmpeg', input: CAMERA, width: 320, height: 240 },
      audio: { source: 'ffmpeg', input: MICROPHONE, codec: 'opus' },
    },
  });
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    await viewer.waitFor(() => viewer.of(ChunkKind.Opus).length >= 20, 30000, 'opus packets');
    assert.deepEqual(viewer.hello?.audio, { codec: 'opus', sampleRate: 48000, channels: 1 });
    assert.equal(viewer.of(ChunkKind.Pcm).length, 0);
    // TOC byte of a 20 ms CELT/hybrid/SILK frame: config codes 1, 3, 15, 19, 23, 27, 31 mean 20 ms (RFC 6716, 3.1).
    const config = viewer.of(ChunkKind.Opus)[5]!.payload[0]! >> 3;
    assert.ok([1, 5, 9, 13, 15, 19, 23, 27, 31].includes(config), `20 ms frames (config ${config})`);
    // A browser without an Opus decoder asks for PCM instead (our subscribe extension).
    viewer.ws.send(JSON.stringify({ type: 'subscribe', video: true, audio: true, audioCodec: 'pcm_s16le' }));
    await viewer.waitFor(() => viewer.of(ChunkKind.Pcm).length >= 10, 10000, 'PCM after asking for it');
    const opusCount = viewer.of(ChunkKind.Opus).length;
    await viewer.waitFor(() => viewer.of(ChunkKind.Pcm).length >= 30, 10000, 'more PCM');
    assert.ok(viewer.of(ChunkKind.Opus).length <= opusCount + 1, 'no more Opus once PCM was asked for');
    assert.ok(viewer.of(ChunkKind.Pcm).every((chunk) => chunk.payload.length === 1920));
  } finally {
    viewer.close();
    await daemon.stop();
  }
});

test('kill -9 of the ffmpeg child: frames come back and no viewer is disconnected', async () => {
  const daemon = await startDaemon({
    config: { video: { source: 'ffmpeg', input: CAMERA, width: 320, height: 240 }, audio: { enabled: false } },
  });
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 3, 30000, 'frames');
    const [child] = ffmpegChildren(daemon.child.pid!);
    assert.ok(child, 'an ffmpeg child runs');
    process.kill(child, 'SIGKILL');
    await daemon.waitForLog((line) => line.msg === 'ffmpeg exited unexpectedly', 10000);
    const seen = viewer.of(ChunkKind.Jpeg).length;
    await daemon.waitForLog((line) => typeof line.msg === 'string' && /again \d+ ms after restart/.test(line.msg), 15000);
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= seen + 5, 15000, 'frames after the restart');
    assert.equal(viewer.closeCode, undefined);
    assert.notDeepEqual(ffmpegChildren(daemon.child.pid!), [child]);
    const metrics = await (await fetch(`${daemon.baseUrl}/metrics`)).text();
    assert.match(metrics, /^wscam_capture_restarts_total\{source="video"\} [1-9]/m);
  } finally {
    viewer.close();
    await daemon.stop();
  }
});

test('a missing camera: 503 with the reason, retries, "no signal" frames, no crash', async () => {
  const daemon = await startDaemon({
    config: {
      video: { source: 'ffmpeg', input: ['-f', 'mjpeg', '-i', '/nonexistent/camera.mjpeg'], width: 320, height: 240 },
      audio: { enabled: false },
    },
  });
  const viewer = new TestViewer(daemon.wsUrl);
  try {
    const body = await waitForHealth(daemon, (status, health) => status === 503 && typeof health.reason === 'string');
    assert.match(String(body.reason), /^camera: /);
    await viewer.waitFor(() => viewer.of(ChunkKind.Jpeg).length >= 2, 10000, '"no signal" frames');
    const placeholder = jpeg.decode(viewer.of(ChunkKind.Jpeg)[0]!.payload, { useTArray: true });
    assert.deepEqual([placeholder.width, placeholder.height], [320, 240]);
    await daemon.waitForLog(
      (line) => typeof line.msg === 'string' && line.msg.includes('restarting') && Number(line.retryInMs) >= 2000,
      15000,
    );
    assert.ok(daemon.output().includes('No such file or directory'), 'ffmpeg stderr reaches the log');
    assert.equal(daemon.child.exitCode, null);
    assert.equal(viewer.closeCode, undefined);
  } finally {
    viewer.close();
    await daemon.stop();
  }
});

test('capture stops idleSeconds after the last viewer and starts again for a new one', async () => {
  const daemon = await startDaemon({
    config: { video: { source: 'ffmpeg', input: CAMERA, width: 320, height: 240, idleSeconds: 1 }, audio: { enabled: false } },
  });
  const stops = () => daemon.logLines().filter((line) => line.msg === 'no viewers: capture stopped').length;
  try {
    // Capture runs once from start until the first frame, then idles like any other run.
    await daemon.waitForLog((line) => line.msg === 'camera delivers: capture now runs on demand', 15000);
    await daemon.waitForLog(() => stops() === 1, 10000);
    await daemon.waitForLog((line) => line.msg === 'ffmpeg exited', 10000);
    assert.deepEqual(ffmpegChildren(daemon.child.pid!), [], 'no capture while nobody watches');
    const snapshot = await fetch(`${daemon.baseUrl}/snapshot.jpg`);
    assert.equal(snapshot.status, 200, 'a snapshot starts capture for itself');
    assert.ok(isWholeJpeg(Buffer.from(await snapshot.arrayBuffer())));
    await daemon.waitForLog(() => stops() === 2, 10000);
    const first = new TestViewer(daemon.wsUrl);
    await first.waitFor(() => first.of(ChunkKind.Jpeg).length >= 2, 30000, 'frames');
    first.close();
    await daemon.waitForLog(() => stops() === 3, 10000);
    await daemon.waitForLog(() => daemon.logLines().filter((line) => line.msg === 'ffmpeg exited').length === 3, 10000);
    const health = await (await fetch(`${daemon.baseUrl}/healthz`)).json();
    assert.equal((health as { capture: string }).capture, 'idle');
    const second = new TestViewer(daemon.wsUrl);
    await second.waitFor(
      () => second.of(ChunkKind.Jpeg).filter((frame) => frame.captureTimeUs > Date.now() * 1000 - 2_000_000).length >= 2,
      30000,
      'fresh frames',
    );
    second.close();
    assert.equal(daemon.logLines().filter((line) => line.msg === 'capture started').length, 4);
  } finally {
    await daemon.stop();
  }
});
