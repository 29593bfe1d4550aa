import { describe, expect, it } from 'vitest';
import { decodeHandshake } from '../../src/messages/handshake.js';
import { HandshakeReassembler, type AssembledMessage } from '../../src/messages/reassembler.js';
import { bytesToHex, concatBytes } from '../../src/wire/bytes.js';
import { expectAlert, rfc8448 } from './helpers.js';

// RFC 8448 §3: the server's encrypted flight is one record carrying four handshake messages.
const flight = ['encryptedExtensions', 'certificate', 'certificateVerify', 'serverFinished'].map((name) => rfc8448('section3_simple_1rtt', name));
const flightBytes = concatBytes(...flight);

function drain(reassembler: HandshakeReassembler): AssembledMessage[] {
  const out: AssembledMessage[] = [];
  for (let m = reassembler.next(); m !== undefined; m = reassembler.next()) out.push(m);
  return out;
}

function expectFlight(messages: AssembledMessage[]): void {
  expect(messages.map((m) => bytesToHex(m.raw))).toEqual(flight.map(bytesToHex));
  expect(messages.map((m) => m.type)).toEqual([8, 11, 15, 20]);
  for (const m of messages) {
    expect(bytesToHex(m.body)).toBe(bytesToHex(m.raw.subarray(4)));
    expect(() => decodeHandshake(m.type, m.body)).not.toThrow();
  }
}

