import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ConfigInput } from '../../../src/config/schema.js';
import { packagePath } from '../../../src/package-root.js';
import { canvasChecksum, daemonAndBrowser, waitForCanvasChange, PageErrors } from '../../helpers/browser.js';
import { reloadDaemon } from '../../helpers/daemon.js';
import { Waits } from '../../helpers/wait.js';

const ARTIFACTS = `${packagePath('test-artifacts')}/`;
const FFMPEG = packagePath('node_modules', '@ffmpeg-installer', 'linux-x64', 'ffmpeg');
// A safety net, not a speed target: ffmpeg, the daemon and Chromium share two loaded cores.
const WAIT_MS = 30_000;
const KEYFRAME_SECONDS = 2;
// What a new viewer may take past one keyframe interval: page load aside, decoding its first GOP on a loaded machine.
const FIRST_PICTURE_SLACK_MS = 1500;

const h264Config: ConfigInput = {
  ffmpeg: { path: FFMPEG },
  video: {
    source: 'ffmpeg',
    codec: 'h264',
    width: 640,
    height: 480,
    fps: 15,
    keyframeSeconds: KEYFRAME_SECONDS,
    input: ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=15'],
  },
};

// The page's debug handle as far as these tests read it; the test build has no DOM types.
interface ViewerStats {
  framesDrawn: number;
  recentLatenciesMs: number[];
  latencyP50Ms: number | null;
  hello: { video: { codec: string; codecString?: string; width: number; height: number } } | null;
  video: {
    path: string | null;
    firstPictureMs: number | null;
    decoderErrors: number;
    lastDecoderError: string | null;
    keyframeWaits: number;
    skippedForKeyframe: number;
  };
}
interface PageGlobals {
  wscam: { state(): string; stats(): ViewerStats };
  document: { getElementById(id: string): (PageMedia & { hidden: boolean; textContent: string | null }) | null };
}
interface PageMedia {
  width: number;
  height: number;
  videoWidth: number;
  videoHeight: number;
  currentTime: number;
  buffered: { length: number; end(index: number): number };
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** Presses s and checks the download is a JPEG of the picture on screen. */
async function assertSnapshotIsJpeg(page: Page): Promise<void> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('s')]);
  assert.match(download.suggestedFilename(), /^wscam-\d{8}-\d{6}\.jpg$/);
  const bytes = readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  assert.ok(bytes.byteLength > 1000, `a ${bytes.byteLength}-byte JPEG`);
}

function viewerStats(page: Page): Promise<ViewerStats> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.stats());
}

/** Waits until the page has displayed `count` frames; the error carries the page's stats. */
async function waitForDisplayed(page: Page, count: number): Promise<ViewerStats> {
  try {
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).wscam?.stats().framesDrawn >= n, count);
  } catch (error) {
    throw new Error(`fewer than ${count} frames displayed; viewer stats: ${JSON.stringify(await viewerStats(page))}`, { cause: error });
  }
  return viewerStats(page);
}

/** Runs in the page: the pixel size of what the path draws into (the canvas, or the MSE `<video>`). */
function displayedSize(path: string): [number, number] {
  const element = (globalThis as unknown as PageGlobals).document.getElementById(path === 'mse' ? 'video-mse' : 'video');
  return path === 'mse' ? [element?.videoWidth ?? 0, element?.videoHeight ?? 0] : [element?.width ?? 0, element?.height ?? 0];
}

