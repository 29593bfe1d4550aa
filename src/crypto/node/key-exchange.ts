import { type KeyObject, createECDH, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { NamedGroup } from '../../registry.js';
import {
  type DhGroup,
  KeyExchanges,
  type RandomSource,
  checkedRandom,
  illegalShare,
  invalidPrivateKey,
  isValidNistPrivateKey,
  nistPrivateKey,
  rejectAllZero,
} from '../key-exchange.js';
import { x25519MlKem768 } from '../hybrid.js';
import type { SyncKeyExchangeAlgorithm } from '../provider.js';
import { base64url, fromBase64url, plain } from './bytes.js';

/**
 * X25519 and X448 (RFC 7748) on node:crypto. Node has no raw-key API for these curves, and the
 * DER route (PKCS#8 / SPKI through OpenSSL 3's decoders) costs 150-500 µs per key on Node 20,
 * so keys travel as JWK, which Node turns into EVP_PKEY_new_raw_*_key directly (~8 µs for a
 * public key, ~40 µs for a private key, most of it computing the public key).
 *
 * The private key is imported from JWK `d` and its public key read back as JWK `x`. Node
 * insists on an `x` in a private JWK but never reads it (it derives the public key from `d`),
 * so a placeholder goes in. This route is also the one that is safe: on Node 20.20.2,
 * exporting keys made by generateKeyPairSync('x25519') as JWK deadlocks the process after a
 * few thousand calls, while keys imported from JWK export fine (measured over 20,000 calls).
 * The private key comes from the provider's random source, as in the noble provider, so the
 * same randomness gives both providers the same key.
 */
function montgomeryGroup(group: NamedGroup, crv: 'X25519' | 'X448', length: number): DhGroup {
  const placeholder = base64url(new Uint8Array(length));
  return {
    group,
    generatePrivateKey: (random) => checkedRandom(random, length),
    checkPrivateKey(privateKey) {
      if (privateKey.length !== length) throw invalidPrivateKey(group, `must be ${length} bytes`);
    },
    load(privateKey) {
      const key: KeyObject = createPrivateKey({ key: { kty: 'OKP', crv, d: base64url(privateKey), x: placeholder }, format: 'jwk' });
      return {
        publicKey: () => fromBase64url(key.export({ format: 'jwk' }).x!),
        agree(peerShare) {
          if (peerShare.length !== length) throw illegalShare(group, `length ${peerShare.length}, expected ${length}`);
          let secret: Uint8Array;
          try {
            const peer = createPublicKey({ key: { kty: 'OKP', crv, x: base64url(peerShare) }, format: 'jwk' });
            // OpenSSL refuses an all-zero result (RFC 7748 §6.1) and fails the derivation.
            secret = plain(diffieHellman({ privateKey: key, publicKey: peer }));
          } catch {
            throw illegalShare(group, 'low-order point (the shared secret would be all zeros)');
          }
          return rejectAllZero(group, secret);
        },
      };
    },
  };
}

/**
 * secp256r1/384r1/521r1 through createECDH's raw-point API (no key encoding at all). RFC 8446
 * §4.2.8.2: the share must be the uncompressed point, which is checked here because OpenSSL
 * would also take compressed and hybrid encodings; OpenSSL then validates that the point is on
 * the curve with coordinates below p (computeSecret throws otherwise). RFC 8446 §7.4.1: the
 * secret is the X coordinate, which computeSecret returns left-padded to the field length.
 * setPrivateKey is used even for fresh keys: the scalar comes from the provider's random source
 * (same derivation as noble), and it is faster than generateKeys (~20 µs against ~32 µs, P-256).
 */
function weierstrassGroup(group: NamedGroup, curve: string, fieldLength: number): DhGroup {
  const shareLength = 1 + 2 * fieldLength;
  return {
    group,
    generatePrivateKey: (random) => nistPrivateKey(group, random),
    checkPrivateKey(privateKey) {
      if (!isValidNistPrivateKey(group, privateKey)) throw invalidPrivateKey(group, `must be a ${fieldLength}-byte scalar in [1, n-1]`);
    },
    load(privateKey) {
      const ecdh = createECDH(curve);
      ecdh.setPrivateKey(privateKey);
      return {
        publicKey: () => plain(ecdh.getPublicKey()),
        agree(peerShare) {
          if (peerShare.length !== shareLength) throw illegalShare(group, `length ${peerShare.length}, expected ${shareLength}`);
          if (peerShare[0] !== 0x04) throw illegalShare(group, 'not an uncompressed point');
          try {
            return plain(ecdh.computeSecret(peerShare));
          } catch {
            throw illegalShare(group, 'not a point on the curve');
          }
        },
      };
    },
  };
}

const nodeExchanges = new KeyExchanges(
  new Map<number, DhGroup>([
    [NamedGroup.x25519, montgomeryGroup(NamedGroup.x25519, 'X25519', 32)],
    [NamedGroup.x448, montgomeryGroup(NamedGroup.x448, 'X448', 56)],
    [NamedGroup.secp256r1, weierstrassGroup(NamedGroup.secp256r1, 'prime256v1', 32)],
    [NamedGroup.secp384r1, weierstrassGroup(NamedGroup.secp384r1, 'secp384r1', 48)],
    [NamedGroup.secp521r1, weierstrassGroup(NamedGroup.secp521r1, 'secp521r1', 66)],
  ]),
  x25519MlKem768,
);

export function nodeKeyExchange(group: number, random: RandomSource): SyncKeyExchangeAlgorithm | undefined {
  return nodeExchanges.fresh(group, random);
}

/** As the noble keyExchangeWithPrivateKey (same formats), on node:crypto. For tests only. */
export function nodeKeyExchangeWithPrivateKey(group: number, privateKey: Uint8Array, random: RandomSource): SyncKeyExchangeAlgorithm {
  return nodeExchanges.withPrivateKey(group, privateKey, random);
}
