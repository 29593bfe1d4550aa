import { describe, expect, it } from 'vitest';
import { AlertDescription, AlertLevel, ContentType } from '../../src/registry.js';
import { Deframer } from '../../src/record/deframer.js';
import { MAX_PLAINTEXT_LENGTH, innerPlaintextLimitFor, maxFragmentForRecordSizeLimit } from '../../src/record/framing.js';
import { RecordProtector } from '../../src/record/protection.js';
import { MAX_DROPPED_CHANGE_CIPHER_SPECS, checkChangeCipherSpec } from '../../src/record/change-cipher-spec.js';
import { alertMessage, changeCipherSpecRecord, plaintextRecords, protectedRecord } from '../../src/record/writer.js';
import { padToMultipleOf, plaintextAlertRecord, protectedRecords } from '../helpers/records.js';
import { nodeAead } from './node-aead.js';
import { concat, expectAlert, expectBytes, filled } from './support.js';

const { handshake, alert, application_data: appData, change_cipher_spec: ccs } = ContentType;

function protectorPair(): { writer: RecordProtector; reader: RecordProtector } {
  const key = filled(32, 5);
  const iv = filled(12, 6);
  return {
    writer: new RecordProtector(nodeAead('CHACHA20-POLY1305', key), iv),
    reader: new RecordProtector(nodeAead('CHACHA20-POLY1305', key), iv),
  };
}

/** Runs records through the deframer and the reader, returning each record's inner parts. */
function receive(reader: RecordProtector, records: Uint8Array[]): { type: number; content: Uint8Array; innerLength: number }[] {
  const deframer = new Deframer();
  deframer.push(concat(records));
  const out = [];
  for (let record = deframer.next(); record; record = deframer.next()) {
    const { type, content } = reader.unprotect(record.header, record.fragment);
    out.push({ type, content, innerLength: record.fragment.length - 16 });
  }
  return out;
}

describe('plaintextRecords (RFC 8446 §5.1)', () => {
  it('cuts handshake data at 2^14 bytes', () => {
    const data = filled(2 * MAX_PLAINTEXT_LENGTH + 1000);
    const records = plaintextRecords(handshake, data);
    expect(records.map((r) => r.length - 5)).toEqual([MAX_PLAINTEXT_LENGTH, MAX_PLAINTEXT_LENGTH, 1000]);
    for (const r of records) expect(Array.from(r.subarray(0, 5))).toEqual([22, 3, 3, (r.length - 5) >>> 8, (r.length - 5) & 0xff]);
    expectBytes(concat(records.map((r) => r.subarray(5))), data);
    // One buffer for the whole flight.
    expect(new Set(records.map((r) => r.buffer)).size).toBe(1);
  });

  it('cuts at a smaller maximum and survives deframing', () => {
    const data = filled(1000);
    const records = plaintextRecords(handshake, data, 63);
    expect(records.length).toBe(Math.ceil(1000 / 63));
    const deframer = new Deframer();
    deframer.push(concat(records));
    const fragments = [];
    for (let r = deframer.next(); r; r = deframer.next()) fragments.push(r.fragment);
    expect(concat(fragments)).toEqual(data);
  });

  it('writes the legacy version it is given (0x0301 for an initial ClientHello)', () => {
    const [record] = plaintextRecords(handshake, filled(10), MAX_PLAINTEXT_LENGTH, 0x0301);
    expect(Array.from(record!.subarray(0, 3))).toEqual([22, 3, 1]);
  });

  it('frames an alert as one record of two bytes', () => {
    expect(Array.from(plaintextAlertRecord(AlertLevel.fatal, AlertDescription.handshake_failure))).toEqual([21, 3, 3, 0, 2, 2, 40]);
    expect(Array.from(alertMessage(AlertLevel.warning, AlertDescription.close_notify))).toEqual([1, 0]);
  });

  it('refuses application data, empty data, split or coalesced alerts and bad sizes: internal_error', () => {
    expectAlert(() => plaintextRecords(appData, filled(5)), 'internal_error');
    expectAlert(() => plaintextRecords(handshake, new Uint8Array(0)), 'internal_error');
    expectAlert(() => plaintextRecords(alert, Uint8Array.of(2, 40, 2, 40)), 'internal_error');
    expectAlert(() => plaintextRecords(handshake, filled(5), MAX_PLAINTEXT_LENGTH + 1), 'internal_error');
    expectAlert(() => plaintextRecords(handshake, filled(5), 0), 'internal_error');
  });
});

describe('protectedRecord (one record at a time, as the outbound record layer sends)', () => {
  it('builds the same records as protectedRecords, padding included', () => {
    const a = protectorPair();
    const b = protectorPair();
    const data = filled(2500);
    const options = { maxFragment: 1000, padding: padToMultipleOf(64) };
    const whole = protectedRecords(a.writer, appData, data, options);
    const oneByOne = [0, 1000, 2000].map((at) => protectedRecord(b.writer, appData, data.subarray(at, at + 1000), 1000, options.padding));
    expect(oneByOne.map((r) => Array.from(r))).toEqual(whole.map((r) => Array.from(r)));
    expectBytes(concat(receive(a.reader, oneByOne).map((r) => r.content)), data);
  });

  it('refuses a fragment over the maximum, an empty handshake record and a malformed alert (internal_error)', () => {
    const { writer } = protectorPair();
    expectAlert(() => protectedRecord(writer, handshake, filled(1001), 1000), 'internal_error');
    expectAlert(() => protectedRecord(writer, handshake, new Uint8Array(0)), 'internal_error');
    expectAlert(() => protectedRecord(writer, alert, Uint8Array.of(1, 0, 0)), 'internal_error');
    expect(writer.recordsProtected, 'nothing was sealed').toBe(0);
  });
});

