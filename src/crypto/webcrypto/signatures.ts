import { TLSError, internalError } from '../../errors.js';
import { type SignatureScheme, signatureSchemeName } from '../../messages/registry.js';
import { utf8 } from '../../wire/bytes.js';
import { DerTag, encodeElement, encodeOid } from '../der.js';
import { acceptableEdwardsKey } from '../edwards-keys.js';
import { isValidNistPrivateKey } from '../key-exchange.js';
import {
  MIN_RSA_SIGNING_BITS,
  type PrivateKeyInfo,
  type PublicKeyInfo,
  curveFieldLength,
  ecdsaCompactToDer,
  ecdsaDerToCompact,
  parsePkcs8,
  parseSpki,
  publicKeyFitsScheme,
  schemesForKey,
  unusableSigningKey,
} from '../keys.js';
import type { SigningKey } from '../provider.js';
import { type EcCurve, schemeAlgorithms } from '../signature-schemes.js';
import { type WebCryptoKey, type WebCryptoSubtle, webCryptoHash } from '../subtle.js';
import { RsaPssSigner, VerifyKeyCache, rsaVerify } from '../webcrypto-rsa.js';
import type { SignatureExtra } from './extras.js';
import { NamedGroup } from '../../messages/registry.js';

/**
 * Signatures on WebCrypto: ECDSA (P-256/384/521), Ed25519 (where the runtime has it; noble's,
 * loaded on demand, where it does not), RSA-PSS and RSASSA-PKCS1-v1_5; Ed448 only through the
 * ed448 extra. The key parsing, the policy and the strictness are the other providers' (same
 * parser, same checks before WebCrypto sees anything), so the same signatures verify and the
 * same keys are refused with the same errors.
 */

const ecGroup: Record<EcCurve, NamedGroup> = { 'P-256': NamedGroup.secp256r1, 'P-384': NamedGroup.secp384r1, 'P-521': NamedGroup.secp521r1 };
const curveOid: Record<EcCurve, string> = { 'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34', 'P-521': '1.3.132.0.35' };
const ecHash: Record<EcCurve, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };
const ED25519_PKCS8_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
/** The Ed25519 base point's encoding (RFC 8032 §5.1): a valid public key to probe support with. */
const ED25519_BASE_POINT = new Uint8Array(32).fill(0x66);
ED25519_BASE_POINT[0] = 0x58;

/** Whether this runtime's WebCrypto does Ed25519: asked once per process, then remembered. */
let ed25519Support: Promise<boolean> | undefined;

function ed25519Supported(subtle: WebCryptoSubtle): Promise<boolean> {
  return (ed25519Support ??= subtle.importKey('raw', ED25519_BASE_POINT, { name: 'Ed25519' }, false, ['verify']).then(
    () => true,
    () => false,
  ));
}

let ed25519Fallback: Promise<typeof import('./ed25519-noble.js')> | undefined;

