import { sha256 } from '@noble/hashes/sha2.js';
import { DerTag, bytesOf, contentOf, withoutLeadingZeros, type DerNode } from '../crypto/der.js';
import { bytesEqual, bytesToHex } from '../wire/bytes.js';
import { nativeBytes } from '../wire/native-bytes.js';
import { childrenOf, decodeOid, invalid, readRoot } from './der.js';
import { readExtensions } from './extensions.js';
import { formatGeneralName } from './general-name.js';
import { formatName } from './name.js';
import { signatureAlgorithmName } from './oids.js';
import { describePublicKey } from './public-key.js';
import {
  type BasicConstraintsInfo,
  type CertificateSummary,
  type ExtensionInfo,
  type GeneralNameValue,
  KeyUsageBit,
  type KeyUsageName,
  type NameConstraintsInfo,
  type PublicKeyInfo,
} from './types.js';

/**
 * One X.509 certificate, parsed once, by a strict DER walk: the byte-exact fields (the signed
 * TBS, names, key) must come from the original encoding anyway, and pkijs's schema matching
 * measured ~0.5 ms per certificate (0.3 ms of it in one subjectAltName), several times the cost
 * of the two signature checks of a warm validation. Throws TLSError(CERT_INVALID,
 * bad_certificate) for anything that is not a well-formed v1/v3 certificate.
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
  readonly basicConstraints: BasicConstraintsInfo | undefined;
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
    const outer = readCertificate(der);
    this.tbs = bytesOf(der, outer.tbsNode);
    this.signatureAlgorithmDer = outer.signatureAlgorithmDer;
    this.signatureAlgorithmOid = outer.signatureAlgorithmOid;
    this.signatureParamsDer = outer.signatureParamsDer;
    this.signatureValue = outer.signatureValue;
    const tbs = readTbsCertificate(der, outer.tbsNode, outer.signatureAlgorithmDer);
    this.issuerDer = tbs.issuerDer;
    this.subjectDer = tbs.subjectDer;
    this.spki = tbs.spki;
    this.selfIssued = bytesEqual(this.issuerDer, this.subjectDer);
    this.publicKey = tbs.publicKey;

    // 2. The plain fields, from the same walk.
    this.version = tbs.version;
    this.serialNumber = tbs.serialNumber;
    this.notBefore = tbs.notBefore;
    this.notAfter = tbs.notAfter;
    this.subject = formatName(this.subjectDer);
    this.issuer = formatName(this.issuerDer);

    // 3. Extensions, each by its own reader (extensions.ts).
    const extensions = readExtensions(der, extensionNodes(der, tbs.version, tbs.rest));
    this.extensions = extensions.extensions;
    this.basicConstraints = extensions.basicConstraints;
    this.keyUsage = extensions.keyUsage;
    this.extKeyUsage = extensions.extKeyUsage;
    this.subjectAltNames = extensions.subjectAltNames;
    this.hasSubjectAltName = extensions.hasSubjectAltName;
    this.nameConstraints = extensions.nameConstraints;
    this.subjectKeyId = extensions.subjectKeyId;
    this.authorityKeyId = extensions.authorityKeyId;
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
      fingerprint256: bytesToHex(sha256(this.der))
        .toUpperCase()
        .replace(/..(?!$)/g, '$&:'),
      serialNumber: this.serialNumber,
      publicKey: this.publicKey.description,
      signatureAlgorithm: signatureAlgorithmName[this.signatureAlgorithmOid] ?? this.signatureAlgorithmOid,
      isCA: this.isCA,
      raw: this.der,
    });
  }
}

/**
 * A Map key standing for exactly these bytes, one char per byte (subject names and keys in the
 * path builder and trust store, whole certificates in the verifier's cache): half the length of
 * hex and no per-byte formatting. Native on Node (Buffer's latin1, ~0.3 µs for a certificate,
 * against ~25 µs for spreading the bytes into String.fromCharCode).
 */
export function bytesKey(bytes: Uint8Array): string {
  return nativeBytes().latin1(bytes);
}

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  return new ParsedCertificate(der);
}

/** The outer SEQUENCE: the TBS node, and the signature algorithm and value it is signed with. */
function readCertificate(der: Uint8Array) {
  const root = readRoot(der, DerTag.SEQUENCE);
  const top = childrenOf(der, root);
  if (top.length !== 3) throw invalid('Certificate must have 3 fields');
  const [tbsNode, sigAlgNode, sigValueNode] = top as [DerNode, DerNode, DerNode];
  if (tbsNode.tag !== DerTag.SEQUENCE || sigAlgNode.tag !== DerTag.SEQUENCE || sigValueNode.tag !== DerTag.BIT_STRING) {
    throw invalid('unexpected field types in Certificate');
  }
  const sigValue = contentOf(der, sigValueNode);
  if (sigValue.length < 1 || sigValue[0] !== 0) throw invalid('signatureValue has unused bits');
  const algFields = childrenOf(der, sigAlgNode);
  if (algFields.length < 1 || algFields.length > 2 || algFields[0]!.tag !== DerTag.OID) throw invalid('bad signatureAlgorithm');
  return {
    tbsNode,
    signatureAlgorithmDer: bytesOf(der, sigAlgNode),
    signatureAlgorithmOid: decodeOid(contentOf(der, algFields[0]!)),
    signatureParamsDer: algFields[1] && algFields[1].tag !== DerTag.NULL ? bytesOf(der, algFields[1]) : undefined,
    signatureValue: sigValue.subarray(1),
  };
}

