import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensureStateDirectory, readStateFile, writeStateFile } from './state-directory.js';
import { describeError } from '../describe-error.js';

/** File name of the persisted sessions inside the state directory. */
export const SESSIONS_FILE = 'sessions.json';

/** Why a session ended; passed to onSessionEnded listeners. */
export type SessionEndReason = 'logout' | 'expired' | 'evicted' | 'invalidated';

/** A live session as the rest of the daemon sees it; id is stable and not secret. */
export interface Session {
  id: string;
  /** Who logged in, as the caller named it at create (e.g. "user:alice"). */
  subject: string;
  issuedAtMs: number;
  lastSeenMs: number;
  /** When the session ends whatever happens (issuedAt + max age). */
  absoluteExpiryMs: number;
}

/** Settings of a SessionStore; only stateDir, idleMs and maxAgeMs are required. */
export interface SessionStoreOptions {
  stateDir: string;
  /** A session unused this long ends (auth.sessionIdleHours). */
  idleMs: number;
  /** A session ends this long after login whatever happens (auth.sessionMaxDays). */
  maxAgeMs: number;
  /** Most sessions kept; the least recently used one is evicted beyond it. Default 1000. */
  maxSessions?: number;
  /** Clock in ms since the epoch; injectable for tests. Default Date.now. */
  now?: () => number;
  /** How often activity is written and expired sessions swept; 0 turns the timer off. Default 60 s. */
  flushIntervalMs?: number;
  /** Told about persistence failures (the messages hold paths and error codes, nothing secret). */
  warn?: (message: string) => void;
}

interface StoredSession {
  id: string;
  subject: string;
  /** Truncated hash of what the credential was when the session began; a changed password ends it. */
  stamp: string;
  issuedAt: number;
  lastSeen: number;
}

/** Returns the current credential stamp of a subject, or undefined when the subject no longer exists. */
export type StampLookup = (subject: string) => string | undefined;

/** The state directory or the sessions file cannot be used; SessionStore.start() rejects with it. */
export class SessionStateError extends Error {
  override readonly name = 'SessionStateError';
}

type EndedListener = (sessionId: string, reason: SessionEndReason) => void;

const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const ID_PATTERN = SECRET_PATTERN;

/**
 * Login sessions: create, validate, touch, destroy; bounded, persisted, with an event when one ends.
 *
 * Sessions live in a server-side map keyed by SHA-256 of a 256-bit random cookie value, written to
 * `sessions.json` in the state directory (mode 0600) on login, on logout and at most once a minute
 * after activity. Compared with signed stateless cookies this needs no key, no revocation list and
 * no cookie re-issuing for idle expiry; logout is exact, and sessions still survive a restart. The
 * file holds only hashes of the cookie values, so reading it does not let anyone log in. A crash
 * loses at most a minute of last-seen times, which only ends a session earlier, never later.
 */
export class SessionStore {
  private readonly sessions = new Map<string, StoredSession>();
  private readonly listeners = new Set<EndedListener>();
  private readonly path: string;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  /** The file is read at the first start only: after a stop the sessions in memory are the newer ones. */
  private loaded = false;

  constructor(private readonly options: SessionStoreOptions) {
    this.path = join(options.stateDir, SESSIONS_FILE);
    this.maxSessions = options.maxSessions ?? 1000;
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? (() => undefined);
  }

