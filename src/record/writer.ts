import { internalError } from '../errors.js';
import { type AlertDescription, type AlertLevel, ContentType, ProtocolVersion } from '../registry.js';
import { MAX_PLAINTEXT_LENGTH, RECORD_HEADER_LENGTH, writeRecordHeader } from './framing.js';
import type { RecordProtector } from './protection.js';

// The outbound record layer takes everything it sends from here, change_cipher_spec included.
export { changeCipherSpecRecord } from './change-cipher-spec.js';

/**
 * Cutting outgoing data into records (RFC 8446 §5.1): TLSPlaintext records before keys are
 * installed, protected records after.
 */

/**
 * RFC 8446 §5.1: 0x0303 everywhere, except that the record carrying an initial ClientHello
 * (not one sent after HelloRetryRequest) may say 0x0301 for old middleboxes.
 */
export type LegacyRecordVersion = typeof ProtocolVersion.TLS1_0 | typeof ProtocolVersion.TLS1_2;

/**
 * Chooses how many zero bytes to append to a protected record's inner plaintext (RFC 8446
 * §5.4). `room` is how much padding still fits in the record; larger answers are cut to it.
 */
export type PaddingPolicy = (contentLength: number, room: number) => number;

/**
 * Frames handshake, alert or change_cipher_spec bytes as TLSPlaintext records of at most
 * `maxFragment` bytes. All records share one allocated buffer; each is a view of it.
 */
export function plaintextRecords(type: number, data: Uint8Array, maxFragment = MAX_PLAINTEXT_LENGTH, legacyVersion: LegacyRecordVersion = ProtocolVersion.TLS1_2): Uint8Array[] {
  if (type !== ContentType.handshake && type !== ContentType.alert && type !== ContentType.change_cipher_spec) {
    // RFC 8446 §5.1: application data is never sent unprotected.
    throw internalError(`content type ${type} cannot be sent in plaintext`);
  }
  checkCommon(type, data, maxFragment);
  const count = Math.ceil(data.length / maxFragment);
  const out = new Uint8Array(data.length + count * RECORD_HEADER_LENGTH);
  const records: Uint8Array[] = [];
  let at = 0;
  for (let offset = 0; offset < data.length; offset += maxFragment) {
    const length = Math.min(maxFragment, data.length - offset);
    const start = at;
    writeRecordHeader(out, at, type, legacyVersion, length);
    at += RECORD_HEADER_LENGTH;
    out.set(data.subarray(offset, offset + length), at);
    at += length;
    records.push(out.subarray(start, at));
  }
  return records;
}

/**
 * One protected record holding `fragment` (at most `maxFragment` bytes) plus the padding the
 * policy asks for, as far as the record has room. One record at a time, so that the sender can
 * check the key's usage limit between records.
 */
export function protectedRecord(protector: RecordProtector, type: number, fragment: Uint8Array, maxFragment = MAX_PLAINTEXT_LENGTH, padding?: PaddingPolicy): Uint8Array {
  checkCommon(type, fragment, maxFragment);
  if (fragment.length > maxFragment) throw internalError(`a ${fragment.length}-byte fragment exceeds the maximum ${maxFragment}`);
  return sealFragment(protector, type, fragment, maxFragment, padding);
}

function sealFragment(protector: RecordProtector, type: number, fragment: Uint8Array, maxFragment: number, padding: PaddingPolicy | undefined): Uint8Array {
  const room = maxFragment - fragment.length;
  const paddingLength = padding ? Math.min(padding(fragment.length, room), room) : 0;
  return protector.protect(type, fragment, paddingLength);
}

/** The two bytes of an alert message (RFC 8446 §6): level, then description. */
export function alertMessage(level: AlertLevel, description: AlertDescription): Uint8Array {
  return Uint8Array.of(level, description);
}

function checkCommon(type: number, data: Uint8Array, maxFragment: number): void {
  if (!Number.isInteger(maxFragment) || maxFragment < 1 || maxFragment > MAX_PLAINTEXT_LENGTH) {
    throw internalError(`maximum fragment ${maxFragment} outside 1..${MAX_PLAINTEXT_LENGTH}`);
  }
  // RFC 8446 §5.1: handshake records are never empty; §6: an alert record is exactly one
  // two-byte alert, never fragmented or coalesced.
  if (type === ContentType.alert && data.length !== 2) throw internalError(`an alert record holds one 2-byte alert, not ${data.length} bytes`);
  if (data.length === 0 && type !== ContentType.application_data) throw internalError(`refusing to send an empty record of content type ${type}`);
}
