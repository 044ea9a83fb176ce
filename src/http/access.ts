import type { IncomingHttpHeaders } from 'node:http';

/** Who made a request, once access was granted. */
export interface Principal {
  kind: 'session' | 'token' | 'anonymous';
  username?: string;
  sessionId?: string;
}

export type AccessDecision = { ok: true; principal: Principal } | { ok: false; status: 401 | 403 };

export interface RequestCredentials {
  headers: IncomingHttpHeaders;
  url?: string | undefined;
}

/** The single place the transport asks whether a request or an upgrade may see the streams. */
export interface AccessControl {
  checkRequest(req: RequestCredentials): AccessDecision;
  checkUpgrade(req: RequestCredentials, secure: boolean): AccessDecision;
}

/** auth.disabled: every request is let in. */
export const openAccess: AccessControl = {
  checkRequest: () => ({ ok: true, principal: { kind: 'anonymous' } }),
  checkUpgrade: () => ({ ok: true, principal: { kind: 'anonymous' } }),
};
