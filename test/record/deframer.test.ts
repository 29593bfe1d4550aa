import { describe, expect, it } from 'vitest';
import { Deframer, type DeframedRecord } from '../../src/record/deframer.js';
import { MAX_CIPHERTEXT_LENGTH, MAX_PLAINTEXT_LENGTH } from '../../src/record/framing.js';
import { ContentType } from '../../src/registry.js';
import { concat, expectAlert, expectBytes, filled, rawRecord, seededRandom } from './support.js';

const { handshake, alert, application_data: appData, change_cipher_spec: ccs } = ContentType;

/** A stream of assorted valid records, up to the maximum sizes, and its concatenation. */
function sampleStream(): { records: Uint8Array[]; bytes: Uint8Array } {
  const records = [
    rawRecord(handshake, filled(200, 1), 0x0301),
    rawRecord(ccs, Uint8Array.of(1)),
    rawRecord(appData, filled(MAX_CIPHERTEXT_LENGTH, 2)),
    rawRecord(appData, new Uint8Array(0)),
    rawRecord(alert, Uint8Array.of(2, 40)),
    rawRecord(handshake, filled(MAX_PLAINTEXT_LENGTH, 3)),
    rawRecord(appData, filled(1, 4)),
    rawRecord(appData, filled(17, 5)),
  ];
  return { records, bytes: concat(records) };
}

function drain(deframer: Deframer): DeframedRecord[] {
  const out: DeframedRecord[] = [];
  for (let record = deframer.next(); record; record = deframer.next()) out.push(record);
  return out;
}

function expectSameRecords(got: DeframedRecord[], expected: Uint8Array[]): void {
  expect(got.length).toBe(expected.length);
  got.forEach((record, i) => {
    const raw = expected[i]!;
    expect(record.type).toBe(raw[0]);
    expect(record.legacyVersion).toBe((raw[1]! << 8) | raw[2]!);
    expect(record.header).toEqual(raw.subarray(0, 5));
    expectBytes(record.fragment, raw.subarray(5));
  });
}

