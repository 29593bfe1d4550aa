import { decodeError, protocolError } from '../errors.js';
import { isTls13HandshakeType, maxBodyLength } from './handshake.js';
import { HandshakeType, handshakeTypeName } from '../registry.js';

/**
 * Joins handshake record payloads into whole handshake messages (RFC 8446 §5.1: a message may
 * be split across records and a record may carry several messages).
 *
 * Fragments are kept as a list and copied once, when their message is complete, so a large
 * message arriving one byte per record costs linear, not quadratic, time. Ownership of a pushed
 * fragment passes to the reassembler: the caller must not modify it afterwards.
 */

export interface AssembledMessage {
  type: number;
  /** A view into `raw`. */
  body: Uint8Array;
  /** The exact wire bytes, 4-byte header included, in a fresh buffer: what the transcript hashes. */
  raw: Uint8Array;
}

const HEADER_LENGTH = 4;

/**
 * A Certificate message may declare up to 2^24-1 bytes (RFC 8446 §4.4.2); 64 KiB holds every
 * chain real peers send (Go and rustls cap it there). Deployments with very long chains raise
 * it with maxHandshakeMessageSize.
 */
const DEFAULT_MAX_CERTIFICATE_MESSAGE_SIZE = 0x10000;

export class HandshakeReassembler {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  /**
   * Every message is capped at the longest body its syntax allows (maxBodyLength); a
   * Certificate, whose syntax allows 16 MiB, also at `certificateLimit`, so a peer cannot make
   * us buffer 16 MiB.
   */
  constructor(private readonly certificateLimit = DEFAULT_MAX_CERTIFICATE_MESSAGE_SIZE) {}

  /**
   * True while bytes of an incomplete message are buffered. RFC 8446 §5.1: handshake messages
   * MUST NOT span a key change, so the record layer checks this when keys change.
   */
  get hasPartial(): boolean {
    return this.buffered > 0;
  }

  push(fragment: Uint8Array): void {
    if (fragment.length === 0) return;
    this.chunks.push(fragment);
    this.buffered += fragment.length;
  }

  /** The next complete message, or undefined until more bytes are pushed. */
  next(): AssembledMessage | undefined {
    if (this.buffered < HEADER_LENGTH) return undefined;
    const header = this.peekHeader();
    // A type no TLS 1.3 peer sends is refused on its header, as decodeHandshake would refuse
    // it, rather than after waiting for a body its length field may promise but never bring.
    if (!isTls13HandshakeType(header[0]!)) throw protocolError('unknown_handshake_type', `unexpected handshake message type ${handshakeTypeName(header[0]!)}`);
    const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
    // Both are refused as soon as the header arrives, before buffering the body. A length no
    // message of that type can have cannot decode: decode_error (RFC 8446 §6). A Certificate
    // within its syntax but over our configured limit is well-formed, just more than we
    // accept: illegal_parameter, as OpenSSL sends (SSL_R_EXCESSIVE_MESSAGE_SIZE).
    const syntaxMax = maxBodyLength(header[0]!);
    if (length > syntaxMax) throw decodeError('message_too_long', `${handshakeTypeName(header[0]!)} of ${length} bytes exceeds its syntactic maximum of ${syntaxMax}`);
    if (header[0] === HandshakeType.certificate && length > this.certificateLimit) {
      throw protocolError('certificate_too_large', `Certificate of ${length} bytes exceeds the configured limit of ${this.certificateLimit}`);
    }
    if (this.buffered < HEADER_LENGTH + length) return undefined;
    const raw = this.take(HEADER_LENGTH + length);
    return { type: raw[0]!, body: raw.subarray(HEADER_LENGTH), raw };
  }

  private peekHeader(): Uint8Array {
    const header = new Uint8Array(HEADER_LENGTH);
    let filled = 0;
    for (const chunk of this.chunks) {
      const n = Math.min(chunk.length, HEADER_LENGTH - filled);
      header.set(chunk.subarray(0, n), filled);
      filled += n;
      if (filled === HEADER_LENGTH) break;
    }
    return header;
  }

  /** Removes the first `n` buffered bytes (n <= buffered) into one new buffer. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let used = 0;
    while (filled < n) {
      const chunk = this.chunks[used]!;
      const wanted = n - filled;
      if (chunk.length <= wanted) {
        out.set(chunk, filled);
        filled += chunk.length;
        used++;
      } else {
        out.set(chunk.subarray(0, wanted), filled);
        this.chunks[used] = chunk.subarray(wanted);
        filled = n;
      }
    }
    this.chunks.splice(0, used);
    this.buffered -= n;
    return out;
  }
}
