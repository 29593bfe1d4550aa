/**
 * What x509/ says about a certificate, as plain types: the certificate parser produces them,
 * the error type, the identity checks, the verifier and the Node API consume them. They live
 * apart from the parser so a module that only names them imports nothing that parses.
 */

/** What getPeerCertificate()-style APIs and error messages show of a certificate. */
export interface CertificateSummary {
  /** Distinguished name in encoding order, e.g. "O=wiretls test PKI, CN=localhost". */
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** "DNS:example.com", "IP:127.0.0.1", "IP:::1", "email:…", "URI:…", "DirName:…". */
  readonly subjectAltNames: readonly string[];
  /** SHA-256 of the DER, as node:tls prints it: "AB:CD:…". */
  readonly fingerprint256: string;
  /** Upper-case hex, as node:tls prints it. */
  readonly serialNumber: string;
  /** "ECDSA P-256", "RSA 2048", "RSA-PSS 2048", "Ed25519", "Ed448". */
  readonly publicKey: string;
  readonly signatureAlgorithm: string;
  readonly isCA: boolean;
  readonly raw: Uint8Array;
}

export type GeneralNameType = 'dns' | 'ip' | 'email' | 'uri' | 'dirName' | 'other';

export interface GeneralNameValue {
  readonly type: GeneralNameType;
  /** Text form (DNS name, e-mail, URI, formatted IP or DN). */
  readonly value: string;
  /** iPAddress octets (4 or 16; 8 or 32 in name constraints: address then mask), or a dirName's DER. */
  readonly bytes?: Uint8Array;
}

export type PublicKeyKind = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'unknown';
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';
export type CertHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface PublicKeyInfo {
  readonly kind: PublicKeyKind;
  readonly algorithmOid: string;
  /** RSA modulus size. */
  readonly bits?: number;
  readonly curve?: NamedCurve;
  /** An id-RSASSA-PSS key with parameters may only sign with this hash (RFC 4055 §1.2). */
  readonly pssHash?: CertHash;
  /** The curve OID of an EC key on a curve we do not support. */
  readonly unsupportedCurve?: string;
  readonly description: string;
}

/** The RFC 5280 §4.2.1.3 bits, by bit number. */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export type KeyUsageName = keyof typeof KeyUsageBit;

export interface ExtensionInfo {
  readonly critical: boolean;
}

export interface BasicConstraintsInfo {
  readonly cA: boolean;
  readonly pathLen: number | undefined;
}

export interface NameConstraintsInfo {
  readonly permitted: readonly GeneralNameValue[];
  readonly excluded: readonly GeneralNameValue[];
}
