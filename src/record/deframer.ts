import { type TLSError, decodeError, protocolError } from '../errors.js';
import { ContentType } from '../registry.js';
import { RecordBufferPool } from './buffer-pool.js';
import { MAX_CIPHERTEXT_LENGTH, MAX_PLAINTEXT_LENGTH, RECORD_HEADER_LENGTH } from './framing.js';

/** The first byte of every SSL 3.0 / TLS version number (0x0300..0x0304). */
const TLS_MAJOR_VERSION = 0x03;

/**
 * Buffers for records assembled from several transport chunks, shared by every deframer in the
 * process. Only ever holds buffers this module assembled itself, so `recycle` can never hand
 * out memory that a transport chunk still lives in.
 */
const assemblyBuffers = new RecordBufferPool();

/** One record as it came off the wire, not yet unprotected. */
export interface DeframedRecord {
  /** The outer content type: always application_data for a protected record. */
  readonly type: number;
  /** Deprecated by RFC 8446 §5.1 and ignored beyond the sanity check of its first byte. */
  readonly legacyVersion: number;
  /** The 5 header bytes, exactly as received: the AEAD additional data (RFC 8446 §5.2). */
  readonly header: Uint8Array;
  /** TLSPlaintext.fragment or TLSCiphertext.encrypted_record. */
  readonly fragment: Uint8Array;
}

/**
 * Cuts a byte stream of any chunking into records and checks each header (RFC 8446 §5.1,
 * §5.2) as soon as its five bytes are in, before any of the body is buffered.
 *
 * `push` takes transport chunks; `next` hands out complete records in order. A record that lies
 * entirely inside one pushed chunk is returned as views of that chunk (no copy), so a caller
 * must not overwrite a chunk's memory until the records in it have been taken. A record that
 * spans chunks is assembled in one buffer allocated once its header has been checked, so each
 * byte is copied once whatever the chunk sizes (no quadratic re-joining of tiny chunks).
 *
 * What the deframer itself buffers is at most one record header plus one maximum record. A
 * bad header is reported by `next` after every record that preceded it, in stream order, and
 * from then on input is dropped: a hostile length field never makes us hold its body.
 * Complete records that the caller has not taken yet stay queued: that is the caller's
 * back-pressure to apply (`bufferedBytes` shows it).
 */
export class Deframer {
  /** Taken slots are cleared so handed-out records do not stay reachable from here. */
  private ready: (DeframedRecord | undefined)[] = [];
  private readyHead = 0;
  private readyBytes = 0;
  /** Header bytes of a record whose header arrived split across chunks. */
  private readonly headerScratch = new Uint8Array(RECORD_HEADER_LENGTH);
  private headerFilled = 0;
  /** The record being assembled (header and body), sized from its checked header. */
  private partial: Uint8Array | undefined;
  private partialFilled = 0;
  private failure: TLSError | undefined;
  private discarded = false;

