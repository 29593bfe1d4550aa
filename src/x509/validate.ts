import type { ParsedCertificate } from './certificate.js';
import type { CertificateSummary } from './types.js';
import { CertificateError, type CertificateCheck, type CertificateErrorCode } from './certificate-error.js';
import { isUnderstoodExtension } from './extensions.js';
import { OID, signatureAlgorithmName } from './oids.js';
import { certSignatureAlgorithm, describeAlgorithm, keyAlgorithmMismatch, type SignatureChecker } from './signature.js';
import type { AlertName } from '../registry.js';

export type KeyPurpose = 'serverAuth' | 'clientAuth';

export interface PathValidationOptions {
  readonly now: Date;
  readonly purpose: KeyPurpose;
  readonly checker: SignatureChecker;
  /** RSA keys below this size are CERT_WEAK (default policy: 2048). */
  readonly minRsaBits: number;
  /** Signature verdicts already computed in this verification (paths share edges). */
  readonly signatureMemo: WeakMap<ParsedCertificate, Map<ParsedCertificate, Promise<boolean>>>;
}

const purposeOid: Record<KeyPurpose, string> = { serverAuth: OID.serverAuth, clientAuth: OID.clientAuth };

/** One certificate of the path under validation, and how a failure there is reported. */
interface PathPosition {
  readonly path: readonly ParsedCertificate[];
  /** Index in `path`: 0 is the leaf, path.length - 1 the trust anchor. */
  readonly index: number;
  readonly cert: ParsedCertificate;
  readonly isAnchor: boolean;
  readonly isLeaf: boolean;
  fail(code: CertificateErrorCode, check: CertificateCheck, detail: string, alert?: AlertName): CertificateError;
}

type Verdict = CertificateError | undefined;

/**
 * RFC 5280 §6.1 basic path validation of `path` (leaf first, trust anchor last; a single
 * certificate is a pinned leaf that is its own anchor). Resolves to the first failure, walking
 * from the anchor down to the leaf as §6.1.3 does, or undefined when the path is valid.
 */
export async function validatePath(path: readonly ParsedCertificate[], options: PathValidationOptions): Promise<CertificateError | undefined> {
  for (let i = path.length - 1; i >= 0; i--) {
    const at = positionIn(path, i);
    const failure =
      checkPublicKey(at, options) ??
      (await checkSignature(at, options)) ??
      checkValidityPeriod(at, options) ??
      checkCriticalExtensions(at) ??
      (at.isLeaf ? checkLeafUsage(at, options) : await checkIssuer(at, options));
    if (failure) return failure;
  }
  return undefined;
}

function positionIn(path: readonly ParsedCertificate[], index: number): PathPosition {
  const cert = path[index]!;
  const n = path.length;
  return {
    path,
    index,
    cert,
    isAnchor: index === n - 1,
    isLeaf: index === 0,
    fail: (code, check, detail, alert) =>
      new CertificateError(code, check, `${describePosition(cert, index, n)}: ${detail}`, {
        depth: index,
        certificate: cert.summary,
        ...(alert ? { alert } : {}),
      }),
  };
}

/**
 * (a) The key is one we can use, and strong enough to trust what it signs (or, for the leaf,
 * the handshake signature it will make).
 */
function checkPublicKey({ cert, fail }: PathPosition, options: PathValidationOptions): Verdict {
  const key = cert.publicKey;
  if (key.kind === 'unknown' || key.unsupportedCurve) {
    return fail('CERT_INVALID', 'algorithm', `unsupported public key (${key.description})`, 'unsupported_certificate');
  }
  if ((key.kind === 'rsa' || key.kind === 'rsa-pss') && (key.bits ?? 0) < options.minRsaBits) {
    return fail('CERT_WEAK', 'weakKey', `${key.description}-bit key is too weak (at least ${options.minRsaBits} bits are required)`);
  }
  return undefined;
}

/**
 * (b) §6.1.3 (a)(1): the signature, made by the previous certificate's key. The anchor's own
 * signature is not checked: it is trusted by configuration, not by its signature.
 */
