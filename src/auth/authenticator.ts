import type { IncomingHttpHeaders } from 'node:http';
import { BearerTokens, tokenId } from './bearer-tokens.js';
import { clearedSessionCookie, cookieValues, SESSION_COOKIE, sessionCookie } from './cookies.js';
import { LoginThrottle } from './login-throttle.js';
import { isOriginAllowed } from './origin.js';
import { MAX_PASSWORD_LENGTH, verifyDummyPassword, verifyPassword } from './password.js';
import type { Session, SessionEndReason, SessionStore } from './sessions.js';

/** The `auth` section of the config, as far as deciding access needs it. */
export interface AuthSettings {
  users: readonly { username: string; passwordHash: string }[];
  tokens: readonly string[];
  disabled: boolean;
  sessionIdleHours: number;
  sessionMaxDays: number;
}

/** What the Authenticator reads from a request; an IncomingMessage fits. */
export interface AuthRequest {
  headers: IncomingHttpHeaders;
  url?: string | undefined;
  /** Failed credentials are counted against the remote address. */
  socket?: { remoteAddress?: string | undefined };
}

/** Who a request acts for. sessionId is stable and not secret: use it to find a session's WebSockets. */
export interface Principal {
  kind: 'session' | 'token' | 'anonymous';
  /** Set for sessions made by a username/password login. */
  username?: string;
  sessionId?: string;
  /** When the session ends at the latest; close its WebSockets then (onSessionEnded also fires). */
  sessionExpiresAtMs?: number;
  /** True when the session cookie is what authenticated the request (the Origin rule applies). */
  viaCookie: boolean;
}

/** Outcome of authenticate: a principal, 401, or 429 while the address has failed too often (answer with Retry-After). */
export type AuthResult =
  { ok: true; principal: Principal } | { ok: false; status: 401 } | { ok: false; status: 429; retryAfterSeconds: number };

/** Outcome of authorizeUpgrade: as AuthResult, plus 403 when the Origin rule fails. */
export type UpgradeResult = AuthResult | { ok: false; status: 403 };

/** Outcome of POST /api/login: a Set-Cookie value for 204 (undefined when auth is disabled), or an error answer. */
export type LoginResult =
  | { ok: true; cookie: string | undefined; principal: Principal }
  | { ok: false; status: 400 | 401 | 429; message: string; retryAfterSeconds?: number };

/** Everything an Authenticator is built from. */
export interface AuthenticatorOptions {
  auth: AuthSettings;
  /** Needed unless auth.disabled. */
  sessions: SessionStore | undefined;
  /** The first-run token, when no users and no tokens are configured. */
  firstRunToken?: string | undefined;
  /** Served over TLS: cookies get `Secure` and the page's own origin is https. */
  secure: boolean;
  /** server.allowedOrigins. */
  allowedOrigins: readonly string[];
  throttle?: LoginThrottle;
}

/** The one generic answer to every bad login, so it tells nothing about which part was wrong. */
const INVALID_CREDENTIALS = 'invalid credentials';

const MAX_USERNAME_LENGTH = 64;
const USER_PREFIX = 'user:';
const TOKEN_PREFIX = 'token:';
/** Where a request without a socket address is counted (all such requests share one count). */
const UNKNOWN_ADDRESS = 'unknown';

/** The one place that decides access: cookies, bearer and query tokens, logins, logouts and the Origin rule. */
export class Authenticator {
  private tokens = new BearerTokens([]);
  private readonly usersByName = new Map<string, string>();
  private readonly throttle: LoginThrottle;
  private readonly stampOf = (subject: string): string | undefined => this.credentialStamp(subject);

  constructor(private readonly options: AuthenticatorOptions) {
    this.replaceCredentials(options.auth.users, options.auth.tokens, options.firstRunToken);
    this.throttle = options.throttle ?? new LoginThrottle();
    if (!options.auth.disabled && !options.sessions) throw new TypeError('Authenticator: a session store is needed');
  }

  /**
   * Puts users and tokens in place (at start, and when a reload changed them). Sessions of a removed
   * user or token, or of a changed password, stop validating at their next request.
   */
  replaceCredentials(users: AuthSettings['users'], tokens: AuthSettings['tokens'], firstRunToken?: string): void {
    this.tokens = new BearerTokens(firstRunToken === undefined ? tokens : [...tokens, firstRunToken]);
    this.usersByName.clear();
    // the first entry wins when a username is listed twice
    for (const user of users) {
      if (!this.usersByName.has(user.username)) this.usersByName.set(user.username, user.passwordHash);
    }
  }

