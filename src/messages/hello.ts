import { bytesEqual, hexToBytes } from '../wire/bytes.js';
import type { Reader } from '../wire/reader.js';
import type { Writer } from '../wire/writer.js';
import { readExtensions, writeExtensions, writeFixed, writeVector } from './codec.js';
import { HandshakeType } from './registry.js';
import type { ClientHello, ServerHello } from './types.js';

/** ClientHello and ServerHello / HelloRetryRequest bodies (RFC 8446 §4.1.2, §4.1.3). */

const RANDOM_LENGTH = 32;
const SESSION_ID_MAX = 32;

/**
 * RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose Random is SHA-256 of the string
 * "HelloRetryRequest". Do not mutate: it is shared.
 */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = hexToBytes(
  'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
);

export function isHelloRetryRequest(sh: ServerHello): boolean {
  return bytesEqual(sh.random, HELLO_RETRY_REQUEST_RANDOM);
}

/*
 * Extension bounds. RFC 8446 §4.1.2: a ClientHello from an older client may carry no extensions
 * field at all ("bytes following the compression_methods field" signal one). A TLS 1.2 server's
 * ServerHello may omit it too (RFC 5246 §7.4.1.3). Both decode to an empty list, so the state
 * machine answers with protocol_version rather than our codec with decode_error; an empty list
 * is encoded as an absent field, which keeps encode and decode exact inverses (a present block
 * can never be empty: its minimum is 8 resp. 6 bytes).
 */
const CH_EXTENSIONS = [8, 0xffff] as const;
const SH_EXTENSIONS = [6, 0xffff] as const;

export function decodeClientHello(r: Reader): ClientHello {
  const legacyVersion = r.u16();
  const random = r.bytes(RANDOM_LENGTH);
  const legacySessionId = r.vector8(0, SESSION_ID_MAX);
  const cipherSuites = r.list(2, 2, 0xfffe, (s) => s.u16(), 'cipher_suites');
  const legacyCompressionMethods = r.vector8(1, 0xff);
  const extensions = r.atEnd ? [] : readExtensions(r, ...CH_EXTENSIONS, true);
  return {
    type: HandshakeType.client_hello,
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions,
  };
}

export function encodeClientHello(w: Writer, m: ClientHello): void {
  w.u16(m.legacyVersion);
  writeFixed(w, m.random, RANDOM_LENGTH, 'random');
  writeVector(w, 1, 0, SESSION_ID_MAX, (v) => v.bytes(m.legacySessionId));
  writeVector(w, 2, 2, 0xfffe, (v) => {
    for (const suite of m.cipherSuites) v.u16(suite);
  });
  writeVector(w, 1, 1, 0xff, (v) => v.bytes(m.legacyCompressionMethods));
  if (m.extensions.length > 0) writeExtensions(w, m.extensions, ...CH_EXTENSIONS);
}

export function decodeServerHello(r: Reader): ServerHello {
  const legacyVersion = r.u16();
  const random = r.bytes(RANDOM_LENGTH);
  const legacySessionIdEcho = r.vector8(0, SESSION_ID_MAX);
  const cipherSuite = r.u16();
  const legacyCompressionMethod = r.u8();
  const extensions = r.atEnd ? [] : readExtensions(r, ...SH_EXTENSIONS);
  return {
    type: HandshakeType.server_hello,
    legacyVersion,
    random,
    legacySessionIdEcho,
    cipherSuite,
    legacyCompressionMethod,
    extensions,
  };
}

export function encodeServerHello(w: Writer, m: ServerHello): void {
  w.u16(m.legacyVersion);
  writeFixed(w, m.random, RANDOM_LENGTH, 'random');
  writeVector(w, 1, 0, SESSION_ID_MAX, (v) => v.bytes(m.legacySessionIdEcho));
  w.u16(m.cipherSuite).u8(m.legacyCompressionMethod);
  if (m.extensions.length > 0) writeExtensions(w, m.extensions, ...SH_EXTENSIONS);
}
