import { TLSError, internalError } from '../errors.js';
import { type SignatureScheme, signatureSchemeName } from '../registry.js';
import { schemesForKey } from './keys.js';
import { MIN_RSA_SIGNING_BITS, type PrivateKeyInfo, unusableSigningKey } from './private-keys.js';
import { type HashName, hashOutputLength } from './provider.js';
import { schemeAlgorithms } from './signature-schemes.js';
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
class RsaPssSigner {
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

/**
 * An RSA or RSASSA-PSS private key as a CertificateVerify signer for the portable providers:
 * the TLS 1.3 schemes its parameters allow (RSA-PSS only, RFC 8446 §4.2.3) and how to sign
 * with each. Refuses keys too short or too constrained to sign anything.
 */
export async function rsaSigning(
  key: Extract<PrivateKeyInfo, { type: 'rsa' | 'rsa-pss' }>,
): Promise<{ schemes: SignatureScheme[]; sign: (scheme: SignatureScheme, message: Uint8Array) => Promise<Uint8Array> }> {
  if (key.modulusBits < MIN_RSA_SIGNING_BITS) throw unusableSigningKey(`RSA modulus of ${key.modulusBits} bits is below ${MIN_RSA_SIGNING_BITS}`);
  const schemes = schemesForKey(key);
  if (schemes.length === 0) {
    throw unusableSigningKey(
      'the RSASSA-PSS key parameters allow no TLS 1.3 scheme (hash must be SHA-256/384/512 with MGF1 over the same hash and salt length at most the hash length)',
    );
  }
  const firstHash = (schemeAlgorithms.get(schemes[0]!) as { hash: HashName }).hash;
  const signer = await RsaPssSigner.load(key, firstHash);
  const sign = (scheme: SignatureScheme, message: Uint8Array): Promise<Uint8Array> => {
    const algorithm = schemeAlgorithms.get(scheme);
    if (algorithm?.kind !== 'rsa-pss') throw internalError(`${signatureSchemeName(scheme)} is not RSA-PSS`);
    return signer.sign(algorithm.hash, message);
  };
  return { schemes, sign };
}

function requireSubtle(): SubtleCrypto {
  const subtle = subtleCrypto();
  if (subtle === undefined) throw new TLSError('INVALID_ARGUMENT', 'RSA keys need WebCrypto (globalThis.crypto.subtle), which this runtime lacks');
  return subtle;
}
