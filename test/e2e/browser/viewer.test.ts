import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { hashPassword } from '../../../src/auth/password.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { canvasChecksum, daemonAndBrowser, waitForCanvasChange, launchBrowser, PageErrors } from '../../helpers/browser.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { packagePath } from '../../../src/package-root.js';

const ARTIFACTS = `${packagePath('test-artifacts')}/`;
const FFMPEG = packagePath('node_modules', '@ffmpeg-installer', 'linux-x64', 'ffmpeg');
// A safety net, not a speed target: the first viewer waits for the synthetic loop to render, which on a
// loaded 2-core machine takes several seconds.
const WAIT_MS = 30_000;

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1920, height: 1080 } };

const syntheticConfig: ConfigInput = {
  video: { source: 'test', width: 640, height: 480, fps: 15 },
  audio: { enabled: true, source: 'test', codec: 'pcm', sampleRate: 48000, channels: 1 },
};

// The page's globals as far as these tests touch them; the test build has no DOM types.
interface PageGlobals {
  wscam: {
    state(): string;
    analyser: { fftSize: number; getFloatTimeDomainData(target: Float32Array): void } | null;
    audioContext: { state: string } | null;
    stats(): {
      framesDrawn: number;
      fps: number;
      audioCodec: string | null;
      audio: {
        muted: boolean;
        sink: string | null;
        chunks: number;
        buffer: { bufferedMs: number; playing: boolean; skips: number } | null;
      };
    };
  };
  document: {
    getElementById(id: string): (PageElement & PageCanvas) | null;
    fullscreenElement: unknown;
  };
}
interface PageElement {
  hidden: boolean;
  textContent: string | null;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** Runs in the page: the loudest sample the analyser sees right now. */
function analyserPeak(): number {
  const analyser = (globalThis as unknown as PageGlobals).wscam.analyser;
  if (!analyser) return 0;
  const samples = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(samples);
  return samples.reduce((peak, value) => Math.max(peak, Math.abs(value)), 0);
}

async function openViewer(
  browser: Browser,
  url: string,
  errors: PageErrors,
  options: BrowserContextOptions = DESKTOP,
  initScript?: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(WAIT_MS);
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  errors.watch(page);
  await page.goto(url);
  return { context, page };
}

async function waitForFrames(page: Page, count = 3): Promise<void> {
  await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).wscam?.stats().framesDrawn >= n, count);
}

async function turnSoundOn(page: Page): Promise<void> {
  await wakeControls(page);
  await page.getByRole('button', { name: 'Sound on' }).click();
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).wscam.audioContext?.state === 'running');
}

async function waitForTone(page: Page): Promise<number> {
  try {
    const handle = await page.waitForFunction(analyserPeak, undefined, { polling: 100 });
    return await handle.jsonValue();
  } catch (error) {
    const stats = await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.stats());
    throw new Error(`no tone in the analyser; viewer stats: ${JSON.stringify(stats)}`, { cause: error });
  }
}

/** Fills and sends the login form, and waits for the daemon's answer. */
async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForResponse('**/api/login'), page.getByRole('button', { name: 'Log in' }).click()]);
}

/** The bar hides itself when idle; a person moves the mouse first, so do the tests. */
async function wakeControls(page: Page): Promise<void> {
  await page.mouse.move(200, 200);
  await page.mouse.move(210, 210);
  await page.waitForFunction(() => {
    const app = (globalThis as unknown as PageGlobals).document.getElementById('app') as unknown as { className: string };
    return !app.className.includes('idle');
  });
}

/** Uses the Log out button as a person would and waits for the login form. */
async function logOutToForm(page: Page): Promise<void> {
  await wakeControls(page);
  // Focus keeps the bar shown (a click after a slow wake could find it hidden again and hit the canvas).
  const logOut = page.getByRole('button', { name: 'Log out' });
  await logOut.focus();
  await logOut.press('Enter');
  await page.getByLabel('Username').waitFor();
  assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.state()), 'login');
}

