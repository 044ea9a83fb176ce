import type { Logger } from '../log.js';

/** Refusals are written as one line of counts per interval, so a flood of them cannot flood the journal. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Distinct addresses named in one line; the rest are summed under "other". */
const MAX_ADDRESSES_PER_LINE = 16;

/** Counts refused and bad requests, refused upgrades and dropped connections, and logs the counts once per interval. */
export class RefusalLog {
  private byReason = new Map<string, number>();
  private byAddress = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
  ) {}

  /** One refusal, e.g. count('upgrade 401', '192.168.1.9'). */
  count(reason: string, address: string | undefined): void {
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    const key = address !== undefined && (this.byAddress.has(address) || this.byAddress.size < MAX_ADDRESSES_PER_LINE) ? address : 'other';
    this.byAddress.set(key, (this.byAddress.get(key) ?? 0) + 1);
    // The timer runs only while there is something to report, so a quiet daemon has none.
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  /** Writes the counts so far (if any) and starts a new interval. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.byReason.size === 0) return;
    const total = [...this.byReason.values()].reduce((sum, count) => sum + count, 0);
    this.log.info({ total, reasons: Object.fromEntries(this.byReason), from: Object.fromEntries(this.byAddress) }, 'refused requests');
    this.byReason = new Map();
    this.byAddress = new Map();
  }
}