describe('HandshakeReassembler', () => {
  it('splits several messages pushed in one record', () => {
    const r = new HandshakeReassembler();
    r.push(flightBytes.slice());
    expectFlight(drain(r));
    expect(r.hasPartial).toBe(false);
    expect(r.next()).toBeUndefined();
  });

  it('joins messages fed one byte per record', () => {
    const ends = flight.map((_, k) => concatBytes(...flight.slice(0, k + 1)).length);
    const r = new HandshakeReassembler();
    const messages: AssembledMessage[] = [];
    let boundaries = 0;
    for (let i = 0; i < flightBytes.length; i++) {
      r.push(flightBytes.slice(i, i + 1));
      const got = drain(r);
      messages.push(...got);
      if (got.length > 0) boundaries++;
      // Between messages nothing is buffered; inside one, something is.
      expect(r.hasPartial).toBe(!ends.includes(i + 1));
    }
    expect(boundaries).toBe(4);
    expectFlight(messages);
  });

  it('handles a split at every offset of two records', () => {
    for (let cut = 0; cut <= flightBytes.length; cut++) {
      const r = new HandshakeReassembler();
      r.push(flightBytes.slice(0, cut));
      const first = drain(r);
      r.push(flightBytes.slice(cut));
      expectFlight([...first, ...drain(r)]);
      expect(r.hasPartial).toBe(false);
    }
  });

  it('reports a partial message from its first byte, header included', () => {
    const r = new HandshakeReassembler();
    expect(r.hasPartial).toBe(false);
    r.push(flight[3]!.slice(0, 1));
    expect(r.hasPartial).toBe(true);
    expect(r.next()).toBeUndefined();
    r.push(flight[3]!.slice(1, 10));
    expect(r.next()).toBeUndefined();
    expect(r.hasPartial).toBe(true);
    r.push(flight[3]!.slice(10));
    expect(r.next()?.type).toBe(20);
    expect(r.hasPartial).toBe(false);
  });

  it('returns fresh copies that do not alias the pushed records', () => {
    const r = new HandshakeReassembler();
    const record = flightBytes.slice();
    r.push(record);
    const [ee] = drain(r);
    expect(ee!.raw.buffer).not.toBe(record.buffer);
    record.fill(0);
    expect(bytesToHex(ee!.raw)).toBe(bytesToHex(flight[0]!));
  });

  it('accepts empty bodies and ignores empty pushes', () => {
    const r = new HandshakeReassembler();
    r.push(new Uint8Array(0));
    expect(r.hasPartial).toBe(false);
    r.push(new Uint8Array([5, 0, 0, 0, 24, 0, 0, 1]));
    expect(r.next()).toMatchObject({ type: 5, body: new Uint8Array(0) });
    expect(r.next()).toBeUndefined();
    expect(r.hasPartial).toBe(true);
    r.push(new Uint8Array([1]));
    expect(r.next()).toMatchObject({ type: 24, body: new Uint8Array([1]) });
  });

  it('joins a 64 KiB message arriving one byte per record in linear time', () => {
    const length = 0x10000;
    const message = new Uint8Array(4 + length).map((_, i) => i & 0xff);
    message.set([11, 0x01, 0x00, 0x00]);
    const r = new HandshakeReassembler();
    for (let i = 0; i < message.length - 1; i++) {
      r.push(message.subarray(i, i + 1));
      expect(r.next()).toBeUndefined();
    }
    r.push(message.subarray(message.length - 1));
    const got = r.next()!;
    expect(got.raw).toEqual(message);
    expect(r.hasPartial).toBe(false);
  });

  describe('message type', () => {
    // 0 hello_request and 12 server_key_exchange are TLS 1.2's, 9 is unassigned, 254
    // message_hash exists only inside the transcript.
    for (const type of [0, 9, 12, 254]) {
      it(`refuses type ${type} on its header, without waiting for the body it promises (unexpected_message)`, () => {
        const r = new HandshakeReassembler();
        r.push(new Uint8Array([type, 0, 0x40]));
        expect(r.next()).toBeUndefined();
        r.push(new Uint8Array([0x06, 1, 2]));
        expectAlert(() => r.next(), 'unexpected_message', 'unknown_handshake_type');
      });
    }
  });

  describe('size cap', () => {
    it('rejects a declared length above the cap as soon as the header is complete (illegal_parameter)', () => {
      const r = new HandshakeReassembler(100);
      r.push(new Uint8Array([11, 0, 0]));
      expect(r.next()).toBeUndefined();
      r.push(new Uint8Array([101]));
      expectAlert(() => r.next(), 'illegal_parameter', 'certificate_too_large');
    });

    it('accepts a message of exactly the cap', () => {
      const r = new HandshakeReassembler(100);
      r.push(concatBytes(new Uint8Array([11, 0, 0, 100]), new Uint8Array(100)));
      expect(r.next()?.body.length).toBe(100);
    });

    it('caps a Certificate at 64 KiB by default (illegal_parameter above)', () => {
      const atCap = new HandshakeReassembler();
      atCap.push(new Uint8Array([11, 0x01, 0x00, 0x00]));
      expect(atCap.next()).toBeUndefined();
      const over = new HandshakeReassembler();
      over.push(new Uint8Array([11, 0x01, 0x00, 0x01]));
      expectAlert(() => over.next(), 'illegal_parameter', 'certificate_too_large');
    });
  });

  describe('syntactic maxima per message type (RFC 8446 §4; decode_error above, on the header)', () => {
    // type, longest body its syntax allows.
    const maxima: [string, number, number][] = [
      ['ClientHello', 1, 131_396],
      ['ServerHello', 2, 65_607],
      ['NewSessionTicket', 4, 131_337],
      ['EndOfEarlyData', 5, 0],
      ['EncryptedExtensions', 8, 65_537],
      ['CertificateRequest', 13, 65_793],
      ['CertificateVerify', 15, 65_539],
      ['Finished (SHA-384)', 20, 48],
      ['KeyUpdate', 24, 1],
    ];
    for (const [name, type, max] of maxima) {
      it(`${name}: ${max} bytes wait for the body, ${max + 1} are decode_error`, () => {
        // A configured limit below the maximum binds only Certificate.
        const ok = new HandshakeReassembler(100);
        ok.push(new Uint8Array([type, max >>> 16, (max >>> 8) & 0xff, max & 0xff]));
        if (max === 0) expect(ok.next()?.body.length).toBe(0);
        else expect(ok.next()).toBeUndefined();
        const over = new HandshakeReassembler(0xffffff);
        over.push(new Uint8Array([type, (max + 1) >>> 16, ((max + 1) >>> 8) & 0xff, (max + 1) & 0xff]));
        expectAlert(() => over.next(), 'decode_error', 'message_too_long');
      });
    }

    it('a Certificate may declare the full 2^24-1 when configured to', () => {
      const r = new HandshakeReassembler(0xffffff);
      r.push(new Uint8Array([11, 0xff, 0xff, 0xff]));
      expect(r.next()).toBeUndefined();
    });
  });
});
