import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeProvider } from '../../src/crypto/node/index.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { sharedVerifier } from '../../src/node/verifier-cache.js';
import { TLSError } from '../../src/errors.js';
import { pkiPath } from '../helpers/fixtures.js';

const rootPem = readFileSync(pkiPath('root.pem'), 'utf8');
const intermediatePem = readFileSync(pkiPath('intermediate.pem'), 'utf8');

describe('sharedVerifier (one verifier per ca and provider)', () => {
  const provider = nodeProvider();

  it('gives connections with the same ca the same verifier, however the PEM is passed', () => {
    const first = sharedVerifier(provider, rootPem);
    expect(sharedVerifier(provider, rootPem).verifier).toBe(first.verifier);
    expect(sharedVerifier(provider, Buffer.from(rootPem)).verifier).toBe(first.verifier);
    expect(sharedVerifier(provider, [rootPem]).verifier).toBe(first.verifier);
    expect(sharedVerifier(provider, rootPem).trustStore).toBe(first.trustStore);
  });

  it('keeps different trust apart: another ca, another list, another provider', () => {
    const root = sharedVerifier(provider, rootPem).verifier;
    expect(sharedVerifier(provider, intermediatePem).verifier).not.toBe(root);
    expect(sharedVerifier(provider, [rootPem, intermediatePem]).verifier).not.toBe(root);
    expect(sharedVerifier(provider, undefined).verifier).not.toBe(root);
    expect(sharedVerifier(nobleProvider(), rootPem).verifier).not.toBe(root);
  });

  it('throws on bad PEM at once, and caches nothing for it', () => {
    expect(() => sharedVerifier(provider, 'not a certificate')).toThrow(TLSError);
    expect(() => sharedVerifier(provider, 'not a certificate')).toThrow(TLSError);
  });

  it('remembers a bounded number of ca values, dropping the least recently used', () => {
    const own = nodeProvider();
    const kept = sharedVerifier(own, rootPem).verifier;
    // 31 more distinct values (the same anchor, told apart by a trailing comment line) fill it.
    for (let i = 0; i < 31; i++) sharedVerifier(own, `${rootPem}\n# ${i}\n`);
    expect(sharedVerifier(own, rootPem).verifier).toBe(kept); // used again: now the newest
    for (let i = 31; i < 62; i++) sharedVerifier(own, `${rootPem}\n# ${i}\n`);
    expect(sharedVerifier(own, rootPem).verifier).toBe(kept);
    const evicted = sharedVerifier(own, `${rootPem}\n# 31\n`).verifier;
    for (let i = 100; i < 132; i++) sharedVerifier(own, `${rootPem}\n# ${i}\n`);
    expect(sharedVerifier(own, `${rootPem}\n# 31\n`).verifier).not.toBe(evicted);
  });
});
