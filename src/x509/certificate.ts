import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { sha256 } from '@noble/hashes/sha2.js';
import { TLSError } from '../errors.js';
import {
  Tag,
  bitLength,
  bytesOf,
  childrenOf,
  contentOf,
  decodeOid,
  equalBytes,
  readNode,
  readRoot,
  toHex,
  type DerNode,
} from './der.js';
import { OID, attributeShortName, signatureAlgorithmName } from './oids.js';
import { formatIpAddress } from './identity.js';

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

export interface NameConstraintsInfo {
  readonly permitted: readonly GeneralNameValue[];
  readonly excluded: readonly GeneralNameValue[];
}

const curveByOid: Record<string, NamedCurve> = {
  [OID.secp256r1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
};

export const hashByOid: Record<string, CertHash> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

function invalid(detail: string, cause?: unknown): TLSError {
  return new TLSError('CERT_INVALID', `certificate cannot be parsed: ${detail}`, { alert: 'bad_certificate', cause });
}

/**
 * One X.509 certificate, parsed once. Byte-exact fields (the signed TBS, names, key) come from
 * our DER walk; the rest from pkijs. Throws TLSError(CERT_INVALID, bad_certificate) for anything
 * that is not a well-formed v1/v3 certificate.
 */
export class ParsedCertificate {
  readonly der: Uint8Array;
  /** The signed bytes, exactly as received. */
  readonly tbs: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly spki: Uint8Array;
  /** DER of the outer signatureAlgorithm AlgorithmIdentifier. */
  readonly signatureAlgorithmDer: Uint8Array;
  readonly signatureAlgorithmOid: string;
  /** DER of the AlgorithmIdentifier's parameters, when present. */
  readonly signatureParamsDer: Uint8Array | undefined;
  readonly signatureValue: Uint8Array;
  /** 1 or 3 (2 is parsed as well). */
  readonly version: number;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: string;
  readonly issuer: string;
  readonly publicKey: PublicKeyInfo;
  readonly extensions: ReadonlyMap<string, ExtensionInfo>;
  readonly basicConstraints: { readonly cA: boolean; readonly pathLen: number | undefined } | undefined;
  /** Bit mask by KeyUsageBit, or undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  readonly extKeyUsage: readonly string[] | undefined;
  readonly subjectAltNames: readonly GeneralNameValue[];
  readonly hasSubjectAltName: boolean;
  readonly nameConstraints: NameConstraintsInfo | undefined;
  readonly subjectKeyId: Uint8Array | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
  /** Subject and issuer names are the same bytes (RFC 5280 §6.1: "self-issued"). */
  readonly selfIssued: boolean;
  private summaryCache: CertificateSummary | undefined;

  constructor(der: Uint8Array) {
    this.der = der;
    // 1. The byte-exact walk: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
    const root = readRoot(der, Tag.SEQUENCE);
    const top = childrenOf(der, root);
    if (top.length !== 3) throw invalid('Certificate must have 3 fields');
    const [tbsNode, sigAlgNode, sigValueNode] = top as [DerNode, DerNode, DerNode];
    if (tbsNode.tag !== Tag.SEQUENCE || sigAlgNode.tag !== Tag.SEQUENCE || sigValueNode.tag !== Tag.BIT_STRING) {
      throw invalid('unexpected field types in Certificate');
    }
    this.tbs = bytesOf(der, tbsNode);
    this.signatureAlgorithmDer = bytesOf(der, sigAlgNode);
    const sigValue = contentOf(der, sigValueNode);
    if (sigValue.length < 1 || sigValue[0] !== 0) throw invalid('signatureValue has unused bits');
    this.signatureValue = sigValue.subarray(1);
    const algFields = childrenOf(der, sigAlgNode);
    if (algFields.length < 1 || algFields.length > 2 || algFields[0]!.tag !== Tag.OID) throw invalid('bad signatureAlgorithm');
    this.signatureAlgorithmOid = decodeOid(contentOf(der, algFields[0]!));
    this.signatureParamsDer = algFields[1] && algFields[1].tag !== Tag.NULL ? bytesOf(der, algFields[1]) : undefined;

    const fields = childrenOf(der, tbsNode);
    let i = 0;
    if (fields[0]?.tag === 0xa0) i++;
    const [serialNode, innerAlgNode, issuerNode, validityNode, subjectNode, spkiNode] = fields.slice(i, i + 6);
    if (!spkiNode || !serialNode || !innerAlgNode || !issuerNode || !validityNode || !subjectNode) throw invalid('tbsCertificate is truncated');
    if (issuerNode.tag !== Tag.SEQUENCE || subjectNode.tag !== Tag.SEQUENCE || spkiNode.tag !== Tag.SEQUENCE) {
      throw invalid('unexpected field types in tbsCertificate');
    }
    // RFC 5280 §4.1.1.2: the signature field inside the TBS MUST match the outer one, or the
    // signer could be made to vouch for a different algorithm than the one checked.
    if (!equalBytes(bytesOf(der, innerAlgNode), this.signatureAlgorithmDer)) {
      throw invalid('tbsCertificate.signature differs from signatureAlgorithm');
    }
    this.issuerDer = bytesOf(der, issuerNode);
    this.subjectDer = bytesOf(der, subjectNode);
    this.spki = bytesOf(der, spkiNode);
    this.selfIssued = equalBytes(this.issuerDer, this.subjectDer);
    this.publicKey = describePublicKey(this.spki);

    // 2. Everything else through pkijs.
    let cert: pkijs.Certificate;
    try {
      const parsed = asn1js.fromBER(der);
      if (parsed.offset === -1) throw new TypeError(parsed.result.error);
      cert = new pkijs.Certificate({ schema: parsed.result });
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : String(error), error);
    }
    this.version = cert.version + 1;
    if (this.version > 3) throw invalid(`unknown version ${this.version}`);
    this.serialNumber = toHex(cert.serialNumber.valueBlock.valueHexView);
    this.notBefore = cert.notBefore.value;
    this.notAfter = cert.notAfter.value;
    if (Number.isNaN(this.notBefore.getTime()) || Number.isNaN(this.notAfter.getTime())) throw invalid('bad validity dates');
    this.subject = formatName(cert.subject);
    this.issuer = formatName(cert.issuer);

    const extensions = new Map<string, ExtensionInfo>();
    let basicConstraints: ParsedCertificate['basicConstraints'];
    let keyUsage: number | undefined;
    let extKeyUsage: string[] | undefined;
    let subjectAltNames: GeneralNameValue[] = [];
    let hasSubjectAltName = false;
    let nameConstraints: NameConstraintsInfo | undefined;
    let subjectKeyId: Uint8Array | undefined;
    let authorityKeyId: Uint8Array | undefined;
    if (cert.extensions && this.version !== 3) throw invalid(`a version ${this.version} certificate cannot have extensions`);
    for (const ext of cert.extensions ?? []) {
      // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
      if (extensions.has(ext.extnID)) throw invalid(`duplicate extension ${ext.extnID}`);
      extensions.set(ext.extnID, { critical: ext.critical });
      const value = ext.parsedValue as unknown;
      const expect = <T>(ctor: abstract new (...args: never[]) => T, name: string): T => {
        // pkijs hands back an empty default object with `parsingError` set when it cannot parse
        // a known extension; a default BasicConstraints would silently read as "not a CA".
        if (value instanceof ctor && !(value as { parsingError?: string }).parsingError) return value;
        throw invalid(`malformed ${name} extension`);
      };
      switch (ext.extnID) {
        case OID.basicConstraints: {
          const bc = expect(pkijs.BasicConstraints, 'basicConstraints');
          const len = bc.pathLenConstraint;
          const pathLen = len === undefined ? undefined : typeof len === 'number' ? len : len.valueBlock.valueDec;
          if (pathLen !== undefined && (!Number.isSafeInteger(pathLen) || pathLen < 0)) throw invalid('bad pathLenConstraint');
          basicConstraints = { cA: bc.cA === true, pathLen };
          break;
        }
        case OID.keyUsage: {
          const bits = expect(asn1js.BitString, 'keyUsage').valueBlock.valueHexView;
          keyUsage = 0;
          for (let bit = 0; bit < Math.min(bits.length * 8, 16); bit++) {
            if ((bits[bit >> 3]! >> (7 - (bit & 7))) & 1) keyUsage |= 1 << bit;
          }
          break;
        }
        case OID.extKeyUsage:
          extKeyUsage = [...expect(pkijs.ExtKeyUsage, 'extKeyUsage').keyPurposes];
          break;
        case OID.subjectAltName:
          hasSubjectAltName = true;
          subjectAltNames = expect(pkijs.AltName, 'subjectAltName').altNames.map((n) => generalName(n, false));
          break;
        case OID.nameConstraints: {
          const nc = expect(pkijs.NameConstraints, 'nameConstraints');
          const subtrees = (list: pkijs.GeneralSubtree[] | undefined) =>
            (list ?? []).map((s) => {
              // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
              const min = typeof s.minimum === 'number' ? s.minimum : s.minimum.valueBlock.valueDec;
              if (min !== 0 || s.maximum !== undefined) throw invalid('name constraint with minimum/maximum');
              return generalName(s.base, true);
            });
          nameConstraints = { permitted: subtrees(nc.permittedSubtrees), excluded: subtrees(nc.excludedSubtrees) };
          break;
        }
        case OID.subjectKeyIdentifier:
          subjectKeyId = expect(asn1js.OctetString, 'subjectKeyIdentifier').valueBlock.valueHexView;
          break;
        case OID.authorityKeyIdentifier:
          authorityKeyId = expect(pkijs.AuthorityKeyIdentifier, 'authorityKeyIdentifier').keyIdentifier?.valueBlock.valueHexView;
          break;
      }
    }
    this.extensions = extensions;
    this.basicConstraints = basicConstraints;
    this.keyUsage = keyUsage;
    this.extKeyUsage = extKeyUsage;
    this.subjectAltNames = subjectAltNames;
    this.hasSubjectAltName = hasSubjectAltName;
    this.nameConstraints = nameConstraints;
    this.subjectKeyId = subjectKeyId;
    this.authorityKeyId = authorityKeyId;
  }

  hasKeyUsage(name: KeyUsageName): boolean {
    return this.keyUsage !== undefined && (this.keyUsage & (1 << KeyUsageBit[name])) !== 0;
  }

  get isCA(): boolean {
    return this.basicConstraints?.cA === true;
  }

  /** Computed on first use (the fingerprint costs a hash). */
  get summary(): CertificateSummary {
    return (this.summaryCache ??= {
      subject: this.subject,
      issuer: this.issuer,
      notBefore: this.notBefore,
      notAfter: this.notAfter,
      subjectAltNames: this.subjectAltNames.map(formatGeneralName),
      fingerprint256: toHex(sha256(this.der), ':'),
      serialNumber: this.serialNumber,
      publicKey: this.publicKey.description,
      signatureAlgorithm: signatureAlgorithmName[this.signatureAlgorithmOid] ?? this.signatureAlgorithmOid,
      isCA: this.isCA,
      raw: this.der,
    });
  }
}

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  return new ParsedCertificate(der);
}