  /** Accepts the next transport chunk. Never throws: errors come out of `next` in order. */
  push(chunk: Uint8Array): void {
    if (this.failure || this.discarded) return;
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.partial) {
        pos = this.continueBody(chunk, pos);
        continue;
      }
      if (this.headerFilled > 0 || end - pos < RECORD_HEADER_LENGTH) {
        pos = this.continueHeader(chunk, pos);
        continue;
      }
      // The common case: the whole header is in this chunk, and usually the whole body too.
      const length = this.checkHeader(chunk, pos);
      if (length < 0) return;
      const recordEnd = pos + RECORD_HEADER_LENGTH + length;
      if (recordEnd <= end) {
        this.enqueue(chunk.subarray(pos, recordEnd));
        pos = recordEnd;
      } else {
        // Filled completely before it is queued, so no zero-fill is needed.
        this.partial = assemblyBuffers.acquire(RECORD_HEADER_LENGTH + length);
        this.partial.set(chunk.subarray(pos, end));
        this.partialFilled = end - pos;
        pos = end;
      }
    }
  }

  /**
   * The next complete record, or undefined when more input is needed. Throws the TLSError of a
   * bad header once every record before it has been taken.
   */
  next(): DeframedRecord | undefined {
    if (this.readyHead < this.ready.length) {
      const record = this.ready[this.readyHead]!;
      this.ready[this.readyHead] = undefined;
      this.readyHead++;
      if (this.readyHead === this.ready.length) {
        this.ready.length = 0;
        this.readyHead = 0;
      }
      this.readyBytes -= RECORD_HEADER_LENGTH + record.fragment.length;
      return record;
    }
    if (this.failure) throw this.failure;
    return undefined;
  }

  /** Bytes received and not yet handed out by `next`: queued records plus an incomplete one. */
  get bufferedBytes(): number {
    return this.readyBytes + this.partialRecordBytes;
  }

  /**
   * Bytes of a record that has begun but not finished arriving. Non-zero when the transport
   * closes means the peer's last record was cut short: a truncation, not a clean end.
   */
  get partialRecordBytes(): number {
    return this.partial ? this.partialFilled : this.headerFilled;
  }

  /**
   * The caller is done with a record from `next` and nothing refers to its bytes any more (a
   * protected record once it was decrypted into a new array): a record this deframer had to
   * assemble lends its buffer to the next one. Views of transport chunks are left alone.
   */
  recycle(record: DeframedRecord): void {
    assemblyBuffers.release(record.fragment);
  }

  /**
   * Gives the records still waiting for `next` that lie inside `lent` memory of their own, for a
   * caller that pushed `lent` and is about to reuse it (a transport's read buffer): until then
   * they are views of it. Records held elsewhere (assembled ones, copies from an earlier call)
   * are left as they are, so a connection that stays busy over many reads copies each byte once.
   */
  detachQueued(lent: Uint8Array): void {
    for (let i = this.readyHead; i < this.ready.length; i++) {
      const record = this.ready[i]!;
      if (record.header.buffer !== lent.buffer) continue;
      const copy = new Uint8Array(RECORD_HEADER_LENGTH + record.fragment.length);
      copy.set(record.header);
      copy.set(record.fragment, RECORD_HEADER_LENGTH);
      this.ready[i] = deframedRecord(copy);
    }
  }

  /** Complete records waiting for `next`. */
  get pendingRecords(): number {
    return this.ready.length - this.readyHead;
  }

  /**
   * Forgets everything buffered and ignores all further input: after close_notify (RFC 8446
   * §6.1, later data is ignored) or once the connection has failed.
   */
  discard(): void {
    this.discarded = true;
    this.ready = [];
    this.readyHead = 0;
    this.readyBytes = 0;
    this.headerFilled = 0;
    this.partial = undefined;
    this.partialFilled = 0;
  }

  private continueHeader(chunk: Uint8Array, pos: number): number {
    const take = Math.min(RECORD_HEADER_LENGTH - this.headerFilled, chunk.length - pos);
    this.headerScratch.set(chunk.subarray(pos, pos + take), this.headerFilled);
    this.headerFilled += take;
    pos += take;
    if (this.headerFilled < RECORD_HEADER_LENGTH) return pos;

    this.headerFilled = 0;
    const length = this.checkHeader(this.headerScratch, 0);
    if (length < 0) return chunk.length;
    const record = assemblyBuffers.acquire(RECORD_HEADER_LENGTH + length);
    record.set(this.headerScratch);
    if (length === 0) {
      this.enqueue(record);
    } else {
      this.partial = record;
      this.partialFilled = RECORD_HEADER_LENGTH;
    }
    return pos;
  }

  private continueBody(chunk: Uint8Array, pos: number): number {
    const partial = this.partial!;
    const take = Math.min(partial.length - this.partialFilled, chunk.length - pos);
    partial.set(chunk.subarray(pos, pos + take), this.partialFilled);
    this.partialFilled += take;
    if (this.partialFilled === partial.length) {
      this.partial = undefined;
      this.partialFilled = 0;
      this.enqueue(partial);
    }
    return pos + take;
  }

  /**
   * Checks the header at `at` and returns the body length, or -1 after recording the error
   * (the rest of the input is then dropped).
   */
  private checkHeader(bytes: Uint8Array, at: number): number {
    const type = bytes[at]!;
    const versionMajor = bytes[at + 1]!;
    const length = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    // RFC 8446 §5.1 says to ignore legacy_record_version, and we do ignore its second byte.
    // A first byte other than 3 is not a TLS record at all (an HTTP request, an SSLv2 hello,
    // a desynchronised stream), and is checked first so such garbage reads as malformed.
    if (versionMajor !== TLS_MAJOR_VERSION) {
      return this.reject(decodeError('not_a_tls_record', `not a TLS record (${describeGarbage(bytes, at)})`));
    }
    let maxLength: number;
    switch (type) {
      case ContentType.application_data:
        // Protected records (outer type 23) may carry up to 255 bytes of AEAD expansion; a
        // zero-length one is left to record protection, which rejects it as bad_record_mac.
        maxLength = MAX_CIPHERTEXT_LENGTH;
        break;
      case ContentType.handshake:
      case ContentType.alert:
        // RFC 8446 §5.1: these are never empty, even when padded.
        if (length === 0) return this.reject(protocolError('empty_record', `empty ${type === ContentType.alert ? 'alert' : 'handshake'} record`));
        maxLength = MAX_PLAINTEXT_LENGTH;
        break;
      case ContentType.change_cipher_spec:
        // Its one allowed value is checked by checkChangeCipherSpec where it is consumed.
        maxLength = MAX_PLAINTEXT_LENGTH;
        break;
      default:
        // RFC 8446 §5: an unknown record type is unexpected_message.
        return this.reject(protocolError('unknown_content_type', `unknown record content type ${type}`));
    }
    // Checked on the header alone, so an oversized length never makes us buffer its body.
    if (length > maxLength) {
      return this.reject(protocolError('record_too_long', `record length ${length} exceeds ${maxLength} (content type ${type})`));
    }
    return length;
  }

  private reject(error: TLSError): number {
    this.failure = error;
    this.headerFilled = 0;
    this.partial = undefined;
    this.partialFilled = 0;
    return -1;
  }

  private enqueue(record: Uint8Array): void {
    this.ready.push(deframedRecord(record));
    this.readyBytes += record.length;
  }
}

/** A complete record (header and body) as views of `bytes`. */
function deframedRecord(bytes: Uint8Array): DeframedRecord {
  return {
    type: bytes[0]!,
    legacyVersion: (bytes[1]! << 8) | bytes[2]!,
    header: bytes.subarray(0, RECORD_HEADER_LENGTH),
    fragment: bytes.subarray(RECORD_HEADER_LENGTH),
  };
}

/** A hint for the error message only: says what the peer seems to speak instead of TLS. */
function describeGarbage(bytes: Uint8Array, at: number): string {
  const first = bytes[at]!;
  const isUpper = (b: number | undefined): boolean => b !== undefined && b >= 0x41 && b <= 0x5a;
  if (isUpper(first) && isUpper(bytes[at + 1]) && isUpper(bytes[at + 2])) return 'looks like plaintext HTTP';
  if ((first & 0x80) !== 0) return 'looks like an SSLv2 record';
  const hex = (b: number): string => b.toString(16).padStart(2, '0');
  return `header ${hex(first)} ${hex(bytes[at + 1]!)} ${hex(bytes[at + 2]!)}`;
}
