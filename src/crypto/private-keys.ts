import { TLSError } from '../errors.js';
import { concatBytes } from '../wire/bytes.js';
import {
  DerTag,
  type DerNode,
  bitLength,
  bitStringBytesOf,
  childrenOf,
  contentOf,
  derError,
  encodeElement,
  expectTag,
  readElement,
  readRoot,
  smallIntegerOf,
  unsignedIntegerOf,
} from './der.js';
import {
  OID,
  allHashes,
  curveFieldLength,
  expectNullOrAbsent,
  namedCurve,
  pssParamHashes,
  readAlgorithmIdentifier,
  rsaEncryptionAlgorithmIdentifier,
  unsupported,
} from './keys.js';
import type { HashName } from './provider.js';
import type { EcCurve } from './signature-schemes.js';

/**
 * Private keys as the providers load them (RFC 5208/5958 PKCS#8), the signing-key policy and the
 * signature encoding signers produce. Only signers need this (servers, clients with a
 * certificate), so it lives apart from the public-key parsing in keys.ts that verification
 * needs: the webcrypto provider loads it with a dynamic import, and a bundle for a client
 * without a certificate does not carry it. Shared by every provider: nothing here does arithmetic.
 */

export type PrivateKeyInfo =
  | {
      readonly type: 'ec';
      readonly curve: EcCurve;
      /** Big-endian scalar, left-padded to the field length. */
      readonly privateKey: Uint8Array;
      /** The public point when the encoding carries it, to check the pair is consistent. */
      readonly publicKey: Uint8Array | undefined;
    }
  | { readonly type: 'ed25519' | 'ed448'; readonly seed: Uint8Array }
  | {
      readonly type: 'rsa' | 'rsa-pss';
      readonly modulusBits: number;
      readonly pssHashes: readonly HashName[];
      /** PKCS#8 with the rsaEncryption AlgorithmIdentifier, whatever the original OID was. */
      readonly rsaEncryptionPkcs8: Uint8Array;
    };

/* ----------------------------------------------------------------------------------------- */
/* PKCS#8                                                                                    */
/* ----------------------------------------------------------------------------------------- */

/**
 * OneAsymmetricKey ::= SEQUENCE { version, privateKeyAlgorithm, privateKey OCTET STRING,
 * [0] attributes OPTIONAL, [1] publicKey OPTIONAL } (RFC 5958, which extends RFC 5208).
 * Throws TLSError(INVALID_ARGUMENT) with a hint for the usual wrong inputs.
 */
export function parsePkcs8(der: Uint8Array): PrivateKeyInfo {
  const root = readRoot(der, DerTag.SEQUENCE);
  const fields = childrenOf(der, root);
  if (fields.length >= 2 && fields[0]!.tag === DerTag.SEQUENCE) {
    throw new TLSError('INVALID_ARGUMENT', 'the private key is an encrypted PKCS#8 (EncryptedPrivateKeyInfo); decrypt it first');
  }
  if (fields.length >= 2 && fields[0]!.tag === DerTag.INTEGER && fields[1]!.tag === DerTag.INTEGER) {
    throw new TLSError('INVALID_ARGUMENT', 'the private key is a PKCS#1 RSAPrivateKey, not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt`');
  }
  if (fields.length >= 2 && fields[0]!.tag === DerTag.INTEGER && fields[1]!.tag === DerTag.OCTET_STRING) {
    throw new TLSError('INVALID_ARGUMENT', 'the private key is a SEC1 ECPrivateKey, not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt`');
  }
  if (fields.length < 3) throw derError('PrivateKeyInfo is too short');
  const version = smallIntegerOf(der, fields[0]!);
  if (version !== 0 && version !== 1) throw derError(`PrivateKeyInfo version ${version} is unknown`);
  const algorithm = readAlgorithmIdentifier(der, fields[1]!);
  expectTag(fields[2]!, DerTag.OCTET_STRING);
  const body = contentOf(der, fields[2]!);
  switch (algorithm.oid) {
    case OID.ecPublicKey:
      return ecPrivateKey(der, algorithm.params, body);
    case OID.ed25519:
    case OID.ed448: {
      if (algorithm.params !== undefined) throw derError('EdDSA AlgorithmIdentifier must have no parameters');
      const type = algorithm.oid === OID.ed25519 ? 'ed25519' : 'ed448';
      // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, wrapped in the PKCS#8 OCTET STRING.
      const inner = readRoot(body, DerTag.OCTET_STRING);
      const seed = contentOf(body, inner);
      if (seed.length !== (type === 'ed25519' ? 32 : 57)) throw unsupported(`${type} private key has the wrong length`);
      return { type, seed: seed.slice() };
    }
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const rsa = algorithm.oid === OID.rsaEncryption;
      if (rsa) expectNullOrAbsent(der, algorithm.params);
      const pssHashes = rsa ? allHashes : pssParamHashes(der, algorithm.params);
      // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, ... }
      const rsaKey = readRoot(body, DerTag.SEQUENCE);
      const parts = childrenOf(body, rsaKey);
      if (parts.length < 9) throw derError('RSAPrivateKey is too short');
      const modulusBits = bitLength(unsignedIntegerOf(body, parts[1]!));
      const rsaEncryptionPkcs8 = encodeElement(
        DerTag.SEQUENCE,
        encodeElement(DerTag.INTEGER, new Uint8Array(1)),
        rsaEncryptionAlgorithmIdentifier(),
        encodeElement(DerTag.OCTET_STRING, body),
      );
      return { type: rsa ? 'rsa' : 'rsa-pss', modulusBits, pssHashes, rsaEncryptionPkcs8 };
    }
    default:
      throw unsupported(`private key algorithm ${algorithm.oid} is not supported`);
  }
}

/** ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] parameters OPTIONAL, [1] publicKey OPTIONAL } (RFC 5915). */
function ecPrivateKey(der: Uint8Array, algorithmParams: DerNode | undefined, body: Uint8Array): PrivateKeyInfo {
  const root = readRoot(body, DerTag.SEQUENCE);
  const fields = childrenOf(body, root);
  if (fields.length < 2 || smallIntegerOf(body, fields[0]!) !== 1) throw derError('ECPrivateKey version must be 1');
  expectTag(fields[1]!, DerTag.OCTET_STRING);
  let innerCurve: EcCurve | undefined;
  let publicKey: Uint8Array | undefined;
  for (const field of fields.slice(2)) {
    if (field.tag === DerTag.CONTEXT_0) innerCurve = namedCurve(body, readElement(body, field.contentStart, field.end));
    else if (field.tag === DerTag.CONTEXT_1) publicKey = bitStringBytesOf(body, readElement(body, field.contentStart, field.end));
    else throw derError('unexpected field in ECPrivateKey');
  }
  const outerCurve = algorithmParams === undefined ? undefined : namedCurve(der, algorithmParams);
  const curve = outerCurve ?? innerCurve;
  if (curve === undefined) throw unsupported('the EC private key does not name its curve');
  if (innerCurve !== undefined && innerCurve !== curve) throw unsupported('the EC private key names two different curves');
  const n = curveFieldLength[curve];
  const scalar = contentOf(body, fields[1]!);
  if (scalar.length === 0 || scalar.length > n) throw unsupported(`the ${curve} private key has the wrong length`);
  // RFC 5915 says the octet string is ceiling(log2(n)/8) long; pad if an encoder trimmed zeros.
  const privateKey = new Uint8Array(n);
  privateKey.set(scalar, n - scalar.length);
  return { type: 'ec', curve, privateKey, publicKey: publicKey?.slice() };
}

/* ----------------------------------------------------------------------------------------- */
/* Signing-key policy and signature encodings, the same for every provider                   */
/* ----------------------------------------------------------------------------------------- */

/**
 * Below 1024 bits RSA is broken outright. 1024 itself is weak (NIST SP 800-131A wants 2048)
 * but still accepted, because RFC 8448's example server key is 1024 bits and replays use it;
 * whether a peer's key is strong enough is the certificate policy's call, not the provider's.
 */
export const MIN_RSA_SIGNING_BITS = 1024;

/**
 * Fixed-width r || s (what WebCrypto's ECDSA produces, IEEE P1363) as the DER ECDSA-Sig-Value
 * TLS carries: each INTEGER minimal, with a zero byte where the top bit would make it negative.
 */
export function ecdsaCompactToDer(compact: Uint8Array): Uint8Array {
  const half = compact.length >> 1;
  const integer = (magnitude: Uint8Array): Uint8Array => {
    let i = 0;
    while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
    const body = magnitude[i]! & 0x80 ? concatBytes(new Uint8Array(1), magnitude.subarray(i)) : magnitude.subarray(i);
    return encodeElement(DerTag.INTEGER, body);
  };
  return encodeElement(DerTag.SEQUENCE, integer(compact.subarray(0, half)), integer(compact.subarray(half)));
}

export function unusableSigningKey(detail: string): TLSError {
  return new TLSError('INVALID_ARGUMENT', `unusable signing key: ${detail}`);
}
