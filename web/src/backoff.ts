const firstDelayMs = 500;
const maxDelayMs = 10_000;
const jitter = 0.2;

/** Reconnect delay after `attempt` failures (0-based): 0.5 s, 1 s, 2 s … 10 s, each ±20 % so viewers spread out. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(maxDelayMs, firstDelayMs * 2 ** Math.min(attempt, 20));
  return Math.min(maxDelayMs, Math.round(base * (1 - jitter + 2 * jitter * random())));
}
