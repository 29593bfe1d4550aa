import { ed448 } from '@noble/curves/ed448.js';

/**
 * Ed448 certificate signatures (RFC 8410), in a module of their own that the WebCrypto checker
 * loads with import() the first time an Ed448 issuer key turns up, so that bundlers put the
 * curve in a lazy chunk: Ed448 roots and intermediates are rare, and WebCrypto has no Ed448 in
 * browsers (Node's only behind an experimental warning). Imports nothing of wiretls, so the
 * chunk shares no code with the main one. `publicKey`: the 57 bytes from the SubjectPublicKeyInfo.
 */
export function ed448Verifier(publicKey: Uint8Array): (data: Uint8Array, signature: Uint8Array) => boolean {
  // zip215: false is RFC 8032's strict decoding (canonical points, S < L), as the providers use.
  return (data, signature) => ed448.verify(signature, data, publicKey, { zip215: false });
}
