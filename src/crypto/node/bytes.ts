/**
 * node:crypto hands back Buffers. The engine must only ever see plain Uint8Arrays: on a Buffer,
 * `slice()` is a view, not a copy, so code that copies a key with `key.slice()` and then wipes
 * the original would wipe its copy too. A Uint8Array view over the Buffer's memory costs no copy.
 * Use it only on Buffers node:crypto made for us (digests, cipher output, secrets, signatures):
 * those own their ArrayBuffer, unlike Buffer.from/allocUnsafe's pooled ones.
 */
export function plain(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** A Buffer view of bytes (no copy), for node:crypto calls that want a Buffer. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function base64url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64url');
}

/** A copy: small decoded Buffers live in Node's shared 8 KiB pool, which nothing should keep. */
export function fromBase64url(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
