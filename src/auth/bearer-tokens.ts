import { createHash, timingSafeEqual } from 'node:crypto';

/** Static tokens (auth.tokens and the first-run token), checked in constant time. */
export class BearerTokens {
  private readonly entries: { digest: Buffer; id: string }[];

  constructor(tokens: readonly string[]) {
    this.entries = tokens.map((token) => ({ digest: sha256(token), id: tokenId(token) }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The id of the matching token, or undefined; every token is compared so timing says nothing. */
  match(candidate: string): string | undefined {
    // comparing digests, not the tokens, keeps their lengths from leaking through the comparison
    const digest = sha256(candidate);
    let found: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && found === undefined) found = entry.id;
    }
    return found;
  }

  /** True when a token id (as returned by match) still belongs to a configured token. */
  hasId(id: string): boolean {
    return this.entries.some((entry) => entry.id === id);
  }
}

/** A short non-secret name for a token (a truncated SHA-256), used to tie sessions to the token that made them. */
export function tokenId(token: string): string {
  return sha256(token).subarray(0, 12).toString('base64url');
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
