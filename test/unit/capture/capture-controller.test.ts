import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { CaptureController } from '../../../src/capture/capture-controller.js';
import type { CaptureSourceFactory } from '../../../src/capture/create.js';
import type { CaptureSource, SourceListener, SourceState } from '../../../src/capture/source.js';
import { ConfigSchema, type Config } from '../../../src/config/schema.js';
import { FrameHub } from '../../../src/hub/frame-hub.js';
import { createRootLogger } from '../../../src/log.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { TestSink } from '../../helpers/test-sink.js';

// The controller's idle timer runs on mocked setTimeout; its health figures read performance.now(), tied here to the mocked Date.
const EPOCH = 1_000_000;
beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: EPOCH });
  mock.method(performance, 'now', () => Date.now() - EPOCH);
});
afterEach(() => {
  mock.timers.reset();
  mock.restoreAll();
});

/** Lets the controller's queued steps (promise chains, no I/O) run to the end; setImmediate is not mocked. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

async function advance(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settled();
}

const RETRY_MS = 1000;

/**
 * A camera or microphone in this process that the test drives: it starts and stops like a real source,
 * delivers a chunk when told, and when told it failed goes down and retries after RETRY_MS, as the child
 * supervisor does.
 */
class DrivenSource implements CaptureSource {
  state: SourceState = { status: 'stopped' };
  restarts = 0;
  starts = 0;
  stops = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    readonly name: 'video' | 'audio',
    private readonly listener: SourceListener,
  ) {}

  start(): Promise<void> {
    if (this.state.status !== 'stopped') return Promise.resolve();
    this.starts += 1;
    this.setState({ status: 'starting' });
    return Promise.resolve();
  }

  stop(): Promise<void> {
    clearTimeout(this.retry);
    this.stops += 1;
    this.setState({ status: 'stopped' });
    return Promise.resolve();
  }

  /** One chunk from the device ("no signal" when `placeholder`); a starting source is running from its first. */
  deliver(placeholder = false, kind: ChunkKind = this.name === 'video' ? ChunkKind.Jpeg : ChunkKind.Pcm): void {
    if (this.state.status === 'starting') this.setState({ status: 'running' });
    this.listener.chunk({
      kind,
      payload: Buffer.from([1, 2, 3]),
      captureTimeUs: Date.now() * 1000,
      ...(placeholder ? { placeholder } : {}),
    });
  }

  fail(reason: string): void {
    this.restarts += 1;
    this.setState({ status: 'down', reason, retryInMs: RETRY_MS });
    this.retry = setTimeout(() => this.setState({ status: 'starting' }), RETRY_MS);
  }

  private setState(state: SourceState): void {
    this.state = state;
    this.listener.state(state);
  }
}

function configWith(idleSeconds: number, audio = true): Config {
  return ConfigSchema.parse({ video: { source: 'test', idleSeconds }, audio: { enabled: audio, source: 'test' } });
}

/** A controller on a real hub whose factory builds DrivenSources; `built` holds every set it made, newest last. */
function setUp(config: Config) {
  const hub = new FrameHub();
  const built: Array<{ video: DrivenSource; audio: DrivenSource | null }> = [];
  const createSources: CaptureSourceFactory = (sourceConfig, listeners) => {
    const sources = {
      video: new DrivenSource('video', listeners.video),
      audio: sourceConfig.audio.enabled ? new DrivenSource('audio', listeners.audio) : null,
    };
    built.push(sources);
    return sources;
  };
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const capture = new CaptureController({ hub, config, log: createRootLogger('silent', quiet), createSources });
  const current = () => built.at(-1)!;
  return { hub, capture, built, current, video: () => current().video };
}