async function checkSignature({ path, index, cert, isAnchor, fail }: PathPosition, options: PathValidationOptions): Promise<Verdict> {
  if (isAnchor) return undefined;
  const issuer = path[index + 1]!;
  const decoded = certSignatureAlgorithm(cert.signatureAlgorithmOid, cert.signatureParamsDer);
  if (!decoded.ok) return fail('CERT_INVALID', 'algorithm', decoded.reason, 'unsupported_certificate');
  const algorithm = decoded.algorithm;
  if ('hash' in algorithm && (algorithm.hash === 'SHA-1' || algorithm.hash === 'MD5')) {
    // SHA-1 certificate signatures are forgeable by chosen-prefix collision (SHAmbles, 2020).
    const name = signatureAlgorithmName[cert.signatureAlgorithmOid] ?? describeAlgorithm(algorithm);
    return fail('CERT_WEAK', 'weakSignature', `signed with ${name}, which is no longer secure (SHA-256 or better is required)`);
  }
  const mismatch = keyAlgorithmMismatch(algorithm, issuer.publicKey);
  if (mismatch) return fail('CERT_BAD_SIGNATURE', 'signature', `signature does not fit the issuer "${issuer.subject}": ${mismatch}`);
  if (!(await signatureValid(cert, issuer, options))) {
    return fail('CERT_BAD_SIGNATURE', 'signature', `${describeAlgorithm(algorithm)} signature does not verify with the key of issuer "${issuer.subject}"`);
  }
  return undefined;
}

/** (c) §6.1.3 (a)(2): validity at the validation time. */
function checkValidityPeriod({ cert, fail }: PathPosition, options: PathValidationOptions): Verdict {
  const now = options.now.getTime();
  if (now < cert.notBefore.getTime()) {
    return fail('CERT_NOT_YET_VALID', 'validity', `not valid before ${cert.notBefore.toISOString()} (validation time ${options.now.toISOString()})`);
  }
  if (now > cert.notAfter.getTime()) {
    return fail('CERT_EXPIRED', 'validity', `expired on ${cert.notAfter.toISOString()} (validation time ${options.now.toISOString()})`);
  }
  return undefined;
}

/** (d) §6.1.4 (o) / §6.1.5 (f): unrecognised critical extensions (those without a reader in extensions.ts). */
function checkCriticalExtensions({ cert, fail }: PathPosition): Verdict {
  for (const [oid, info] of cert.extensions) {
    if (info.critical && !isUnderstoodExtension(oid)) {
      return fail('CERT_INVALID', 'criticalExtension', `unrecognised critical extension ${oid}`, 'unsupported_certificate');
    }
  }
  return undefined;
}

/** §6.1.4, preparation for the certificates below: what allows this one to issue them. */
async function checkIssuer(at: PathPosition, options: PathValidationOptions): Promise<Verdict> {
  return checkIsCA(at) ?? checkKeyCertSign(at) ?? checkPathLength(at) ?? checkIssuingPurpose(at, options) ?? (await checkNameConstraints(at));
}

/** (e) §6.1.4 (k): only a CA may issue. v1 certificates are CAs only as trust anchors. */
function checkIsCA({ path, index, cert, isAnchor, fail }: PathPosition): Verdict {
  const bc = cert.basicConstraints;
  if (isAnchor ? bc !== undefined && !bc.cA : !bc?.cA) {
    return fail('CERT_INVALID', 'basicConstraints', `is not a CA (basicConstraints cA is ${bc ? 'false' : 'absent'}) but issued "${path[index - 1]!.subject}"`);
  }
  return undefined;
}

/** (f) §6.1.4 (n): keyCertSign, when keyUsage is present. */
function checkKeyCertSign({ cert, fail }: PathPosition): Verdict {
  if (cert.keyUsage !== undefined && !cert.hasKeyUsage('keyCertSign')) {
    return fail('CERT_INVALID', 'keyUsage', 'keyUsage does not include keyCertSign, so it may not sign certificates');
  }
  return undefined;
}

/** (g) §6.1.4 (l)/(m): pathLenConstraint counts the non-self-issued intermediates below. */
function checkPathLength({ path, index, cert, fail }: PathPosition): Verdict {
  const pathLen = cert.basicConstraints?.pathLen;
  if (pathLen === undefined) return undefined;
  let below = 0;
  for (let j = 1; j < index; j++) if (!path[j]!.selfIssued) below++;
  if (below > pathLen) {
    return fail('CERT_INVALID', 'pathLength', `pathLenConstraint ${pathLen} allows ${pathLen} intermediate CA(s) below it, the chain has ${below}`);
  }
  return undefined;
}

