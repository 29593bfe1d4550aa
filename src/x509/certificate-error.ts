import { type CertificateErrorCode, TLSError } from '../errors.js';
import type { AlertName } from '../registry.js';
import type { CertificateSummary } from './types.js';

export type { CertificateErrorCode } from '../errors.js';

/**
 * The alert each verdict sends (RFC 8446 §6.2). CERT_INVALID is bad_certificate unless the
 * check says the certificate is of a kind we do not accept (wrong purpose, unknown critical
 * extension, unsupported algorithm), which is unsupported_certificate, as OpenSSL does.
 */
export const certificateAlert: Record<CertificateErrorCode, AlertName> = {
  CERT_UNTRUSTED: 'unknown_ca',
  CERT_EXPIRED: 'certificate_expired',
  // "A certificate has expired or is not currently valid" covers both directions.
  CERT_NOT_YET_VALID: 'certificate_expired',
  // Nothing is wrong with the certificate itself; it is just not for this name.
  CERT_HOSTNAME_MISMATCH: 'certificate_unknown',
  CERT_BAD_SIGNATURE: 'bad_certificate',
  CERT_INVALID: 'bad_certificate',
  CERT_WEAK: 'unsupported_certificate',
};

/** Which rule a certificate failed; stable strings for programs (the message is for people). */
export type CertificateCheck =
  | 'parse'
  | 'path'
  | 'depth'
  | 'signature'
  | 'algorithm'
  | 'validity'
  | 'basicConstraints'
  | 'pathLength'
  | 'keyUsage'
  | 'extendedKeyUsage'
  | 'nameConstraints'
  | 'criticalExtension'
  | 'weakKey'
  | 'weakSignature'
  | 'identity'
  | 'empty';

/**
 * A failed certificate verdict. Besides the TLSError contract (code, alert, message) it says
 * which check failed on which certificate, and carries the peer's chain so a caller that
 * overrides the decision, or just logs it, can see what was presented.
 */
export class CertificateError extends TLSError {
  declare readonly code: CertificateErrorCode;
  readonly check: CertificateCheck;
  /** Position of the failing certificate in the validated path (0 = the peer's leaf). */
  readonly depth: number | undefined;
  readonly certificate: CertificateSummary | undefined;
  /** The peer's certificates as sent (those that could be parsed), filled in by X509Verifier. */
  peerCertificates: readonly CertificateSummary[] = [];

  constructor(
    code: CertificateErrorCode,
    check: CertificateCheck,
    message: string,
    options: { alert?: AlertName; depth?: number; certificate?: CertificateSummary; cause?: unknown } = {},
  ) {
    super(code, message, { alert: options.alert ?? certificateAlert[code], cause: options.cause });
    this.check = check;
    this.depth = options.depth;
    this.certificate = options.certificate;
  }

  override toJSON(): ReturnType<TLSError['toJSON']> & { check: CertificateCheck; depth: number | null; subject: string | null } {
    return { ...super.toJSON(), check: this.check, depth: this.depth ?? null, subject: this.certificate?.subject ?? null };
  }
}