export function formatGeneralName(name: GeneralNameValue): string {
  const prefix = { dns: 'DNS', ip: 'IP', email: 'email', uri: 'URI', dirName: 'DirName', other: 'othername' }[name.type];
  return `${prefix}:${name.value}`;
}

function generalName(name: pkijs.GeneralName, inConstraint: boolean): GeneralNameValue {
  const value = name.value as unknown;
  switch (name.type) {
    case 1:
    case 2:
    case 6: {
      if (typeof value !== 'string') throw invalid('malformed GeneralName');
      // IA5String: anything outside ASCII is an encoding error, and would defeat name matching.
      if (!/^[\x20-\x7e]*$/.test(value)) throw invalid('GeneralName with non-ASCII characters');
      return { type: name.type === 1 ? 'email' : name.type === 2 ? 'dns' : 'uri', value };
    }
    case 7: {
      if (!(value instanceof asn1js.OctetString)) throw invalid('malformed iPAddress');
      const bytes = value.valueBlock.valueHexView;
      const allowed = inConstraint ? [8, 32] : [4, 16];
      if (!allowed.includes(bytes.length)) throw invalid(`iPAddress of ${bytes.length} bytes`);
      const half = inConstraint ? bytes.length / 2 : bytes.length;
      const text = formatIpAddress(bytes.subarray(0, half)) + (inConstraint ? `/${maskLength(bytes.subarray(half))}` : '');
      return { type: 'ip', value: text, bytes };
    }
    case 4: {
      if (!(value instanceof pkijs.RelativeDistinguishedNames)) throw invalid('malformed directoryName');
      const dn = new Uint8Array(value.valueBeforeDecode);
      return { type: 'dirName', value: formatName(value), bytes: dn.length ? dn : new Uint8Array(value.toSchema().toBER()) };
    }
    default:
      return { type: 'other', value: `[${name.type}]` };
  }
}