describe('viewer against the daemon with the synthetic camera and PCM tone', () => {
  const errors = new PageErrors();
  const suite = daemonAndBrowser({ config: syntheticConfig });
  before(() => mkdirSync(ARTIFACTS, { recursive: true }));

  async function open(options?: BrowserContextOptions, initScript?: string): Promise<Page> {
    const { context, page } = await openViewer(suite.browser, `${suite.daemon.baseUrl}/`, errors, options, initScript);
    suite.contexts.push(context);
    return page;
  }

  test('the canvas shows a changing picture', async () => {
    const page = await open();
    assert.equal(await page.title(), 'wscam');
    await waitForFrames(page, 1);
    const first = await page.evaluate(canvasChecksum);
    assert.notEqual(first, -1);
    await waitForCanvasChange(page, first);
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.state()), 'live');
  });

  test('the status overlay shows resolution and an fps near the configured 15', async () => {
    const page = await open();
    await waitForFrames(page);
    const fpsText = await page.waitForFunction(
      () => {
        const text = (globalThis as unknown as PageGlobals).document.getElementById('stat-fps')?.textContent ?? '';
        const fps = Number(text);
        return fps >= 5 && fps <= 20 ? text : false;
      },
      undefined,
      { polling: 250 },
    );
    assert.ok(Number(await fpsText.jsonValue()) >= 5);
    assert.match((await page.locator('#stat-resolution').textContent()) ?? '', /640×480/);
    assert.match((await page.locator('#stat-state').textContent()) ?? '', /Live/);
    assert.match((await page.locator('#stat-latency').textContent()) ?? '', /\d+ ms/);
  });

  test('"Sound on" starts the AudioContext and the analyser hears the test tone', async () => {
    const page = await open();
    await waitForFrames(page, 1);
    await turnSoundOn(page);
    assert.ok((await waitForTone(page)) > 0.01);
    const audio = await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.stats().audio);
    assert.equal(audio.sink, 'worklet');
    // The worklet reports its jitter buffer a few times a second: playing, and within the latency bound.
    const buffer = await page.waitForFunction(() => {
      const reported = (globalThis as unknown as PageGlobals).wscam.stats().audio.buffer;
      return reported?.playing ? reported : false;
    });
    const { bufferedMs } = (await buffer.jsonValue()) as { bufferedMs: number };
    assert.ok(bufferedMs > 0 && bufferedMs < 150, `buffered ${bufferedMs} ms`);
    await page.getByRole('button', { name: 'Mute (m)' }).waitFor();
    await page.getByRole('slider', { name: 'Volume' }).waitFor();
  });

  test('without AudioWorklet (plain http on a LAN address) the ScriptProcessor fallback plays the tone', async () => {
    const hideWorklet = "Object.defineProperty(BaseAudioContext.prototype, 'audioWorklet', { get() { return undefined; } });";
    const page = await open(DESKTOP, hideWorklet);
    await waitForFrames(page, 1);
    await turnSoundOn(page);
    assert.ok((await waitForTone(page)) > 0.01);
    const audio = await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.stats().audio);
    assert.equal(audio.sink, 'script-processor');
  });

  test('frames stopping for over 3 s show "No signal"; frames resuming clear it', async () => {
    const context = await suite.browser.newContext(DESKTOP);
    suite.contexts.push(context);
    context.setDefaultTimeout(WAIT_MS);
    let forwardFrames = true;
    // Sits between page and daemon and holds back the media while the test says so.
    await context.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        if (forwardFrames || typeof message === 'string') ws.send(message);
      });
    });
    const page = await context.newPage();
    errors.watch(page);
    await page.goto(`${suite.daemon.baseUrl}/`);
    await waitForFrames(page);
    forwardFrames = false;
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).wscam.state() === 'no-signal');
    assert.equal(await page.locator('#message').textContent(), 'No signal');
    await page.screenshot({ path: `${ARTIFACTS}viewer-no-signal.png` });
    forwardFrames = true;
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).wscam.state() === 'live');
    assert.equal(await page.locator('#message').isHidden(), true);
  });

  test('keys: m mutes and unmutes, s downloads the frame as JPEG, f enters and leaves fullscreen, i hides the overlay', async () => {
    const page = await open();
    await waitForFrames(page);
    const muted = () => page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.stats().audio.muted);

    await page.keyboard.press('m');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).wscam.audioContext?.state === 'running');
    assert.equal(await muted(), false, 'the first m turns the sound on');
    await page.keyboard.press('m');
    assert.equal(await muted(), true);
    await page.keyboard.press('m');
    assert.equal(await muted(), false);

    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('s')]);
    assert.match(download.suggestedFilename(), /^wscam-\d{8}-\d{6}\.jpg$/);
    const path = await download.path();
    const bytes = readFileSync(path);
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
    assert.deepEqual([...bytes.subarray(-2)], [0xff, 0xd9]);

    await page.keyboard.press('f');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.fullscreenElement !== null);
    await page.keyboard.press('f');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.fullscreenElement === null);

    await page.keyboard.press('i');
    assert.equal(await page.locator('#overlay').isHidden(), true);
    await page.reload();
    await waitForFrames(page, 1);
    assert.equal(await page.locator('#overlay').isHidden(), true, 'the hidden overlay is remembered');
    await page.keyboard.press('i');
    assert.equal(await page.locator('#overlay').isVisible(), true);
  });

  test('screenshots at phone (390×844) and desktop (1920×1080) sizes', async () => {
    for (const [name, options] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const page = await open(options);
      await waitForFrames(page, 5);
      await page.waitForFunction(() => Number((globalThis as unknown as PageGlobals).document.getElementById('stat-fps')?.textContent) > 1);
      await page.screenshot({ path: `${ARTIFACTS}viewer-${name}.png` });
      const box = await page.locator('#controls').boundingBox();
      assert.ok(box && box.width <= options.viewport!.width, `${name}: the control bar fits the screen`);
    }
  });

  test('no console errors or uncaught exceptions in any page above', () => {
    errors.assertCleanRun();
  });
});

