import { TLSError, internalError } from '../../errors.js';
import { NamedGroup, type SignatureScheme, signatureSchemeName } from '../../registry.js';
import { utf8, zeroize } from '../../wire/bytes.js';
import { DerTag, encodeElement, encodeOid } from '../der.js';
import { isValidNistPrivateKey } from '../key-exchange.js';
import { type PrivateKeyInfo, ecdsaCompactToDer, parsePkcs8, unusableSigningKey } from '../private-keys.js';
import { schemesForKey } from '../keys.js';
import type { SigningKey } from '../provider.js';
import { rsaSigning } from '../rsa-pss-signer.js';
import type { EcCurve } from '../signature-schemes.js';
import type { WebCryptoKey, WebCryptoSubtle } from '../subtle.js';
import type { EcdhSpec, EphemeralKey } from './ecdh-spec.js';
import { fromBase64url } from './jwk.js';
import type { SignatureExtra } from './extras.js';
import { ed25519Supported, nobleEd25519 } from './signatures.js';

/**
 * Private keys into WebCrypto from their bytes, imported non-extractable: signing keys (ECDSA,
 * Ed25519 (noble's where the runtime lacks it), RSA-PSS, Ed448 through its extra) and, for the
 * test hooks only, ephemeral key-exchange scalars. Only servers and clients with a certificate
 * sign, and only tests inject ephemeral keys, so webcryptoProvider() loads this module with a
 * dynamic import on first use and a plain client's bundle does not carry it. Signing keys are
 * refused with exactly the other providers' checks and messages (same PKCS#8 parser, same policy).
 */
const ecGroup: Record<EcCurve, NamedGroup> = { 'P-256': NamedGroup.secp256r1, 'P-384': NamedGroup.secp384r1, 'P-521': NamedGroup.secp521r1 };
/** id-ecPublicKey, the named-curve OIDs (RFC 5480 §2.1.1.1) and id-X25519 (RFC 8410 §3). */
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const curveOid: Record<EcCurve, string> = { 'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34', 'P-521': '1.3.132.0.35' };
const X25519_OID = '1.3.101.110';
const ecHash: Record<EcCurve, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };
const ED25519_PKCS8_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

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
      const { schemes, sign } = await rsaSigning(key);
      return new WebCryptoSigningKey(schemes, sign);
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
  const pkcs8 = ecPkcs8(curve, key.privateKey);
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

/**
 * PKCS#8 of a NIST-curve scalar, written canonically (the curve in the AlgorithmIdentifier, an
 * RFC 5915 ECPrivateKey without the optional public key inside), the one layout every WebCrypto
 * takes.
 */
function ecPkcs8(curve: EcCurve, scalar: Uint8Array): Uint8Array {
  return encodeElement(
    DerTag.SEQUENCE,
    encodeElement(DerTag.INTEGER, new Uint8Array(1)),
    encodeElement(DerTag.SEQUENCE, encodeOid(EC_PUBLIC_KEY), encodeOid(curveOid[curve])),
    encodeElement(DerTag.OCTET_STRING, encodeElement(DerTag.SEQUENCE, encodeElement(DerTag.INTEGER, new Uint8Array([1])), encodeElement(DerTag.OCTET_STRING, scalar))),
  );
}

/**
 * An ephemeral key from its scalar (test hooks only: injected randomness or RFC 8448's fixed
 * keys). WebCrypto computes the public key only on import, so the scalar goes in once as an
 * extractable PKCS#8 to read our share back as JWK, and again, non-extractable, as the key that
 * derives secrets.
 */
export async function importEphemeralScalar(subtle: WebCryptoSubtle, spec: EcdhSpec, scalar: Uint8Array): Promise<EphemeralKey> {
  const pkcs8 =
    spec.algorithm.name === 'ECDH'
      ? ecPkcs8(spec.algorithm.namedCurve, scalar)
      : encodeElement(
          DerTag.SEQUENCE,
          encodeElement(DerTag.INTEGER, new Uint8Array(1)),
          encodeElement(DerTag.SEQUENCE, encodeOid(X25519_OID)),
          // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING inside the PKCS#8 OCTET STRING.
          encodeElement(DerTag.OCTET_STRING, encodeElement(DerTag.OCTET_STRING, scalar)),
        );
  try {
    const readable = await subtle.importKey('pkcs8', pkcs8, spec.algorithm, true, ['deriveBits']);
    const jwk = await subtle.exportKey('jwk', readable);
    const privateKey = await subtle.importKey('jwk', jwk, spec.algorithm, false, ['deriveBits']);
    const x = fromBase64url(jwk.x!);
    const publicKey = spec.nist ? new Uint8Array([0x04, ...x, ...fromBase64url(jwk.y!)]) : x;
    return { privateKey, publicKey };
  } finally {
    zeroize(pkcs8);
  }
}
