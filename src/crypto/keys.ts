import { TLSError } from '../errors.js';
import { SignatureScheme } from '../registry.js';
import {
  DerTag,
  type DerNode,
  bitLength,
  bitStringBytesOf,
  childrenOf,
  contentOf,
  decodeOid,
  derError,
  encodeElement,
  encodeOid,
  expectTag,
  keyDer,
  readRoot,
  unsignedIntegerOf,
} from './der.js';
import { readRsaPssParams } from './pss-params.js';
import { type HashName, hashOutputLength } from './provider.js';
import { type EcCurve, ecdsaSchemeForCurve, rsaPssScheme, schemeAlgorithms } from './signature-schemes.js';

/**
 * Public-key formats the providers read (RFC 5280 SubjectPublicKeyInfo), decoded into what a
 * verifier needs, the schemes a key fits, and the AlgorithmIdentifier readers private-keys.ts
 * shares. Shared by every provider: nothing here does arithmetic. Private keys (PKCS#8) are in
 * private-keys.ts, which only signers load, so a verifying client does not carry them.
 */

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const curveByOid: Record<string, EcCurve> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};

const hashByOid: Record<string, HashName> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };

/** Field size in bytes: scalar length, and half the uncompressed point body. */
export const curveFieldLength: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

export const allHashes: readonly HashName[] = ['sha256', 'sha384', 'sha512'];

export type PublicKeyInfo =
  | { readonly type: 'ec'; readonly curve: EcCurve /** SEC1 point as in the BIT STRING */; readonly point: Uint8Array }
  | { readonly type: 'ed25519' | 'ed448'; readonly publicKey: Uint8Array }
  | {
      readonly type: 'rsa' | 'rsa-pss';
      readonly modulusBits: number;
      /** The DER RSAPublicKey inside the BIT STRING (same for both OIDs). */
      readonly rsaPublicKey: Uint8Array;
      /** Hashes this key may be used with for PSS; RSASSA-PSS-params can restrict them (RFC 4055 §3.1). */
      readonly pssHashes: readonly HashName[];
    };

/* ----------------------------------------------------------------------------------------- */
/* SubjectPublicKeyInfo                                                                      */
/* ----------------------------------------------------------------------------------------- */

/**
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }.
 * Throws TLSError(INVALID_ARGUMENT) for malformed or unsupported keys.
 */
export function parseSpki(spki: Uint8Array): PublicKeyInfo {
  const root = readRoot(spki, DerTag.SEQUENCE);
  const fields = childrenOf(spki, root);
  if (fields.length !== 2) throw derError('SubjectPublicKeyInfo must have two fields');
  const algorithm = readAlgorithmIdentifier(spki, fields[0]!);
  const key = bitStringBytesOf(spki, fields[1]!);
  switch (algorithm.oid) {
    case OID.ecPublicKey: {
      const curve = namedCurve(spki, algorithm.params);
      const n = curveFieldLength[curve];
      // RFC 5480 §2.2: uncompressed (04) must be supported, compressed (02/03) may be.
      const ok = (key.length === 1 + 2 * n && key[0] === 0x04) || (key.length === 1 + n && (key[0] === 0x02 || key[0] === 0x03));
      if (!ok) throw unsupported(`an ${curve} public key must be a SEC1 point`);
      return { type: 'ec', curve, point: key };
    }
    case OID.ed25519:
    case OID.ed448: {
      // RFC 8410 §3: the parameters MUST be absent.
      if (algorithm.params !== undefined) throw derError('EdDSA AlgorithmIdentifier must have no parameters');
      const type = algorithm.oid === OID.ed25519 ? 'ed25519' : 'ed448';
      if (key.length !== (type === 'ed25519' ? 32 : 57)) throw unsupported(`${type} public key has the wrong length`);
      return { type, publicKey: key };
    }
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const rsa = algorithm.oid === OID.rsaEncryption;
      if (rsa) expectNullOrAbsent(spki, algorithm.params);
      const pssHashes = rsa ? allHashes : pssParamHashes(spki, algorithm.params);
      return { type: rsa ? 'rsa' : 'rsa-pss', modulusBits: rsaPublicKeyModulusBits(key), rsaPublicKey: key, pssHashes };
    }
    default:
      throw unsupported(`public key algorithm ${algorithm.oid} is not supported`);
  }
}

/** The same RSA key as an rsaEncryption SubjectPublicKeyInfo. */
export function rsaEncryptionSpki(rsaPublicKey: Uint8Array): Uint8Array {
  return encodeElement(DerTag.SEQUENCE, rsaEncryptionAlgorithmIdentifier(), encodeElement(DerTag.BIT_STRING, new Uint8Array(1), rsaPublicKey));
}

/* ----------------------------------------------------------------------------------------- */
/* Schemes a key fits                                                                        */
/* ----------------------------------------------------------------------------------------- */

/**
 * RSASSA-PSS needs emLen >= hLen + sLen + 2 (RFC 8017 §9.1.1); TLS 1.3 uses sLen = hLen, so a
 * small modulus cannot carry a large hash (e.g. SHA-512 needs more than 1040 bits).
 */
export function rsaModulusFitsPss(modulusBits: number, hash: HashName): boolean {
  const emLen = Math.ceil((modulusBits - 1) / 8);
  return emLen >= 2 * hashOutputLength[hash] + 2;
}

/**
 * The TLS 1.3 CertificateVerify schemes a key can produce or verify, in the key's preference
 * order. rsa_pkcs1_* are never listed: RFC 8446 §4.2.3 allows them only in certificates.
 */
