import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The viewer page in real headless Chromium: displayed-frame latency per decoding path, a new
 * viewer's first picture, and decoder errors after the page's link stalled. Figures come from the
 * page's debug handle (`window.wscam.stats()`): `latencyMs` is drawn time − capture time of the
 * last displayed frame, on this one machine's clock.
 */

export const CHROMIUM = '/usr/bin/chromium';

/** The page's decoding paths; `?video=` forces one. */
export type ViewerPath = 'webcodecs' | 'mse' | 'jpeg';

export interface PathResult {
  path: ViewerPath;
  /** The path the page said it took (stats().video.path), null when the page does not say. */
  reportedPath: string | null;
  latencyMs: { p50: number; p95: number; count: number } | null;
  /** Navigation start → first displayed frame (page load, connect, hello, first GOP). */
  firstPictureMs: number | null;
  /** The page's own hello → first displayed frame (stats().video.firstPictureMs): what the stream makes a new viewer wait. */
  helloToPictureMs: number | null;
  framesDrawn: number;
  /** stats().video.decoderErrors at the end, null when the page does not count them. */
  decoderErrors: number | null;
  error?: string;
}

/** A page whose link stalled until the daemon skipped for it. */
export interface StalledPageResult extends Episode {
  path: ViewerPath;
  sequenceGaps: number | null;
  /** Access units the page dropped waiting for a keyframe (a gap the hub did not close itself). */
  skippedForKeyframe: number | null;
  decoderErrors: number | null;
  /** Frames drawn in the seconds after the link resumed. */
  framesDrawnAfter: number;
  error?: string;
}

/** What the page's debug handle returns, as far as the bench reads it (the test build has no DOM types). */
interface PageStats {
  framesDrawn: number;
  latencyMs: number | null;
  /** The last 120 displayed frames' latencies, oldest first. */
  recentLatenciesMs?: number[];
  sequenceGaps?: number;
  video?: { path: string | null; firstPictureMs: number | null; decoderErrors: number; skippedForKeyframe: number };
}
interface PageWindow {
  wscam?: { stats(): PageStats };
  requestAnimationFrame(callback: () => void): number;
}

const FIRST_PICTURE_TIMEOUT_MS = 30_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/** Runs in the page: waits for the first drawn frame, returns performance.now() then (ms since navigation start). */
function firstPicture(timeoutMs: number): Promise<number | null> {
  const page = globalThis as unknown as PageWindow;
  return new Promise((resolve) => {
    const poll = () => {
      const drawn = page.wscam?.stats().framesDrawn ?? 0;
      if (drawn > 0) resolve(performance.now());
      else if (performance.now() > timeoutMs) resolve(null);
      else page.requestAnimationFrame(poll);
    };
    poll();
  });
}

/**
 * Runs in the page: the latency of every frame displayed over `ms`, read from the page's recent
 * latencies each 500 ms (the newest framesDrawn-delta of them; the page keeps 120).
 */
function latencySamples(ms: number): Promise<number[]> {
  const page = globalThis as unknown as PageWindow;
  return new Promise((resolve) => {
    const samples: number[] = [];
    const end = performance.now() + ms;
    let drawn = page.wscam?.stats().framesDrawn ?? 0;
    const poll = () => {
      const stats = page.wscam?.stats();
      if (stats) {
        const recent = stats.recentLatenciesMs ?? (stats.latencyMs === null ? [] : [stats.latencyMs]);
        const fresh = Math.min(stats.framesDrawn - drawn, recent.length);
        if (fresh > 0) samples.push(...recent.slice(recent.length - fresh));
        drawn = stats.framesDrawn;
      }
      if (performance.now() < end) setTimeout(poll, 500);
      else resolve(samples);
    };
    setTimeout(poll, 500);
  });
}

function pageStats(page: Page): Promise<PageStats | null> {
  return page.evaluate(() => (globalThis as unknown as PageWindow).wscam?.stats() ?? null);
}

function rank(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

async function openViewer(browser: Browser, baseUrl: string, path: ViewerPath): Promise<{ page: Page; firstPictureMs: number | null }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${baseUrl}/?video=${path}`);
  const firstPictureMs = await page.evaluate(firstPicture, FIRST_PICTURE_TIMEOUT_MS);
  return { page, firstPictureMs };
}

/** One page on one path: first picture, then displayed-frame latency over `seconds`. */
export async function measurePath(browser: Browser, baseUrl: string, path: ViewerPath, seconds: number): Promise<PathResult> {
  const { page, firstPictureMs } = await openViewer(browser, baseUrl, path);
  try {
    if (firstPictureMs === null) {
      const stats = await pageStats(page);
      return {
        path,
        reportedPath: stats?.video?.path ?? null,
        latencyMs: null,
        firstPictureMs,
        helloToPictureMs: null,
        framesDrawn: 0,
        decoderErrors: stats?.video?.decoderErrors ?? null,
        error: 'no picture',
      };
    }
    const samples = (await page.evaluate(latencySamples, seconds * 1000)).sort((a, b) => a - b);
    const stats = await pageStats(page);
    return {
      path,
      reportedPath: stats?.video?.path ?? null,
      latencyMs: samples.length ? { p50: rank(samples, 0.5), p95: rank(samples, 0.95), count: samples.length } : null,
      firstPictureMs,
      helloToPictureMs: stats?.video?.firstPictureMs ?? null,
      framesDrawn: stats?.framesDrawn ?? 0,
      decoderErrors: stats?.video?.decoderErrors ?? null,
    };
  } finally {
    await page.close();
  }
}

/** One stall of a viewer's link: how long until the daemon skipped for it, and whether it did. */
export interface Episode {
  stallSeconds: number;
  daemonSkipped: boolean;
}

/**
 * A page whose link stalls (`baseUrl` through bench/h264/stalling-link.ts): after its first
 * picture the link stalls until the daemon skips for it, then resumes; the page must draw again,
 * and its decoder errors and waits for a keyframe are read `afterSeconds` later.
 */
export async function measureStalledPage(
  browser: Browser,
  baseUrl: string,
  path: ViewerPath,
  stall: () => Promise<Episode>,
  afterSeconds: number,
): Promise<StalledPageResult> {
  const failed = (error: string): StalledPageResult => ({
    path,
    stallSeconds: 0,
    daemonSkipped: false,
    sequenceGaps: null,
    skippedForKeyframe: null,
    decoderErrors: null,
    framesDrawnAfter: 0,
    error,
  });
  try {
    const { page, firstPictureMs } = await openViewer(browser, baseUrl, path);
    try {
      if (firstPictureMs === null) return failed('no picture');
      const episode = await stall();
      const drawnBefore = (await pageStats(page))?.framesDrawn ?? 0;
      await page.waitForTimeout(afterSeconds * 1000);
      const stats = await pageStats(page);
      return {
        path,
        ...episode,
        sequenceGaps: stats?.sequenceGaps ?? null,
        skippedForKeyframe: stats?.video?.skippedForKeyframe ?? null,
        decoderErrors: stats?.video?.decoderErrors ?? null,
        framesDrawnAfter: (stats?.framesDrawn ?? 0) - drawnBefore,
      };
    } finally {
      await page.close();
    }
  } catch (error) {
    return failed((error as Error).message.split('\n')[0]!);
  }
}
