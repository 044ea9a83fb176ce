import type { Logger } from '../log.js';
import { openUnixDatagram, type UnixDatagramSender } from './unix-datagram.js';

/** What the daemon tells systemd (sd_notify(3)): started, alive, what it is doing, stopping. */
export interface ServiceNotifier {
  /** READY=1 with the first STATUS=, once the port is listening. */
  ready(status: string): void;
  /** STATUS=, sent only when the text differs from the last one. */
  status(status: string): void;
  /** STOPPING=1, at the start of shutdown; the watchdog stops too. */
  stopping(): void;
  close(): void;
}

/** The variables systemd sets for a Type=notify unit; the daemon drops them from its environment so children do not inherit them. */
export const NOTIFY_VARIABLES = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

const SILENT: ServiceNotifier = { ready() {}, status() {}, stopping() {}, close() {} };

/**
 * Opens the notifier from the environment systemd gave: nothing at all (no socket) without
 * NOTIFY_SOCKET. With WATCHDOG_USEC, WATCHDOG=1 goes out from the event loop at half the interval,
 * so a loop blocked past WatchdogSec= stops the pings and systemd restarts the daemon. A failure to
 * notify is logged once and never stops the daemon.
 */
export function openServiceNotifier(env: NodeJS.ProcessEnv, log: Logger): ServiceNotifier {
  const socketPath = env.NOTIFY_SOCKET;
  if (!socketPath) return SILENT;
  const watchdogMs = watchdogIntervalMs(env);
  const opened = openUnixDatagram(socketPath);
  if (!opened.ok) {
    log.warn({ socket: socketPath }, `sd_notify disabled: ${opened.error}`);
    return SILENT;
  }
  return new DatagramNotifier(opened.sender, socketPath, watchdogMs, log);
}

/** Half of WATCHDOG_USEC in ms when the watchdog is meant for this process, else undefined. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== process.pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

class DatagramNotifier implements ServiceNotifier {
  private lastStatus: string | undefined;
  private failed = false;
  private readonly watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly sender: UnixDatagramSender,
    private readonly socketPath: string,
    watchdogMs: number | undefined,
    private readonly log: Logger,
  ) {
    if (watchdogMs !== undefined) {
      this.watchdog = setInterval(() => this.send('WATCHDOG=1'), watchdogMs);
      this.watchdog.unref();
    }
  }

  ready(status: string): void {
    this.lastStatus = oneLine(status);
    this.send(`READY=1\nSTATUS=${this.lastStatus}`);
  }

  status(status: string): void {
    const line = oneLine(status);
    if (line === this.lastStatus) return;
    this.lastStatus = line;
    this.send(`STATUS=${line}`);
  }

  stopping(): void {
    clearInterval(this.watchdog);
    this.send('STOPPING=1');
  }

  close(): void {
    clearInterval(this.watchdog);
    this.sender.close();
  }

  private send(message: string): void {
    const result = this.sender.send(message);
    if (result.ok || this.failed) return;
    // systemd may be gone or busy; one line says so, and the daemon goes on serving
    this.failed = true;
    this.log.warn({ socket: this.socketPath, error: result.error }, 'sd_notify failed (logged once)');
  }
}

// a newline would start another field of the message
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}
