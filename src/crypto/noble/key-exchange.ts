import { x25519 } from '@noble/curves/ed25519.js';
import { x448 } from '@noble/curves/ed448.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { NamedGroup } from '../../registry.js';
import { x25519MlKem768 } from '../hybrid.js';
import { type DhGroup, KeyExchanges, type RandomSource, defaultGroupOrder, illegalShare, invalidPrivateKey, isValidNistPrivateKey, nistPrivateKey } from '../key-exchange.js';
import type { SyncKeyExchangeAlgorithm } from '../provider.js';
import { defaultRandom } from '../random.js';
import { montgomeryGroup } from './montgomery.js';

export type { RandomSource } from '../key-exchange.js';
export { defaultRandom } from '../random.js';

/**
 * secp256r1/384r1/521r1. RFC 8446 §4.2.8.2: the share is the uncompressed point 0x04 || X || Y
 * (compressed points and the point at infinity are not allowed in TLS 1.3), and the peer's point
 * MUST be validated to lie on the curve, which noble's Point.fromBytes does. RFC 8446 §7.4.1:
 * the shared secret is the X coordinate alone, FE2OSP-encoded with its leading zeros kept.
 */
function weierstrassGroup(group: NamedGroup, curve: typeof p256, fieldLength: number): DhGroup {
  const shareLength = 1 + 2 * fieldLength;
  return {
    group,
    generatePrivateKey: (random) => nistPrivateKey(group, random),
    checkPrivateKey(privateKey) {
      if (!isValidNistPrivateKey(group, privateKey)) throw invalidPrivateKey(group, `must be a ${fieldLength}-byte scalar in [1, n-1]`);
    },
    load: (privateKey) => ({
      publicKey: () => curve.getPublicKey(privateKey, false),
      agree(peerShare) {
        if (peerShare.length !== shareLength) throw illegalShare(group, `length ${peerShare.length}, expected ${shareLength}`);
        if (peerShare[0] !== 0x04) throw illegalShare(group, 'not an uncompressed point');
        let point: Uint8Array;
        try {
          // Compressed output is 0x02/0x03 || X: exactly the X coordinate after the prefix byte.
          point = curve.getSharedSecret(privateKey, peerShare, true);
        } catch {
          throw illegalShare(group, 'not a point on the curve');
        }
        return point.slice(1);
      },
    }),
  };
}

const nobleExchanges = new KeyExchanges(
  new Map<number, DhGroup>([
    [NamedGroup.x25519, montgomeryGroup(NamedGroup.x25519, x25519, 32)],
    [NamedGroup.x448, montgomeryGroup(NamedGroup.x448, x448, 56)],
    [NamedGroup.secp256r1, weierstrassGroup(NamedGroup.secp256r1, p256, 32)],
    [NamedGroup.secp384r1, weierstrassGroup(NamedGroup.secp384r1, p384, 48)],
    [NamedGroup.secp521r1, weierstrassGroup(NamedGroup.secp521r1, p521, 66)],
  ]),
  x25519MlKem768,
);

/**
 * Groups this module implements, in the provider's preference order (see nobleProvider): the
 * hybrid first, then x25519, the NIST curves by size, and x448 last.
 */
export const nobleGroups: readonly NamedGroup[] = defaultGroupOrder;

/** A key exchange with fresh ephemeral keys drawn from `random`, or undefined for an unknown group. */
export function nobleKeyExchange(group: number, random: RandomSource): SyncKeyExchangeAlgorithm | undefined {
  return nobleExchanges.fresh(group, random);
}

/**
 * A key exchange whose generate() and respond() always use `privateKey`, for deterministic
 * replays; formats at KeyExchanges.withPrivateKey. Never use this outside tests: a reused
 * ephemeral key forfeits forward secrecy. Throws TLSError(INVALID_ARGUMENT) for an unknown group
 * or a malformed key.
 */
export function keyExchangeWithPrivateKey(group: number, privateKey: Uint8Array, random: RandomSource = defaultRandom): SyncKeyExchangeAlgorithm {
  return nobleExchanges.withPrivateKey(group, privateKey, random);
}
