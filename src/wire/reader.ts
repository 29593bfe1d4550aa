import { decodeError } from '../errors.js';

/**
 * A bounds-checked cursor over received bytes. Every read that would run past the end, and
 * every vector whose length is outside its declared range, throws a decode_error TLSError:
 * parsing never trusts a length.
 *
 * Returned byte strings are subarray views of the input (no copies); callers that keep them
 * past the lifetime of the input buffer must copy.
 */
export class Reader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
    /** Names the structure being read, for error messages. */
    readonly what = 'message',
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  get atEnd(): boolean {
    return this.pos === this.end;
  }

  private need(n: number): number {
    if (this.end - this.pos < n) throw decodeError('length_overrun', `${this.what}: truncated (needed ${n} bytes, ${this.end - this.pos} left)`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.need(1)]!;
  }

  u16(): number {
    const at = this.need(2);
    return (this.buf[at]! << 8) | this.buf[at + 1]!;
  }

  u24(): number {
    const at = this.need(3);
    return (this.buf[at]! << 16) | (this.buf[at + 1]! << 8) | this.buf[at + 2]!;
  }

  u32(): number {
    const at = this.need(4);
    return ((this.buf[at]! << 24) >>> 0) + ((this.buf[at + 1]! << 16) | (this.buf[at + 2]! << 8) | this.buf[at + 3]!);
  }

  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  /** The rest of this reader's range. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  private opaque(lengthBytes: 1 | 2 | 3, min: number, max: number): Uint8Array {
    const n = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    if (n < min || n > max) throw decodeError('length_out_of_range', `${this.what}: vector length ${n} outside ${min}..${max}`);
    return this.bytes(n);
  }

  /** opaque<min..max> with a one-byte length. */
  vector8(min = 0, max = 0xff): Uint8Array {
    return this.opaque(1, min, max);
  }

  vector16(min = 0, max = 0xffff): Uint8Array {
    return this.opaque(2, min, max);
  }

  vector24(min = 0, max = 0xffffff): Uint8Array {
    return this.opaque(3, min, max);
  }

  /**
   * Reads a length-prefixed structure and parses it with `body`, which must consume it exactly.
   */
  nested<T>(lengthBytes: 1 | 2 | 3, min: number, max: number, body: (r: Reader) => T, what = this.what): T {
    const data = this.opaque(lengthBytes, min, max);
    const inner = new Reader(data, 0, data.length, what);
    const value = body(inner);
    inner.expectEnd();
    return value;
  }

  /** Reads a length-prefixed list whose items are parsed by `item` until the list is consumed. */
  list<T>(lengthBytes: 1 | 2 | 3, min: number, max: number, item: (r: Reader) => T, what = this.what): T[] {
    return this.nested(
      lengthBytes,
      min,
      max,
      (r) => {
        const items: T[] = [];
        while (!r.atEnd) items.push(item(r));
        return items;
      },
      what,
    );
  }

  expectEnd(): void {
    if (this.pos !== this.end) throw decodeError('trailing_bytes', `${this.what}: ${this.end - this.pos} unexpected trailing bytes`);
  }
}