describe('Deframer: chunking (RFC 8446 §5.1)', () => {
  it('returns a record from one chunk as views of that chunk, without copying', () => {
    const chunk = rawRecord(handshake, filled(40));
    const deframer = new Deframer();
    deframer.push(chunk);
    const record = deframer.next()!;
    expect(record.fragment.buffer).toBe(chunk.buffer);
    expect(record.header.buffer).toBe(chunk.buffer);
    expect(record.fragment).toEqual(chunk.subarray(5));
    expect(deframer.next()).toBeUndefined();
    expect(deframer.bufferedBytes).toBe(0);
  });

  it('splits many records out of one chunk, in order', () => {
    const { records, bytes } = sampleStream();
    const deframer = new Deframer();
    deframer.push(bytes);
    expect(deframer.pendingRecords).toBe(records.length);
    expect(deframer.bufferedBytes).toBe(bytes.length);
    expectSameRecords(drain(deframer), records);
    expect(deframer.bufferedBytes).toBe(0);
  });

  it('reassembles a stream fed one byte at a time', () => {
    const { records, bytes } = sampleStream();
    const deframer = new Deframer();
    const got: DeframedRecord[] = [];
    for (let i = 0; i < bytes.length; i++) {
      deframer.push(bytes.subarray(i, i + 1));
      got.push(...drain(deframer));
    }
    expectSameRecords(got, records);
    expect(deframer.partialRecordBytes).toBe(0);
  });

  it('reports a record only once its last byte has arrived', () => {
    const record = rawRecord(appData, filled(100));
    const deframer = new Deframer();
    for (let i = 0; i < record.length - 1; i++) {
      deframer.push(record.subarray(i, i + 1));
      expect(deframer.next()).toBeUndefined();
      expect(deframer.partialRecordBytes).toBe(i + 1);
    }
    deframer.push(record.subarray(record.length - 1));
    expect(deframer.partialRecordBytes).toBe(0);
    const got = deframer.next()!;
    expect(got.fragment).toEqual(record.subarray(5));
    // Assembled in a single buffer sized from the header, not re-joined per chunk.
    expect(got.fragment.buffer.byteLength).toBe(record.length);
    expect(got.header.buffer).toBe(got.fragment.buffer);
  });

  it.each([1, 2, 3, 7, 42])('reassembles random chunkings (seed %i)', (seed) => {
    const { records, bytes } = sampleStream();
    const random = seededRandom(seed);
    const deframer = new Deframer();
    const got: DeframedRecord[] = [];
    for (let at = 0; at < bytes.length; ) {
      // Mostly small chunks, sometimes large ones spanning several records.
      const size = random() < 0.8 ? 1 + Math.floor(random() * 10) : 1 + Math.floor(random() * 40000);
      deframer.push(bytes.subarray(at, at + size));
      at += size;
      if (random() < 0.7) got.push(...drain(deframer));
    }
    got.push(...drain(deframer));
    expectSameRecords(got, records);
  });

  it('accepts a header split across chunks, and empty chunks', () => {
    const record = rawRecord(handshake, filled(10));
    const deframer = new Deframer();
    deframer.push(new Uint8Array(0));
    deframer.push(record.subarray(0, 2));
    deframer.push(record.subarray(2, 4));
    deframer.push(new Uint8Array(0));
    deframer.push(record.subarray(4));
    expect(deframer.next()!.fragment).toEqual(record.subarray(5));
  });

  it('counts the bytes of a record cut short, for truncation reports', () => {
    const record = rawRecord(appData, filled(300));
    const deframer = new Deframer();
    deframer.push(record.subarray(0, 3));
    expect(deframer.partialRecordBytes).toBe(3);
    deframer.push(record.subarray(3, 120));
    expect(deframer.partialRecordBytes).toBe(120);
    expect(deframer.bufferedBytes).toBe(120);
    expect(deframer.next()).toBeUndefined();
  });

  it('ignores the second byte of legacy_record_version', () => {
    const deframer = new Deframer();
    for (const version of [0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x03ff]) deframer.push(rawRecord(handshake, filled(4), version));
    expect(drain(deframer).map((r) => r.legacyVersion)).toEqual([0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x03ff]);
  });

  it('accepts the largest records the RFC allows', () => {
    const deframer = new Deframer();
    deframer.push(rawRecord(appData, new Uint8Array(MAX_CIPHERTEXT_LENGTH)));
    deframer.push(rawRecord(handshake, new Uint8Array(MAX_PLAINTEXT_LENGTH)));
    deframer.push(rawRecord(alert, new Uint8Array(MAX_PLAINTEXT_LENGTH)));
    expect(drain(deframer).map((r) => r.fragment.length)).toEqual([MAX_CIPHERTEXT_LENGTH, MAX_PLAINTEXT_LENGTH, MAX_PLAINTEXT_LENGTH]);
  });

  it('discard() drops what is buffered and everything after', () => {
    const deframer = new Deframer();
    deframer.push(concat([rawRecord(alert, Uint8Array.of(1, 0)), rawRecord(appData, filled(10)).subarray(0, 8)]));
    deframer.discard();
    expect(deframer.bufferedBytes).toBe(0);
    expect(deframer.next()).toBeUndefined();
    deframer.push(rawRecord(handshake, filled(4)));
    deframer.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff));
    expect(deframer.next()).toBeUndefined();
  });
});

