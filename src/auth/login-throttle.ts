import { isIPv4, isIPv6 } from 'node:net';

/** Limits of a LoginThrottle; every field has a default. */
export interface LoginThrottleOptions {
  /** Failures allowed per window; the next attempt is refused. Default 5. */
  maxFailures?: number;
  /** Sliding window length. Default 60 s. */
  windowMs?: number;
  /** Most addresses or usernames remembered; the least recently used is forgotten first. Default 10 000. */
  maxEntries?: number;
  /** How long a successful login exempts that address from the per-username limit. Default 7 days. */
  trustedForMs?: number;
  /** Clock in ms; injectable for tests. Default Date.now. */
  now?: () => number;
}

/** Whether a login attempt may go ahead. */
export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** One counted failure; `guess` names what was tried, so trying the same again is not counted twice. */
interface Failure {
  atMs: number;
  guess: string | undefined;
}

/**
 * Refuses credential attempts (logins, and tokens or cookies that fail on any path) after too many
 * failures in a sliding window, counted per client address
 * (an IPv6 client counts as its /64) and per username across addresses. The per-username count
 * stops guessing from many addresses; so that it cannot lock the owner out for long, it lasts one
 * window after the last failure, refused attempts do not extend it, and an address that logged in
 * as that user before is exempt from it.
 */
export class LoginThrottle {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly trustedForMs: number;
  private readonly now: () => number;
  private readonly byAddress: BoundedMap<Failure[]>;
  private readonly byUsername: BoundedMap<Failure[]>;
  private readonly trusted: BoundedMap<number>;
  private lastSweepMs = -Infinity;

  constructor(options: LoginThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.trustedForMs = options.trustedForMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
    const maxEntries = options.maxEntries ?? 10_000;
    this.byAddress = new BoundedMap(maxEntries);
    this.byUsername = new BoundedMap(maxEntries);
    this.trusted = new BoundedMap(maxEntries);
  }

  /** Entries held, for tests and metrics: addresses + usernames + trusted pairs. */
  get size(): number {
    return this.byAddress.size + this.byUsername.size + this.trusted.size;
  }

  /** Decides before the password is checked, so a refused attempt costs no scrypt. */
  check(address: string, username?: string): ThrottleDecision {
    const now = this.now();
    const addressKey = clientKey(address);
    let retryAt = this.blockedUntil(this.byAddress, addressKey, now);
    if (username !== undefined && !this.isTrusted(username, addressKey, now)) {
      retryAt = Math.max(retryAt, this.blockedUntil(this.byUsername, username, now));
    }
    if (retryAt <= now) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((retryAt - now) / 1000)) };
  }

  /**
   * Counts a failed attempt against the address and the username. With `guess` (a digest of what was
   * tried), a failure the address already had in the window is not counted again: a browser or script
   * that keeps sending one stale cookie or old token is not guessing and must not lock its host out.
   */
  recordFailure(address: string, username?: string, guess?: string): void {
    const now = this.now();
    this.addFailure(this.byAddress, clientKey(address), now, guess);
    if (username !== undefined) this.addFailure(this.byUsername, username, now, undefined);
  }

  /** Clears the failures of the address and the username, and trusts the address for this username (it knew the password). */
  recordSuccess(address: string, username?: string): void {
    const addressKey = clientKey(address);
    this.byAddress.delete(addressKey);
    if (username === undefined) return;
    this.byUsername.delete(username);
    this.trusted.set(trustKey(username, addressKey), this.now());
  }

  /** Forgets windows that have passed and trust that has lapsed; also done as entries are added. */
  sweep(): void {
    const now = this.now();
    for (const map of [this.byAddress, this.byUsername]) {
      for (const [key, failures] of map.entries()) if (this.recent(failures, now).length === 0) map.delete(key);
    }
    for (const [key, since] of this.trusted.entries()) if (now - since >= this.trustedForMs) this.trusted.delete(key);
  }

  private blockedUntil(map: BoundedMap<Failure[]>, key: string, now: number): number {
    const failures = this.recent(map.peek(key) ?? [], now);
    if (failures.length < this.maxFailures) return 0;
    // the window slides: the attempt is allowed again when the oldest counted failure leaves it
    return (failures[failures.length - this.maxFailures]?.atMs ?? now) + this.windowMs;
  }

  private addFailure(map: BoundedMap<Failure[]>, key: string, now: number, guess: string | undefined): void {
    // a full map is swept at most once a second, so a flood of new addresses costs no O(n) per attempt
    if (map.size >= map.capacity && now - this.lastSweepMs >= 1000) {
      this.lastSweepMs = now;
      this.sweep();
    }
    const recent = this.recent(map.peek(key) ?? [], now);
    if (guess !== undefined && recent.some((failure) => failure.guess === guess)) return;
    // only the newest maxFailures matter for the decision, so that is all that is kept
    map.set(key, [...recent, { atMs: now, guess }].slice(-this.maxFailures));
  }

  private isTrusted(username: string, addressKey: string, now: number): boolean {
    const since = this.trusted.peek(trustKey(username, addressKey));
    return since !== undefined && now - since < this.trustedForMs;
  }

  private recent(failures: Failure[], now: number): Failure[] {
    return failures.filter((failure) => now - failure.atMs < this.windowMs);
  }
}

/** The key an address is counted under: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 prefix. */
export function clientKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped?.[1] && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(plain)) return plain;
  if (!isIPv6(plain)) return plain.slice(0, 64);
  // one IPv6 client usually holds a whole /64, so counting single addresses would not limit it
  return `${expandIPv6(plain).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const toGroups = (part: string): string[] =>
    part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ipv4ToGroups(group) : [group]));
  const left = toGroups(head);
  const right = tail === undefined ? [] : toGroups(tail);
  const zeros = Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => '0');
  return [...left, ...zeros, ...right].map((group) => group.replace(/^0+(?=.)/, ''));
}

function ipv4ToGroups(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

function trustKey(username: string, addressKey: string): string {
  return `${username}\u0000${addressKey}`;
}

/** A Map that forgets its least recently written entry beyond capacity. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  peek(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  entries(): [string, V][] {
    return [...this.map.entries()];
  }
}
