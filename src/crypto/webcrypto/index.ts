import { TLSError } from '../../errors.js';
import { CipherSuite, NamedGroup, SignatureScheme, namedGroupName } from '../../registry.js';
import type { RandomSource } from '../key-exchange.js';
import { hashContext, hkdfExpand, hkdfExtract, hmacDigest } from '../noble/hash.js';
import type { CryptoProvider, KeyExchangeAlgorithm } from '../provider.js';
import { defaultRandom } from '../random.js';
import { verifiableSchemes } from '../signature-schemes.js';
import { subtleCrypto } from '../subtle.js';
import { webCryptoProviderAead } from './aes-gcm.js';
import type { AeadExtra, GroupExtra, SignatureExtra, WebCryptoExtra } from './extras.js';
import { EphemeralKeyPool, webCryptoGroups, webCryptoKeyExchange } from './key-exchange.js';
import { WebCryptoVerifier } from './signatures.js';

export type { WebCryptoExtra } from './extras.js';

export interface WebCryptoProviderOptions {
  /**
   * Algorithms beyond WebCrypto, on noble, each imported from its own module so that bundles
   * carry only those asked for: `x25519mlkem768` (post-quantum hybrid, preferred when given),
   * `chacha20poly1305`, `x448`, `ed448` (src/crypto/webcrypto/extras/<name>.ts). Without them
   * the provider offers x25519, P-256/384/521, AES-GCM and every signature scheme but Ed448.
   */
  extras?: readonly WebCryptoExtra[];
  /**
   * Replaces the CSPRNG for random() and makes every ephemeral key from it (imported into
   * WebCrypto from the drawn scalar instead of generated there), so a deterministic source
   * makes the handshake reproducible, and identical to the other providers' with the same
   * source. For tests only.
   */
  random?: RandomSource;
  /**
   * Fixed ephemeral private keys per group (RFC 8448 replays), in the formats described at
   * keyExchangeWithPrivateKey; imported into WebCrypto, which does the arithmetic. For tests only.
   */
  ephemeralPrivateKeys?: ReadonlyMap<NamedGroup, Uint8Array>;
  /** How many peer public keys the verifier keeps imported (default 64). */
  verifyKeyCacheSize?: number;
}

/**
 * The provider for browsers, workers, Deno and Bun: WebCrypto (globalThis.crypto.subtle) where
 * the cost is, in native code, off the main thread where the runtime does that — ECDH key
 * exchange (P-256/384/521, X25519 where the runtime has it), signature verification and signing
 * (ECDSA, Ed25519, RSA-PSS, RSA PKCS#1 for certificates) — with private keys non-extractable.
 * Key exchange is therefore asynchronous, which the engine awaits. The record layer's primitives
 * stay synchronous, as the engine needs them: SHA-2, HMAC, HKDF and AES-GCM are noble's
 * (@noble/hashes, @noble/ciphers).
 *
 * What WebCrypto lacks comes as opt-in `extras` (see WebCryptoProviderOptions), so that an
 * application using x25519/P-256/AES-GCM carries no ML-KEM, X448, Ed448 or ChaCha20 code. X25519
 * and Ed25519 fall back to noble, loaded on demand, where the runtime's WebCrypto has neither.
 *
 * Throws TLSError(INVALID_ARGUMENT) where there is no WebCrypto (an insecure browser context).
 */
export function webcryptoProvider(options: WebCryptoProviderOptions = {}): CryptoProvider {
  const subtle = subtleCrypto();
  if (subtle === undefined) throw new TLSError('INVALID_ARGUMENT', 'webcryptoProvider() needs WebCrypto (globalThis.crypto.subtle), which this runtime lacks');
  const extras = options.extras ?? [];
  const aeadExtra = extras.find((e): e is AeadExtra => e.kind === 'aead');
  const groupExtras = new Map<NamedGroup, GroupExtra>(extras.filter((e): e is GroupExtra => e.kind === 'group').map((e) => [e.group, e]));
  const ed448 = extras.find((e): e is SignatureExtra => e.kind === 'signature' && e.scheme === SignatureScheme.ed448);
  const random = options.random ?? defaultRandom;
  const keyOptions = { pool: new EphemeralKeyPool(subtle), random: options.random, ephemeralPrivateKeys: options.ephemeralPrivateKeys };
  const verifier = new WebCryptoVerifier(subtle, ed448, options.verifyKeyCacheSize);

  // Preference orders as the other providers': the hybrid first when present (harvest now,
  // decrypt later), x448 last; ChaCha20-Poly1305 first when present, being the fast one in
  // pure JavaScript (see nobleProvider).
  const groups: NamedGroup[] = [
    ...(groupExtras.has(NamedGroup.X25519MLKEM768) ? [NamedGroup.X25519MLKEM768] : []),
    ...webCryptoGroups,
    ...[...groupExtras.keys()].filter((g) => g !== NamedGroup.X25519MLKEM768),
  ];
  const cipherSuites: CipherSuite[] = [...(aeadExtra ? [aeadExtra.suite] : []), CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384];
  return {
    name: 'webcrypto',
    random: (length: number): Uint8Array => random(length),

    hash: hashContext,
    hmac: hmacDigest,
    hkdfExtract,
    hkdfExpand,

    cipherSuites,
    aead: webCryptoProviderAead(aeadExtra),

    groups,
    keyExchange(group: NamedGroup): KeyExchangeAlgorithm | undefined {
      const extra = groupExtras.get(group);
      const fixed = options.ephemeralPrivateKeys?.get(group);
      if (extra !== undefined) return extra.exchange(random, fixed);
      const exchange = webCryptoKeyExchange(subtle, group, keyOptions);
      // As the other providers: a key injected for a group we cannot do is the caller's error.
      if (exchange === undefined && fixed !== undefined) throw new TLSError('INVALID_ARGUMENT', `no key exchange for group ${namedGroupName(group)}`);
      return exchange;
    },

    signatureSchemes: ed448 ? verifiableSchemes : verifiableSchemes.filter((s) => s !== SignatureScheme.ed448),
    verify: (scheme, spki, message, signature) => verifier.verify(scheme, spki, message, signature),
    // Only servers and clients with a certificate sign: the private-key parsing and signing
    // code is a separate module, fetched on first use, so a plain client does not carry it.
    importSigningKey: async (pkcs8) => (await import('./private-key-import.js')).importWebCryptoSigningKey(subtle, pkcs8, ed448),
  };
}