function nobleEd25519(): Promise<typeof import('./ed25519-noble.js')> {
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

/** A loaded private key; sign() refuses schemes outside `schemes`. */
class WebCryptoSigningKey implements SigningKey {
  constructor(
    readonly schemes: readonly SignatureScheme[],
    private readonly signWith: (scheme: SignatureScheme, message: Uint8Array) => Promise<Uint8Array> | Uint8Array,
  ) {}

  async sign(scheme: SignatureScheme, message: Uint8Array): Promise<Uint8Array> {
    if (!this.schemes.includes(scheme)) {
      // The server must only pick schemes from `schemes`; anything else is our bug.
      throw internalError(`this key cannot sign with ${signatureSchemeName(scheme)}`);
    }
    return this.signWith(scheme, message);
  }
}

async function importPrivate(subtle: WebCryptoSubtle, pkcs8: Uint8Array, algorithm: { name: string; namedCurve?: string }): Promise<WebCryptoKey> {
  try {
    // Non-extractable: once imported, the key's bytes are WebCrypto's alone.
    return await subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  } catch (cause) {
    throw new TLSError('INVALID_ARGUMENT', 'WebCrypto refused the private key', { cause });
  }
}

/**
 * Loads a DER PKCS#8 private key, with exactly the checks of the other providers (same parser,
 * same policy), so a key one refuses the others refuse too, with the same message.
 */
export async function importWebCryptoSigningKey(subtle: WebCryptoSubtle, pkcs8: Uint8Array, ed448: SignatureExtra | undefined): Promise<SigningKey> {
  const key: PrivateKeyInfo = parsePkcs8(pkcs8);
  switch (key.type) {
    case 'ec':
      return importEcdsaKey(subtle, key);
    case 'ed25519': {
      const seed = key.seed;
      if (!(await ed25519Supported(subtle))) {
        const noble = await nobleEd25519();
        return new WebCryptoSigningKey(schemesForKey(key), (_scheme, message) => noble.ed25519Sign(seed, message));
      }
      const privateKey = await importPrivate(subtle, new Uint8Array([...ED25519_PKCS8_PREFIX, ...seed]), { name: 'Ed25519' });
      seed.fill(0);
      return new WebCryptoSigningKey(schemesForKey(key), async (_scheme, message) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, privateKey, message)));
    }
    case 'ed448': {
      if (ed448 === undefined) throw unusableSigningKey('Ed448 keys need the ed448 extra (webcryptoProvider({ extras: [ed448] }))');
      const seed = key.seed;
      return new WebCryptoSigningKey(schemesForKey(key), (_scheme, message) => ed448.sign(seed, message));
    }
    case 'rsa':
    case 'rsa-pss': {
      if (key.modulusBits < MIN_RSA_SIGNING_BITS) throw unusableSigningKey(`RSA modulus of ${key.modulusBits} bits is below ${MIN_RSA_SIGNING_BITS}`);
      const schemes = schemesForKey(key);
      if (schemes.length === 0) {
        throw unusableSigningKey('the RSASSA-PSS key parameters allow no TLS 1.3 scheme (hash must be SHA-256/384/512 with MGF1 over the same hash and salt length at most the hash length)');
      }
      const firstHash = (schemeAlgorithms.get(schemes[0]!) as { hash: 'sha256' | 'sha384' | 'sha512' }).hash;
      const signer = await RsaPssSigner.load(key, firstHash);
      return new WebCryptoSigningKey(schemes, (scheme, message) => {
        const algorithm = schemeAlgorithms.get(scheme);
        if (algorithm?.kind !== 'rsa-pss') throw internalError(`${signatureSchemeName(scheme)} is not RSA-PSS`);
        return signer.sign(algorithm.hash, message);
      });
    }
  }
}

/** What a key pair signs to prove the two halves belong together. */
const PAIRWISE_MESSAGE = utf8('wiretls pairwise consistency check');

async function importEcdsaKey(subtle: WebCryptoSubtle, key: Extract<PrivateKeyInfo, { type: 'ec' }>): Promise<SigningKey> {
  const { curve } = key;
  if (!isValidNistPrivateKey(ecGroup[curve], key.privateKey)) throw unusableSigningKey(`the ${curve} private scalar is out of range`);
  // Re-encoded canonically (the curve in the AlgorithmIdentifier, RFC 5915 ECPrivateKey inside,
  // no public key) whatever the input's layout: WebCrypto implementations differ in what else
  // they take, and in whether they check an included public key (the check below is ours).
  const pkcs8 = encodeElement(
    DerTag.SEQUENCE,
    encodeElement(DerTag.INTEGER, new Uint8Array(1)),
    encodeElement(DerTag.SEQUENCE, encodeOid('1.2.840.10045.2.1'), encodeOid(curveOid[curve])),
    encodeElement(
      DerTag.OCTET_STRING,
      encodeElement(
        DerTag.SEQUENCE,
        encodeElement(DerTag.INTEGER, new Uint8Array([1])),
        encodeElement(DerTag.OCTET_STRING, key.privateKey),
      ),
    ),
  );
  const algorithm = { name: 'ECDSA', namedCurve: curve };
  const privateKey = await importPrivate(subtle, pkcs8, algorithm);
  pkcs8.fill(0);
  key.privateKey.fill(0);
  const params = { name: 'ECDSA', hash: ecHash[curve] };
  const signCompact = async (message: Uint8Array): Promise<Uint8Array> => new Uint8Array(await subtle.sign(params, privateKey, message));
  if (key.publicKey !== undefined) {
    // A pair spliced from two keys is caught by what matters: a signature by the private half
    // must verify under the public one.
    let matches: boolean;
    try {
      const publicKey = await subtle.importKey('raw', key.publicKey, algorithm, true, ['verify']);
      matches = await subtle.verify(params, publicKey, await signCompact(PAIRWISE_MESSAGE), PAIRWISE_MESSAGE);
    } catch {
      matches = false;
    }
    if (!matches) throw unusableSigningKey(`the ${curve} public key does not match the private key`);
  }
  // DER output as TLS wants it (RFC 8446 §4.2.3); WebCrypto draws a random nonce per signature.
  return new WebCryptoSigningKey(schemesForKey(key), async (_scheme, message) => ecdsaCompactToDer(await signCompact(message)));
}
