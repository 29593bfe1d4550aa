import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import type { AeadName } from '../../src/crypto/provider.js';
import { CipherSuite } from '../../src/registry.js';
import { bytesToHex, concatBytes } from '../../src/wire/bytes.js';
import { hex, vectors } from './helpers.js';

const provider = nobleProvider();

interface AeadVector {
  name?: string;
  section?: string;
  aead?: AeadName;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}

function knownAnswer(name: AeadName, v: AeadVector): void {
  const cipher = provider.aead(name, hex(v.key));
  const sealed = cipher.seal(hex(v.nonce), hex(v.aad), hex(v.plaintext));
  expect(bytesToHex(sealed)).toBe(v.ciphertext + v.tag);
  const opened = cipher.open(hex(v.nonce), hex(v.aad), sealed);
  expect(opened && bytesToHex(opened)).toBe(v.plaintext);
}

describe('ChaCha20-Poly1305 (RFC 8439 §2.8.2)', () => {
  for (const v of vectors<{ aead: AeadVector[] }>('rfc8439.json').aead) {
    it(`§${v.section}: seal is byte-exact, open returns the plaintext`, () => knownAnswer('CHACHA20-POLY1305', v));
  }
});

describe('AES-GCM (McGrew-Viega test cases)', () => {
  for (const v of vectors<{ aead: AeadVector[] }>('gcm.json').aead) {
    it(`${v.name} (${v.aead})`, () => knownAnswer(v.aead!, v));
  }
});

describe('AEAD behaviour', () => {
  const cases: [AeadName, string, number][] = [
    ['AES-128-GCM', 'aes-128-gcm', 16],
    ['AES-256-GCM', 'aes-256-gcm', 32],
    ['CHACHA20-POLY1305', 'chacha20-poly1305', 32],
  ];

  for (const [name, nodeName, keyLength] of cases) {
    it(`${name}: opens what node:crypto sealed, and node:crypto opens what we sealed`, () => {
      const key = randomBytes(keyLength);
      const nonce = randomBytes(12);
      const aad = Buffer.from('170303001f', 'hex');
      const plaintext = randomBytes(1000);

      const enc = createCipheriv(nodeName as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
      enc.setAAD(aad);
      const nodeSealed = concatBytes(enc.update(plaintext), enc.final(), enc.getAuthTag());
      const cipher = provider.aead(name, key);
      expect(cipher.open(nonce, aad, nodeSealed)).toEqual(new Uint8Array(plaintext));

      const ours = cipher.seal(nonce, aad, plaintext);
      expect(ours).toEqual(nodeSealed);
      const dec = createDecipheriv(nodeName as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
      dec.setAAD(aad);
      dec.setAuthTag(ours.subarray(ours.length - 16));
      expect(Buffer.concat([dec.update(ours.subarray(0, ours.length - 16)), dec.final()])).toEqual(plaintext);
    });

    it(`${name}: a tampered ciphertext, tag, AAD or nonce opens to undefined (never throws)`, () => {
      const cipher = provider.aead(name, randomBytes(keyLength));
      const nonce = randomBytes(12);
      const aad = new Uint8Array([23, 3, 3, 0, 40]);
      const sealed = cipher.seal(nonce, aad, new Uint8Array(24).fill(0x61));
      expect(cipher.tagLength).toBe(16);
      expect(sealed).toHaveLength(24 + 16);
      for (const at of [0, 23, 24, sealed.length - 1]) {
        const bad = sealed.slice();
        bad[at]! ^= 0x01;
        expect(cipher.open(nonce, aad, bad)).toBeUndefined();
      }
      expect(cipher.open(nonce, new Uint8Array([23, 3, 3, 0, 41]), sealed)).toBeUndefined();
      const otherNonce = nonce.slice();
      otherNonce[11]! ^= 1;
      expect(cipher.open(otherNonce, aad, sealed)).toBeUndefined();
      expect(cipher.open(nonce, aad, sealed.subarray(0, 15))).toBeUndefined();
      expect(cipher.open(nonce, aad, new Uint8Array(0))).toBeUndefined();
    });

    it(`${name}: an empty plaintext seals to a bare tag`, () => {
      const cipher = provider.aead(name, new Uint8Array(keyLength));
      const sealed = cipher.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(0));
      expect(sealed).toHaveLength(16);
      expect(cipher.open(new Uint8Array(12), new Uint8Array(0), sealed)).toEqual(new Uint8Array(0));
    });
  }

  it('keeps its own copy of the key, and dispose() wipes it and stops further use', () => {
    const key = new Uint8Array(32).fill(9);
    const cipher = provider.aead('CHACHA20-POLY1305', key);
    const nonce = new Uint8Array(12);
    const sealed = cipher.seal(nonce, new Uint8Array(0), new Uint8Array([1, 2, 3]));
    key.fill(0); // the caller wiping its buffer must not change the cipher
    expect(cipher.open(nonce, new Uint8Array(0), sealed)).toEqual(new Uint8Array([1, 2, 3]));
    cipher.dispose();
    expect(() => cipher.seal(nonce, new Uint8Array(0), new Uint8Array(1))).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
  });

  it('rejects wrong key and nonce lengths as internal errors (caller bugs)', () => {
    expect(() => provider.aead('AES-128-GCM', new Uint8Array(32))).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
    const cipher = provider.aead('AES-128-GCM', new Uint8Array(16));
    expect(() => cipher.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(1))).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
  });

  it('advertises ChaCha20-Poly1305 first, then the AES-GCM suites', () => {
    expect(provider.cipherSuites).toEqual([CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384]);
  });
});