describe('protectedRecords', () => {
  it('cuts application data at 2^14 bytes of content', () => {
    const { writer, reader } = protectorPair();
    const data = filled(3 * MAX_PLAINTEXT_LENGTH + 5);
    const records = protectedRecords(writer, appData, data);
    expect(records.length).toBe(4);
    const got = receive(reader, records);
    expect(got.map((r) => r.content.length)).toEqual([MAX_PLAINTEXT_LENGTH, MAX_PLAINTEXT_LENGTH, MAX_PLAINTEXT_LENGTH, 5]);
    expectBytes(concat(got.map((r) => r.content)), data);
    expect(got.every((r) => r.type === appData)).toBe(true);
  });

  it('respects a peer record_size_limit: inner plaintext (content + type) at most the limit (RFC 8449 §4)', () => {
    const { writer, reader } = protectorPair();
    const limit = 1000;
    const data = filled(5000);
    const records = protectedRecords(writer, handshake, data, { maxFragment: maxFragmentForRecordSizeLimit(limit) });
    const got = receive(reader, records);
    expect(got.map((r) => r.innerLength)).toEqual([1000, 1000, 1000, 1000, 1000, 5 + 1]);
    expectBytes(concat(got.map((r) => r.content)), data);
  });

  it('pads with the policy, never past the record limit', () => {
    const { writer, reader } = protectorPair();
    const limit = 300;
    const maxFragment = maxFragmentForRecordSizeLimit(limit);
    const seen: [number, number][] = [];
    const records = protectedRecords(writer, appData, filled(700), {
      maxFragment,
      padding: (length, room) => {
        seen.push([length, room]);
        return 256;
      },
    });
    expect(seen).toEqual([
      [299, 0],
      [299, 0],
      [102, 197],
    ]);
    const got = receive(reader, records);
    expect(got.map((r) => r.innerLength)).toEqual([300, 300, 300]);
    expect(got.map((r) => r.content.length)).toEqual([299, 299, 102]);
  });

  it('padToMultipleOf rounds the content up to a block', () => {
    const { writer, reader } = protectorPair();
    const records = protectedRecords(writer, appData, filled(1000), { padding: padToMultipleOf(256) });
    expect(receive(reader, records).map((r) => r.innerLength)).toEqual([1024 + 1]);
    expect(padToMultipleOf(256)(256, 1000)).toBe(0);
    expectAlert(() => padToMultipleOf(0), 'internal_error');
  });

  it('sends empty application data as one empty record, and refuses empty handshake data', () => {
    const { writer, reader } = protectorPair();
    const got = receive(reader, protectedRecords(writer, appData, new Uint8Array(0)));
    expect(got.length).toBe(1);
    expect(got[0]!.content.length).toBe(0);
    expectAlert(() => protectedRecords(writer, handshake, new Uint8Array(0)), 'internal_error');
    expectAlert(() => protectedRecords(writer, ccs, Uint8Array.of(1)), 'internal_error');
  });
});

describe('record_size_limit arithmetic (RFC 8449 §4)', () => {
  it('subtracts the content type byte and caps at the protocol maximum', () => {
    expect(maxFragmentForRecordSizeLimit(64)).toBe(63);
    expect(maxFragmentForRecordSizeLimit(16385)).toBe(MAX_PLAINTEXT_LENGTH);
    expect(maxFragmentForRecordSizeLimit(65535)).toBe(MAX_PLAINTEXT_LENGTH);
    expect(innerPlaintextLimitFor(65535)).toBe(MAX_PLAINTEXT_LENGTH + 1);
  });

  it('a limit below 64 is illegal_parameter', () => {
    expectAlert(() => maxFragmentForRecordSizeLimit(63), 'illegal_parameter');
    expectAlert(() => innerPlaintextLimitFor(0), 'illegal_parameter');
  });
});

describe('change_cipher_spec (RFC 8446 §5, Appendix D.4)', () => {
  it('is the record 14 03 03 00 01 01, a fresh copy each time', () => {
    const record = changeCipherSpecRecord();
    expect(Array.from(record)).toEqual([0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
    record[5] = 0;
    expect(changeCipherSpecRecord()[5]).toBe(1);
    expect(plaintextRecords(ccs, Uint8Array.of(1))[0]).toEqual(changeCipherSpecRecord());
  });

  it('accepts exactly the byte 0x01', () => {
    expect(() => checkChangeCipherSpec(Uint8Array.of(1), 0)).not.toThrow();
  });

  it(`drops at most ${MAX_DROPPED_CHANGE_CIPHER_SPECS} per handshake, then unexpected_message (CVE-2020-25648)`, () => {
    expect(MAX_DROPPED_CHANGE_CIPHER_SPECS).toBe(3);
    for (let dropped = 0; dropped < MAX_DROPPED_CHANGE_CIPHER_SPECS; dropped++) expect(() => checkChangeCipherSpec(Uint8Array.of(1), dropped)).not.toThrow();
    expectAlert(() => checkChangeCipherSpec(Uint8Array.of(1), MAX_DROPPED_CHANGE_CIPHER_SPECS), 'unexpected_message');
  });

  it.each([
    ['empty', []],
    ['0x00', [0]],
    ['0x02', [2]],
    ['two bytes', [1, 1]],
  ])('rejects %s: unexpected_message', (_what, bytes) => {
    expectAlert(() => checkChangeCipherSpec(Uint8Array.from(bytes), 0), 'unexpected_message');
  });
});
