import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BearerTokens, tokenId } from '../../../src/auth/bearer-tokens.js';

describe('bearer tokens', () => {
  it('matches exactly one of the configured tokens and names it by a non-secret id', () => {
    const tokens = new BearerTokens(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb']);
    assert.equal(tokens.match('bbbbbbbbbbbbbbbbbbbb'), tokenId('bbbbbbbbbbbbbbbbbbbb'));
    assert.equal(tokens.match('aaaaaaaaaaaaaaaa'), tokenId('aaaaaaaaaaaaaaaa'));
    assert.equal(tokens.match('aaaaaaaaaaaaaaa'), undefined);
    assert.equal(tokens.match('aaaaaaaaaaaaaaaaa'), undefined);
    assert.equal(tokens.match(''), undefined);
    assert.ok(!tokenId('aaaaaaaaaaaaaaaa').includes('aaaa'));
    assert.equal(tokens.hasId(tokenId('aaaaaaaaaaaaaaaa')), true);
    assert.equal(new BearerTokens([]).match('anything'), undefined);
  });
});
