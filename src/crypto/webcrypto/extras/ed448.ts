import { ed448 as ed448Curve } from '@noble/curves/ed448.js';
import { SignatureScheme } from '../../../registry.js';
import type { SignatureExtra } from '../extras.js';

/** The ed448 signature scheme (RFC 8032, RFC 8446 §4.2.3) for webcryptoProvider(), on noble: WebCrypto has no standard Ed448. */
export const ed448: SignatureExtra = {
  kind: 'signature',
  scheme: SignatureScheme.ed448,
  keyType: 'ed448',
  verify(publicKey, message, signature) {
    try {
      // zip215: false is RFC 8032's strict decoding (canonical points and S < L).
      return ed448Curve.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  sign: (seed, message) => ed448Curve.sign(message, seed),
};
