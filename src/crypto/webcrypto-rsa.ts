import { type PublicKeyInfo, rsaEncryptionSpki } from './keys.js';
import { type HashName, hashOutputLength } from './provider.js';
import { type WebCryptoKey, type WebCryptoSubtle, subtleCrypto, webCryptoHash } from './subtle.js';

/**
 * RSA through WebCrypto (globalThis.crypto.subtle), so the portable providers need no bignum
 * code of their own: Node, Deno, Bun and browsers all ship RSA-PSS and RSASSA-PKCS1-v1_5 there.
 */
type CryptoKey = WebCryptoKey;
type SubtleCrypto = WebCryptoSubtle;
type RsaAlgorithm = 'RSA-PSS' | 'RSASSA-PKCS1-v1_5';

export { subtleCrypto } from './subtle.js';

/**
 * Imported verification keys, keyed by algorithm, its parameters and the exact SPKI bytes.
 * Importing a key costs on the order of 100 µs and a client sees the same few server keys over
 * and over (every resumption-less reconnect, every chain), so a small LRU pays for itself.
 * Bounded, because the bytes come from peers. Used for RSA here and for every WebCrypto
 * verification by the webcrypto provider.
 */
export class VerifyKeyCache {
  readonly #entries = new Map<string, Promise<CryptoKey>>();

  constructor(private readonly capacity = 64) {}

  /** `id` names the algorithm and its parameters (the key's bytes are added to it here). */
  getKey(subtle: SubtleCrypto, id: string, algorithm: { name: string; [param: string]: string }, spki: Uint8Array): Promise<CryptoKey> {
    return this.lookup(`${id}/${latin1(spki)}`, () => subtle.importKey('spki', spki, algorithm, false, ['verify']));
  }

  get(subtle: SubtleCrypto, algorithm: RsaAlgorithm, hash: HashName, spki: Uint8Array): Promise<CryptoKey> {
    return this.getKey(subtle, `${algorithm}/${hash}`, { name: algorithm, hash: webCryptoHash[hash] }, spki);
  }

  private lookup(id: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      // Map iteration order is insertion order: re-inserting marks the entry most recent.
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return hit;
    }
    const imported = load();
    this.#entries.set(id, imported);
    // A key WebCrypto refuses is not worth remembering; let the next attempt fail afresh.
    imported.catch(() => this.#entries.delete(id));
    while (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return imported;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Verifies an RSA signature; resolves false for anything wrong (bad signature, key WebCrypto
 * refuses, no WebCrypto at all) and never rejects.
 */
export async function rsaVerify(
  cache: VerifyKeyCache,
  key: Extract<PublicKeyInfo, { type: 'rsa' | 'rsa-pss' }>,
  algorithm: RsaAlgorithm,
  hash: HashName,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const subtle = subtleCrypto();
  if (subtle === undefined) return false;
  // The signature is an integer below the modulus written in exactly k octets (RFC 8017 §8.1.2 step 1).
  if (signature.length !== Math.ceil(key.modulusBits / 8)) return false;
  try {
    // Node's WebCrypto refuses SPKI with the id-RSASSA-PSS OID ("Invalid key type"). The
    // RSAPublicKey inside is the same, and the PSS restrictions were already enforced by
    // publicKeyFitsScheme, so importing it under rsaEncryption verifies the same signatures.
    const imported = await cache.get(subtle, algorithm, hash, rsaEncryptionSpki(key.rsaPublicKey));
    const params = algorithm === 'RSA-PSS' ? { name: algorithm, saltLength: hashOutputLength[hash] } : { name: algorithm };
    return await subtle.verify(params, imported, signature, message);
  } catch {
    return false;
  }
}

/** One char per byte: a compact Map key for exactly these bytes. */
function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}