function maskLength(mask: Uint8Array): string {
  let bits = 0;
  for (const b of mask) bits += (b.toString(2).match(/1/g) ?? []).length;
  return String(bits);
}

function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const key = attributeShortName[tv.type] ?? tv.type;
      const raw = (tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
      const text = typeof raw === 'string' ? raw : '#' + toHex(new Uint8Array(tv.value.toBER())).toLowerCase();
      return `${key}=${text.replace(/([,+"\\<>;])/g, '\\$1')}`;
    })
    .join(', ');
}

/** Key algorithm and size from a DER SubjectPublicKeyInfo. */
export function describePublicKey(spki: Uint8Array): PublicKeyInfo {
  const root = readRoot(spki, Tag.SEQUENCE);
  const [algNode, keyNode] = childrenOf(spki, root);
  if (!algNode || !keyNode || algNode.tag !== Tag.SEQUENCE || keyNode.tag !== Tag.BIT_STRING) throw invalid('bad SubjectPublicKeyInfo');
  const [oidNode, paramsNode] = childrenOf(spki, algNode);
  if (!oidNode || oidNode.tag !== Tag.OID) throw invalid('bad SubjectPublicKeyInfo algorithm');
  const algorithmOid = decodeOid(contentOf(spki, oidNode));
  const keyBits = contentOf(spki, keyNode);
  if (keyBits[0] !== 0) throw invalid('subjectPublicKey has unused bits');
  switch (algorithmOid) {
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const key = keyBits.subarray(1);
      const seq = readRoot(key, Tag.SEQUENCE);
      const modulus = readNode(key, seq.contentStart, seq.end);
      if (modulus.tag !== Tag.INTEGER) throw invalid('bad RSA public key');
      const bits = bitLength(contentOf(key, modulus));
      if (algorithmOid === OID.rsaEncryption) return { kind: 'rsa', algorithmOid, bits, description: `RSA ${bits}` };
      const pssHash = paramsNode ? pssParams(bytesOf(spki, paramsNode)).hash : undefined;
      return { kind: 'rsa-pss', algorithmOid, bits, description: `RSA-PSS ${bits}`, ...(pssHash ? { pssHash } : {}) };
    }
    case OID.ecPublicKey: {
      if (!paramsNode || paramsNode.tag !== Tag.OID) {
        return { kind: 'ec', algorithmOid, unsupportedCurve: 'explicit parameters', description: 'ECDSA (explicit curve parameters)' };
      }
      const curveOid = decodeOid(contentOf(spki, paramsNode));
      const curve = curveByOid[curveOid];
      if (!curve) return { kind: 'ec', algorithmOid, unsupportedCurve: curveOid, description: `ECDSA curve ${curveOid}` };
      return { kind: 'ec', algorithmOid, curve, description: `ECDSA ${curve}` };
    }
    case OID.ed25519:
      return { kind: 'ed25519', algorithmOid, description: 'Ed25519' };
    case OID.ed448:
      return { kind: 'ed448', algorithmOid, description: 'Ed448' };
    default:
      return { kind: 'unknown', algorithmOid, description: `public key ${algorithmOid}` };
  }
}

