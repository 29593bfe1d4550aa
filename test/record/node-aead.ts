import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { AeadCipher, AeadName } from '../../src/crypto/provider.js';

/**
 * AeadCipher test doubles on node:crypto, so the record layer can be tested before the real
 * providers exist. Test code only: it allocates freely.
 */

const TAG_LENGTH = 16;

const algorithms = {
  'AES-128-GCM': { name: 'aes-128-gcm', keyLength: 16 },
  'AES-256-GCM': { name: 'aes-256-gcm', keyLength: 32 },
  'CHACHA20-POLY1305': { name: 'chacha20-poly1305', keyLength: 32 },
} as const;

export const aeadNames = Object.keys(algorithms) as AeadName[];

export function aeadKeyLength(name: AeadName): number {
  return algorithms[name].keyLength;
}

export function nodeAead(name: AeadName, key: Uint8Array): AeadCipher {
  const algorithm = algorithms[name];
  if (key.length !== algorithm.keyLength) throw new RangeError(`${name} takes a ${algorithm.keyLength}-byte key`);
  const keyCopy = Buffer.from(key);
  // The GCM and ChaCha20-Poly1305 overloads of createCipheriv differ only in their type names.
  const cipherName = algorithm.name as 'aes-128-gcm';
  return {
    tagLength: TAG_LENGTH,
    seal(nonce, additionalData, plaintext) {
      const cipher = createCipheriv(cipherName, keyCopy, nonce, { authTagLength: TAG_LENGTH });
      cipher.setAAD(additionalData);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return new Uint8Array(body.buffer, body.byteOffset, body.length);
    },
    open(nonce, additionalData, ciphertextAndTag) {
      if (ciphertextAndTag.length < TAG_LENGTH) return undefined;
      const split = ciphertextAndTag.length - TAG_LENGTH;
      const decipher = createDecipheriv(cipherName, keyCopy, nonce, { authTagLength: TAG_LENGTH });
      decipher.setAuthTag(ciphertextAndTag.subarray(split));
      decipher.setAAD(additionalData);
      const first = decipher.update(ciphertextAndTag.subarray(0, split));
      try {
        const last = decipher.final();
        const body = Buffer.concat([first, last]);
        return new Uint8Array(body.buffer, body.byteOffset, body.length);
      } catch {
        return undefined;
      }
    },
    dispose() {
      keyCopy.fill(0);
    },
  };
}

/** Wraps an AEAD and remembers every nonce and AAD it was given (copies), for nonce tests. */
export function recordingAead(inner: AeadCipher): AeadCipher & { nonces: Uint8Array[]; aads: Uint8Array[]; disposed: boolean } {
  const spy = {
    nonces: [] as Uint8Array[],
    aads: [] as Uint8Array[],
    disposed: false,
    tagLength: inner.tagLength,
    seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) {
      spy.nonces.push(nonce.slice());
      spy.aads.push(aad.slice());
      return inner.seal(nonce, aad, plaintext);
    },
    open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array) {
      spy.nonces.push(nonce.slice());
      spy.aads.push(aad.slice());
      return inner.open(nonce, aad, ciphertext);
    },
    dispose() {
      spy.disposed = true;
      inner.dispose();
    },
  };
  return spy;
}
