import type { Logger } from '../log.js';

/** Signals that stop the daemon cleanly. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** The signal that reloads the config file (`systemctl reload`, ExecReload=). */
const RELOAD_SIGNAL = 'SIGHUP';

/**
 * Catchable signals whose default action would end the process, and which no one should be able to
 * end a camera with by mistake: each is logged and ignored. SIGUSR1 is here because Node's default
 * opens the inspector on 127.0.0.1:9229, which lets any local process run code as the daemon; a
 * listener keeps it shut. Left at their defaults: SIGABRT (systemd's watchdog kill), the fault
 * signals SIGSEGV/SIGBUS/SIGFPE/SIGILL, SIGTRAP and SIGSYS (debugger, seccomp), SIGPROF (V8's profiler).
 */
export const IGNORED_SIGNALS = [
  'SIGUSR1',
  'SIGUSR2',
  'SIGQUIT',
  'SIGALRM',
  'SIGVTALRM',
  'SIGPWR',
  'SIGIO',
  'SIGSTKFLT',
  'SIGXCPU',
  'SIGXFSZ',
] as const satisfies readonly NodeJS.Signals[];

/** A signal flood must not flood the journal: one line per signal name per interval. */
const IGNORED_LOG_INTERVAL_MS = 10_000;

export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface SignalHandlers {
  stop(signal: StopSignal): void;
  reload(): void;
}

/** Routes every signal the daemon answers to, for the rest of the process's life. */
export function handleSignals(handlers: SignalHandlers, log: Logger): void {
  for (const signal of STOP_SIGNALS) process.on(signal, () => handlers.stop(signal));
  process.on(RELOAD_SIGNAL, () => handlers.reload());
  for (const signal of IGNORED_SIGNALS) {
    let loggedAt = -Infinity;
    let unlogged = 0;
    process.on(signal, () => {
      const now = performance.now();
      if (now - loggedAt < IGNORED_LOG_INTERVAL_MS) {
        unlogged += 1;
        return;
      }
      log.warn({ signal, ...(unlogged > 0 ? { ignoredSinceLastLine: unlogged } : {}) }, 'signal ignored');
      loggedAt = now;
      unlogged = 0;
    });
  }
}
