import { describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { bytesToHex } from '../../src/wire/bytes.js';
import { Reader } from '../../src/wire/reader.js';
import { Writer } from '../../src/wire/writer.js';

/** The error a writer throws, or a failure when it throws none. */
function thrown(write: (w: Writer) => void): TLSError {
  try {
    write(new Writer(4));
  } catch (error) {
    expect(error).toBeInstanceOf(TLSError);
    return error as TLSError;
  }
  throw new Error('expected the writer to throw');
}

const bytes = (n: number, fill = 0xab) => new Uint8Array(n).fill(fill);

describe('Writer integers', () => {
  it('writes u8, u16 and u32 big-endian (RFC 8446 §3.3)', () => {
    expect(bytesToHex(new Writer(1).u8(0x01).u16(0x0203).u32(0x0708090a).finish())).toBe('0102030708090a');
  });

  it('keeps only the low bits of each integer, as the field width demands', () => {
    expect(bytesToHex(new Writer().u8(0x1ff).u16(0x12345).u32(0x1_0000_0001).finish())).toBe('ff2345' + '00000001');
  });
});

describe('Writer vectors', () => {
  it('prefixes an opaque body with its length in 1, 2 or 3 bytes', () => {
    const w = new Writer(2).vector8(0, 0xff, bytes(3, 1)).vector16(0, 0xffff, bytes(2, 2)).vector24(0, 0xffffff, bytes(1, 3));
    expect(bytesToHex(w.finish())).toBe('03010101' + '00020202' + '00000103');
  });

  it('back-patches the length of a body written by a function, nested vectors included', () => {
    const w = new Writer(1).vector16(0, 0xffff, (list) => {
      list.vector8(1, 0xff, bytes(2, 7));
      list.u16(0xbeef).vector24(0, 0xffffff, new Uint8Array(0));
    });
    expect(bytesToHex(w.finish())).toBe('0008' + '020707' + 'beef' + '000000');
  });

  it('writes what the reader reads with the same bounds', () => {
    const w = new Writer(8).vector8(2, 254, (v) => v.u16(0x0304).u16(0x0303)).vector24(1, 0xffffff, bytes(300));
    const data = w.finish();
    const r = new Reader(data);
    expect(r.list(1, 2, 254, (i) => i.u16())).toEqual([0x0304, 0x0303]);
    expect(r.vector24(1, 0xffffff)).toEqual(bytes(300));
    r.expectEnd();
  });

  it('grows past its initial capacity without losing what was written', () => {
    const big = bytes(70_000, 5);
    const data = new Writer(1).u8(9).vector24(0, 0xffffff, big).finish();
    expect(data.length).toBe(1 + 3 + 70_000);
    expect(data.subarray(0, 4)).toEqual(new Uint8Array([9, 0x01, 0x11, 0x70]));
    expect(data.subarray(4).every((b) => b === 5)).toBe(true);
  });

  it('accepts a body of exactly min or exactly max bytes', () => {
    expect(new Writer().vector8(3, 5, bytes(3)).finish().length).toBe(4);
    expect(new Writer().vector8(3, 5, bytes(5)).finish().length).toBe(6);
    expect(new Writer().vector16(0, 0xffff, bytes(0xffff)).finish().length).toBe(0x10001);
  });
});

describe('Writer vector bounds: a message the peer would refuse is never built', () => {
  const cases: [string, (w: Writer) => void, number, string][] = [
    ['opaque body below min', (w) => w.vector16(1, 0xffff, new Uint8Array(0)), 0, '1..65535'],
    ['opaque body above max', (w) => w.vector8(0, 32, bytes(33)), 33, '0..32'],
    ['item list below min', (w) => w.vector16(2, 0xfffe, (v) => v.u8(1)), 1, '2..65534'],
    ['item list above max', (w) => w.vector8(2, 254, (v) => v.vector8(0, 0xff, bytes(254))), 255, '2..254'],
    ['body past the 8-bit length', (w) => w.vector8(0, 0xff, bytes(256)), 256, '0..255'],
    ['body past the 16-bit length', (w) => w.vector16(0, 0xffff, bytes(0x10000)), 0x10000, '0..65535'],
    ['nested vector out of bounds inside a valid one', (w) => w.vector16(0, 0xffff, (list) => list.vector24(1, 0xffffff, new Uint8Array(0))), 0, '1..16777215'],
  ];
  for (const [what, write, n, range] of cases) {
    it(`${what}: internal_error`, () => {
      const error = thrown(write);
      expect(error.code).toBe('INTERNAL_ERROR');
      expect(error.alert).toBe('internal_error');
      expect(error.message).toBe(`encoded vector of ${n} bytes outside ${range}`);
    });
  }
});
