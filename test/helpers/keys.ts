import { parseSpki, schemesForKey } from '../../src/crypto/keys.js';
import type { SignatureScheme } from '../../src/registry.js';

/**
 * The TLS 1.3 signature schemes the key in this SubjectPublicKeyInfo can be used with, in
 * preference order. Throws TLSError(INVALID_ARGUMENT) for a malformed or unsupported key. Only
 * tests ask this of raw SPKI bytes (src/ parses once and calls schemesForKey), so it lives here.
 */
export function schemesForPublicKey(spki: Uint8Array): SignatureScheme[] {
  return schemesForKey(parseSpki(spki));
}
