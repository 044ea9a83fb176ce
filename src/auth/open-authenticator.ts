import { Authenticator, type AuthSettings } from './authenticator.js';
import { ensureFirstRunToken, needsFirstRunToken, type FirstRunToken } from './first-run-token.js';
import { SessionStateError, SessionStore } from './sessions.js';
import { resolveStateDirectory, type StateResult } from './state-directory.js';

/** What the daemon passes to openAuthenticator at start. */
export interface OpenAuthenticatorOptions {
  auth: AuthSettings;
  /** server.tls is set. */
  secure: boolean;
  allowedOrigins: readonly string[];
  /** Where `$STATE_DIRECTORY` is read from. */
  env: NodeJS.ProcessEnv;
  /** Receives non-fatal problems (nothing secret in them), e.g. a sessions file that cannot be written. */
  warn?: (message: string) => void;
}

/** A ready Authenticator; firstRunToken is set when the daemon runs on its first-run token (log its URL once). */
export interface OpenedAuthenticator {
  authenticator: Authenticator;
  sessions: SessionStore | undefined;
  firstRunToken: FirstRunToken | undefined;
  stateDir: string;
}

/** Builds the Authenticator: state directory, first-run token when needed, persisted sessions. Touches no disk when auth is disabled. */
export async function openAuthenticator(options: OpenAuthenticatorOptions): Promise<StateResult<OpenedAuthenticator>> {
  const stateDir = resolveStateDirectory(options.env);
  const { auth } = options;
  if (auth.disabled) {
    const authenticator = new Authenticator({ auth, sessions: undefined, secure: options.secure, allowedOrigins: options.allowedOrigins });
    return { ok: true, value: { authenticator, sessions: undefined, firstRunToken: undefined, stateDir } };
  }
  let firstRunToken: FirstRunToken | undefined;
  if (needsFirstRunToken(auth)) {
    const token = await ensureFirstRunToken(stateDir);
    if (!token.ok) return token;
    firstRunToken = token.value;
  }
  const sessions = new SessionStore({
    stateDir,
    idleMs: auth.sessionIdleHours * 3600_000,
    maxAgeMs: auth.sessionMaxDays * 86_400_000,
    ...(options.warn ? { warn: options.warn } : {}),
  });
  try {
    await sessions.start();
  } catch (error) {
    if (error instanceof SessionStateError) return { ok: false, error: error.message };
    throw error;
  }
  const authenticator = new Authenticator({
    auth,
    sessions,
    firstRunToken: firstRunToken?.token,
    secure: options.secure,
    allowedOrigins: options.allowedOrigins,
  });
  return { ok: true, value: { authenticator, sessions, firstRunToken, stateDir } };
}
