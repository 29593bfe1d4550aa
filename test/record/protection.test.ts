import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AeadName } from '../../src/crypto/provider.js';
import { ContentType } from '../../src/registry.js';
import { MAX_CIPHERTEXT_LENGTH, MAX_INNER_PLAINTEXT_LENGTH, MAX_PLAINTEXT_LENGTH } from '../../src/record/framing.js';
import { RecordProtector, keyUpdateThreshold } from '../../src/record/protection.js';
import { aeadKeyLength, aeadNames, nodeAead, recordingAead } from './node-aead.js';
import { expectAlert, expectBytes, filled } from './support.js';

const { handshake, alert, application_data: appData, change_cipher_spec: ccs } = ContentType;

function keyMaterial(name: AeadName, seed = 11): { key: Uint8Array; iv: Uint8Array } {
  return { key: filled(aeadKeyLength(name), seed), iv: filled(12, seed + 1) };
}

/** A writer and a reader sharing one key, as the two ends of one direction. */
function pair(name: AeadName = 'AES-128-GCM'): { writer: RecordProtector; reader: RecordProtector; key: Uint8Array; iv: Uint8Array } {
  const { key, iv } = keyMaterial(name);
  return { writer: new RecordProtector(nodeAead(name, key), iv), reader: new RecordProtector(nodeAead(name, key), iv), key, iv };
}

function open(reader: RecordProtector, record: Uint8Array): { type: number; content: Uint8Array } {
  return reader.unprotect(record.subarray(0, 5), record.subarray(5));
}

/**
 * Seals an arbitrary inner plaintext by hand (bypassing protect()'s checks), as a misbehaving
 * peer would, with the record header that goes with it.
 */
function forge(key: Uint8Array, iv: Uint8Array, sequenceNumber: number, inner: Uint8Array): Uint8Array {
  const nonce = iv.slice();
  for (let i = 0, seq = sequenceNumber; i < 8; i++, seq = Math.floor(seq / 256)) nonce[11 - i]! ^= seq & 0xff;
  const length = inner.length + 16;
  const header = Uint8Array.of(appData, 3, 3, length >>> 8, length & 0xff);
  const cipher = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
  cipher.setAAD(header);
  return Uint8Array.from(Buffer.concat([header, cipher.update(inner), cipher.final(), cipher.getAuthTag()]));
}

/** Lets a test start a protector near the end of its sequence space. */
class FastForwardProtector extends RecordProtector {
  skipTo(high: number, low: number): this {
    this.seqHigh = high;
    this.seqLow = low;
    return this;
  }
}

describe('RecordProtector round trip (RFC 8446 §5.2, §5.4)', () => {
  for (const name of aeadNames) {
    describe(name, () => {
      it.each([
        ['handshake', handshake, 300, 0],
        ['handshake, padded', handshake, 300, 77],
        ['alert', alert, 2, 0],
        ['alert, padded', alert, 2, 1000],
        ['application data', appData, 1, 0],
        ['empty application data', appData, 0, 0],
        ['empty application data, padded', appData, 0, 31],
        ['a full record', appData, MAX_PLAINTEXT_LENGTH, 0],
        ['a full record of padding', appData, 1, MAX_PLAINTEXT_LENGTH - 1],
      ])('%s', (_label, type, length, padding) => {
        const { writer, reader } = pair(name);
        const content = filled(length, length + padding);
        const record = writer.protect(type, content, padding);
        const ciphertextLength = length + 1 + padding + 16;
        expect(record.length).toBe(5 + ciphertextLength);
        expect(Array.from(record.subarray(0, 5))).toEqual([23, 3, 3, ciphertextLength >>> 8, ciphertextLength & 0xff]);
        const got = open(reader, record);
        expect(got.type).toBe(type);
        expectBytes(got.content, content);
      });

      it('keeps many records in step in both directions', () => {
        const { writer, reader } = pair(name);
        for (let i = 0; i < 50; i++) {
          const content = filled(i * 7 + 1, i);
          expect(open(reader, writer.protect(appData, content, i % 3)).content).toEqual(content);
        }
        expect(writer.recordsProtected).toBe(50);
        expect(reader.recordsProtected).toBe(50);
      });
    });
  }

  it('leaves no plaintext in the record buffer it sealed in place', () => {
    const { writer } = pair();
    const content = new TextEncoder().encode('a secret that must not appear on the wire');
    const record = writer.protect(appData, content);
    expect(Buffer.from(record).includes(Buffer.from(content))).toBe(false);
  });
});