/**
 * (h) An EKU on an intermediate constrains what it may issue for (the CA/Browser Forum and
 * Mozilla policy; RFC 5280 leaves it open). Not applied to anchors.
 */
function checkIssuingPurpose({ cert, isAnchor, fail }: PathPosition, options: PathValidationOptions): Verdict {
  if (!isAnchor && !allowsPurpose(cert, options.purpose)) {
    return fail('CERT_INVALID', 'extendedKeyUsage', `extendedKeyUsage (${cert.extKeyUsage!.map(ekuName).join(', ')}) does not allow ${options.purpose}`, 'unsupported_certificate');
  }
  return undefined;
}

/**
 * (i) §6.1.4 (g): name constraints bind every certificate below, except self-issued
 * intermediates (§6.1.3 (b)).
 */
async function checkNameConstraints({ path, index, cert }: PathPosition): Promise<Verdict> {
  if (!cert.nameConstraints) return undefined;
  // Few CAs carry name constraints: their evaluation is a module of its own, which a
  // bundler puts in a lazy chunk.
  const { nameConstraintViolation } = await import('./name-constraints.js');
  for (let j = index - 1; j >= 0; j--) {
    const sub = path[j]!;
    if (j > 0 && sub.selfIssued) continue;
    const violation = nameConstraintViolation(cert, sub);
    if (violation) {
      return new CertificateError('CERT_INVALID', 'nameConstraints', `${describePosition(sub, j, path.length)}: ${violation} (name constraints of "${cert.subject}")`, {
        depth: j,
        certificate: sub.summary,
      });
    }
  }
  return undefined;
}

/** (j) §6.1.5 wrap-up for the leaf: it signs the handshake (CertificateVerify), for the purpose asked. */
function checkLeafUsage({ cert, fail }: PathPosition, options: PathValidationOptions): Verdict {
  if (cert.keyUsage !== undefined && !cert.hasKeyUsage('digitalSignature')) {
    return fail('CERT_INVALID', 'keyUsage', 'keyUsage does not include digitalSignature, which TLS 1.3 CertificateVerify needs', 'unsupported_certificate');
  }
  if (!allowsPurpose(cert, options.purpose)) {
    return fail(
      'CERT_INVALID',
      'extendedKeyUsage',
      `extendedKeyUsage (${cert.extKeyUsage!.map(ekuName).join(', ')}) does not include ${options.purpose}`,
      'unsupported_certificate',
    );
  }
  return undefined;
}

function signatureValid(cert: ParsedCertificate, issuer: ParsedCertificate, options: PathValidationOptions): Promise<boolean> {
  let byIssuer = options.signatureMemo.get(cert);
  if (!byIssuer) options.signatureMemo.set(cert, (byIssuer = new Map()));
  let verdict = byIssuer.get(issuer);
  if (!verdict) {
    const decoded = certSignatureAlgorithm(cert.signatureAlgorithmOid, cert.signatureParamsDer);
    verdict = decoded.ok ? options.checker.verify(decoded.algorithm, issuer.spki, issuer.publicKey, cert.tbs, cert.signatureValue) : Promise.resolve(false);
    byIssuer.set(issuer, verdict);
  }
  return verdict;
}

function allowsPurpose(cert: ParsedCertificate, purpose: KeyPurpose): boolean {
  const eku = cert.extKeyUsage;
  return eku === undefined || eku.includes(purposeOid[purpose]) || eku.includes(OID.anyExtendedKeyUsage);
}

function ekuName(oid: string): string {
  return { [OID.serverAuth]: 'serverAuth', [OID.clientAuth]: 'clientAuth', [OID.anyExtendedKeyUsage]: 'anyExtendedKeyUsage' }[oid] ?? oid;
}

function describePosition(cert: ParsedCertificate | CertificateSummary, index: number, pathLength: number): string {
  const role = index === 0 ? (pathLength === 1 ? 'pinned certificate' : 'leaf') : index === pathLength - 1 ? 'trust anchor' : 'intermediate';
  return `certificate ${index} (${role}) "${cert.subject}"`;
}
