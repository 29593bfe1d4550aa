import type { CipherSuite, NamedGroup, SignatureScheme } from '../../registry.js';
import type { RandomSource } from '../key-exchange.js';
import type { NobleAeadSpec } from '../noble/aead-cipher.js';
import type { AeadName, SyncKeyExchangeAlgorithm } from '../provider.js';

/**
 * What webcryptoProvider() can do beyond WebCrypto, for the algorithms WebCrypto lacks (or has
 * only behind flags): each is a value of its own module (./extras/*), which an application
 * imports and passes in `extras`, so bundles carry only the noble code it asked for. The
 * provider reads these descriptions; the modules run nothing when imported.
 */
export type WebCryptoExtra = AeadExtra | GroupExtra | SignatureExtra;

/** A cipher suite whose AEAD runs on noble (synchronous, as the record layer needs). */
export interface AeadExtra {
  readonly kind: 'aead';
  readonly suite: CipherSuite;
  readonly aead: AeadName;
  readonly cipher: NobleAeadSpec;
}

/** A named group whose key exchange runs on noble. */
export interface GroupExtra {
  readonly kind: 'group';
  readonly group: NamedGroup;
  /**
   * A key exchange with fresh keys from `random`, or always with `fixedPrivateKey` (tests; formats
   * as in KeyExchanges.withPrivateKey; throws TLSError(INVALID_ARGUMENT) if malformed).
   */
  exchange(random: RandomSource, fixedPrivateKey: Uint8Array | undefined): SyncKeyExchangeAlgorithm;
}

/** An EdDSA scheme whose signatures run on noble. */
export interface SignatureExtra {
  readonly kind: 'signature';
  readonly scheme: SignatureScheme;
  readonly keyType: 'ed448';
  /** RFC 8032 strict verification; false for anything wrong, never throws. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
}