  /**
   * Authenticates by, in order: the session cookie, `Authorization: Bearer`, `?token=`. Never throws.
   * A request whose credentials all fail counts against its address as a failed login does, and an
   * address over the limit gets 429 before anything is checked, so tokens and cookies cannot be guessed
   * faster than passwords. No credentials at all, or the same failed ones again (a stale cookie on
   * every reload), are no new guess and are not counted.
   */
  authenticate(req: AuthRequest): AuthResult {
    if (this.options.auth.disabled) return { ok: true, principal: { kind: 'anonymous', viaCookie: false } };
    const cookies = cookieValues(req.headers.cookie, SESSION_COOKIE);
    const tokens = [bearerToken(req.headers.authorization), queryToken(req.url)].filter((token) => token !== undefined);
    if (cookies.length === 0 && tokens.length === 0) return { ok: false, status: 401 };
    const address = req.socket?.remoteAddress ?? UNKNOWN_ADDRESS;
    const decision = this.throttle.check(address);
    if (!decision.allowed) return { ok: false, status: 429, retryAfterSeconds: decision.retryAfterSeconds };
    const session = this.sessionFromCookies(cookies);
    if (session) return { ok: true, principal: this.sessionPrincipal(session) };
    if (tokens.some((token) => this.tokens.match(token) !== undefined)) return { ok: true, principal: { kind: 'token', viaCookie: false } };
    this.throttle.recordFailure(address, undefined, guessDigest(cookies, tokens));
    return { ok: false, status: 401 };
  }

  /**
   * Authenticates a WebSocket upgrade and applies the Origin rule: an upgrade that carries the
   * session cookie must come from the page's own origin or server.allowedOrigins, else 403.
   */
  authorizeUpgrade(req: AuthRequest): UpgradeResult {
    const result = this.authenticate(req);
    if (!result.ok || this.options.auth.disabled) return result;
    // any session cookie counts, valid or not: the browser attaches it to cross-site requests too
    const carriesCookie = result.principal.viaCookie || cookieValues(req.headers.cookie, SESSION_COOKIE).length > 0;
    if (!carriesCookie) return result;
    const scheme = this.options.secure ? 'https' : 'http';
    if (!isOriginAllowed(req.headers.origin, req.headers.host, scheme, this.options.allowedOrigins)) {
      return { ok: false, status: 403 };
    }
    return result;
  }

  /** Handles the JSON body of POST /api/login: `{"username","password"}` or `{"token"}`. Never throws. */
  async login(body: unknown, remoteAddress: string | undefined): Promise<LoginResult> {
    const credentials = parseCredentials(body);
    if (!credentials) {
      return { ok: false, status: 400, message: 'expected {"username","password"} or {"token"}' };
    }
    if (this.options.auth.disabled) return { ok: true, cookie: undefined, principal: { kind: 'anonymous', viaCookie: false } };
    const address = remoteAddress ?? UNKNOWN_ADDRESS;
    const username = 'username' in credentials ? credentials.username.slice(0, MAX_USERNAME_LENGTH + 1) : undefined;
    const decision = this.throttle.check(address, username);
    if (!decision.allowed) {
      return {
        ok: false,
        status: 429,
        message: `too many failed logins, retry in ${decision.retryAfterSeconds} s`,
        retryAfterSeconds: decision.retryAfterSeconds,
      };
    }
    // counted before the slow check and cleared on success, so parallel guesses cannot slip past the limit
    this.throttle.recordFailure(address, username);
    const subject = await this.checkCredentials(credentials);
    if (subject === undefined) return { ok: false, status: 401, message: INVALID_CREDENTIALS };
    this.throttle.recordSuccess(address, username);
    const { secret, session } = await this.store().create(subject, this.credentialStamp(subject) ?? '');
    const maxAgeSeconds = (session.absoluteExpiryMs - session.issuedAtMs) / 1000;
    return { ok: true, cookie: sessionCookie(secret, maxAgeSeconds, this.cookieOptions()), principal: this.sessionPrincipal(session) };
  }

  /** Handles POST /api/logout: ends the cookie's session (firing onSessionEnded) and returns the clearing Set-Cookie. */
  async logout(req: AuthRequest): Promise<{ cookie: string; ended: boolean }> {
    const session = this.options.auth.disabled ? undefined : this.sessionFromCookie(req.headers);
    const ended = session ? await this.store().destroy(session.id) : false;
    return { cookie: clearedSessionCookie(this.cookieOptions()), ended };
  }

