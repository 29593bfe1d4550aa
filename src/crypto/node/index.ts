import { randomFillSync } from 'node:crypto';
import { CipherSuite, type NamedGroup } from '../../registry.js';
import { type RandomSource, defaultGroupOrder } from '../key-exchange.js';
import type { SyncCryptoProvider, SyncKeyExchangeAlgorithm } from '../provider.js';
import { verifiableSchemes } from '../signature-schemes.js';
import { nodeAead } from './aead.js';
import { nodeHashContext, nodeHkdfExpand, nodeHkdfExtract, nodeHmac } from './hash.js';
import { nodeKeyExchange, nodeKeyExchangeWithPrivateKey } from './key-exchange.js';
import { NodeVerifier, importNodeSigningKey } from './signatures.js';

export { NodeVerifier } from './signatures.js';

export interface NodeProviderOptions {
  /**
   * Replaces the CSPRNG: random(), every ephemeral private key and the ML-KEM encapsulation
   * randomness all come from here, so a deterministic source makes the whole handshake
   * reproducible (and identical to the noble provider's with the same source). For tests only.
   */
  random?: RandomSource;
  /**
   * Fixed ephemeral private keys per group (RFC 8448 replays), in the formats described at
   * keyExchangeWithPrivateKey. Groups not listed get fresh keys. For tests only.
   */
  ephemeralPrivateKeys?: ReadonlyMap<NamedGroup, Uint8Array>;
  /** How many peer public keys the verifier keeps imported (default 64). */
  verifyKeyCacheSize?: number;
}

const POOL_SIZE = 4096;
const SMALL_REQUEST = 256;
let pool = new Uint8Array(0);
let poolAt = 0;

/**
 * node:crypto's CSPRNG (OpenSSL's DRBG), filling plain Uint8Arrays. Each call into OpenSSL's
 * RAND_bytes costs ~5 µs on Node 20 whatever the size (locking, fork checks), and a handshake
 * asks for ten small pieces (randoms, session id, private keys, ML-KEM coins), so small
 * requests are served from a 4 KiB block drawn at once. Every byte is handed out once and
 * wiped from the block as it leaves, so the block never holds anything already given away.
 */
function nodeRandom(length: number): Uint8Array {
  if (length > SMALL_REQUEST) return randomFillSync(new Uint8Array(length));
  if (poolAt + length > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_SIZE));
    poolAt = 0;
  }
  const out = pool.slice(poolAt, poolAt + length);
  pool.fill(0, poolAt, poolAt + length);
  poolAt += length;
  return out;
}

/**
 * Cipher suites in preference order. AES-128-GCM leads: with AES-NI and carry-less multiply,
 * OpenSSL seals a 16 KiB record in ~10 µs, a little ahead of ChaCha20-Poly1305 and AES-256-GCM,
 * and the per-record cipher set-up is the same for all three. This is the order OpenSSL and
 * node:tls use too.
 */
const nodeCipherSuites: readonly CipherSuite[] = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];

/**
 * The native provider for Node: node:crypto (OpenSSL) for hashing, HMAC/HKDF, the AEADs, ECDH
 * on every group, and ECDSA/EdDSA/RSA signatures; noble's ML-KEM-768 for the hybrid group (Node
 * 20's OpenSSL 3.0 has no ML-KEM), combined with native X25519. Everything is synchronous; the
 * Promise-returning methods resolve immediately.
 *
 * It passes the same conformance suite as nobleProvider (test/crypto/conformance.test.ts and
 * the engine and RFC 8448 replays run on both), so choosing it never changes behaviour: the
 * same inputs are accepted and refused, with the same alerts. Differences that remain are the
 * ones both are free to have: ECDSA signatures use random nonces here, RFC 6979 ones in noble.
 *
 * Groups are in the same preference order as the noble provider.
 */
export function nodeProvider(options: NodeProviderOptions = {}): SyncCryptoProvider {
  const random = options.random ?? nodeRandom;
  const fixedKeys = options.ephemeralPrivateKeys;
  const verifier = new NodeVerifier(options.verifyKeyCacheSize);
  return {
    name: 'node',
    random: (length: number): Uint8Array => random(length),

    hash: nodeHashContext,
    hmac: nodeHmac,
    hkdfExtract: nodeHkdfExtract,
    hkdfExpand: nodeHkdfExpand,

    cipherSuites: nodeCipherSuites,
    aead: nodeAead,

    groups: defaultGroupOrder,
    keyExchange(group: NamedGroup): SyncKeyExchangeAlgorithm | undefined {
      const fixed = fixedKeys?.get(group);
      if (fixed !== undefined) return nodeKeyExchangeWithPrivateKey(group, fixed, random);
      return nodeKeyExchange(group, random);
    },

    signatureSchemes: verifiableSchemes,
    verify: (scheme, spki, message, signature) => verifier.verify(scheme, spki, message, signature),
    importSigningKey: async (pkcs8) => importNodeSigningKey(pkcs8),
  };
}
