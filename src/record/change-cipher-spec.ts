import { protocolError } from '../errors.js';
import { ContentType, ProtocolVersion } from '../registry.js';
import { writeRecordHeader } from './framing.js';

/**
 * The middlebox-compatibility change_cipher_spec (RFC 8446 §5, Appendix D.4).
 *
 * Sending: a client in compatibility mode sends it right before its second flight (or before
 * its second ClientHello after a HelloRetryRequest); a server right after its ServerHello or
 * HelloRetryRequest. It is never protected.
 *
 * Receiving, for the connection: an unprotected change_cipher_spec record that arrives after
 * the first ClientHello was sent or received and before the peer's Finished has been received
 * must be checked with `checkChangeCipherSpec` and then dropped, even when protected records
 * are expected at that point (so look at the outer type before deprotecting). Outside that
 * window it is an unexpected record type: unexpected_message, whatever its value. A
 * change_cipher_spec found inside a protected record is rejected by RecordProtector.unprotect.
 */

const CCS_VALUE = 0x01;

/** The whole record: 14 03 03 00 01 01. A fresh copy each time; callers may keep or mutate it. */
export function changeCipherSpecRecord(): Uint8Array {
  const record = new Uint8Array(6);
  writeRecordHeader(record, 0, ContentType.change_cipher_spec, ProtocolVersion.TLS1_2, 1);
  record[5] = CCS_VALUE;
  return record;
}

/**
 * How many change_cipher_spec records a handshake drops. Appendix D.4 has a peer send one; a
 * peer that sent one per flight it has before its Finished (a client's ClientHello, second
 * ClientHello and final flight) would send three. Dropping them costs nothing, so without a
 * limit a peer could feed us an endless stream of 6-byte records until the handshake timer
 * fires: the DoS of CVE-2020-25648 (OpenSSL and Go now cap them as well).
 */
export const MAX_DROPPED_CHANGE_CIPHER_SPECS = 3;

/**
 * RFC 8446 §5: the only acceptable change_cipher_spec is the single byte 0x01, and a flood of
 * them is unexpected_message. `dropped` counts those this handshake already dropped.
 */
export function checkChangeCipherSpec(fragment: Uint8Array, dropped: number): void {
  if (fragment.length !== 1 || fragment[0] !== CCS_VALUE) {
    throw protocolError('invalid_change_cipher_spec', `invalid change_cipher_spec (${fragment.length} bytes)`);
  }
  if (dropped >= MAX_DROPPED_CHANGE_CIPHER_SPECS) {
    throw protocolError('too_many_change_cipher_specs', `more than ${MAX_DROPPED_CHANGE_CIPHER_SPECS} change_cipher_spec records`);
  }
}