describe('viewer reconnects when the daemon restarts', () => {
  let browser: Browser;
  let context: BrowserContext | undefined;
  const daemons: RunningDaemon[] = [];
  const errors = new PageErrors();

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await Promise.all(daemons.map((daemon) => daemon.stop()));
  });

  test('stopped and started again on the same port, the page counts down and comes back by itself', async () => {
    const first = await startDaemon({ config: syntheticConfig });
    daemons.push(first);
    const opened = await openViewer(browser, `${first.baseUrl}/`, errors);
    context = opened.context;
    const page = opened.page;
    await waitForFrames(page);
    const framesBefore = await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.stats().framesDrawn);

    await first.stop();
    // State and message in one evaluation: a second round trip could land after the 0.5 s backoff.
    const reconnecting = await page.waitForFunction(() => {
      const viewer = globalThis as unknown as PageGlobals;
      return viewer.wscam.state() === 'reconnecting' ? (viewer.document.getElementById('message')?.textContent ?? '') : false;
    });
    assert.match(String(await reconnecting.jsonValue()), /^Reconnecting in \d+ s…$/);
    await page.screenshot({ path: `${ARTIFACTS}viewer-reconnecting.png` });

    daemons.push(await startDaemon({ config: syntheticConfig, port: first.port, stateDir: first.stateDir }));
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).wscam.state() === 'live');
    await page
      .waitForFunction((n) => (globalThis as unknown as PageGlobals).wscam.stats().framesDrawn > n + 3, framesBefore)
      .catch(async (error: unknown) => {
        const state = await page.evaluate(() => [
          (globalThis as unknown as PageGlobals).wscam.state(),
          (globalThis as unknown as PageGlobals).wscam.stats(),
        ]);
        throw new Error(`no new frames after the restart: ${JSON.stringify(state)}\n${daemons.at(-1)?.output()}`, { cause: error });
      });
    assert.equal(await page.locator('#message').isHidden(), true);
    errors.assertCleanRun();
  });
});

describe('viewer with Opus audio from ffmpeg', () => {
  let daemon: RunningDaemon;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const errors = new PageErrors();

  before(async () => {
    const config: ConfigInput = {
      ffmpeg: { path: FFMPEG },
      video: { source: 'test', fps: 15 },
      audio: {
        enabled: true,
        source: 'ffmpeg',
        codec: 'opus',
        sampleRate: 48000,
        channels: 1,
        input: ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      },
    };
    [daemon, browser] = await Promise.all([startDaemon({ config }), launchBrowser()]);
  });

  after(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await daemon?.stop();
  });

  test('WebCodecs decodes the Opus tone into the analyser', async () => {
    const { context, page } = await openViewer(browser, `${daemon.baseUrl}/`, errors);
    contexts.push(context);
    assert.equal(await page.evaluate(() => 'AudioDecoder' in globalThis), true, 'this Chromium has WebCodecs AudioDecoder');
    await waitForFrames(page, 1);
    await turnSoundOn(page);
    assert.ok((await waitForTone(page)) > 0.01);
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.stats().audioCodec), 'opus');
    errors.assertCleanRun();
  });

  test('a browser without AudioDecoder asks for PCM and plays it', async () => {
    const { context, page } = await openViewer(browser, `${daemon.baseUrl}/`, errors, DESKTOP, 'delete globalThis.AudioDecoder;');
    contexts.push(context);
    await waitForFrames(page, 1);
    await turnSoundOn(page);
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.stats().audioCodec), 'pcm_s16le');
    assert.ok((await waitForTone(page)) > 0.01);
  });
});

