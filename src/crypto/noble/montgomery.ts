import type { x25519 } from '@noble/curves/ed25519.js';
import type { NamedGroup } from '../../registry.js';
import { type DhGroup, checkedRandom, illegalShare, invalidPrivateKey, rejectAllZero } from '../key-exchange.js';

/**
 * X25519 and X448 (RFC 7748). Shares are the raw u-coordinate. noble already refuses low-order
 * points before the ladder (so no timing depends on our key for them); the explicit OR of the
 * output is kept as the check the RFCs actually specify (RFC 7748 §6.1, RFC 8446 §7.4.2).
 */
export function montgomeryGroup(group: NamedGroup, curve: typeof x25519, length: number): DhGroup {
  return {
    group,
    generatePrivateKey: (random) => checkedRandom(random, length),
    checkPrivateKey(privateKey) {
      if (privateKey.length !== length) throw invalidPrivateKey(group, `must be ${length} bytes`);
    },
    load: (privateKey) => ({
      publicKey: () => curve.getPublicKey(privateKey),
      agree(peerShare) {
        if (peerShare.length !== length) throw illegalShare(group, `length ${peerShare.length}, expected ${length}`);
        let secret: Uint8Array;
        try {
          secret = curve.getSharedSecret(privateKey, peerShare);
        } catch {
          throw illegalShare(group, 'low-order point (the shared secret would be all zeros)');
        }
        return rejectAllZero(group, secret);
      },
    }),
  };
}
