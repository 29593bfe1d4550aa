import { ed25519 } from '@noble/curves/ed25519.js';

/**
 * noble's Ed25519 for runtimes whose WebCrypto lacks it (older browsers). Imported dynamically
 * by the webcrypto provider's signatures, so a bundler puts it in a chunk only they load.
 */

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    // zip215: false is RFC 8032's strict decoding (canonical points and S < L).
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed);
}