describe('capture controller', () => {
  it('in H.264 mode counts the access units, not the JPEG copy of each picture, for fps, chunks and the first frame', async () => {
    const config = ConfigSchema.parse({ video: { source: 'test', codec: 'h264', idleSeconds: 30 }, audio: { enabled: false } });
    const { capture, video } = setUp(config);
    await capture.start();
    video().deliver(false, ChunkKind.Jpeg);
    assert.equal(capture.health().videoDelivered, false, 'a JPEG alone is not the camera delivering H.264');
    for (let frame = 0; frame < 10; frame += 1) {
      video().deliver(false, ChunkKind.H264);
      video().deliver(false, ChunkKind.Jpeg);
      await advance(100);
    }
    const health = capture.health();
    assert.equal(health.videoDelivered, true);
    assert.equal(health.video.chunks, 10);
    assert.equal(health.video.fps, 10);
    await capture.stop();
  });

  it('fps is the rate over the last 5 s, at rates above what the arrival ring holds too, and falls to 0 when chunks stop', async () => {
    const config = ConfigSchema.parse({ video: { source: 'test', idleSeconds: 30 }, audio: { enabled: false } });
    const { capture, video } = setUp(config);
    await capture.start();
    for (let frame = 0; frame < 400; frame += 1) {
      video().deliver(false, ChunkKind.Jpeg);
      await advance(5);
    }
    assert.equal(capture.health().video.fps, 200);
    for (let frame = 0; frame < 60; frame += 1) {
      video().deliver(false, ChunkKind.Jpeg);
      await advance(100);
    }
    assert.equal(capture.health().video.fps, 10, 'the faster chunks before have left the window');
    await advance(5100);
    assert.equal(capture.health().video.fps, 0);
    await capture.stop();
  });

  it('captures from start until the first real frame, then stops idleSeconds later and keeps that run for the health check', async () => {
    const { capture, video, current } = setUp(configWith(30));
    await capture.start();
    assert.equal(capture.isRunning, true, 'nobody watches, yet capture runs to learn whether the camera works');
    assert.equal(video().starts, 1);
    assert.equal(current().audio?.starts, 1);

    video().deliver(true);
    await advance(120_000);
    assert.equal(capture.isRunning, true, 'a "no signal" picture is not the camera: capture still waits for a real frame');
    assert.equal(capture.health().videoDelivered, false);
    assert.equal(capture.health().video.chunks, 0, '"no signal" pictures are not counted');

    video().deliver();
    current().audio!.deliver();
    await settled();
    assert.equal(capture.health().videoDelivered, true);
    await advance(29_999);
    assert.equal(capture.isRunning, true, 'not before idleSeconds');
    await advance(1);
    assert.equal(capture.isRunning, false, 'stopped idleSeconds after the first frame');
    assert.equal(video().stops, 1);
    assert.equal(current().audio?.stops, 1);

    const health = capture.health();
    assert.equal(health.video.state, 'stopped', 'the live state is the source’s');
    assert.equal(health.audio?.state, 'stopped');
    assert.equal(health.videoDelivered, true, 'the camera is known to work while idle');
    const { lastRun } = health;
    assert.ok(lastRun, 'the last run is kept as it was when capture stopped');
    assert.equal(lastRun.video.state, 'running');
    assert.equal(lastRun.video.chunks, 1);
    assert.equal(lastRun.video.lastChunkAgeMs, 30_000);
    assert.equal(lastRun.audio?.state, 'running');
    await capture.stop();
  });

  it('a viewer starts capture at once; leaving starts the idle countdown, which a viewer coming back cancels', async () => {
    const { hub, capture, video } = setUp(configWith(30));
    await capture.start();
    video().deliver();
    await advance(30_000);
    assert.equal(capture.isRunning, false);

    const sink = new TestSink();
    const viewer = hub.attach(sink);
    await settled();
    assert.equal(capture.isRunning, true, 'started on demand');
    assert.equal(video().starts, 2);
    video().deliver();
    assert.equal(sink.written.length, 1, 'the chunk reached the viewer through the hub');

    hub.detach(viewer);
    await advance(29_000);
    assert.equal(capture.isRunning, true);
    const second = hub.attach(new TestSink());
    await advance(120_000);
    assert.equal(capture.isRunning, true, 'the countdown was cancelled by the new viewer');
    assert.equal(video().stops, 1, 'and the sources were not stopped and started again in between');
    hub.detach(second);
    await advance(30_000);
    assert.equal(capture.isRunning, false);

    const release = capture.acquire();
    await settled();
    assert.equal(capture.isRunning, true, 'a snapshot holds capture like a viewer');
    release();
    release();
    await advance(30_000);
    assert.equal(capture.isRunning, false, 'a hold released twice counts once');
    await capture.stop();
  });

  it('with idleSeconds 0 capture runs from start and never idles', async () => {
    const { capture, video } = setUp(configWith(0));
    await capture.start();
    video().deliver();
    await advance(3600_000);
    assert.equal(capture.isRunning, true);
    assert.equal(video().stops, 0);
    await capture.stop();
    assert.equal(capture.isRunning, false);
    assert.equal(video().stops, 1);
  });

  it('health follows a source down, through its backoff, to running; restarts are the source’s own and the reason lasts until a frame', async () => {
    const { hub, capture, video } = setUp(configWith(30));
    hub.attach(new TestSink());
    await capture.start();
    video().deliver();
    assert.deepEqual([capture.health().video.state, capture.health().video.restarts], ['running', 0]);

    video().fail('camera unplugged');
    let health = capture.health().video;
    assert.equal(health.state, 'down');
    assert.equal(health.reason, 'camera unplugged');
    assert.equal(health.restarts, 1);
    assert.equal(capture.isRunning, true, 'a down source is the source’s to retry; capture stays wanted');

    await advance(RETRY_MS);
    health = capture.health().video;
    assert.equal(health.state, 'starting', 'retrying after the backoff');
    assert.equal(health.reason, 'camera unplugged', 'why it went down is still told while it retries');

    video().fail('camera unplugged again');
    await advance(RETRY_MS);
    video().deliver();
    health = capture.health().video;
    assert.equal(health.state, 'running');
    assert.equal(health.reason, undefined, 'a frame clears the reason');
    assert.equal(health.restarts, 2);
    assert.equal(health.chunks, 2);
    assert.equal(health.lastChunkAgeMs, 0);
    await capture.stop();
  });

  it('a camera that fails before its first frame keeps being tried while nobody watches', async () => {
    const { capture, video } = setUp(configWith(30));
    await capture.start();
    video().fail('no such device');
    await advance(120_000);
    assert.equal(capture.isRunning, true);
    const health = capture.health();
    assert.equal(health.videoDelivered, false);
    assert.equal(health.video.reason, 'no such device');
    await capture.stop();
  });

  it('reconfigure stops the old sources before starting new ones, probes the new camera, and keeps the restart total', async () => {
    const { hub, capture, built, video } = setUp(configWith(30));
    // A drained sink takes every chunk the hub offers, so what it lacks was never published.
    const sink = new TestSink();
    hub.attach(sink);
    await capture.start();
    const old = built[0]!;
    old.video.deliver();
    old.video.fail('camera unplugged');
    assert.equal(capture.health().video.restarts, 1);

    const order: string[] = [];
    await capture.reconfigure(configWith(30, false), () =>
      order.push(`old ${old.video.state.status}, new started ${built.at(-1)!.video.starts} times`),
    );
    assert.deepEqual(order, ['old stopped, new started 0 times'], 'beforeStart runs between the old sources stopping and the new starting');
    assert.equal(old.video.stops, 1);
    assert.equal(old.audio?.stops, 1);
    assert.notEqual(video(), old.video);
    assert.equal(video().starts, 1, 'a watched camera starts again at once');
    let health = capture.health();
    assert.equal(health.audio, null, 'audio is off in the new config');
    assert.equal(health.videoDelivered, false, 'the new camera has not delivered yet');
    assert.equal(health.video.reason, undefined, 'the old camera’s failure is not the new one’s');
    assert.equal(health.video.state, 'starting');
    assert.equal(health.video.restarts, 1, 'the total keeps the replaced source’s restarts');

    sink.drain();
    const written = sink.written.length;
    old.video.deliver();
    assert.equal(sink.written.length, written, 'a chunk from a replaced source reaches nobody');
    assert.equal(capture.health().video.chunks, 1);

    video().fail('bad format');
    video().deliver();
    health = capture.health();
    assert.equal(health.video.restarts, 2);
    assert.equal(health.videoDelivered, true);
    assert.equal(sink.written.length, written + 1);
    await capture.stop();
    await capture.start();
    assert.equal(capture.health().video.restarts, 2, 'stop and start build fresh sources; the total stays');
    await capture.stop();
  });
});
