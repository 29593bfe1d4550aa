/** Small byte helpers shared by every layer; none of them allocate more than their result. */
import { nativeBytes } from './native-bytes.js';

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

/**
 * A new array of `length` bytes whose contents are undefined: the caller must write every byte
 * before any of it is read or sent. A large one may skip the zero-fill where the runtime can
 * (native-bytes.ts), which is a measurable part of handling a 16 KiB record; small ones are
 * ordinary zeroed arrays. Always a plain Uint8Array.
 */
export function uninitializedBytes(length: number): Uint8Array {
  return length < 4096 ? new Uint8Array(length) : nativeBytes().uninitialized(length);
}