describe('Deframer: header checks', () => {
  it('record_overflow for a protected record longer than 2^14 + 256, without buffering its body', () => {
    const deframer = new Deframer();
    const header = rawRecord(appData, new Uint8Array(0), 0x0303, MAX_CIPHERTEXT_LENGTH + 1);
    deframer.push(concat([header, filled(1000)]));
    expect(deframer.bufferedBytes).toBe(0);
    expectAlert(() => deframer.next(), 'record_overflow', 'record_too_long');
    // Input after the error is dropped, not buffered.
    deframer.push(filled(MAX_CIPHERTEXT_LENGTH));
    expect(deframer.bufferedBytes).toBe(0);
    expectAlert(() => deframer.next(), 'record_overflow', 'record_too_long');
  });

  it('record_overflow as soon as a hostile header is complete, even byte by byte', () => {
    const deframer = new Deframer();
    const header = Uint8Array.of(appData, 3, 3, 0xff, 0xff);
    for (let i = 0; i < 4; i++) deframer.push(header.subarray(i, i + 1));
    expect(deframer.next()).toBeUndefined();
    deframer.push(header.subarray(4));
    expect(deframer.bufferedBytes).toBe(0);
    expectAlert(() => deframer.next(), 'record_overflow', 'record_too_long');
  });

  it.each([
    ['handshake', handshake],
    ['alert', alert],
    ['change_cipher_spec', ccs],
  ])('record_overflow for a %s (plaintext) record longer than 2^14', (_name, type) => {
    const deframer = new Deframer();
    deframer.push(rawRecord(type, new Uint8Array(0), 0x0303, MAX_PLAINTEXT_LENGTH + 1));
    expectAlert(() => deframer.next(), 'record_overflow', 'record_too_long');
  });

  it.each([0, 19, 24, 0x80, 0xff])('unexpected_message for content type %i', (type) => {
    const deframer = new Deframer();
    deframer.push(rawRecord(type, filled(3)));
    expectAlert(() => deframer.next(), 'unexpected_message', 'unknown_content_type');
  });

  it.each([
    ['a plaintext HTTP request', new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n')],
    ['an SSLv2 ClientHello', Uint8Array.of(0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15)],
    ['version 0x0203', rawRecord(handshake, filled(3), 0x0203)],
    ['version 0x1603', rawRecord(handshake, filled(3), 0x1603)],
  ])('decode_error for %s', (_name, bytes) => {
    const deframer = new Deframer();
    deframer.push(bytes);
    expectAlert(() => deframer.next(), 'decode_error', 'not_a_tls_record');
  });

  it.each([
    ['handshake', handshake],
    ['alert', alert],
  ])('unexpected_message for an empty %s record (RFC 8446 §5.1)', (_name, type) => {
    const deframer = new Deframer();
    deframer.push(rawRecord(type, new Uint8Array(0)));
    expectAlert(() => deframer.next(), 'unexpected_message', 'empty_record');
  });

  it('lets an empty application_data record through (protection rejects it later)', () => {
    const deframer = new Deframer();
    deframer.push(rawRecord(appData, new Uint8Array(0)));
    expect(deframer.next()!.fragment.length).toBe(0);
  });

  it('reports an error only after the records that came before it', () => {
    const good = [rawRecord(handshake, filled(10)), rawRecord(alert, Uint8Array.of(1, 0))];
    const deframer = new Deframer();
    deframer.push(concat([...good, rawRecord(42, filled(5)), rawRecord(handshake, filled(10))]));
    expectSameRecords([deframer.next()!, deframer.next()!], good);
    expectAlert(() => deframer.next(), 'unexpected_message', 'unknown_content_type');
    // The error sticks.
    expectAlert(() => deframer.next(), 'unexpected_message', 'unknown_content_type');
  });
});

describe('detachQueued', () => {
  it('gives queued records their own memory, so the pushed chunk can be reused', () => {
    const { records, bytes } = sampleStream();
    const chunk = bytes.slice();
    const deframer = new Deframer();
    // The last record stays incomplete: it is assembled in a buffer of its own anyway.
    deframer.push(chunk.subarray(0, chunk.length - 3));
    deframer.detachQueued(chunk);
    chunk.fill(0xa5);
    deframer.push(bytes.subarray(bytes.length - 3));
    expectSameRecords(drain(deframer), records);
  });

  it('copies only the records that lie in the lent chunk', () => {
    const first = rawRecord(appData, filled(300, 1));
    const second = rawRecord(appData, filled(200, 2));
    const deframer = new Deframer();
    const kept = first.slice();
    deframer.push(kept);
    const lent = second.slice();
    deframer.push(lent);
    deframer.detachQueued(lent);
    lent.fill(0xa5);
    const [a, b] = drain(deframer);
    // The record from the chunk that was not lent is still a view of it: no copy was made.
    expect(a!.fragment.buffer).toBe(kept.buffer);
    expect(b!.fragment.buffer).not.toBe(lent.buffer);
    expectSameRecords([a!, b!], [first, second]);
  });
});
