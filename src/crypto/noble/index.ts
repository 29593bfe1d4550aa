import { CipherSuite, type NamedGroup } from '../../registry.js';
import type { SyncCryptoProvider, SyncKeyExchangeAlgorithm } from '../provider.js';
import { verifiableSchemes } from '../signature-schemes.js';
import { nobleAead } from './aead.js';
import { hashContext, hkdfExpand, hkdfExtract, hmacDigest } from './hash.js';
import { type RandomSource, defaultRandom, keyExchangeWithPrivateKey, nobleGroups, nobleKeyExchange } from './key-exchange.js';
import { NobleVerifier, importNobleSigningKey } from './signatures.js';

export interface NobleProviderOptions {
  /**
   * Replaces the CSPRNG: random(), every ephemeral private key and the ML-KEM encapsulation
   * randomness all come from here, so a deterministic source makes the whole handshake
   * reproducible. For tests only.
   */
  random?: RandomSource;
  /**
   * Fixed ephemeral private keys per group (RFC 8448 replays), in the formats described at
   * keyExchangeWithPrivateKey. Groups not listed get fresh keys. For tests only.
   */
  ephemeralPrivateKeys?: ReadonlyMap<NamedGroup, Uint8Array>;
}

/**
 * Cipher suites in preference order. ChaCha20-Poly1305 leads because in pure JavaScript it is
 * the fast one: AES has no AES-NI to lean on here, and measured on Node 20 noble's
 * ChaCha20-Poly1305 seals a 16 KiB record in ~240 µs against ~530 µs for AES-128-GCM (~2.2x;
 * the gap is similar at 1 KiB). The AES-GCM suites stay available for peers that insist.
 */
const nobleCipherSuites: readonly CipherSuite[] = [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384];

/**
 * The portable provider: @noble/* for hashing, AEADs, key exchange, ECDSA and EdDSA; RSA through
 * WebCrypto (globalThis.crypto.subtle). Runs anywhere with globalThis.crypto.
 *
 * Groups, in preference order: X25519MLKEM768 first, because a hybrid share protects today's
 * traffic against a future quantum computer (harvest now, decrypt later) and noble's ML-KEM-768
 * costs less than one X25519 operation; the mainstream stacks (Chrome, Firefox, OpenSSL 3.5,
 * Go 1.24) order it the same way. Then x25519, the NIST curves by size, and x448 last (rare).
 *
 * The returned object is a plain object of own properties, so a test can wrap it with spread
 * syntax: `{ ...nobleProvider(), keyExchange: (g) => ... }`.
 */
export function nobleProvider(options: NobleProviderOptions = {}): SyncCryptoProvider {
  const random = options.random ?? defaultRandom;
  const fixedKeys = options.ephemeralPrivateKeys;
  const verifier = new NobleVerifier();
  return {
    name: 'noble',
    random: (length: number): Uint8Array => random(length),

    hash: hashContext,
    hmac: hmacDigest,
    hkdfExtract,
    hkdfExpand,

    cipherSuites: nobleCipherSuites,
    aead: nobleAead,

    groups: nobleGroups,
    keyExchange(group: NamedGroup): SyncKeyExchangeAlgorithm | undefined {
      const fixed = fixedKeys?.get(group);
      if (fixed !== undefined) return keyExchangeWithPrivateKey(group, fixed, random);
      return nobleKeyExchange(group, random);
    },

    signatureSchemes: verifiableSchemes,
    verify: (scheme, spki, message, signature) => verifier.verify(scheme, spki, message, signature),
    importSigningKey: importNobleSigningKey,
  };
}