  /**
   * Loads the sessions of the previous run (dropping expired or damaged entries) and starts the flush timer.
   * Rejects with a SessionStateError (its message holds a path and an error code, nothing secret) when the
   * state directory or the file cannot be used.
   */
  async start(): Promise<void> {
    if (!this.loaded) {
      const dir = await ensureStateDirectory(this.options.stateDir);
      if (!dir.ok) throw new SessionStateError(dir.error);
      const text = await readStateFile(this.path);
      if (!text.ok) throw new SessionStateError(text.error);
      if (text.value !== undefined) this.load(text.value);
      this.loaded = true;
    }
    const interval = this.options.flushIntervalMs ?? 60_000;
    if (interval > 0 && !this.timer) {
      this.timer = setInterval(() => {
        this.sweep();
        if (this.dirty) void this.persist();
      }, interval);
      this.timer.unref();
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Calls listener(sessionId, reason) whenever a session ends; returns a function that unsubscribes. */
  onSessionEnded(listener: EndedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts a session for subject; secret is the cookie value, shown to nobody but that client. */
  async create(subject: string, stamp: string): Promise<{ secret: string; session: Session }> {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) {
      const leastRecent = this.sessions.keys().next().value as string;
      this.end(leastRecent, 'evicted');
    }
    const secret = randomBytes(32).toString('base64url');
    const now = this.now();
    const stored: StoredSession = { id: idOf(secret), subject, stamp: digestStamp(stamp), issuedAt: now, lastSeen: now };
    this.sessions.set(stored.id, stored);
    await this.persist();
    return { secret, session: this.view(stored) };
  }

  /**
   * The session a cookie value belongs to, or undefined when unknown, expired, or its subject's
   * credential changed (stampOf). A valid one counts as activity.
   */
  validate(secret: string, stampOf: StampLookup): Session | undefined {
    if (!SECRET_PATTERN.test(secret)) return undefined;
    const stored = this.sessions.get(idOf(secret));
    if (!stored) return undefined;
    if (this.isExpired(stored, this.now())) {
      this.end(stored.id, 'expired');
      return undefined;
    }
    const current = stampOf(stored.subject);
    if (current === undefined || digestStamp(current) !== stored.stamp) {
      this.end(stored.id, 'invalidated');
      return undefined;
    }
    this.markSeen(stored);
    return this.view(stored);
  }

  /** Marks a session as used (e.g. while its WebSocket is open, so watching is not idling). */
  touch(sessionId: string): boolean {
    const stored = this.sessions.get(sessionId);
    if (!stored || this.isExpired(stored, this.now())) return false;
    this.markSeen(stored);
    return true;
  }

  /** Ends a session (logout) and writes the change; false when it did not exist. */
  async destroy(sessionId: string): Promise<boolean> {
    if (!this.sessions.has(sessionId)) return false;
    this.end(sessionId, 'logout');
    await this.persist();
    return true;
  }

  /** Ends every expired session now (the flush timer also does this). */
  sweep(): void {
    const now = this.now();
    for (const stored of [...this.sessions.values()]) {
      if (this.isExpired(stored, now)) this.end(stored.id, 'expired');
    }
  }

  /** Stops the timer and writes pending activity; call on shutdown. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.dirty) await this.persist();
    await this.writing;
  }

  private isExpired(stored: StoredSession, now: number): boolean {
    return now >= stored.issuedAt + this.options.maxAgeMs || now >= stored.lastSeen + this.options.idleMs;
  }

  private markSeen(stored: StoredSession): void {
    stored.lastSeen = this.now();
    // re-inserting keeps the map in least-recently-used order for eviction
    this.sessions.delete(stored.id);
    this.sessions.set(stored.id, stored);
    this.dirty = true;
  }

  private end(sessionId: string, reason: SessionEndReason): void {
    if (!this.sessions.delete(sessionId)) return;
    this.dirty = true;
    for (const listener of this.listeners) {
      try {
        listener(sessionId, reason);
      } catch (error) {
        this.warn(`session ended listener failed: ${describeError(error)}`);
      }
    }
  }

  private view(stored: StoredSession): Session {
    return {
      id: stored.id,
      subject: stored.subject,
      issuedAtMs: stored.issuedAt,
      lastSeenMs: stored.lastSeen,
      absoluteExpiryMs: stored.issuedAt + this.options.maxAgeMs,
    };
  }

  // Writes are chained so two never interleave; each writes the state as it is when it runs.
  private persist(): Promise<void> {
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      const sessions = [...this.sessions.values()];
      const result = await writeStateFile(this.path, `${JSON.stringify({ version: 1, sessions })}\n`);
      if (!result.ok) {
        this.dirty = true;
        this.warn(`sessions: ${result.error}`);
      }
    });
    return this.writing;
  }

  private load(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.warn(`sessions: ${this.path}: not valid JSON, starting with no sessions`);
      return;
    }
    const list = (parsed as { sessions?: unknown } | null)?.sessions;
    if (!Array.isArray(list)) return;
    const now = this.now();
    // an entry from the future means the clock went back (a board without RTC): drop it rather than extend it
    const valid = list
      .filter(isStoredSession)
      .filter((stored) => stored.issuedAt <= now && !this.isExpired(stored, now))
      .map(({ id, subject, stamp, issuedAt, lastSeen }) => ({ id, subject, stamp, issuedAt, lastSeen: Math.min(lastSeen, now) }));
    valid.sort((a, b) => a.lastSeen - b.lastSeen);
    for (const stored of valid.slice(-this.maxSessions)) this.sessions.set(stored.id, stored);
  }
}

function idOf(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

function digestStamp(stamp: string): string {
  return createHash('sha256').update(stamp).digest('base64url').slice(0, 22);
}

function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    ID_PATTERN.test(v.id) &&
    typeof v.subject === 'string' &&
    v.subject.length <= 512 &&
    typeof v.stamp === 'string' &&
    typeof v.issuedAt === 'number' &&
    Number.isFinite(v.issuedAt) &&
    typeof v.lastSeen === 'number' &&
    Number.isFinite(v.lastSeen)
  );
}
