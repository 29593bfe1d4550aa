import { internalError } from '../errors.js';

/** What fills a vector: an opaque byte string, or a function that writes its items. */
export type VectorBody = Uint8Array | ((w: Writer) => void);

/**
 * A growable output buffer with length-prefixed vectors whose lengths are back-patched, so a
 * length can never be forgotten or mis-sized. Every vector is written with the same <min..max>
 * bounds the reader checks (RFC 8446 §3.4); leaving them is our own bug (we never build such
 * messages), hence an internal error rather than a decode error.
 */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
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

  /**
   * The writing twin of `Reader.vector8/16/24` and `Reader.nested`: a vector `<min..max>` whose
   * length prefix is back-patched once `body` is written. `body` is either the bytes of an
   * opaque vector or a function that writes the vector's items. A length the peer's reader
   * would refuse as decode_error means we built a bad message: an internal error, never sent.
   */
  vector8(min: number, max: number, body: VectorBody): this {
    return this.vector(1, min, max, body);
  }

  vector16(min: number, max: number, body: VectorBody): this {
    return this.vector(2, min, max, body);
  }

  vector24(min: number, max: number, body: VectorBody): this {
    return this.vector(3, min, max, body);
  }

  private vector(lengthBytes: 1 | 2 | 3, min: number, max: number, body: VectorBody): this {
    const at = this.pos;
    this.reserve(lengthBytes);
    this.pos += lengthBytes;
    if (body instanceof Uint8Array) this.bytes(body);
    else body(this);
    const n = this.pos - at - lengthBytes;
    if (n < min || n > max) throw internalError(`encoded vector of ${n} bytes outside ${min}..${max}`);
    for (let i = lengthBytes - 1, v = n; i >= 0; i--, v >>>= 8) this.buf[at + i] = v & 0xff;
    return this;
  }

  /** A copy of what was written, sized exactly. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