describe('H.264 viewer: real ffmpeg libx264 → daemon → Chromium', () => {
  const errors = new PageErrors();
  const suite = daemonAndBrowser({ config: h264Config });
  before(() => mkdirSync(ARTIFACTS, { recursive: true }));

  /** A new page on the daemon; `hold` decides per binary message whether the page gets it. */
  async function open(path: string, options: { initScript?: string; hold?: (message: Buffer) => boolean } = {}): Promise<Page> {
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
    suite.contexts.push(context);
    context.setDefaultTimeout(WAIT_MS);
    if (options.initScript) await context.addInitScript(options.initScript);
    const hold = options.hold;
    if (hold) {
      await context.routeWebSocket(/\/ws$/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((message) => {
          if (typeof message === 'string' || !hold(message)) ws.send(message);
        });
      });
    }
    const page = await context.newPage();
    errors.watch(page);
    await page.goto(`${suite.daemon.baseUrl}${path}`);
    return page;
  }

  test('on 127.0.0.1 (a secure context) WebCodecs decodes H.264 onto a changing canvas', async () => {
    const page = await open('/');
    const stats = await waitForDisplayed(page, 10);
    assert.equal(stats.hello?.video.codec, 'h264');
    assert.match(stats.hello?.video.codecString ?? '', /^avc1\.[0-9A-F]{6}$/i);
    assert.equal(stats.video.path, 'webcodecs');
    const first = await page.evaluate(canvasChecksum);
    await waitForCanvasChange(page, first);
    assert.deepEqual(
      await page.evaluate(() => [
        (globalThis as unknown as PageGlobals).document.getElementById('video')?.width,
        (globalThis as unknown as PageGlobals).document.getElementById('video')?.height,
      ]),
      [640, 480],
    );
    await page.waitForFunction(() =>
      /^H\.264 · WebCodecs · \d+ ms median$/.test(
        (globalThis as unknown as PageGlobals).document.getElementById('stat-path')?.textContent ?? '',
      ),
    );
    const after = await viewerStats(page);
    assert.equal(after.video.decoderErrors, 0, after.video.lastDecoderError ?? '');
    assert.ok(after.recentLatenciesMs.length > 0 && after.recentLatenciesMs.every((ms) => Number.isFinite(ms)));
    await assertSnapshotIsJpeg(page);
    await page.screenshot({ path: `${ARTIFACTS}h264-webcodecs.png` });
  });

  test('?video=mse plays through MSE (jMuxer) in the <video>, kept within 200 ms of the buffered end', async () => {
    const page = await open('/?video=mse');
    const stats = await waitForDisplayed(page, 15);
    assert.equal(stats.video.path, 'mse');
    assert.equal(await page.locator('#video-mse').isVisible(), true);
    assert.equal(await page.locator('#video').isHidden(), true);
    // The live-edge control, not a speed claim: whatever bursts the loaded machine makes, the player gets back within 200 ms.
    const lag = await page.waitForFunction(
      () => {
        const video = (globalThis as unknown as PageGlobals).document.getElementById('video-mse');
        if (!video || video.buffered.length === 0) return false;
        const behind = video.buffered.end(video.buffered.length - 1) - video.currentTime;
        return behind <= 0.2 ? behind : false;
      },
      undefined,
      { polling: 'raf' },
    );
    assert.ok(Number(await lag.jsonValue()) <= 0.2);
    await page.waitForFunction(() =>
      /^H\.264 · MSE · \d+ ms median$/.test((globalThis as unknown as PageGlobals).document.getElementById('stat-path')?.textContent ?? ''),
    );
    const after = await viewerStats(page);
    assert.equal(after.video.decoderErrors, 0, after.video.lastDecoderError ?? '');
    await assertSnapshotIsJpeg(page);
    await page.screenshot({ path: `${ARTIFACTS}h264-mse.png` });
  });

  test('?video=jpeg subscribes videoCodec "jpeg" and draws the daemon\'s JPEGs', async () => {
    const page = await open('/?video=jpeg');
    const stats = await waitForDisplayed(page, 10);
    assert.equal(stats.video.path, 'jpeg');
    assert.match((await page.locator('#stat-path').textContent()) ?? '', /^JPEG · \d+ ms median$/);
    assert.equal(stats.video.skippedForKeyframe, 0, 'no H.264 reached the decoder side');
  });

  test('without WebCodecs (as on a plain-http LAN address) the page picks MSE by itself', async () => {
    const page = await open('/', { initScript: 'delete globalThis.VideoDecoder;' });
    const stats = await waitForDisplayed(page, 5);
    assert.equal(stats.video.path, 'mse');
    assert.equal(stats.video.decoderErrors, 0, stats.video.lastDecoderError ?? '');
  });

  test('a browser with neither WebCodecs nor MSE falls back to JPEG by itself', async () => {
    const page = await open('/', {
      initScript: 'delete globalThis.VideoDecoder; delete globalThis.MediaSource; delete globalThis.ManagedMediaSource;',
    });
    const stats = await waitForDisplayed(page, 5);
    assert.equal(stats.video.path, 'jpeg');
  });

  for (const path of ['webcodecs', 'mse'] as const) {
    test(`${path}: a viewer that misses access units mid-GOP waits for the next keyframe and decodes on with 0 decoder errors`, async () => {
      // Once the picture is up, holds back kind 4 until ten P-frames are gone and lets the next P-frame through: a gap
      // in the sequence right before a frame whose reference is missing, as after the daemon skipped a slow viewer.
      let displayed = false;
      let released = false;
      let heldBack = 0;
      const page = await open(`/?video=${path}`, {
        hold: (message) => {
          if (message[0] !== 4 || !displayed || released) return false;
          const delta = (message[1]! & 1) === 0;
          if (delta && heldBack >= 10) {
            released = true;
            return false;
          }
          if (delta) heldBack++;
          return true;
        },
      });
      const before = await waitForDisplayed(page, 5);
      assert.equal(before.video.path, path);
      displayed = true;
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).wscam.stats().video.keyframeWaits >= 1);
      const resumed = await waitForDisplayed(page, (await viewerStats(page)).framesDrawn + 10);
      assert.equal(heldBack, 10);
      assert.ok(resumed.video.skippedForKeyframe > 0, 'the P-frames after the gap were dropped, not decoded');
      assert.equal(resumed.video.decoderErrors, 0, resumed.video.lastDecoderError ?? '');
    });
  }

  test('a hidden tab decodes nothing; shown again it resumes at a keyframe with 0 decoder errors', async () => {
    // document.hidden under the test's control: headless Chromium has no real tab to hide.
    const hideable =
      "let hidden = false; Object.defineProperty(Document.prototype, 'hidden', { get: () => hidden }); globalThis.setHidden = (value) => { hidden = value; };";
    const waits = new Waits();
    let arrivedWhileHidden = 0;
    let hidden = false;
    const page = await open('/', {
      initScript: hideable,
      hold: (message) => {
        if (hidden && message[0] === 4) arrivedWhileHidden++;
        waits.wake();
        return false;
      },
    });
    await waitForDisplayed(page, 5);
    await page.evaluate(() => (globalThis as unknown as { setHidden(value: boolean): void }).setHidden(true));
    hidden = true;
    // Frames already in the decoder may still be shown; count from once a keyframe interval has reached the hidden page.
    const interval = KEYFRAME_SECONDS * 15;
    await waits.until(() => arrivedWhileHidden >= interval, { timeoutMs: WAIT_MS, what: 'access units while hidden' });
    const before = (await viewerStats(page)).framesDrawn;
    // Two more keyframe intervals of access units reach the hidden page.
    await waits.until(() => arrivedWhileHidden >= 3 * interval, { timeoutMs: WAIT_MS, what: 'access units while hidden' });
    const whileHidden = (await viewerStats(page)).framesDrawn;
    assert.ok(whileHidden <= before + 1, `${whileHidden - before} frames displayed while hidden (one may have been in the decoder)`);
    await page.evaluate(() => (globalThis as unknown as { setHidden(value: boolean): void }).setHidden(false));
    hidden = false;
    const resumed = await waitForDisplayed(page, whileHidden + 10);
    assert.equal(resumed.video.decoderErrors, 0, resumed.video.lastDecoderError ?? '');
  });

  for (const path of ['webcodecs', 'mse'] as const) {
    test(`${path}: a new viewer starts from the current GOP, with a picture within one keyframe interval + ${FIRST_PICTURE_SLACK_MS} ms`, async () => {
      const page = await open(`/?video=${path}`);
      const stats = await waitForDisplayed(page, 1);
      assert.equal(stats.video.path, path);
      assert.equal(stats.video.skippedForKeyframe, 0, "the first access unit the page got was the GOP's keyframe");
      assert.ok(
        stats.video.firstPictureMs !== null && stats.video.firstPictureMs <= KEYFRAME_SECONDS * 1000 + FIRST_PICTURE_SLACK_MS,
        `first picture after ${stats.video.firstPictureMs} ms`,
      );
    });
  }

  // Last, as they reload the daemon: to 320×240, then back to 640×480.
  for (const path of ['webcodecs', 'mse'] as const) {
    test(`${path}: a new hello (SIGHUP, a new size) gets a new decoder that decodes the new format, 0 decoder errors`, async () => {
      const page = await open(`/?video=${path}`);
      await waitForDisplayed(page, 5);
      const next = path === 'webcodecs' ? { width: 320, height: 240 } : { width: 640, height: 480 };
      const input = ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${next.width}x${next.height}:rate=15`];
      await reloadDaemon(suite.daemon, { ...h264Config, video: { ...h264Config.video, ...next, input } });
      await page.waitForFunction((width) => (globalThis as unknown as PageGlobals).wscam.stats().hello?.video.width === width, next.width);
      const before = (await viewerStats(page)).framesDrawn;
      const after = await waitForDisplayed(page, before + 10);
      assert.deepEqual(await page.evaluate(displayedSize, path), [next.width, next.height]);
      assert.equal(after.video.decoderErrors, 0, after.video.lastDecoderError ?? '');
    });
  }

  test('no console errors or uncaught exceptions in any page above', () => {
    errors.assertCleanRun();
  });
});
