import { decodeError, internalError } from '../errors.js';
import { bytesEqual, hexToBytes } from '../wire/bytes.js';
import type { Reader } from '../wire/reader.js';
import type { Writer } from '../wire/writer.js';
import { readExtensions, writeExtensions, writeFixed } from './codec.js';
import { ExtensionType, HandshakeType } from '../registry.js';
import type { ClientHello, RawExtension, ServerHello } from './types.js';

/** ClientHello and ServerHello / HelloRetryRequest bodies (RFC 8446 §4.1.2, §4.1.3). */

const RANDOM_LENGTH = 32;
const SESSION_ID_MAX = 32;

/**
 * RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose Random is SHA-256 of the string
 * "HelloRetryRequest". Do not mutate: it is shared.
 */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = hexToBytes('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');

export function isHelloRetryRequest(sh: ServerHello): boolean {
  return bytesEqual(sh.random, HELLO_RETRY_REQUEST_RANDOM);
}

/*
 * Extension bounds. RFC 8446 §4.1.2: a ClientHello from an older client may carry no extensions
 * field at all ("bytes following the compression_methods field" signal one), and TLS 1.2's
 * field is `extensions<0..2^16-1>` (RFC 5246 §7.4.1.2), so a block of 0 to 7 bytes (one empty
 * session_ticket, say) is well-formed there. Only a ClientHello that speaks TLS 1.3, which it
 * says with supported_versions (§4.2.1), is held to the TLS 1.3 minimum of 8 bytes. Anything an
 * older client sends thus decodes, and the state machine answers it with protocol_version
 * (§D.2) rather than our codec with decode_error. The same holds for a TLS 1.2 server's
 * ServerHello (RFC 5246 §7.4.1.3: no field, or one of any size, say renegotiation_info alone),
 * held to TLS 1.3's 6 bytes only with supported_versions. An absent field decodes to an empty
 * list, and an empty list is encoded as an absent field; a present-but-empty block is kept as
 * `emptyExtensionBlock`, so encode and decode stay exact inverses.
 */
const CH_EXTENSIONS_TLS13_MIN = 8;
const SH_EXTENSIONS_TLS13_MIN = 6;
const EXTENSIONS = [0, 0xffff] as const;

export function decodeClientHello(r: Reader): ClientHello {
  const legacyVersion = r.u16();
  const random = r.bytes(RANDOM_LENGTH);
  const legacySessionId = r.vector8(0, SESSION_ID_MAX);
  const cipherSuites = r.list(2, 2, 0xfffe, (s) => s.u16(), 'cipher_suites');
  const legacyCompressionMethods = r.vector8(1, 0xff);
  const present = !r.atEnd;
  const extensions = present ? readExtensions(r, ...EXTENSIONS, true) : [];
  const short = tls13BlockShortfall(extensions, CH_EXTENSIONS_TLS13_MIN);
  if (short !== undefined) throw decodeError('length_out_of_range', `ClientHello: extensions of ${short} bytes outside 8..65535`);
  const hello: ClientHello = {
    type: HandshakeType.client_hello,
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions,
  };
  if (present && extensions.length === 0) hello.emptyExtensionBlock = true;
  return hello;
}

/** The size of a TLS 1.3 hello's extension block (one with supported_versions) when it is below `min`. */
function tls13BlockShortfall(extensions: readonly RawExtension[], min: number): number | undefined {
  if (!extensions.some((e) => e.type === ExtensionType.supported_versions)) return undefined;
  const length = extensions.reduce((n, e) => n + 4 + e.data.length, 0);
  return length < min ? length : undefined;
}

export function encodeClientHello(w: Writer, m: ClientHello): void {
  const short = tls13BlockShortfall(m.extensions, CH_EXTENSIONS_TLS13_MIN);
  if (short !== undefined) throw internalError(`encoded ClientHello extensions of ${short} bytes are below their minimum 8`);
  w.u16(m.legacyVersion);
  writeFixed(w, m.random, RANDOM_LENGTH, 'random');
  w.vector8(0, SESSION_ID_MAX, m.legacySessionId);
  w.vector16(2, 0xfffe, (v) => {
    for (const suite of m.cipherSuites) v.u16(suite);
  });
  w.vector8(1, 0xff, m.legacyCompressionMethods);
  if (m.extensions.length > 0 || m.emptyExtensionBlock) writeExtensions(w, m.extensions, ...EXTENSIONS);
}

export function decodeServerHello(r: Reader): ServerHello {
  const legacyVersion = r.u16();
  const random = r.bytes(RANDOM_LENGTH);
  const legacySessionIdEcho = r.vector8(0, SESSION_ID_MAX);
  const cipherSuite = r.u16();
  const legacyCompressionMethod = r.u8();
  const present = !r.atEnd;
  const extensions = present ? readExtensions(r, ...EXTENSIONS) : [];
  const short = tls13BlockShortfall(extensions, SH_EXTENSIONS_TLS13_MIN);
  if (short !== undefined) throw decodeError('length_out_of_range', `ServerHello: extensions of ${short} bytes outside 6..65535`);
  const hello: ServerHello = {
    type: HandshakeType.server_hello,
    legacyVersion,
    random,
    legacySessionIdEcho,
    cipherSuite,
    legacyCompressionMethod,
    extensions,
  };
  if (present && extensions.length === 0) hello.emptyExtensionBlock = true;
  return hello;
}

export function encodeServerHello(w: Writer, m: ServerHello): void {
  w.u16(m.legacyVersion);
  writeFixed(w, m.random, RANDOM_LENGTH, 'random');
  w.vector8(0, SESSION_ID_MAX, m.legacySessionIdEcho);
  w.u16(m.cipherSuite).u8(m.legacyCompressionMethod);
  const short = tls13BlockShortfall(m.extensions, SH_EXTENSIONS_TLS13_MIN);
  if (short !== undefined) throw internalError(`encoded ServerHello extensions of ${short} bytes are below their minimum 6`);
  if (m.extensions.length > 0 || m.emptyExtensionBlock) writeExtensions(w, m.extensions, ...EXTENSIONS);
}
