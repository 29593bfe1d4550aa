import { derReader } from '../crypto/der.js';
import { TLSError } from '../errors.js';

/** A certificate that is not a well-formed v1/v3 X.509 certificate. */
export function invalid(detail: string, cause?: unknown): TLSError {
  return new TLSError('CERT_INVALID', `certificate cannot be parsed: ${detail}`, { alert: 'bad_certificate', cause });
}

/** A DER failure inside a certificate, name or key: the peer sent something unparseable. */
export function malformed(detail: string): TLSError {
  return new TLSError('CERT_INVALID', `malformed DER: ${detail}`, { alert: 'bad_certificate' });
}

/**
 * crypto/der.ts's strict reader, failing with `malformed`. x509 reads DER only through these;
 * pem.ts and the trust store reword the failure for files (INVALID_ARGUMENT naming the source).
 * A module of its own, below everything else in x509/, so the certificate parser, the error
 * type and the trust store can all read DER without importing each other.
 */
export const x509Der = derReader(malformed);
export const { readElement, readRoot, childrenOf, decodeOid } = x509Der;
