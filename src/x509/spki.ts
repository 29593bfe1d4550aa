import { TLSError } from '../errors.js';

/**
 * Pulls the DER SubjectPublicKeyInfo out of a DER certificate without a full X.509 parse:
 * the handshake needs only the leaf's key to check CertificateVerify, and this runs on every
 * handshake. Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
 * serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ... }, ... }.
 */
export function certificateSpki(certificate: Uint8Array): Uint8Array {
  const cert = derElement(certificate, 0);
  if (cert.tag !== 0x30 || cert.end !== certificate.length) throw badCertificate('not a DER SEQUENCE');
  const tbs = derElement(certificate, cert.contentStart);
  if (tbs.tag !== 0x30) throw badCertificate('tbsCertificate is not a SEQUENCE');
  let at = tbs.contentStart;
  let field = derElement(certificate, at);
  if (field.tag === 0xa0) {
    at = field.end; // explicit [0] version
    field = derElement(certificate, at);
  }
  // serialNumber, signature, issuer, validity, subject precede the key.
  for (let i = 0; i < 5; i++) {
    at = field.end;
    if (at >= tbs.end) throw badCertificate('tbsCertificate is truncated');
    field = derElement(certificate, at);
  }
  if (field.tag !== 0x30 || field.end > tbs.end) throw badCertificate('subjectPublicKeyInfo is not a SEQUENCE');
  return certificate.subarray(at, field.end);
}

interface DerElement {
  tag: number;
  contentStart: number;
  end: number;
}

function derElement(der: Uint8Array, at: number): DerElement {
  if (at + 2 > der.length) throw badCertificate('truncated DER');
  const tag = der[at]!;
  let length = der[at + 1]!;
  let contentStart = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > der.length) throw badCertificate('bad DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw badCertificate('DER element overruns its container');
  return { tag, contentStart, end };
}

function badCertificate(detail: string): TLSError {
  return new TLSError('CERT_INVALID', `peer certificate cannot be parsed: ${detail}`, { alert: 'bad_certificate' });
}