export interface PssParams {
  readonly hash: CertHash | undefined;
  readonly mgfHash: CertHash | undefined;
  readonly saltLength: number;
  readonly trailerField: number;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1). Absent fields take the RFC's SHA-1 defaults; an unknown
 * hash comes back undefined so the caller can say "unsupported".
 */
export function pssParams(paramsDer: Uint8Array): PssParams {
  let params: pkijs.RSASSAPSSParams;
  try {
    const parsed = asn1js.fromBER(paramsDer);
    if (parsed.offset === -1) throw new TypeError(parsed.result.error);
    params = new pkijs.RSASSAPSSParams({ schema: parsed.result });
  } catch (error) {
    throw invalid('malformed RSASSA-PSS parameters', error);
  }
  const hash = hashByOid[params.hashAlgorithm.algorithmId];
  let mgfHash: CertHash | undefined;
  if (params.maskGenAlgorithm.algorithmId === OID.mgf1) {
    const mgfParams = params.maskGenAlgorithm.algorithmParams as unknown;
    if (mgfParams instanceof asn1js.Sequence) {
      const inner = mgfParams.valueBlock.value[0];
      if (inner instanceof asn1js.ObjectIdentifier) mgfHash = hashByOid[inner.valueBlock.toString()];
    } else if (mgfParams === undefined) mgfHash = 'SHA-1';
  }
  return { hash, mgfHash, saltLength: params.saltLength, trailerField: params.trailerField };
}