export function schemesForKey(key: { type: PublicKeyInfo['type']; curve?: EcCurve; modulusBits?: number; pssHashes?: readonly HashName[] }): SignatureScheme[] {
  switch (key.type) {
    case 'ec':
      return [ecdsaSchemeForCurve[key.curve!]];
    case 'ed25519':
      return [SignatureScheme.ed25519];
    case 'ed448':
      return [SignatureScheme.ed448];
    case 'rsa':
    case 'rsa-pss':
      return key.pssHashes!.filter((h) => rsaModulusFitsPss(key.modulusBits!, h)).map((h) => rsaPssScheme(key.type as 'rsa' | 'rsa-pss', h));
  }
}

/** Whether a verified signature under `scheme` may come from this key (RFC 8446 §4.2.3). */
export function publicKeyFitsScheme(key: PublicKeyInfo, scheme: number): boolean {
  const algorithm = schemeAlgorithms.get(scheme);
  if (algorithm === undefined) return false;
  switch (algorithm.kind) {
    case 'ecdsa':
      return key.type === 'ec' && key.curve === algorithm.curve;
    case 'ed25519':
    case 'ed448':
      return key.type === algorithm.kind;
    case 'rsa-pss':
      return key.type === algorithm.keyType && key.pssHashes.includes(algorithm.hash) && rsaModulusFitsPss(key.modulusBits, algorithm.hash);
    case 'rsa-pkcs1':
      return key.type === 'rsa';
  }
}

/* ----------------------------------------------------------------------------------------- */
/* Signature encodings, the same for every provider                                          */
/* ----------------------------------------------------------------------------------------- */

/**
 * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), which is what TLS
 * carries (RFC 8446 §4.2.3), turned into fixed-width r || s. Parsed strictly: BER leniency
 * (long-form lengths, padded integers, trailing bytes) would make one signature have many
 * encodings. High-S values are accepted: TLS has no low-S rule and OpenSSL emits both.
 */
export function ecdsaDerToCompact(signature: Uint8Array, scalarLength: number): Uint8Array | undefined {
  try {
    const root = readRoot(signature, DerTag.SEQUENCE);
    const parts = childrenOf(signature, root);
    if (parts.length !== 2) return undefined;
    const r = unsignedIntegerOf(signature, parts[0]!);
    const s = unsignedIntegerOf(signature, parts[1]!);
    if (r.length > scalarLength || s.length > scalarLength) return undefined;
    const compact = new Uint8Array(2 * scalarLength);
    compact.set(r, scalarLength - r.length);
    compact.set(s, 2 * scalarLength - s.length);
    return compact;
  } catch {
    return undefined;
  }
}

/* ----------------------------------------------------------------------------------------- */
/* helpers                                                                                   */
/* ----------------------------------------------------------------------------------------- */

export function unsupported(detail: string): TLSError {
  return new TLSError('INVALID_ARGUMENT', `unusable key: ${detail}`);
}

export interface AlgorithmIdentifier {
  readonly oid: string;
  readonly params: DerNode | undefined;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
export function readAlgorithmIdentifier(der: Uint8Array, node: DerNode): AlgorithmIdentifier {
  expectTag(node, DerTag.SEQUENCE);
  const parts = childrenOf(der, node);
  if (parts.length < 1 || parts.length > 2) throw derError('AlgorithmIdentifier must have one or two fields');
  expectTag(parts[0]!, DerTag.OID);
  return { oid: decodeOid(contentOf(der, parts[0]!)), params: parts[1] };
}

export function expectNullOrAbsent(der: Uint8Array, params: DerNode | undefined): void {
  if (params === undefined) return;
  if (params.tag !== DerTag.NULL || contentOf(der, params).length !== 0) throw derError('rsaEncryption parameters must be NULL');
}

/** RFC 5480 §2.1.1: only namedCurve; implicit and explicit curves are not supported. */
export function namedCurve(der: Uint8Array, params: DerNode | undefined): EcCurve {
  if (params === undefined || params.tag !== DerTag.OID) throw unsupported('EC keys must use a named curve');
  const oid = decodeOid(contentOf(der, params));
  const curve = curveByOid[oid];
  if (curve === undefined) throw unsupported(`EC curve ${oid} is not supported`);
  return curve;
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
function rsaPublicKeyModulusBits(rsaPublicKey: Uint8Array): number {
  const root = readRoot(rsaPublicKey, DerTag.SEQUENCE);
  const parts = childrenOf(rsaPublicKey, root);
  if (parts.length !== 2) throw derError('RSAPublicKey must have two fields');
  const modulus = unsignedIntegerOf(rsaPublicKey, parts[0]!);
  unsignedIntegerOf(rsaPublicKey, parts[1]!);
  return bitLength(modulus);
}

/**
 * RSASSA-PSS-params in an id-RSASSA-PSS key restrict how the key may sign (RFC 4055 §3.1). TLS
 * 1.3 signs with MGF1 over the same hash and a salt as long as the hash (RFC 8446 §4.2.3), so a
 * restricted key fits exactly one hash, and only if its minimum salt length is not longer. No
 * parameters: any hash.
 */
export function pssParamHashes(der: Uint8Array, params: DerNode | undefined): readonly HashName[] {
  if (params === undefined) return allHashes;
  const p = readRsaPssParams(keyDer, der, params);
  const hash = hashByOid[p.hashOid];
  if (hash === undefined || p.mgfOid !== OID.mgf1 || p.mgfHashOid !== p.hashOid || p.trailerField !== 1 || p.saltLength > hashOutputLength[hash]) return [];
  return [hash];
}

export function rsaEncryptionAlgorithmIdentifier(): Uint8Array {
  return encodeElement(DerTag.SEQUENCE, encodeOid(OID.rsaEncryption), encodeElement(DerTag.NULL));
}
