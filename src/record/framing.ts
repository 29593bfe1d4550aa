import { protocolError } from '../errors.js';

/**
 * The record header layout and the size limits of RFC 8446 §5 and RFC 8449, shared by the
 * deframer (what we accept), the protector and the writer (what we produce).
 */

/** type(1) || legacy_record_version(2) || length(2). */
export const RECORD_HEADER_LENGTH = 5;

/** RFC 8446 §5.1: TLSPlaintext.length and TLSInnerPlaintext.content never exceed 2^14. */
export const MAX_PLAINTEXT_LENGTH = 16384;

/** RFC 8446 §5.4: the whole TLSInnerPlaintext (content, type byte, padding) is at most 2^14 + 1. */
export const MAX_INNER_PLAINTEXT_LENGTH = MAX_PLAINTEXT_LENGTH + 1;

/** RFC 8446 §5.2: TLSCiphertext.length is at most 2^14 + 256 (inner plaintext + AEAD expansion). */
export const MAX_CIPHERTEXT_LENGTH = MAX_PLAINTEXT_LENGTH + 256;

/** RFC 8449 §4: the smallest record_size_limit an endpoint may announce. */
export const MIN_RECORD_SIZE_LIMIT = 64;

/**
 * Writes a record header at `offset`. The caller guarantees `length` fits the record limits;
 * the writer and protector check that before building the buffer.
 */
export function writeRecordHeader(out: Uint8Array, offset: number, type: number, legacyVersion: number, length: number): void {
  out[offset] = type;
  out[offset + 1] = legacyVersion >>> 8;
  out[offset + 2] = legacyVersion & 0xff;
  out[offset + 3] = length >>> 8;
  out[offset + 4] = length & 0xff;
}

/**
 * The TLSInnerPlaintext limit that follows from the peer's record_size_limit (RFC 8449 §4).
 * In TLS 1.3 the limit counts the content type byte and padding, so it bounds the inner
 * plaintext directly; values above the protocol maximum just mean "the protocol maximum".
 * A value below 64 is the peer's error: illegal_parameter, as RFC 8449 §4 requires.
 */
export function innerPlaintextLimitFor(recordSizeLimit: number): number {
  if (!Number.isInteger(recordSizeLimit) || recordSizeLimit < MIN_RECORD_SIZE_LIMIT) {
    throw protocolError('record_size_limit_too_small', `record_size_limit ${recordSizeLimit} is below the minimum ${MIN_RECORD_SIZE_LIMIT}`);
  }
  return Math.min(recordSizeLimit, MAX_INNER_PLAINTEXT_LENGTH);
}

/**
 * The largest content we may put in one protected record for the peer's record_size_limit:
 * the limit minus the content type byte (RFC 8449 §4), never above 2^14.
 */
export function maxFragmentForRecordSizeLimit(recordSizeLimit: number): number {
  return innerPlaintextLimitFor(recordSizeLimit) - 1;
}
