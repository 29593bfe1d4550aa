/**
 * Three byte conversions that a runtime can do natively much faster than portable code, and
 * that the engine does often enough to matter on a server: a large uninitialized array (a
 * 16 KiB record without its zero-fill), bytes to a one-char-per-byte string (the Map keys of
 * names, keys and certificates in x509/), base64 to bytes (PEM). The portable versions below
 * are the defaults, so nothing here mentions Buffer or imports `node:`; the Node entry installs
 * Buffer-based ones (node/native-bytes.ts). Both must give identical results (exact ISO-8859-1
 * strings, the same bytes), because Map keys made before an install must still match after it.
 */
export interface NativeBytes {
  /** A plain Uint8Array (never a Buffer, whose slice() would not copy) whose bytes are undefined. */
  uninitialized(length: number): Uint8Array;
  /** Byte b becomes the char U+00bb. */
  latin1(bytes: Uint8Array): string;
  /** Decodes base64 that the caller has already validated (alphabet, padding, length). */
  base64(text: string): Uint8Array;
}

/** fromCharCode takes its arguments on the stack: chunks keep a large input within limits. */
const CHUNK = 8192;

const portable: NativeBytes = {
  uninitialized: (length) => new Uint8Array(length),
  latin1(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += CHUNK) s += Reflect.apply(String.fromCharCode, null, bytes.subarray(i, i + CHUNK)) as string;
    return s;
  },
  base64(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  },
};

let current: NativeBytes = portable;

/** The conversions in use; callers go through this on every call, so an install takes effect at once. */
export function nativeBytes(): NativeBytes {
  return current;
}

/** Replaces the portable conversions (the Node entry does, once, as it loads). */
export function installNativeBytes(implementation: NativeBytes): void {
  current = implementation;
}