/**
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber, signature, issuer,
 * validity, subject, subjectPublicKeyInfo, issuerUniqueID [1], subjectUniqueID [2], extensions [3] }
 */
function readTbsCertificate(der: Uint8Array, tbsNode: DerNode, signatureAlgorithmDer: Uint8Array) {
  const fields = childrenOf(der, tbsNode);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++;
  const [serialNode, innerAlgNode, issuerNode, validityNode, subjectNode, spkiNode] = fields.slice(i, i + 6);
  if (!spkiNode || !serialNode || !innerAlgNode || !issuerNode || !validityNode || !subjectNode) throw invalid('tbsCertificate is truncated');
  if (issuerNode.tag !== DerTag.SEQUENCE || subjectNode.tag !== DerTag.SEQUENCE || spkiNode.tag !== DerTag.SEQUENCE) {
    throw invalid('unexpected field types in tbsCertificate');
  }
  // RFC 5280 §4.1.1.2: the signature field inside the TBS MUST match the outer one, or the
  // signer could be made to vouch for a different algorithm than the one checked.
  if (!bytesEqual(bytesOf(der, innerAlgNode), signatureAlgorithmDer)) {
    throw invalid('tbsCertificate.signature differs from signatureAlgorithm');
  }
  const issuerDer = bytesOf(der, issuerNode);
  const subjectDer = bytesOf(der, subjectNode);
  const spki = bytesOf(der, spkiNode);
  const publicKey = describePublicKey(spki);
  const version = i === 1 ? versionOf(der, fields[0]!) : 1;
  if (serialNode.tag !== DerTag.INTEGER || validityNode.tag !== DerTag.SEQUENCE) throw invalid('unexpected field types in tbsCertificate');
  const serial = withoutLeadingZeros(contentOf(der, serialNode));
  const serialNumber = serial.length === 1 && serial[0] === 0 ? '0' : bytesToHex(serial).toUpperCase(); // as node:crypto prints it
  const times = childrenOf(der, validityNode);
  if (times.length !== 2) throw invalid('validity must have two times');
  const notBefore = parseTime(der, times[0]!);
  const notAfter = parseTime(der, times[1]!);
  return { issuerDer, subjectDer, spki, publicKey, version, serialNumber, notBefore, notAfter, rest: fields.slice(i + 6) };
}

/** The fields after subjectPublicKeyInfo: the Extension nodes of a v3 certificate, checked for order and version. */
function extensionNodes(der: Uint8Array, version: number, rest: readonly DerNode[]): DerNode[] {
  let nodes: DerNode[] = [];
  let lastTag = 0;
  for (const node of rest) {
    // [1] issuerUniqueID, [2] subjectUniqueID (v2+), [3] extensions (v3), in that order.
    const allowed = node.tag === 0x81 || node.tag === 0x82 ? version >= 2 : node.tag === 0xa3 && version === 3;
    if (!allowed || node.tag <= lastTag) throw invalid(`unexpected field [${node.tag & 0x1f}] in a version ${version} tbsCertificate`);
    lastTag = node.tag;
    if (node.tag === 0xa3) {
      const [list] = childrenOf(der, node);
      if (!list || list.tag !== DerTag.SEQUENCE || list.end !== node.end) throw invalid('malformed extensions');
      nodes = childrenOf(der, list);
      if (nodes.length === 0) throw invalid('empty extensions'); // RFC 5280 §4.1: SIZE (1..MAX)
    }
  }
  return nodes;
}

function versionOf(der: Uint8Array, node: DerNode): number {
  const [integer] = childrenOf(der, node);
  if (!integer || integer.tag !== DerTag.INTEGER || integer.end !== node.end) throw invalid('malformed version');
  const v = contentOf(der, integer);
  // DER: version 1 is encoded by omitting the field.
  if (v.length !== 1 || v[0]! > 2) throw invalid(`unknown version field`);
  return v[0]! + 1;
}

/** RFC 5280 §4.1.2.5: UTCTime YYMMDDHHMMSSZ (1950-2049) or GeneralizedTime YYYYMMDDHHMMSSZ. */
function parseTime(der: Uint8Array, node: DerNode): Date {
  const text = String.fromCharCode(...contentOf(der, node));
  const m = node.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : node.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!m) throw invalid(`bad time "${text}"`);
  let year = Number(m[1]);
  if (node.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = [2, 3, 4, 5, 6].map((k) => Number(m[k]));
  const date = new Date(Date.UTC(year, month! - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day || hour! > 23 || minute! > 59 || second! > 59) throw invalid(`bad time "${text}"`);
  return date;
}
