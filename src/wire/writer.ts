import { internalError } from '../errors.js';

/**
 * A growable output buffer with length-prefixed vectors whose lengths are back-patched, so a
 * length can never be forgotten or mis-sized. Exceeding a vector's maximum is our own bug
 * (we never build such messages), hence an internal error rather than a decode error.
 */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.pos++] = (v >>> 24) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  private prefixed(lengthBytes: 1 | 2 | 3, max: number, body: (w: this) => void): this {
    const at = this.pos;
    this.reserve(lengthBytes);
    this.pos += lengthBytes;
    body(this);
    const n = this.pos - at - lengthBytes;
    if (n > max) throw internalError(`encoded vector of ${n} bytes exceeds its maximum ${max}`);
    for (let i = lengthBytes - 1, v = n; i >= 0; i--, v >>>= 8) this.buf[at + i] = v & 0xff;
    return this;
  }

  /** A vector with a one-byte length, filled by `body`. */
  vector8(body: (w: this) => void, max = 0xff): this {
    return this.prefixed(1, max, body);
  }

  vector16(body: (w: this) => void, max = 0xffff): this {
    return this.prefixed(2, max, body);
  }

  vector24(body: (w: this) => void, max = 0xffffff): this {
    return this.prefixed(3, max, body);
  }

  /** opaque<..> shortcuts for a byte string. */
  opaque8(data: Uint8Array): this {
    return this.vector8((w) => w.bytes(data));
  }

  opaque16(data: Uint8Array): this {
    return this.vector16((w) => w.bytes(data));
  }

  opaque24(data: Uint8Array): this {
    return this.vector24((w) => w.bytes(data));
  }

  /** A copy of what was written, sized exactly. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
