import type { StatusRequest } from '../../src/messages/extensions.js';
import { CertificateStatusType } from '../../src/registry.js';
import { Writer } from '../../src/wire/writer.js';

/**
 * Builders for extension forms wiretls only receives, so tests can send them: the engine never
 * staples OCSP, asks for a status or pads its ClientHello. Each is the exact inverse of its
 * parser in src/messages/extensions.ts, with the same vector bounds.
 */

/** An empty extension_data (server_name in EE, early_data in CH and EE, post_handshake_auth, …). */
export function buildEmptyExtension(): Uint8Array {
  return new Uint8Array(0);
}

/** CertificateStatusRequest in a ClientHello (RFC 6066 §8). */
export function buildStatusRequestClientHello(request: StatusRequest): Uint8Array {
  return new Writer(16).u8(request.statusType).vector16(0, 0xffff, request.responderIdList).vector16(0, 0xffff, request.requestExtensions).finish();
}

/** CertificateStatus in a CertificateEntry (RFC 8446 §4.4.2.1): ocsp, then OCSPResponse ocsp_response<1..2^24-1>. */
export function buildStatusRequestCertificateEntry(ocspResponse: Uint8Array): Uint8Array {
  return new Writer(4 + ocspResponse.length).u8(CertificateStatusType.ocsp).vector24(1, 0xffffff, ocspResponse).finish();
}

/** A padding extension of `length` zero bytes (RFC 7685 §3). */
export function buildPadding(length: number): Uint8Array {
  return new Uint8Array(length);
}
