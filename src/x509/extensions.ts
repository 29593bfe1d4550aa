import { DerTag, contentOf, type DerNode } from '../crypto/der.js';
import { childrenOf, decodeOid, invalid, readRoot } from './der.js';
import { readGeneralName } from './general-name.js';
import { OID } from './oids.js';
import type { BasicConstraintsInfo, ExtensionInfo, GeneralNameValue, NameConstraintsInfo } from './types.js';

/** What a certificate's extensions say, as ParsedCertificate exposes it. */
export interface CertificateExtensions {
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
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads one extnValue (the OCTET STRING's content) into the certificate's extension fields. */
type ExtensionReader = (extnValue: Uint8Array, out: Mutable<CertificateExtensions>) => void;

/**
 * One reader per extension we process, chosen by extnID (as Go's x509 parseExtensions does). An
 * extension is understood exactly when it has a reader here: any other extension marked
 * critical makes the certificate unusable (validate.ts, RFC 5280 §4.2: "A certificate-using
 * system MUST reject the certificate if it encounters a critical extension it does not
 * recognize"). certificatePolicies is accepted without policy processing: with the RFC 5280
 * §6.1.1 inputs a TLS client uses (any-policy, no explicit policy required) it cannot
 * invalidate a path.
 */
const extensionReaders = new Map<string, ExtensionReader>([
  [OID.basicConstraints, readBasicConstraints],
  [OID.keyUsage, readKeyUsage],
  [OID.extKeyUsage, readExtKeyUsage],
  [OID.subjectAltName, readSubjectAltName],
  [OID.nameConstraints, readNameConstraints],
  [OID.certificatePolicies, () => {}],
  [OID.subjectKeyIdentifier, readSubjectKeyIdentifier],
  [OID.authorityKeyIdentifier, readAuthorityKeyIdentifier],
]);

/** RFC 5280 §4.2: whether we know what an extension with this extnID means. */
export function isUnderstoodExtension(oid: string): boolean {
  return extensionReaders.has(oid);
}

/** The Extension SEQUENCEs of a v3 tbsCertificate, each checked and handed to its reader. */
export function readExtensions(der: Uint8Array, extensionNodes: readonly DerNode[]): CertificateExtensions {
  const extensions = new Map<string, ExtensionInfo>();
  const out: Mutable<CertificateExtensions> = {
    extensions,
    basicConstraints: undefined,
    keyUsage: undefined,
    extKeyUsage: undefined,
    subjectAltNames: [],
    hasSubjectAltName: false,
    nameConstraints: undefined,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
  };
  for (const node of extensionNodes) {
    const { extnID, critical, extnValue } = readExtension(der, node);
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (extensions.has(extnID)) throw invalid(`duplicate extension ${extnID}`);
    extensions.set(extnID, { critical });
    extensionReaders.get(extnID)?.(extnValue, out);
  }
  return out;
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function readExtension(der: Uint8Array, node: DerNode): { extnID: string; critical: boolean; extnValue: Uint8Array } {
  const parts = node.tag === DerTag.SEQUENCE ? childrenOf(der, node) : [];
  const [oidNode, second, third] = parts;
  const valueNode = parts.length === 3 ? third : second;
  if (!oidNode || oidNode.tag !== DerTag.OID || !valueNode || valueNode.tag !== DerTag.OCTET_STRING || parts.length > 3) throw invalid('malformed extension');
  let critical = false;
  if (parts.length === 3) {
    const flag = contentOf(der, second!);
    if (second!.tag !== DerTag.BOOLEAN || flag.length !== 1) throw invalid('malformed extension criticality');
    critical = flag[0] !== 0;
  }
  return { extnID: decodeOid(contentOf(der, oidNode)), critical, extnValue: contentOf(der, valueNode) };
}

/**
 * An extnValue as one DER element of the expected tag. Each value is walked as DER: pkijs's
 * schema matching costs ~0.3 ms for one subjectAltName (the GeneralName CHOICE), more than all
 * the rest of a warm validation.
 */
function extensionValue(extnValue: Uint8Array, tag: number, name: string): DerNode {
  try {
    return readRoot(extnValue, tag);
  } catch (error) {
    throw invalid(`malformed ${name} extension`, error);
  }
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
function readBasicConstraints(bytes: Uint8Array, out: Mutable<CertificateExtensions>): void {
  const parts = childrenOf(bytes, extensionValue(bytes, DerTag.SEQUENCE, 'basicConstraints'));
  let k = 0;
  let cA = false;
  if (parts[k]?.tag === DerTag.BOOLEAN) cA = contentOf(bytes, parts[k++]!)[0] !== 0;
  let pathLen: number | undefined;
  if (parts[k]?.tag === DerTag.INTEGER) {
    const n = contentOf(bytes, parts[k++]!);
    if (n.length === 0 || n.length > 4 || (n[0]! & 0x80) !== 0) throw invalid('bad pathLenConstraint');
    pathLen = n.reduce((acc, byte) => acc * 256 + byte, 0);
  }
  if (k !== parts.length) throw invalid('malformed basicConstraints extension');
  out.basicConstraints = { cA, pathLen };
}

/** KeyUsage ::= BIT STRING, bit 0 first (RFC 5280 §4.2.1.3); bits past decipherOnly are ignored. */
function readKeyUsage(bytes: Uint8Array, out: Mutable<CertificateExtensions>): void {
  const bits = contentOf(bytes, extensionValue(bytes, DerTag.BIT_STRING, 'keyUsage'));
  if (bits.length < 1 || bits[0]! > 7) throw invalid('malformed keyUsage extension');
  let keyUsage = 0;
  for (let bit = 0; bit < Math.min((bits.length - 1) * 8, 16); bit++) {
    if ((bits[1 + (bit >> 3)]! >> (7 - (bit & 7))) & 1) keyUsage |= 1 << bit;
  }
  out.keyUsage = keyUsage;
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
function readExtKeyUsage(bytes: Uint8Array, out: Mutable<CertificateExtensions>): void {
  const purposes = childrenOf(bytes, extensionValue(bytes, DerTag.SEQUENCE, 'extKeyUsage'));
  if (purposes.length === 0 || purposes.some((p) => p.tag !== DerTag.OID)) throw invalid('malformed extKeyUsage extension');
  out.extKeyUsage = purposes.map((p) => decodeOid(contentOf(bytes, p)));
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName */
function readSubjectAltName(bytes: Uint8Array, out: Mutable<CertificateExtensions>): void {
  const names = childrenOf(bytes, extensionValue(bytes, DerTag.SEQUENCE, 'subjectAltName'));
  if (names.length === 0) throw invalid('empty subjectAltName');
  out.hasSubjectAltName = true;
  out.subjectAltNames = names.map((n) => readGeneralName(bytes, n, false));
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL, excludedSubtrees [1] GeneralSubtrees OPTIONAL }
 * GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] BaseDistance DEFAULT 0, maximum [1] BaseDistance OPTIONAL }
 */
function readNameConstraints(bytes: Uint8Array, out: Mutable<CertificateExtensions>): void {
  const permitted: GeneralNameValue[] = [];
  const excluded: GeneralNameValue[] = [];
  for (const part of childrenOf(bytes, extensionValue(bytes, DerTag.SEQUENCE, 'nameConstraints'))) {
    if (part.tag !== 0xa0 && part.tag !== 0xa1) throw invalid('malformed nameConstraints extension');
    for (const subtree of childrenOf(bytes, part)) {
      const [base, ...bounds] = subtree.tag === DerTag.SEQUENCE ? childrenOf(bytes, subtree) : [];
      if (!base) throw invalid('malformed GeneralSubtree');
      // RFC 5280 §4.2.1.10: minimum MUST be zero (so, in DER, absent) and maximum MUST be absent.
      if (bounds.length > 0) throw invalid('name constraint with minimum/maximum');
      (part.tag === 0xa0 ? permitted : excluded).push(readGeneralName(bytes, base, true));
    }
  }
  out.nameConstraints = { permitted, excluded };
}

/** SubjectKeyIdentifier ::= KeyIdentifier (OCTET STRING) */
function readSubjectKeyIdentifier(bytes: Uint8Array, out: Mutable<CertificateExtensions>): void {
  out.subjectKeyId = contentOf(bytes, extensionValue(bytes, DerTag.OCTET_STRING, 'subjectKeyIdentifier'));
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] KeyIdentifier OPTIONAL, ... } */
function readAuthorityKeyIdentifier(bytes: Uint8Array, out: Mutable<CertificateExtensions>): void {
  const keyId = childrenOf(bytes, extensionValue(bytes, DerTag.SEQUENCE, 'authorityKeyIdentifier')).find((n) => n.tag === 0x80);
  out.authorityKeyId = keyId ? contentOf(bytes, keyId) : undefined;
}
