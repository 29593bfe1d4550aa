import { DerTag, bytesOf, derReader } from '../crypto/der.js';
import { TLSError } from '../errors.js';

function badCertificate(detail: string): TLSError {
  return new TLSError('CERT_INVALID', `peer certificate cannot be parsed: ${detail}`, { alert: 'bad_certificate' });
}

const { readElement } = derReader((detail) => badCertificate(`malformed DER: ${detail}`));

/**
 * Pulls the DER SubjectPublicKeyInfo out of a DER certificate without a full X.509 parse:
 * the handshake needs only the leaf's key to check CertificateVerify, and this runs on every
 * handshake. Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
 * serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ... }, ... }.
 */
export function certificateSpki(certificate: Uint8Array): Uint8Array {
  const cert = readElement(certificate, 0);
  if (cert.tag !== DerTag.SEQUENCE || cert.end !== certificate.length) throw badCertificate('not a DER SEQUENCE');
  const tbs = readElement(certificate, cert.contentStart, cert.end);
  if (tbs.tag !== DerTag.SEQUENCE) throw badCertificate('tbsCertificate is not a SEQUENCE');
  let field = readElement(certificate, tbs.contentStart, tbs.end);
  if (field.tag === DerTag.CONTEXT_0) field = readElement(certificate, field.end, tbs.end); // explicit [0] version
  // serialNumber, signature, issuer, validity, subject precede the key.
  for (let i = 0; i < 5; i++) {
    if (field.end >= tbs.end) throw badCertificate('tbsCertificate is truncated');
    field = readElement(certificate, field.end, tbs.end);
  }
  if (field.tag !== DerTag.SEQUENCE) throw badCertificate('subjectPublicKeyInfo is not a SEQUENCE');
  return bytesOf(certificate, field);
}
