import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, afterEach, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDaemon, type DaemonOptions, type RunningDaemon } from './daemon.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Console errors and uncaught exceptions of every page opened through it, and whether each page ran the viewer at all. */
export class PageErrors {
  readonly messages: string[] = [];
  /** Every watched page, true once a load found the viewer's `window.wscam`. */
  private readonly ran = new Map<Page, boolean>();

  watch(page: Page): void {
    this.ran.set(page, false);
    page.on('load', () => {
      page
        .evaluate(() => typeof (globalThis as { wscam?: unknown }).wscam === 'object')
        .then(
          (found) => {
            if (found) this.ran.set(page, true);
          },
          () => {},
        );
    });
    page.on('pageerror', (error) => this.messages.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      // Chromium logs refused connections and HTTP error answers itself; those are the network, not the page.
      if (/^Failed to load resource|^WebSocket connection to .* failed/.test(text)) return;
      this.messages.push(`console: ${text}`);
    });
  }

  /** No errors, and not vacuously: at least one page was watched and every watched page ran the viewer. */
  assertCleanRun(): void {
    assert.ok(this.ran.size > 0, 'no page was opened, so there was nothing to check (run the tests above with this one)');
    const idle = [...this.ran.values()].filter((ran) => !ran).length;
    assert.equal(idle, 0, `${idle} of ${this.ran.size} pages never ran the viewer script`);
    assert.deepEqual(this.messages, []);
  }
}

/** The browser tests need Debian's Chromium: without it they fail, saying so, rather than skip. */
export async function launchBrowser(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is not installed (apt install chromium; .ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 30_000,
  });
}

export interface DaemonAndBrowser {
  readonly daemon: RunningDaemon;
  readonly browser: Browser;
  /** Contexts a test opened: closed after it, so its pages stop streaming and leave the CPU to the next test. */
  readonly contexts: BrowserContext[];
}

/** One daemon and one Chromium for the enclosing describe: started before its tests, stopped after them. */
export function daemonAndBrowser(options: DaemonOptions): DaemonAndBrowser {
  let daemon: RunningDaemon | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  before(async () => {
    [daemon, browser] = await Promise.all([startDaemon(options), launchBrowser()]);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  after(async () => {
    await browser?.close();
    await daemon?.stop();
  });
  return {
    get daemon() {
      assert.ok(daemon, 'the daemon starts in before()');
      return daemon;
    },
    get browser() {
      assert.ok(browser, 'Chromium starts in before()');
      return browser;
    },
    contexts,
  };
}

interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** Runs in the page (self-contained for page.evaluate): a checksum of the #video canvas's pixels, -1 without one. */
export function canvasChecksum(): number {
  const page = globalThis as unknown as { document: { getElementById(id: string): PageCanvas | null } };
  const canvas = page.document.getElementById('video');
  const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
  if (!data) return -1;
  let sum = 0;
  for (let i = 0; i < data.length; i += 61) sum = (sum * 31 + data[i]!) >>> 0;
  return sum;
}

/**
 * Resolves once the #video canvas's checksum differs from `before` (a canvasChecksum value). The page's CSP
 * forbids evaluating strings and a page function cannot call another, so the checksum is written out here too.
 */
export async function waitForCanvasChange(page: Page, before: number): Promise<void> {
  await page.waitForFunction((previous) => {
    const canvas = (globalThis as unknown as { document: { getElementById(id: string): PageCanvas | null } }).document.getElementById(
      'video',
    );
    const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; data && i < data.length; i += 61) sum = (sum * 31 + data[i]!) >>> 0;
    return sum !== previous;
  }, before);
}
