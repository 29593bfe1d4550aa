import { ed448 } from '@noble/curves/ed448.js';
import { parseSpki } from '../crypto/keys.js';

/**
 * Ed448 certificate signatures (RFC 8410), in a module of their own that the WebCrypto checker
 * loads with import() the first time an Ed448 issuer key turns up, so that bundlers put the
 * curve in a lazy chunk: Ed448 roots and intermediates are rare, and WebCrypto has no Ed448 in
 * browsers (Node's only behind an experimental warning). Throws for a key that is not a
 * well-formed Ed448 SubjectPublicKeyInfo (the checker then answers false).
 */
export function ed448Verifier(spki: Uint8Array): (data: Uint8Array, signature: Uint8Array) => boolean {
  const key = parseSpki(spki);
  if (key.type !== 'ed448') throw new TypeError(`an ${key.type} key is not an Ed448 key`);
  const publicKey = key.publicKey;
  // zip215: false is RFC 8032's strict decoding (canonical points, S < L), as the providers use.
  return (data, signature) => ed448.verify(signature, data, publicKey, { zip215: false });
}
