import type { Reader } from '../wire/reader.js';
import type { Writer } from '../wire/writer.js';
import { readExtensions, writeExtensions } from './codec.js';
import { HandshakeType } from '../registry.js';
import type { Certificate, CertificateEntry, CertificateVerify, Finished } from './types.js';

/** The authentication messages: Certificate, CertificateVerify, Finished (RFC 8446 §4.4). */

const CONTEXT_MAX = 0xff;
const CERT_DATA = [1, 0xffffff] as const;
const CERTIFICATE_LIST = [0, 0xffffff] as const;
const ENTRY_EXTENSIONS = [0, 0xffff] as const;

function decodeEntry(r: Reader): CertificateEntry {
  const data = r.vector24(...CERT_DATA);
  return { data, extensions: readExtensions(r, ...ENTRY_EXTENSIONS) };
}

export function decodeCertificate(r: Reader): Certificate {
  const context = r.vector8(0, CONTEXT_MAX);
  const entries = r.list(3, ...CERTIFICATE_LIST, decodeEntry, 'certificate_list');
  return { type: HandshakeType.certificate, context, entries };
}

export function encodeCertificate(w: Writer, m: Certificate): void {
  w.vector8(0, CONTEXT_MAX, m.context);
  w.vector24(...CERTIFICATE_LIST, (list) => {
    for (const entry of m.entries) {
      list.vector24(...CERT_DATA, entry.data);
      writeExtensions(list, entry.extensions, ...ENTRY_EXTENSIONS);
    }
  });
}

export function decodeCertificateVerify(r: Reader): CertificateVerify {
  const scheme = r.u16();
  return { type: HandshakeType.certificate_verify, scheme, signature: r.vector16(0, 0xffff) };
}

export function encodeCertificateVerify(w: Writer, m: CertificateVerify): void {
  w.u16(m.scheme).vector16(0, 0xffff, m.signature);
}

/**
 * verify_data is Hash.length bytes (§4.4.4), but the hash is a property of the connection, not
 * of the bytes: the state machine checks the length; here the whole body is verify_data.
 */
export function decodeFinished(r: Reader): Finished {
  return { type: HandshakeType.finished, verifyData: r.rest() };
}

export function encodeFinished(w: Writer, m: Finished): void {
  w.bytes(m.verifyData);
}
