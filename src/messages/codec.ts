import { internalError, protocolError } from '../errors.js';
import type { Reader } from '../wire/reader.js';
import type { Writer } from '../wire/writer.js';
import { ExtensionType, extensionTypeName } from '../registry.js';
import type { RawExtension } from './types.js';

/** Pieces shared by the message codecs: fixed-size fields and the generic extension block (RFC 8446 §4.2). */

/** A fixed-size field such as Random: a wrong size is a bug in the caller that built it. */
export function writeFixed(w: Writer, data: Uint8Array, size: number, what: string): void {
  if (data.length !== size) throw internalError(`${what} must be ${size} bytes, got ${data.length}`);
  w.bytes(data);
}

/**
 * Reads an extension block `Extension extensions<min..max>`. Bodies stay raw views so unknown
 * and GREASE extensions survive and re-encoding is exact.
 *
 * RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given
 * extension block"; pre_shared_key "MUST be the last extension in the ClientHello" (its
 * binders cover everything before them) and §4.2.11 names illegal_parameter for that. The
 * duplicate rule names no alert: the block is well-formed but inconsistent, so
 * illegal_parameter there too (as OpenSSL sends).
 */
export function readExtensions(r: Reader, min: number, max: number, pskMustBeLast = false): RawExtension[] {
  const extensions = r.list(2, min, max, (e) => ({ type: e.u16(), data: e.vector16() }), 'extensions');
  const seen = new Set<number>();
  extensions.forEach(({ type }, index) => {
    if (seen.has(type)) throw protocolError('duplicate_extension', `duplicate ${extensionTypeName(type)} extension`);
    seen.add(type);
    if (pskMustBeLast && type === ExtensionType.pre_shared_key && index !== extensions.length - 1) {
      throw protocolError('psk_not_last', 'pre_shared_key is not the last ClientHello extension');
    }
  });
  return extensions;
}

/** Writes an extension block in list order (the caller keeps pre_shared_key last). */
export function writeExtensions(w: Writer, extensions: readonly RawExtension[], min: number, max: number): void {
  w.vector16(min, max, (v) => {
    for (const { type, data } of extensions) v.u16(type).vector16(0, 0xffff, data);
  });
}

/** The body of the extension of `type`, if present (at most one can be, see readExtensions). */
export function findExtension(extensions: readonly RawExtension[], type: number): Uint8Array | undefined {
  return extensions.find((e) => e.type === type)?.data;
}
