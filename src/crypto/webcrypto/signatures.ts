import type { SignatureScheme } from '../../registry.js';
import { acceptableEdwardsKey } from '../edwards-keys.js';
import { type PublicKeyInfo, curveFieldLength, ecdsaDerToCompact, parseSpki, publicKeyFitsScheme } from '../keys.js';
import { schemeAlgorithms } from '../signature-schemes.js';
import { type WebCryptoSubtle, webCryptoHash } from '../subtle.js';
import { VerifyKeyCache, rsaVerify } from '../webcrypto-rsa.js';
import type { SignatureExtra } from './extras.js';

/**
 * Signature verification on WebCrypto: ECDSA (P-256/384/521), Ed25519 (where the runtime has
 * it; noble's, loaded on demand, where it does not), RSA-PSS and RSASSA-PKCS1-v1_5; Ed448 only
 * through the ed448 extra. The key parsing, the policy and the strictness are the other
 * providers' (same parser, same checks before WebCrypto sees anything), so the same signatures
 * verify. Signing is in private-key-import.ts, loaded only when a private key is imported.
 */

/** The Ed25519 base point's encoding (RFC 8032 §5.1): a valid public key to probe support with. */
const ED25519_BASE_POINT = new Uint8Array(32).fill(0x66);
ED25519_BASE_POINT[0] = 0x58;

/** Whether this runtime's WebCrypto does Ed25519: asked once per process, then remembered. */
let ed25519Support: Promise<boolean> | undefined;

export function ed25519Supported(subtle: WebCryptoSubtle): Promise<boolean> {
  return (ed25519Support ??= subtle.importKey('raw', ED25519_BASE_POINT, { name: 'Ed25519' }, false, ['verify']).then(
    () => true,
    () => false,
  ));
}

let ed25519Fallback: Promise<typeof import('./ed25519-noble.js')> | undefined;

export function nobleEd25519(): Promise<typeof import('./ed25519-noble.js')> {
  return (ed25519Fallback ??= import('./ed25519-noble.js'));
}

/** Verification with WebCrypto, peer keys imported once and cached by their exact SPKI bytes. */
export class WebCryptoVerifier {
  readonly #keys: VerifyKeyCache;

  constructor(
    private readonly subtle: WebCryptoSubtle,
    private readonly ed448: SignatureExtra | undefined,
    cacheSize = 64,
  ) {
    this.#keys = new VerifyKeyCache(cacheSize);
  }

  async verify(scheme: SignatureScheme, spki: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const algorithm = schemeAlgorithms.get(scheme);
    if (algorithm === undefined) return false;
    let key: PublicKeyInfo;
    try {
      key = parseSpki(spki);
    } catch {
      return false;
    }
    if (!publicKeyFitsScheme(key, scheme)) return false;
    const subtle = this.subtle;
    try {
      switch (algorithm.kind) {
        case 'ecdsa': {
          if (key.type !== 'ec') return false;
          // Strict DER (one encoding per signature), as every provider reads it; WebCrypto then
          // takes fixed-width r || s and checks 1 <= r, s < n itself.
          const compact = ecdsaDerToCompact(signature, curveFieldLength[key.curve]);
          if (compact === undefined) return false;
          const imported = await this.#keys.getKey(subtle, `ECDSA/${key.curve}`, { name: 'ECDSA', namedCurve: key.curve }, spki);
          return await subtle.verify({ name: 'ECDSA', hash: webCryptoHash[algorithm.hash] }, imported, compact, message);
        }
        case 'ed25519': {
          if (key.type !== 'ed25519' || signature.length !== 64 || !acceptableEdwardsKey('ed25519', key.publicKey)) return false;
          if (!(await ed25519Supported(subtle))) return (await nobleEd25519()).ed25519Verify(key.publicKey, message, signature);
          const imported = await this.#keys.getKey(subtle, 'Ed25519', { name: 'Ed25519' }, spki);
          return await subtle.verify({ name: 'Ed25519' }, imported, signature, message);
        }
        case 'ed448':
          if (key.type !== 'ed448' || this.ed448 === undefined || !acceptableEdwardsKey('ed448', key.publicKey)) return false;
          return this.ed448.verify(key.publicKey, message, signature);
        case 'rsa-pss':
        case 'rsa-pkcs1':
          if (key.type !== 'rsa' && key.type !== 'rsa-pss') return false;
          return await rsaVerify(this.#keys, key, algorithm.kind === 'rsa-pss' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', algorithm.hash, message, signature);
      }
    } catch {
      // WebCrypto rejects for some malformed keys and signatures instead of answering false.
      return false;
    }
  }

  /** Imported peer keys currently cached (for tests). */
  get cachedKeys(): number {
    return this.#keys.size;
  }
}
