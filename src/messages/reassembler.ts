import { protocolError } from '../errors.js';
import { isTls13HandshakeType } from './handshake.js';
import { handshakeTypeName } from './registry.js';

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
 * 64 KiB covers every message real peers send (Go and rustls cap non-certificate messages
 * there); the extra 4 KiB lets a ClientHello with a maximal 2^16-1 extensions block plus its
 * fixed fields through. Deployments with very long certificate chains can raise it.
 */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE = 0x10000 + 0x1000;

export class HandshakeReassembler {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  /** `maxMessageSize` caps a message's declared body length, so a peer cannot make us buffer 16 MiB. */
  constructor(private readonly maxMessageSize = DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE) {}

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
    if (!isTls13HandshakeType(header[0]!)) throw protocolError('unexpected_message', `unexpected handshake message type ${handshakeTypeName(header[0]!)}`);
    const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
    // Rejected as soon as the header arrives, before buffering the body. RFC 8446 names no
    // alert for this; a well-formed but excessive length is illegal_parameter, as OpenSSL
    // sends (SSL_R_EXCESSIVE_MESSAGE_SIZE), not decode_error: nothing failed to parse.
    if (length > this.maxMessageSize) {
      throw protocolError('illegal_parameter', `handshake message of ${length} bytes exceeds the limit of ${this.maxMessageSize}`);
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