describe('RecordProtector sequence numbers and nonces (RFC 8446 §5.3)', () => {
  it('uses a different nonce for every record: iv XOR the big-endian sequence number', () => {
    const { key, iv } = keyMaterial('AES-128-GCM');
    const aead = recordingAead(nodeAead('AES-128-GCM', key));
    const writer = new RecordProtector(aead, iv);
    for (let i = 0; i < 300; i++) writer.protect(appData, filled(5, i));
    const hex = aead.nonces.map((n) => Buffer.from(n).toString('hex'));
    expect(new Set(hex).size).toBe(300);
    aead.nonces.forEach((nonce, seq) => {
      const expected = iv.slice();
      expected[11]! ^= seq & 0xff;
      expected[10]! ^= seq >>> 8;
      expect(nonce).toEqual(expected);
    });
    // The AAD is the record header with the ciphertext length (content + type + tag).
    expect(Array.from(aead.aads[0]!)).toEqual([23, 3, 3, 0, 5 + 1 + 16]);
  });

  it('carries from the low into the high 32 bits', () => {
    const { key, iv } = keyMaterial('AES-128-GCM');
    const aead = recordingAead(nodeAead('AES-128-GCM', key));
    const writer = new FastForwardProtector(aead, iv).skipTo(0, 0xffffffff);
    expect(writer.recordsProtected).toBe(2 ** 32 - 1);
    writer.protect(appData, filled(3));
    writer.protect(appData, filled(3));
    expect(writer.recordsProtected).toBe(2 ** 32 + 1);
    const xor = (nonce: Uint8Array): number[] => Array.from(nonce, (b, i) => b ^ iv[i]!);
    expect(xor(aead.nonces[0]!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(xor(aead.nonces[1]!)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('record 2 does not open at sequence number 0: bad_record_mac', () => {
    const { writer, key, iv } = pair();
    const first = writer.protect(appData, filled(20, 1));
    const second = writer.protect(appData, filled(20, 2));
    const fresh = (): RecordProtector => new RecordProtector(nodeAead('AES-128-GCM', key), iv);
    expectAlert(() => open(fresh(), second), 'bad_record_mac', 'record_decrypt_failed');
    const inOrder = fresh();
    expect(open(inOrder, first).content).toEqual(filled(20, 1));
    expect(open(inOrder, second).content).toEqual(filled(20, 2));
  });

  it('a record that fails to authenticate does not advance the sequence number', () => {
    // RFC 8446 §4.2.10: a server skipping rejected early data trial-decrypts and drops failures.
    const { writer, reader } = pair();
    const record = writer.protect(handshake, filled(40));
    const forged = record.slice();
    forged[10]! ^= 1;
    expectAlert(() => open(reader, forged), 'bad_record_mac', 'record_decrypt_failed');
    expect(reader.recordsProtected).toBe(0);
    expect(open(reader, record).content).toEqual(filled(40));
    expect(reader.recordsProtected).toBe(1);
  });

  it('refuses to go past 2^53 records with internal_error (the key must be updated first)', () => {
    const { key, iv } = keyMaterial('AES-128-GCM');
    const writer = new FastForwardProtector(nodeAead('AES-128-GCM', key), iv).skipTo(2 ** 21 - 1, 0xffffffff);
    expect(writer.recordsProtected).toBe(Number.MAX_SAFE_INTEGER);
    writer.protect(appData, filled(3));
    expectAlert(() => writer.protect(appData, filled(3)), 'internal_error');
    const reader = new FastForwardProtector(nodeAead('AES-128-GCM', key), iv).skipTo(2 ** 21, 0);
    expectAlert(() => reader.unprotect(Uint8Array.of(23, 3, 3, 0, 17), filled(17)), 'internal_error');
  });

  it('reports when a KeyUpdate is due (RFC 8446 §5.5)', () => {
    expect(keyUpdateThreshold('AES-128-GCM')).toBeLessThanOrEqual(2 ** 24.5);
    expect(keyUpdateThreshold('AES-256-GCM')).toBe(keyUpdateThreshold('AES-128-GCM'));
    expect(keyUpdateThreshold('CHACHA20-POLY1305')).toBe(Number.POSITIVE_INFINITY);
    const { key, iv } = keyMaterial('AES-128-GCM');
    const writer = new RecordProtector(nodeAead('AES-128-GCM', key), iv, { keyUpdateThreshold: 3 });
    writer.protect(appData, filled(1));
    writer.protect(appData, filled(1));
    expect(writer.keyUpdateDue).toBe(false);
    writer.protect(appData, filled(1));
    expect(writer.keyUpdateDue).toBe(true);
    expect(new RecordProtector(nodeAead('AES-128-GCM', key), iv).keyUpdateDue).toBe(false);
  });
});

describe('RecordProtector.unprotect rejects', () => {
  it.each([
    ['the tag', (r: Uint8Array) => (r[r.length - 1]! ^= 0x80)],
    ['the ciphertext', (r: Uint8Array) => (r[7]! ^= 0x01)],
    ['the header version (AAD)', (r: Uint8Array) => (r[2] = 0x01)],
    ['the header type (AAD)', (r: Uint8Array) => (r[0] = handshake)],
  ])('a record with tampered %s: bad_record_mac', (_what, tamper) => {
    const { writer, reader } = pair();
    const record = writer.protect(appData, filled(64));
    tamper(record);
    expectAlert(() => open(reader, record), 'bad_record_mac', 'record_decrypt_failed');
  });

  it('a record shorter than the tag, and an empty one: bad_record_mac', () => {
    const { reader } = pair();
    expectAlert(() => reader.unprotect(Uint8Array.of(23, 3, 3, 0, 15), filled(15)), 'bad_record_mac', 'record_decrypt_failed');
    expectAlert(() => reader.unprotect(Uint8Array.of(23, 3, 3, 0, 0), new Uint8Array(0)), 'bad_record_mac', 'record_decrypt_failed');
  });

  it('a record under another key: bad_record_mac', () => {
    const { writer } = pair();
    const other = new RecordProtector(nodeAead('AES-128-GCM', filled(16, 99)), filled(12, 98));
    expectAlert(() => open(other, writer.protect(appData, filled(10))), 'bad_record_mac', 'record_decrypt_failed');
  });

  it('an all-zero inner plaintext (no content type): unexpected_message', () => {
    const { reader, key, iv } = pair();
    expectAlert(() => open(reader, forge(key, iv, 0, new Uint8Array(100))), 'unexpected_message', 'missing_content_type');
  });

  it('an empty inner plaintext: unexpected_message', () => {
    const { reader, key, iv } = pair();
    expectAlert(() => open(reader, forge(key, iv, 0, new Uint8Array(0))), 'unexpected_message', 'missing_content_type');
  });

  it('2^14 + 1 bytes of content: record_overflow', () => {
    const { reader, key, iv } = pair();
    const inner = new Uint8Array(MAX_PLAINTEXT_LENGTH + 2);
    inner[MAX_PLAINTEXT_LENGTH + 1] = appData;
    expectAlert(() => open(reader, forge(key, iv, 0, inner)), 'record_overflow', 'plaintext_too_long');
  });

  it('2^14 bytes of content with one byte of padding: record_overflow', () => {
    const { reader, key, iv } = pair();
    const inner = new Uint8Array(MAX_PLAINTEXT_LENGTH + 2);
    inner[MAX_PLAINTEXT_LENGTH] = appData;
    expectAlert(() => open(reader, forge(key, iv, 0, inner)), 'record_overflow', 'plaintext_too_long');
  });

  it('accepts exactly 2^14 + 1 bytes of inner plaintext', () => {
    const { reader, key, iv } = pair();
    const inner = new Uint8Array(MAX_INNER_PLAINTEXT_LENGTH);
    inner[MAX_PLAINTEXT_LENGTH] = appData;
    expect(open(reader, forge(key, iv, 0, inner)).content.length).toBe(MAX_PLAINTEXT_LENGTH);
  });

  it('an encrypted_record longer than 2^14 + 256: record_overflow', () => {
    const { reader } = pair();
    const length = MAX_CIPHERTEXT_LENGTH + 1;
    expectAlert(() => reader.unprotect(Uint8Array.of(23, 3, 3, length >>> 8, length & 0xff), new Uint8Array(length)), 'record_overflow', 'ciphertext_too_long');
  });

  it.each([
    ['change_cipher_spec', ccs],
    ['heartbeat(24)', 24],
    ['an unknown type', 0x99],
  ])('a protected %s: unexpected_message', (_what, type) => {
    const { reader, key, iv } = pair();
    expectAlert(() => open(reader, forge(key, iv, 0, Uint8Array.of(1, type, 0, 0))), 'unexpected_message', 'invalid_inner_content_type');
  });

  it.each([
    ['handshake', handshake],
    ['alert', alert],
  ])('a protected %s record with empty content, even padded: unexpected_message', (_what, type) => {
    const { reader, key, iv } = pair();
    expectAlert(() => open(reader, forge(key, iv, 0, Uint8Array.of(type, 0, 0, 0))), 'unexpected_message', 'empty_record');
  });

  it('strips padding by scanning from the end; zeros inside the content stay', () => {
    const { reader, key, iv } = pair();
    const got = open(reader, forge(key, iv, 0, Uint8Array.of(0, 5, 0, 0, handshake, 0, 0, 0, 0)));
    expect(got.type).toBe(handshake);
    expect(Array.from(got.content)).toEqual([0, 5, 0, 0]);
  });
});

describe('RecordProtector limits on what we send and accept', () => {
  it('refuses to send more than 2^14 + 1 bytes of inner plaintext: internal_error', () => {
    const { writer } = pair();
    expectAlert(() => writer.protect(appData, new Uint8Array(MAX_PLAINTEXT_LENGTH + 1)), 'internal_error');
    expectAlert(() => writer.protect(appData, new Uint8Array(MAX_PLAINTEXT_LENGTH), 1), 'internal_error');
    expect(writer.recordsProtected).toBe(0);
  });

  it('refuses empty handshake/alert records, plaintext-only types and bad padding: internal_error', () => {
    const { writer } = pair();
    expectAlert(() => writer.protect(handshake, new Uint8Array(0), 10), 'internal_error');
    expectAlert(() => writer.protect(alert, new Uint8Array(0)), 'internal_error');
    expectAlert(() => writer.protect(ccs, Uint8Array.of(1)), 'internal_error');
    expectAlert(() => writer.protect(0, Uint8Array.of(1)), 'internal_error');
    expectAlert(() => writer.protect(appData, Uint8Array.of(1), -1), 'internal_error');
    expectAlert(() => writer.protect(appData, Uint8Array.of(1), 1.5), 'internal_error');
  });

  it('applies a record_size_limit to the inner plaintext in both directions (RFC 8449 §4)', () => {
    const { writer, reader, key, iv } = pair();
    writer.innerPlaintextLimit = 1000;
    reader.innerPlaintextLimit = 1000;
    expect(open(reader, writer.protect(appData, new Uint8Array(999))).content.length).toBe(999);
    expect(open(reader, writer.protect(appData, new Uint8Array(990), 9)).content.length).toBe(990);
    expectAlert(() => writer.protect(appData, new Uint8Array(1000)), 'internal_error');
    const big = new Uint8Array(1001);
    big[1000] = appData;
    const tooBig = new RecordProtector(nodeAead('AES-128-GCM', key), iv, { innerPlaintextLimit: 1000 });
    expectAlert(() => open(tooBig, forge(key, iv, 0, big)), 'record_overflow', 'plaintext_too_long');
  });

  it('rejects an inner plaintext limit outside 64..2^14 + 1', () => {
    const { writer } = pair();
    expectAlert(() => (writer.innerPlaintextLimit = 63), 'internal_error');
    expectAlert(() => (writer.innerPlaintextLimit = MAX_INNER_PLAINTEXT_LENGTH + 1), 'internal_error');
    writer.innerPlaintextLimit = 64;
    expect(writer.innerPlaintextLimit).toBe(64);
  });

  it('rejects an IV that is not 12 bytes', () => {
    expectAlert(() => new RecordProtector(nodeAead('AES-128-GCM', filled(16)), filled(8)), 'internal_error');
  });

  it('copies the IV, so the caller may zeroize its own', () => {
    const { key, iv } = keyMaterial('AES-128-GCM');
    const mine = iv.slice();
    const writer = new RecordProtector(nodeAead('AES-128-GCM', key), mine);
    mine.fill(0);
    const reader = new RecordProtector(nodeAead('AES-128-GCM', key), iv);
    expect(open(reader, writer.protect(appData, filled(9))).content).toEqual(filled(9));
  });

  it('dispose() releases the AEAD and makes the protector unusable', () => {
    const { key, iv } = keyMaterial('AES-128-GCM');
    const aead = recordingAead(nodeAead('AES-128-GCM', key));
    const writer = new RecordProtector(aead, iv);
    writer.dispose();
    writer.dispose();
    expect(aead.disposed).toBe(true);
    expectAlert(() => writer.protect(appData, filled(1)), 'internal_error');
    expectAlert(() => writer.unprotect(Uint8Array.of(23, 3, 3, 0, 17), filled(17)), 'internal_error');
  });
});