describe('viewer login', () => {
  const USER = { username: 'alice', password: 'correct horse battery' };
  const TOKEN = 'viewer-test-token-0123456789';
  let daemon: RunningDaemon;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const errors = new PageErrors();

  before(async () => {
    const passwordHash = await hashPassword(USER.password);
    [daemon, browser] = await Promise.all([
      startDaemon({
        config: { ...syntheticConfig, auth: { disabled: false, users: [{ username: USER.username, passwordHash }], tokens: [TOKEN] } },
      }),
      launchBrowser(),
    ]);
  });

  after(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await daemon?.stop();
  });

  async function open(path = '/'): Promise<Page> {
    const { context, page } = await openViewer(browser, `${daemon.baseUrl}${path}`, errors);
    contexts.push(context);
    return page;
  }

  test('the login form refuses a wrong password, then logs in, plays, and logs out', async () => {
    const page = await open();
    await page.getByLabel('Username').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.state()), 'login');
    await page.screenshot({ path: `${ARTIFACTS}viewer-login.png` });

    await submitLogin(page, USER.username, 'wrong password');
    await page.getByText('Wrong username or password').waitFor();

    await submitLogin(page, USER.username, USER.password);
    await waitForFrames(page);
    assert.equal(await page.locator('#login').isHidden(), true);

    await logOutToForm(page);
  });

  test('?token= is exchanged for a session and removed from the address bar', async () => {
    const page = await open(`/?token=${TOKEN}`);
    await waitForFrames(page);
    assert.doesNotMatch(page.url(), /token/);
    assert.ok(!(await page.context().cookies()).some((cookie) => cookie.value.includes(TOKEN)));
  });

  test('no console errors in the login pages', () => {
    errors.assertCleanRun();
  });
});

describe('viewer login screens against stubbed /api endpoints', () => {
  const TOKEN = 'stub-token-0123456789abcdef';
  let daemon: RunningDaemon;
  let browser: Browser;
  let context: BrowserContext | undefined;
  const errors = new PageErrors();

  before(async () => {
    [daemon, browser] = await Promise.all([startDaemon({ config: syntheticConfig }), launchBrowser()]);
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  /** A browser context whose /api and /ws answer like a daemon with auth, in front of the auth-less test daemon. */
  async function stubbedAuth(): Promise<{ page: Page; logins: unknown[] }> {
    context = await browser.newContext(DESKTOP);
    context.setDefaultTimeout(WAIT_MS);
    let authenticated = false;
    let failures = 0;
    const logins: unknown[] = [];
    await context.route('**/api/session', (route) =>
      route.fulfill(
        authenticated ? { status: 200, json: { authenticated: true, kind: 'session', username: 'alice' } } : { status: 401, body: '' },
      ),
    );
    await context.route('**/api/login', (route) => {
      const body = route.request().postDataJSON() as { username?: string; password?: string; token?: string };
      logins.push(body);
      if (body.token === TOKEN || (body.username === 'alice' && body.password === 'secret')) {
        authenticated = true;
        failures = 0;
        return route.fulfill({ status: 204 });
      }
      failures++;
      return route.fulfill(failures > 2 ? { status: 429, headers: { 'Retry-After': '42' }, body: '' } : { status: 401, body: '' });
    });
    await context.route('**/api/logout', (route) => {
      authenticated = false;
      return route.fulfill({ status: 204 });
    });
    // A refused upgrade looks to the page like a socket that closes before hello.
    await context.routeWebSocket(/\/ws$/, (ws) => {
      if (authenticated) ws.connectToServer();
      else void ws.close({ code: 1008, reason: 'unauthorized' });
    });
    const page = await context.newPage();
    errors.watch(page);
    return { page, logins };
  }

  test('the form shows wrong-password and throttle messages, logs in, and logs out', async () => {
    const { page } = await stubbedAuth();
    await page.goto(`${daemon.baseUrl}/`);
    await page.getByLabel('Username').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).wscam.state()), 'login');
    await page.screenshot({ path: `${ARTIFACTS}viewer-login.png` });

    await submitLogin(page, 'alice', 'wrong');
    await page.getByText('Wrong username or password').waitFor();
    await submitLogin(page, 'alice', 'wrong');
    await submitLogin(page, 'alice', 'wrong');
    await page.getByText(/Too many attempts, try again in 4[12] s/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Log in' }).isDisabled(), true);
  });

  test('a correct login plays the stream; Log out returns to the form', async () => {
    const { page } = await stubbedAuth();
    await page.goto(`${daemon.baseUrl}/`);
    await submitLogin(page, 'alice', 'secret');
    await waitForFrames(page);
    assert.equal(await page.locator('#login').isHidden(), true);
    await logOutToForm(page);
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not kept');
  });

  test('?token= is posted to /api/login and removed from the address bar first', async () => {
    const { page, logins } = await stubbedAuth();
    await page.goto(`${daemon.baseUrl}/?token=${TOKEN}#here`);
    await waitForFrames(page);
    assert.equal(page.url(), `${daemon.baseUrl}/#here`);
    assert.deepEqual(logins, [{ token: TOKEN }]);
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  });

  test('no console errors in the login screens', () => {
    errors.assertCleanRun();
  });
});
