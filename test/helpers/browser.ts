import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** A describe's skip option: the browser tests need Debian's Chromium. */
export const skipWithoutChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt install chromium)`;

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

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 30_000,
  });
}
