import type { CipherSuite, NamedGroup, SignatureScheme } from '../registry.js';

/**
 * The crypto provider: every primitive the TLS engine uses goes through this interface, so
 * implementations can be swapped (portable @noble/*, native node:crypto) and tests can inject
 * deterministic randomness and ephemeral keys (RFC 8448 replays).
 *
 * Byte strings are Uint8Array. Signatures and key exchange may be asynchronous (WebCrypto is);
 * everything on the record hot path (hash, HMAC, HKDF, AEAD) is synchronous.
 */

export type HashName = 'sha256' | 'sha384' | 'sha512';

export const hashOutputLength: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** A running hash; `fork` lets the transcript take intermediate digests without re-hashing. */
export interface HashContext {
  update(data: Uint8Array): void;
  /** Finishes this context; it must not be used afterwards. */
  digest(): Uint8Array;
  /** An independent copy of the current state. */
  fork(): HashContext;
}

export interface AeadCipher {
  /** Length of the authentication tag appended by seal. */
  readonly tagLength: number;
  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, additionalData: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Optional: seal() writing ciphertext || tag into `out` at `offset` instead of a new array,
   * and returning the number of bytes written. `plaintext` may be the very bytes it overwrites
   * (out[offset, offset + plaintext.length)), so the record layer can lay the inner plaintext
   * out in the record buffer and encrypt it there: one record-sized allocation, not three.
   */
  sealInto?(nonce: Uint8Array, additionalData: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /**
   * Returns the plaintext in a new array that shares no memory with `ciphertextAndTag` (the
   * record layer reuses the ciphertext's buffer once this returns), or undefined when
   * authentication fails (never throws for that).
   */
  open(nonce: Uint8Array, additionalData: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | undefined;
  /** Forgets the key where the implementation allows it. */
  dispose(): void;
}

export type AeadName = 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305';

/** What a TLS 1.3 cipher suite is made of (RFC 8446 §B.4). */
export interface CipherSuiteParams {
  readonly suite: CipherSuite;
  readonly aead: AeadName;
  readonly keyLength: number;
  /** Every TLS 1.3 AEAD here takes a 12-byte nonce (RFC 8446 §5.3). */
  readonly ivLength: 12;
  readonly hash: HashName;
}

/**
 * A result a provider may compute now or later. WebCrypto only answers with promises, while
 * node:crypto and noble answer at once; the engine awaits only what is actually pending (see
 * isPending), so the synchronous providers cost no extra microtask per handshake.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Whether a MaybePromise is still pending (a thenable), as opposed to an answer in hand. */
export function isPending<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * The client's ephemeral key for one named group. For ECDH groups `complete` computes the shared
 * secret from the server's share; for KEM groups (X25519MLKEM768) it decapsulates the server's
 * ciphertext. Throws (or rejects with) TLSError(illegal_parameter) for an invalid peer share.
 */
export interface KeyShareSecret {
  readonly group: NamedGroup;
  readonly publicKey: Uint8Array;
  complete(peerShare: Uint8Array): MaybePromise<Uint8Array>;
}

/** The server's answer to a client's share: our share (ECDH public key or KEM ciphertext) and the secret. */
export interface KeyExchangeResponse {
  publicKey: Uint8Array;
  sharedSecret: Uint8Array;
}

export interface KeyExchangeAlgorithm {
  readonly group: NamedGroup;
  /** Client side: a fresh ephemeral key pair. */
  generate(): MaybePromise<KeyShareSecret>;
  /**
   * Server side: answers the client's share with our own share and the shared secret. Throws
   * (or rejects with) TLSError(illegal_parameter) for an invalid share.
   */
  respond(peerShare: Uint8Array): MaybePromise<KeyExchangeResponse>;
}

/** A key share whose completion is synchronous (the node:crypto and noble providers). */
export interface SyncKeyShareSecret extends KeyShareSecret {
  complete(peerShare: Uint8Array): Uint8Array;
}

/** A key exchange that answers at once (the node:crypto and noble providers). */
export interface SyncKeyExchangeAlgorithm extends KeyExchangeAlgorithm {
  generate(): SyncKeyShareSecret;
  respond(peerShare: Uint8Array): KeyExchangeResponse;
}

/** A private key able to produce CertificateVerify signatures. */
export interface SigningKey {
  /** The schemes this key can sign with, in the key's preference order. */
  readonly schemes: readonly SignatureScheme[];
  sign(scheme: SignatureScheme, message: Uint8Array): Promise<Uint8Array>;
}

export interface CryptoProvider {
  readonly name: string;

  /** Cryptographically secure random bytes. */
  random(length: number): Uint8Array;

  hash(name: HashName): HashContext;
  hmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfExtract(name: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  hkdfExpand(name: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  /** Cipher suites this provider implements, in its preference order. */
  readonly cipherSuites: readonly CipherSuite[];
  aead(name: AeadName, key: Uint8Array): AeadCipher;

  /** Named groups this provider implements, in its preference order. */
  readonly groups: readonly NamedGroup[];
  keyExchange(group: NamedGroup): KeyExchangeAlgorithm | undefined;

  /** Signature schemes this provider can verify. */
  readonly signatureSchemes: readonly SignatureScheme[];
  /**
   * Verifies `signature` over `message` with the public key in `spki` (DER
   * SubjectPublicKeyInfo). Resolves false for a bad signature or a key that does not fit the
   * scheme; never rejects for those.
   */
  verify(scheme: SignatureScheme, spki: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Loads a private key from DER PKCS#8 PrivateKeyInfo. Throws TLSError(INVALID_ARGUMENT) if unusable. */
  importSigningKey(pkcs8: Uint8Array): Promise<SigningKey>;
}

/** A provider whose key exchange is synchronous: what nobleProvider() and nodeProvider() return. */
export interface SyncCryptoProvider extends CryptoProvider {
  keyExchange(group: NamedGroup): SyncKeyExchangeAlgorithm | undefined;
}
