import { isDeepStrictEqual } from 'node:util';
import { ensureFirstRunToken, needsFirstRunToken } from '../auth/first-run-token.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { CaptureController } from '../capture/capture-controller.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { helloFor } from '../hello.js';
import type { WscamServer } from '../http/server.js';
import type { Logger } from '../log.js';
import type { DaemonSource } from './daemon.js';
import { describeError, describeBug } from '../describe-error.js';

/** Sections a running daemon takes over on SIGHUP; a change anywhere else waits for a restart. */
const CAPTURE_SECTIONS = ['video', 'audio', 'ffmpeg'] as const;
const CREDENTIAL_KEYS = ['users', 'tokens'] as const;
/** Keys that change nothing the daemon does. */
const INERT_KEYS = new Set(['$schema']);

/** What a reloaded config changes and how the running daemon can take it. */
export interface ReloadPlan {
  /** Every key that differs, e.g. "video.width"; arrays count as one key ("auth.users"). */
  changed: string[];
  capture: boolean;
  credentials: boolean;
  /** Changed keys that only a restart applies: the listening socket, TLS, limits, session policy, log level. */
  needsRestart: string[];
}

/** Compares the running config with a reloaded one. */
export function planReload(running: Config, next: Config): ReloadPlan {
  const changed = changedKeys(running, next, '');
  const capture = CAPTURE_SECTIONS.some((section) => !isDeepStrictEqual(running[section], next[section]));
  const credentials = CREDENTIAL_KEYS.some((key) => !isDeepStrictEqual(running.auth[key], next.auth[key]));
  const live = (key: string) =>
    CAPTURE_SECTIONS.some((section) => key.startsWith(`${section}.`)) || CREDENTIAL_KEYS.some((name) => key === `auth.${name}`);
  return { changed, capture, credentials, needsRestart: changed.filter((key) => !live(key)) };
}

function changedKeys(a: unknown, b: unknown, prefix: string): string[] {
  if (!isPlainObject(a) || !isPlainObject(b)) return isDeepStrictEqual(a, b) ? [] : [prefix];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => !INERT_KEYS.has(key)).flatMap((key) => changedKeys(a[key], b[key], prefix ? `${prefix}.${key}` : key));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The running parts a reload reaches. */
export interface ReloadTargets {
  source: DaemonSource;
  capture: CaptureController;
  authenticator: Authenticator;
  server: WscamServer;
  stateDir: string;
  log: Logger;
  /** The config the daemon runs with now; a reload replaces what it could apply. */
  running(): Config;
  setRunning(config: Config): void;
  /** Logs the viewer URL for a first-run token a reload made necessary. */
  showViewerUrl(token: string): void;
}

/** Re-reads the config on request; settled() waits for a reload in progress (shutdown does, before stopping parts). */
export interface Reloader {
  reload(): void;
  settled(): Promise<void>;
}

/**
 * Builds the SIGHUP handler: re-reads the config file, applies a changed video/audio/ffmpeg section
 * (capture restarts, viewers stay and get a new hello when the format changed) and changed users or
 * tokens (new requests see them), and says which other changes need a restart. A bad file is logged
 * with its `path: message` lines and the running config stays. Reloads run one at a time; signals
 * during one are folded into one more reload after it.
 */
export function createReloader(targets: ReloadTargets): Reloader {
  let inProgress: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    try {
      do {
        again = false;
        await reloadOnce(targets);
      } while (again);
    } catch (error) {
      targets.log.error({ err: describeBug(error) }, 'config reload failed');
    } finally {
      inProgress = undefined;
    }
  };
  return {
    reload: () => {
      if (inProgress) again = true;
      else inProgress = run();
    },
    settled: async () => {
      await inProgress;
    },
  };
}

async function reloadOnce(targets: ReloadTargets): Promise<void> {
  const { source, log } = targets;
  const loaded = loadConfig(source.configPath, source.overrides);
  if (!loaded.ok) {
    log.error({ config: source.configPath, errors: loaded.errors }, 'config reload refused: the running config stays');
    return;
  }
  const running = targets.running();
  const next = loaded.config;
  const plan = planReload(running, next);
  if (plan.changed.length === 0) {
    log.info({ config: source.configPath }, 'config reloaded: nothing changed');
    return;
  }
  // what the daemon actually runs with afterwards: the parts it could apply, the rest as before
  let applied: Config = running;
  if (plan.credentials && (await applyCredentials(targets, next))) {
    applied = { ...applied, auth: { ...applied.auth, users: next.auth.users, tokens: next.auth.tokens } };
  }
  if (plan.capture) {
    const reconfigured: Config = { ...applied, video: next.video, audio: next.audio, ffmpeg: next.ffmpeg };
    const hello = helloFor(reconfigured);
    const formatChanged = !isDeepStrictEqual(helloFor(applied), hello);
    try {
      // The new hello goes out once the old capture stopped and before the new one's first chunk.
      await targets.capture.reconfigure(next, () => {
        if (formatChanged) targets.server.announceHello(hello);
      });
      applied = reconfigured;
    } catch (error) {
      log.error({ err: describeError(error) }, 'capture cannot use the reloaded config: it goes on as before');
    }
  }
  targets.setRunning(applied);
  if (plan.needsRestart.length > 0) log.warn({ keys: plan.needsRestart }, 'config reloaded, but these changes need a restart');
  log.info({ changed: plan.changed }, 'config reloaded');
}

/** Swaps users and tokens; when none are left, the first-run token (made now if need be) guards the daemon. */
async function applyCredentials(targets: ReloadTargets, next: Config): Promise<boolean> {
  let firstRunToken: string | undefined;
  // auth.disabled itself changes only with a restart
  if (needsFirstRunToken({ ...next.auth, disabled: targets.running().auth.disabled })) {
    const token = await ensureFirstRunToken(targets.stateDir);
    if (!token.ok) {
      targets.log.error({ module: 'auth' }, `${token.error}: users and tokens stay as they were`);
      return false;
    }
    firstRunToken = token.value.token;
  }
  targets.authenticator.replaceCredentials(next.auth.users, next.auth.tokens, firstRunToken);
  if (firstRunToken !== undefined && !needsFirstRunToken(targets.running().auth)) targets.showViewerUrl(firstRunToken);
  return true;
}
