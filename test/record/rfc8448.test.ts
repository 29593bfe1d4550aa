import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/wire/bytes.js';
import { Deframer } from '../../src/record/deframer.js';
import { RecordProtector } from '../../src/record/protection.js';
import { plaintextRecords } from '../../src/record/writer.js';
import { nodeAead } from './node-aead.js';
import { seededRandom } from './support.js';

/**
 * RFC 8448 §3 (Simple 1-RTT Handshake) replayed through the record layer, byte for byte.
 * Vectors: test-vectors/record/rfc8448-simple-1rtt-records.json (sources noted in the file).
 */

interface KeySet {
  key: string;
  iv: string;
}
interface ProtectedVector {
  from: 'client' | 'server';
  label: string;
  keys: string;
  sequenceNumber: number;
  type: number;
  content: string;
  hex: string;
}
interface PlaintextVector {
  from: 'client' | 'server';
  label: string;
  type: number;
  legacyVersion: 0x0301 | 0x0303;
  content: string;
  hex: string;
}
interface Vectors {
  keys: Record<string, KeySet>;
  records: ProtectedVector[];
  plaintextRecords: PlaintextVector[];
}

const root = new URL('../../', import.meta.url);
const vectors = JSON.parse(readFileSync(new URL('test-vectors/record/rfc8448-simple-1rtt-records.json', root), 'utf8')) as Vectors;

function protectorFor(keys: string): RecordProtector {
  const { key, iv } = vectors.keys[keys]!;
  return new RecordProtector(nodeAead('AES-128-GCM', hexToBytes(key)), hexToBytes(iv));
}

/** Brings a fresh protector to the vector's sequence number by protecting filler records. */
function atSequence(protector: RecordProtector, sequenceNumber: number): RecordProtector {
  while (protector.recordsProtected < sequenceNumber) protector.protect(23, new Uint8Array(1));
  return protector;
}

describe('RFC 8448 §3 protected records', () => {
  it('the first protected server record: EncryptedExtensions..Finished under the server handshake key, sequence 0', () => {
    const first = vectors.records[0]!;
    expect(vectors.keys[first.keys]).toEqual({ key: '3fce516009c21727d0f2e4e86ee403bc', iv: '5d313eb2671276ee13000b30' });
    const record = protectorFor(first.keys).protect(first.type, hexToBytes(first.content));
    expect(bytesToHex(record)).toBe(first.hex);
  });

  for (const vector of vectors.records) {
    it(`${vector.from} ${vector.label}: protect reproduces the record`, () => {
      const record = atSequence(protectorFor(vector.keys), vector.sequenceNumber).protect(vector.type, hexToBytes(vector.content));
      expect(bytesToHex(record)).toBe(vector.hex);
    });
  }

  it('each direction and epoch, deframed in random chunks and unprotected in sequence', () => {
    const readers = new Map<string, RecordProtector>();
    const deframer = new Deframer();
    const random = seededRandom(8448);
    const wire = hexToBytes(vectors.records.map((r) => r.hex).join(''));
    const got: { type: number; content: string }[] = [];
    for (let at = 0; at < wire.length; ) {
      const size = 1 + Math.floor(random() * 200);
      deframer.push(wire.subarray(at, at + size));
      at += size;
      for (let record = deframer.next(); record; record = deframer.next()) {
        const vector = vectors.records[got.length]!;
        let reader = readers.get(vector.keys);
        if (!reader) readers.set(vector.keys, (reader = protectorFor(vector.keys)));
        expect(reader.recordsProtected).toBe(vector.sequenceNumber);
        const { type, content } = reader.unprotect(record.header, record.fragment);
        got.push({ type, content: bytesToHex(content) });
      }
    }
    expect(got).toEqual(vectors.records.map((r) => ({ type: r.type, content: r.content })));
  });

  // A second source for the plaintext: the handshake messages another module's vectors hold.
  const messagesFile = new URL('test-vectors/messages/rfc8448.json', root);
  it.runIf(existsSync(messagesFile))('the server flight decrypts to the RFC 8448 messages in test-vectors/messages', () => {
    const messages = JSON.parse(readFileSync(messagesFile, 'utf8')) as { section3_simple_1rtt?: Record<string, string> };
    const m = messages.section3_simple_1rtt;
    if (!m?.encryptedExtensions || !m.certificate || !m.certificateVerify || !m.serverFinished) return;
    expect(vectors.records[0]!.content).toBe(m.encryptedExtensions + m.certificate + m.certificateVerify + m.serverFinished);
  });
});

describe('RFC 8448 §3 plaintext records', () => {
  for (const vector of vectors.plaintextRecords) {
    it(`${vector.from} ${vector.label}`, () => {
      const records = plaintextRecords(vector.type, hexToBytes(vector.content), undefined, vector.legacyVersion);
      expect(records.length).toBe(1);
      expect(bytesToHex(records[0]!)).toBe(vector.hex);
      const deframer = new Deframer();
      deframer.push(hexToBytes(vector.hex));
      const record = deframer.next()!;
      expect(record.legacyVersion).toBe(vector.legacyVersion);
      expect(bytesToHex(record.fragment)).toBe(vector.content);
    });
  }
});
