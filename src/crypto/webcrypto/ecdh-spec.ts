import type { NamedGroup } from '../../registry.js';
import type { EcCurve } from '../signature-schemes.js';
import type { WebCryptoKey } from '../subtle.js';

/*
 * The shapes shared by the WebCrypto key exchange and the private-key import, in a module of
 * their own so neither of those imports the other (the import is loaded on demand by the key
 * exchange).
 */

/** One ECDH or X25519 group as WebCrypto names it, with the sizes TLS checks. */
export interface EcdhSpec {
  readonly group: NamedGroup;
  readonly algorithm: { readonly name: 'ECDH'; readonly namedCurve: EcCurve } | { readonly name: 'X25519' };
  readonly shareLength: number;
  /** deriveBits length: the field size in bits (P-521's 66 bytes hold 521 bits, padded). */
  readonly secretBits: number;
  readonly nist: boolean;
}

/** A private key and our share, the key usable only for deriveBits. */
export interface EphemeralKey {
  readonly privateKey: WebCryptoKey;
  readonly publicKey: Uint8Array;
}
