import { type CipherGCMTypes, type KeyObject, createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import { internalError } from '../../errors.js';
import type { AeadCipher, AeadName } from '../provider.js';
import { plain } from './bytes.js';

/** Every TLS 1.3 AEAD takes a 12-byte nonce and appends a 16-byte tag (RFC 8446 §5.3, RFC 5116). */
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

type NodeAeadName = CipherGCMTypes | 'chacha20-poly1305';

const algorithms: Record<AeadName, { keyLength: number; node: NodeAeadName }> = {
  'AES-128-GCM': { keyLength: 16, node: 'aes-128-gcm' },
  'AES-256-GCM': { keyLength: 32, node: 'aes-256-gcm' },
  'CHACHA20-POLY1305': { keyLength: 32, node: 'chacha20-poly1305' },
};

/**
 * One traffic key's AEAD on node:crypto. OpenSSL's EVP interface binds the nonce when a cipher
 * context is created and node:crypto has no way to re-key an existing Cipheriv, so each record
 * gets a new one. The key is held as a secret KeyObject: measured on Node 20, createCipheriv
 * from a KeyObject costs ~2.5 µs against ~5.5 µs from raw key bytes, which is a fifth of a
 * 16 KiB AES-GCM record.
 */
class NodeAead implements AeadCipher {
  readonly tagLength = TAG_LENGTH;
  readonly #algorithm: NodeAeadName;
  #key: KeyObject | undefined;

  constructor(name: AeadName, key: Uint8Array) {
    const spec = algorithms[name];
    if (spec === undefined) throw internalError(`unknown AEAD ${String(name)}`);
    if (key.length !== spec.keyLength) throw internalError(`${name} needs a ${spec.keyLength}-byte key, got ${key.length}`);
    this.#algorithm = spec.node;
    // createSecretKey copies the bytes, so the caller may wipe or reuse its buffer.
    this.#key = createSecretKey(key);
  }

  seal(nonce: Uint8Array, additionalData: Uint8Array, plaintext: Uint8Array): Uint8Array {
    // Not zero-filled: sealInto writes every byte (it checks the lengths).
    const out = plain(Buffer.allocUnsafeSlow(plaintext.length + TAG_LENGTH));
    this.sealInto(nonce, additionalData, plaintext, out, 0);
    return out;
  }

  /**
   * seal() writing ciphertext || tag into `out` at `offset`; `plaintext` may be the very bytes
   * being overwritten (OpenSSL's update has returned before we copy). Used by the record layer.
   */
  sealInto(nonce: Uint8Array, additionalData: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    const cipher = createCipheriv(this.#algorithm as CipherGCMTypes, this.key(nonce), nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(additionalData);
    const ciphertext = cipher.update(plaintext);
    // GCM and ChaCha20-Poly1305 are stream modes: update() returns exactly as many bytes as it
    // was given and final() has none left.
    if (ciphertext.length !== plaintext.length || cipher.final().length !== 0) throw internalError(`${this.#algorithm} changed the plaintext length`);
    out.set(ciphertext, offset);
    out.set(cipher.getAuthTag(), offset + ciphertext.length);
    return ciphertext.length + TAG_LENGTH;
  }

  open(nonce: Uint8Array, additionalData: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | undefined {
    const key = this.key(nonce);
    if (ciphertextAndTag.length < TAG_LENGTH) return undefined;
    const split = ciphertextAndTag.length - TAG_LENGTH;
    const decipher = createDecipheriv(this.#algorithm as CipherGCMTypes, key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(additionalData);
    decipher.setAuthTag(ciphertextAndTag.subarray(split));
    const plaintext = decipher.update(ciphertextAndTag.subarray(0, split));
    try {
      decipher.final();
    } catch {
      // final() throws exactly when the tag does not verify; the plaintext is then discarded.
      plaintext.fill(0);
      return undefined;
    }
    return plain(plaintext);
  }

  /** A KeyObject cannot be wiped from JavaScript; dropping it lets OpenSSL free (and clear) it. */
  dispose(): void {
    this.#key = undefined;
  }

  private key(nonce: Uint8Array): KeyObject {
    if (this.#key === undefined) throw internalError('AEAD used after dispose()');
    if (nonce.length !== NONCE_LENGTH) throw internalError(`AEAD nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`);
    return this.#key;
  }
}

export function nodeAead(name: AeadName, key: Uint8Array): AeadCipher {
  return new NodeAead(name, key);
}
