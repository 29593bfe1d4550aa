/** Small byte helpers shared by every layer; none of them allocate more than their result. */

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Comparison whose running time depends only on the lengths, for MACs, Finished and binders:
 * an early exit would tell an attacker how many leading bytes of a forgery were right.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError('invalid hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Overwrites key material we no longer need; JavaScript gives no stronger guarantee. */
export function zeroize(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8 strictly; returns undefined for invalid sequences so callers choose the alert. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

type NodeBufferConstructor = { allocUnsafeSlow(size: number): Uint8Array };
const NodeBuffer = (globalThis as { Buffer?: NodeBufferConstructor }).Buffer;

/**
 * A new array of `length` bytes whose contents are undefined: the caller must write every byte
 * before any of it is read or sent. On Node a large one skips the zero-fill (Buffer's
 * allocUnsafeSlow: memory of its own, never Node's shared pool), which is a measurable part of
 * handling a 16 KiB record; small ones and other runtimes get an ordinary zeroed array. Always
 * a plain Uint8Array, never a Buffer (whose slice() would not copy).
 */
export function uninitializedBytes(length: number): Uint8Array {
  if (NodeBuffer === undefined || length < 4096) return new Uint8Array(length);
  const b = NodeBuffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}
