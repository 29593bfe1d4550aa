import type { Reader } from '../wire/reader.js';
import type { Writer } from '../wire/writer.js';
import { readExtensions, writeExtensions } from './codec.js';
import { HandshakeType } from '../registry.js';
import type { CertificateRequest, EncryptedExtensions } from './types.js';

/** The server's parameters after ServerHello (RFC 8446 §4.3). */

const EE_EXTENSIONS = [0, 0xffff] as const;
// §4.3.2: at least signature_algorithms must be present, hence a non-empty block.
const CR_EXTENSIONS = [2, 0xffff] as const;
const CONTEXT_MAX = 0xff;

export function decodeEncryptedExtensions(r: Reader): EncryptedExtensions {
  return { type: HandshakeType.encrypted_extensions, extensions: readExtensions(r, ...EE_EXTENSIONS) };
}

export function encodeEncryptedExtensions(w: Writer, m: EncryptedExtensions): void {
  writeExtensions(w, m.extensions, ...EE_EXTENSIONS);
}

export function decodeCertificateRequest(r: Reader): CertificateRequest {
  const context = r.vector8(0, CONTEXT_MAX);
  const extensions = readExtensions(r, ...CR_EXTENSIONS);
  return { type: HandshakeType.certificate_request, context, extensions };
}

export function encodeCertificateRequest(w: Writer, m: CertificateRequest): void {
  w.vector8(0, CONTEXT_MAX, m.context);
  writeExtensions(w, m.extensions, ...CR_EXTENSIONS);
}