  /** Calls listener(sessionId, reason) when a session ends (logout, expiry, eviction, changed credential). */
  onSessionEnded(listener: (sessionId: string, reason: SessionEndReason) => void): () => void {
    return this.options.sessions?.onSessionEnded(listener) ?? (() => undefined);
  }

  /** Marks a session as in use; call it while the session's WebSocket is open so watching is not idling. */
  touchSession(sessionId: string): boolean {
    return this.options.sessions?.touch(sessionId) ?? false;
  }

  /** Writes pending session activity and stops the session timer; call once on shutdown. */
  async stop(): Promise<void> {
    await this.options.sessions?.stop();
  }

  private async checkCredentials(credentials: Credentials): Promise<string | undefined> {
    if ('token' in credentials) {
      const id = credentials.token.length <= 1024 ? this.tokens.match(credentials.token) : undefined;
      return id === undefined ? undefined : TOKEN_PREFIX + id;
    }
    const { username, password } = credentials;
    if (username.length > MAX_USERNAME_LENGTH || password.length > MAX_PASSWORD_LENGTH) return undefined;
    const hash = this.usersByName.get(username);
    // an unknown username costs one scrypt too, so timing does not tell which usernames exist
    const ok = hash === undefined ? await verifyDummyPassword(password) : await verifyPassword(password, hash);
    return ok ? USER_PREFIX + username : undefined;
  }

  // What a session is tied to: the user's current hash (a new password ends old sessions) or the token's existence.
  private credentialStamp(subject: string): string | undefined {
    if (subject.startsWith(USER_PREFIX)) return this.usersByName.get(subject.slice(USER_PREFIX.length));
    if (subject.startsWith(TOKEN_PREFIX)) return this.tokens.hasId(subject.slice(TOKEN_PREFIX.length)) ? 'token' : undefined;
    return undefined;
  }

  private sessionFromCookie(headers: IncomingHttpHeaders): Session | undefined {
    return this.sessionFromCookies(cookieValues(headers.cookie, SESSION_COOKIE));
  }

  private sessionFromCookies(values: readonly string[]): Session | undefined {
    if (!this.options.sessions) return undefined;
    // several cookies of the name can arrive (e.g. one planted by a sibling subdomain): any valid one counts
    for (const value of values) {
      const session = this.options.sessions.validate(value, this.stampOf);
      if (session) return session;
    }
    return undefined;
  }

  private sessionPrincipal(session: Session): Principal {
    const principal: Principal = {
      kind: 'session',
      sessionId: session.id,
      sessionExpiresAtMs: session.absoluteExpiryMs,
      viaCookie: true,
    };
    if (session.subject.startsWith(USER_PREFIX)) principal.username = session.subject.slice(USER_PREFIX.length);
    return principal;
  }

  private store(): SessionStore {
    if (!this.options.sessions) throw new TypeError('Authenticator: no session store');
    return this.options.sessions;
  }

  private cookieOptions(): { secure: boolean } {
    return { secure: this.options.secure };
  }
}

/** The Retry-After header for a throttled refusal (429), none for any other answer. */
export function retryAfterHeaders(result: AuthResult | UpgradeResult): Record<string, string> {
  return !result.ok && result.status === 429 ? { 'Retry-After': String(result.retryAfterSeconds) } : {};
}

type Credentials = { username: string; password: string } | { token: string };

function parseCredentials(body: unknown): Credentials | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { username, password, token } = body as Record<string, unknown>;
  if (typeof token === 'string' && username === undefined && password === undefined) return { token };
  if (typeof username === 'string' && typeof password === 'string' && token === undefined) return { username, password };
  return undefined;
}

/** A short digest of the credentials a request tried, so the throttle can tell a repeated one from a new guess. */
function guessDigest(cookies: readonly string[], tokens: readonly string[]): string {
  return tokenId(JSON.stringify([cookies, tokens]));
}

function bearerToken(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

function queryToken(url: string | undefined): string | undefined {
  if (typeof url !== 'string') return undefined;
  const question = url.indexOf('?');
  if (question < 0) return undefined;
  const hash = url.indexOf('#', question);
  // URLSearchParams decodes leniently and does not throw on bad %-escapes
  const params = new URLSearchParams(url.slice(question + 1, hash < 0 ? undefined : hash));
  return params.get('token') ?? undefined;
}
