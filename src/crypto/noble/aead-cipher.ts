import { internalError } from '../../errors.js';
import type { AeadCipher, AeadName } from '../provider.js';

/**
 * The AEAD record cipher on noble's constructions, without choosing any: the modules that name
 * an AEAD (aead.ts for the noble provider, the webcrypto provider's AES-GCM and its
 * ChaCha20-Poly1305 extra) import only the noble cipher they use, so bundles carry no other.
 */

/** Every TLS 1.3 AEAD takes a 12-byte nonce and appends a 16-byte tag (RFC 8446 §5.3, RFC 5116). */
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

export type NobleAeadConstructor = (
  key: Uint8Array,
  nonce: Uint8Array,
  additionalData?: Uint8Array,
) => {
  /** `output` (exactly plaintext + tag long) is honoured by the ciphers that take one. */
  encrypt(plaintext: Uint8Array, output?: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array): Uint8Array;
};

/** One AEAD as noble builds it. `encryptsInto`: noble's ARX ciphers encrypt into a caller's buffer (in place); its GCM does not. */
export interface NobleAeadSpec {
  readonly keyLength: number;
  readonly construct: NobleAeadConstructor;
  readonly encryptsInto: boolean;
}

/**
 * One traffic key's AEAD. noble binds key, nonce and AAD together when it builds a cipher, so
 * each record builds one (a few closures) from the key copy held here; there is no public
 * noble API that keeps an expanded AES key or GHASH table across nonces. Measured on Node 20
 * that per-record set-up is ~10 µs for AES-GCM (key expansion + GHASH table), small next to
 * the ~500 µs a 16 KiB record costs, and ChaCha20-Poly1305 has no per-key state to keep.
 */
export class NobleAead implements AeadCipher {
  readonly tagLength = TAG_LENGTH;
  readonly #key: Uint8Array;
  readonly #construct: NobleAeadConstructor;
  readonly #encryptsInto: boolean;
  #disposed = false;

  constructor(name: AeadName, spec: NobleAeadSpec, key: Uint8Array) {
    if (key.length !== spec.keyLength) throw internalError(`${name} needs a ${spec.keyLength}-byte key, got ${key.length}`);
    // A private copy: the caller may wipe or reuse its buffer, and dispose() wipes this one.
    this.#key = key.slice();
    this.#construct = spec.construct;
    this.#encryptsInto = spec.encryptsInto;
  }

  seal(nonce: Uint8Array, additionalData: Uint8Array, plaintext: Uint8Array): Uint8Array {
    this.check(nonce);
    return this.#construct(this.#key, nonce, additionalData).encrypt(plaintext);
  }

  sealInto(nonce: Uint8Array, additionalData: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    this.check(nonce);
    const destination = out.subarray(offset, offset + plaintext.length + TAG_LENGTH);
    if (destination.length !== plaintext.length + TAG_LENGTH) throw internalError('AEAD output buffer too small');
    const cipher = this.#construct(this.#key, nonce, additionalData);
    // noble's ARX code runs on 32-bit words only where the output is 4-byte aligned; a record's
    // body starts 5 bytes in, and there sealing into a fresh (aligned) array and copying it
    // over is faster than sealing in place (measured ~115 against ~131 µs per 16 KiB).
    if (this.#encryptsInto && destination.byteOffset % 4 === 0) cipher.encrypt(plaintext, destination);
    else destination.set(cipher.encrypt(plaintext));
    return destination.length;
  }

  open(nonce: Uint8Array, additionalData: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | undefined {
    this.check(nonce);
    if (ciphertextAndTag.length < TAG_LENGTH) return undefined;
    try {
      return this.#construct(this.#key, nonce, additionalData).decrypt(ciphertextAndTag);
    } catch {
      // noble throws on a tag mismatch; the inputs were checked above, so that is all it can be.
      return undefined;
    }
  }

  dispose(): void {
    this.#key.fill(0);
    this.#disposed = true;
  }

  private check(nonce: Uint8Array): void {
    if (this.#disposed) throw internalError('AEAD used after dispose()');
    if (nonce.length !== NONCE_LENGTH) throw internalError(`AEAD nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`);
  }
}
