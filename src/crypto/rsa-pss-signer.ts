import { TLSError } from '../errors.js';
import type { PrivateKeyInfo } from './private-keys.js';
import { type HashName, hashOutputLength } from './provider.js';
import { type WebCryptoKey, type WebCryptoSubtle, subtleCrypto, webCryptoHash } from './subtle.js';

/**
 * RSA-PSS signing through WebCrypto for the portable providers (verification is in
 * webcrypto-rsa.ts). Apart because only signers load it.
 */
type CryptoKey = WebCryptoKey;
type SubtleCrypto = WebCryptoSubtle;

/**
 * Signs with RSA-PSS, salt length = hash length (RFC 8446 §4.2.3). One CryptoKey per hash,
 * imported on first use, because WebCrypto binds the hash at import time.
 */
export class RsaPssSigner {
  readonly #keys = new Map<HashName, Promise<CryptoKey>>();

  constructor(private readonly key: Extract<PrivateKeyInfo, { type: 'rsa' | 'rsa-pss' }>) {}

  /** Imports once up front so an unusable key fails at load time, not mid-handshake. */
  static async load(key: Extract<PrivateKeyInfo, { type: 'rsa' | 'rsa-pss' }>, firstHash: HashName): Promise<RsaPssSigner> {
    const signer = new RsaPssSigner(key);
    await signer.cryptoKey(firstHash);
    return signer;
  }

  async sign(hash: HashName, message: Uint8Array): Promise<Uint8Array> {
    const subtle = requireSubtle();
    const cryptoKey = await this.cryptoKey(hash);
    const signature = await subtle.sign({ name: 'RSA-PSS', saltLength: hashOutputLength[hash] }, cryptoKey, message);
    return new Uint8Array(signature);
  }

  private cryptoKey(hash: HashName): Promise<CryptoKey> {
    let pending = this.#keys.get(hash);
    if (pending === undefined) {
      // Same reason as in rsaVerify (webcrypto-rsa.ts): Node refuses id-RSASSA-PSS PKCS#8, so it is re-wrapped as
      // rsaEncryption; which hashes the key may use was decided from its parameters already.
      pending = requireSubtle()
        .importKey('pkcs8', this.key.rsaEncryptionPkcs8, { name: 'RSA-PSS', hash: webCryptoHash[hash] }, false, ['sign'])
        .catch((cause: unknown) => {
          this.#keys.delete(hash);
          throw new TLSError('INVALID_ARGUMENT', 'WebCrypto refused the RSA private key', { cause });
        });
      this.#keys.set(hash, pending);
    }
    return pending;
  }
}

function requireSubtle(): SubtleCrypto {
  const subtle = subtleCrypto();
  if (subtle === undefined) throw new TLSError('INVALID_ARGUMENT', 'RSA keys need WebCrypto (globalThis.crypto.subtle), which this runtime lacks');
  return subtle;
}
