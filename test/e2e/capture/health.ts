import type { RunningDaemon } from '../../helpers/daemon.js';

/** Polls an HTTP JSON endpoint until `accept` holds (bounded); the daemon has no push channel for health. */
export async function waitForHealth(
  daemon: RunningDaemon,
  accept: (status: number, body: Record<string, unknown>) => boolean,
  timeoutMs = 20000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await fetch(`${daemon.baseUrl}/healthz`);
    const body = (await response.json()) as Record<string, unknown>;
    last = body;
    if (accept(response.status, body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`health never matched; last: ${JSON.stringify(last)}`);
}
