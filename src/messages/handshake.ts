import { protocolError } from '../errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { decodeCertificate, decodeCertificateVerify, decodeFinished, encodeCertificate, encodeCertificateVerify, encodeFinished } from './authentication.js';
import { decodeClientHello, decodeServerHello, encodeClientHello, encodeServerHello } from './hello.js';
import { decodeKeyUpdate, decodeNewSessionTicket, encodeKeyUpdate, encodeNewSessionTicket } from './post-handshake.js';
import { HandshakeType, handshakeTypeName } from '../registry.js';
import { decodeCertificateRequest, decodeEncryptedExtensions, encodeCertificateRequest, encodeEncryptedExtensions } from './server-parameters.js';
import type { HandshakeMessage } from './types.js';

/**
 * The handshake message framing (RFC 8446 §4): `msg_type u8, length u24, body`, and the
 * dispatch from type to body codec.
 */

export { findExtension } from './codec.js';
export { HELLO_RETRY_REQUEST_RANDOM, isHelloRetryRequest } from './hello.js';

interface BodyCodec<M extends HandshakeMessage> {
  decode(r: Reader): M;
  encode(w: Writer, message: M): void;
}

type CodecTable = { [T in HandshakeMessage['type']]: BodyCodec<Extract<HandshakeMessage, { type: T }>> };

const codecs: CodecTable = {
  [HandshakeType.client_hello]: { decode: decodeClientHello, encode: encodeClientHello },
  [HandshakeType.server_hello]: { decode: decodeServerHello, encode: encodeServerHello },
  [HandshakeType.new_session_ticket]: { decode: decodeNewSessionTicket, encode: encodeNewSessionTicket },
  // §4.5: struct {} EndOfEarlyData; the body must be empty, which decodeHandshake's end check enforces.
  [HandshakeType.end_of_early_data]: { decode: () => ({ type: HandshakeType.end_of_early_data }), encode: () => {} },
  [HandshakeType.encrypted_extensions]: { decode: decodeEncryptedExtensions, encode: encodeEncryptedExtensions },
  [HandshakeType.certificate]: { decode: decodeCertificate, encode: encodeCertificate },
  [HandshakeType.certificate_request]: { decode: decodeCertificateRequest, encode: encodeCertificateRequest },
  [HandshakeType.certificate_verify]: { decode: decodeCertificateVerify, encode: encodeCertificateVerify },
  [HandshakeType.finished]: { decode: decodeFinished, encode: encodeFinished },
  [HandshakeType.key_update]: { decode: decodeKeyUpdate, encode: encodeKeyUpdate },
};

function codecFor(type: number): BodyCodec<HandshakeMessage> | undefined {
  return Object.hasOwn(codecs, type) ? (codecs[type as keyof CodecTable] as BodyCodec<HandshakeMessage>) : undefined;
}

/** Encodes a message with its 4-byte handshake header, ready for the transcript and the record layer. */
export function encodeHandshake(message: HandshakeMessage): Uint8Array {
  const w = new Writer();
  w.u8(message.type);
  w.vector24(0, 0xffffff, (body) => codecFor(message.type)!.encode(body, message));
  return w.finish();
}

/**
 * The longest body each message's syntax allows (RFC 8446 §4), so the reassembler can refuse a
 * longer declared length from the header alone, before buffering what it promises. Vector
 * bounds are those the codecs read with; a longer body cannot decode, so it is decode_error
 * (§6: "a message could not be decoded"). Certificate's syntax allows the full 24-bit length;
 * what a connection accepts there is a matter of configuration (see HandshakeReassembler).
 * Finished holds Hash.length bytes: 48 is the longest hash of a TLS 1.3 suite (SHA-384); the
 * state machine then checks the exact length of the negotiated hash.
 */
const MAX_BODY_LENGTH: Record<number, number> = {
  // legacy_version, random, session_id<0..32>, cipher_suites<2..2^16-2>,
  // compression_methods<1..2^8-1>, extensions<8..2^16-1>: about 128 KiB.
  [HandshakeType.client_hello]: 2 + 32 + (1 + 32) + (2 + 0xfffe) + (1 + 0xff) + (2 + 0xffff),
  // legacy_version, random, session_id_echo<0..32>, cipher_suite, compression, extensions<6..2^16-1>.
  [HandshakeType.server_hello]: 2 + 32 + (1 + 32) + 2 + 1 + (2 + 0xffff),
  // lifetime, age_add, nonce<0..255>, ticket<1..2^16-1>, extensions<0..2^16-2>.
  [HandshakeType.new_session_ticket]: 4 + 4 + (1 + 0xff) + (2 + 0xffff) + (2 + 0xfffe),
  [HandshakeType.end_of_early_data]: 0,
  [HandshakeType.encrypted_extensions]: 2 + 0xffff,
  // certificate_request_context<0..2^8-1>, extensions<2..2^16-1>.
  [HandshakeType.certificate_request]: 1 + 0xff + (2 + 0xffff),
  [HandshakeType.certificate]: 0xffffff,
  // algorithm, signature<0..2^16-1>.
  [HandshakeType.certificate_verify]: 2 + (2 + 0xffff),
  [HandshakeType.finished]: 48,
  [HandshakeType.key_update]: 1,
};

/** The longest body a message of `type` can have; 0 for types no TLS 1.3 peer sends. */
export function maxBodyLength(type: number): number {
  return Object.hasOwn(MAX_BODY_LENGTH, type) ? MAX_BODY_LENGTH[type]! : 0;
}

/** Whether a peer may send this handshake type at all in TLS 1.3 (see decodeHandshake). */
export function isTls13HandshakeType(type: number): boolean {
  return codecFor(type) !== undefined;
}

/**
 * Decodes a handshake body (header already removed by the reassembler). Byte fields of the
 * result are views into `body`.
 *
 * A type we have no codec for is not a TLS 1.3 message a peer may send (TLS 1.2-only types,
 * message_hash which exists only inside the transcript, unassigned values). No TLS 1.3 state
 * expects it, so it is out of order by definition: unexpected_message (RFC 8446 §4, §6.2).
 */
export function decodeHandshake(type: number, body: Uint8Array): HandshakeMessage {
  const codec = codecFor(type);
  if (!codec) throw protocolError('unknown_handshake_type', `unexpected handshake message type ${handshakeTypeName(type)}`);
  const r = new Reader(body, 0, body.length, handshakeTypeName(type));
  const message = codec.decode(r);
  r.expectEnd();
  return message;
}

/**
 * The synthetic message that replaces ClientHello1 in the transcript after a
 * HelloRetryRequest (RFC 8446 §4.4.1): type message_hash, then Hash(ClientHello1) as its body.
 */
export function messageHash(digest: Uint8Array): Uint8Array {
  const w = new Writer(4 + digest.length);
  w.u8(HandshakeType.message_hash).vector24(0, 0xffffff, digest);
  return w.finish();
}
