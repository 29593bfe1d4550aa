import { SignatureScheme } from '../registry.js';
import type { HashName } from './provider.js';

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

/**
 * What a TLS SignatureScheme means (RFC 8446 §4.2.3). In TLS 1.3 an ECDSA scheme names both
 * the curve and the hash, so a P-384 key cannot sign ecdsa_secp256r1_sha256; rsa_pss_rsae_*
 * takes an rsaEncryption key and rsa_pss_pss_* an id-RSASSA-PSS key, never the other way round.
 */
export type SchemeAlgorithm =
  | { readonly kind: 'ecdsa'; readonly curve: EcCurve; readonly hash: HashName }
  | { readonly kind: 'ed25519' }
  | { readonly kind: 'ed448' }
  /** keyType 'rsa' = rsaEncryption OID (rsae), 'rsa-pss' = id-RSASSA-PSS OID (pss). */
  | { readonly kind: 'rsa-pss'; readonly keyType: 'rsa' | 'rsa-pss'; readonly hash: HashName }
  /** Only for signatures in certificates; never valid in a TLS 1.3 CertificateVerify. */
  | { readonly kind: 'rsa-pkcs1'; readonly hash: HashName };

export const schemeAlgorithms: ReadonlyMap<number, SchemeAlgorithm> = new Map<number, SchemeAlgorithm>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { kind: 'ecdsa', curve: 'P-256', hash: 'sha256' }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { kind: 'ecdsa', curve: 'P-384', hash: 'sha384' }],
  [SignatureScheme.ecdsa_secp521r1_sha512, { kind: 'ecdsa', curve: 'P-521', hash: 'sha512' }],
  [SignatureScheme.ed25519, { kind: 'ed25519' }],
  [SignatureScheme.ed448, { kind: 'ed448' }],
  [SignatureScheme.rsa_pss_rsae_sha256, { kind: 'rsa-pss', keyType: 'rsa', hash: 'sha256' }],
  [SignatureScheme.rsa_pss_rsae_sha384, { kind: 'rsa-pss', keyType: 'rsa', hash: 'sha384' }],
  [SignatureScheme.rsa_pss_rsae_sha512, { kind: 'rsa-pss', keyType: 'rsa', hash: 'sha512' }],
  [SignatureScheme.rsa_pss_pss_sha256, { kind: 'rsa-pss', keyType: 'rsa-pss', hash: 'sha256' }],
  [SignatureScheme.rsa_pss_pss_sha384, { kind: 'rsa-pss', keyType: 'rsa-pss', hash: 'sha384' }],
  [SignatureScheme.rsa_pss_pss_sha512, { kind: 'rsa-pss', keyType: 'rsa-pss', hash: 'sha512' }],
  [SignatureScheme.rsa_pkcs1_sha256, { kind: 'rsa-pkcs1', hash: 'sha256' }],
  [SignatureScheme.rsa_pkcs1_sha384, { kind: 'rsa-pkcs1', hash: 'sha384' }],
  [SignatureScheme.rsa_pkcs1_sha512, { kind: 'rsa-pkcs1', hash: 'sha512' }],
]);

/** Every scheme in the table, in the order a verifier advertises them. */
export const verifiableSchemes: readonly SignatureScheme[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed25519,
  SignatureScheme.ed448,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

const rsaPssRsae: Record<HashName, SignatureScheme> = {
  sha256: SignatureScheme.rsa_pss_rsae_sha256,
  sha384: SignatureScheme.rsa_pss_rsae_sha384,
  sha512: SignatureScheme.rsa_pss_rsae_sha512,
};
const rsaPssPss: Record<HashName, SignatureScheme> = {
  sha256: SignatureScheme.rsa_pss_pss_sha256,
  sha384: SignatureScheme.rsa_pss_pss_sha384,
  sha512: SignatureScheme.rsa_pss_pss_sha512,
};

export function rsaPssScheme(keyType: 'rsa' | 'rsa-pss', hash: HashName): SignatureScheme {
  return keyType === 'rsa' ? rsaPssRsae[hash] : rsaPssPss[hash];
}

export const ecdsaSchemeForCurve: Record<EcCurve, SignatureScheme> = {
  'P-256': SignatureScheme.ecdsa_secp256r1_sha256,
  'P-384': SignatureScheme.ecdsa_secp384r1_sha384,
  'P-521': SignatureScheme.ecdsa_secp521r1_sha512,
};

/**
 * RFC 8446 §4.2.3: rsa_pkcs1_* "refer solely to signatures which appear in certificates" and
 * "MAY appear in signature_algorithms and signature_algorithms_cert for backward
 * compatibility". Public-CA chains are mostly signed with them, and with no
 * signature_algorithms_cert the signature_algorithms list governs certificates too, so a
 * strict peer (Java's JSSE) sends, or accepts, an RSA-signed chain only when they are listed.
 */
const CERTIFICATE_ONLY_SCHEMES: readonly SignatureScheme[] = [SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384, SignatureScheme.rsa_pkcs1_sha512];

/**
 * The signature_algorithms list we send (ClientHello, CertificateRequest): the schemes we
 * accept in CertificateVerify, then the certificate-only ones not already there. What a
 * CertificateVerify may use is still `handshakeSchemes` alone (peer-auth.ts refuses PKCS#1).
 */
export function advertisedSignatureSchemes(handshakeSchemes: readonly number[]): number[] {
  return [...handshakeSchemes, ...CERTIFICATE_ONLY_SCHEMES.filter((s) => !handshakeSchemes.includes(s))];
}
