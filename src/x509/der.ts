import { TLSError } from '../errors.js';

/**
 * A minimal DER walker for the parts of X.509 whose exact bytes matter: the signed
 * tbsCertificate, the raw subject and issuer names (path building matches them byte for byte,
 * as Go's crypto/x509 does), the SubjectPublicKeyInfo. pkijs re-encodes what it parses, so
 * these are taken from the original encoding instead.
 */
export interface DerNode {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  readonly contentStart: number;
  /** Offset just past the element. */
  readonly end: number;
}

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export function malformed(detail: string): TLSError {
  return new TLSError('CERT_INVALID', `malformed DER: ${detail}`, { alert: 'bad_certificate' });
}

/** Reads the element starting at `at`, which must end by `limit`. Definite lengths only (DER). */
export function readNode(der: Uint8Array, at: number, limit: number = der.length): DerNode {
  if (at + 2 > limit) throw malformed('truncated element');
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw malformed('multi-byte tags are not used in these structures');
  let length = der[at + 1]!;
  let contentStart = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw malformed('indefinite length is not DER');
    if (count > 4 || contentStart + count > limit) throw malformed('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw malformed('element overruns its container');
  return { tag, start: at, contentStart, end };
}

/** The whole input must be exactly one element. */
export function readRoot(der: Uint8Array, expectedTag?: number): DerNode {
  const node = readNode(der, 0);
  if (node.end !== der.length) throw malformed('trailing bytes after the element');
  if (expectedTag !== undefined && node.tag !== expectedTag) throw malformed(`expected tag 0x${expectedTag.toString(16)}, got 0x${node.tag.toString(16)}`);
  return node;
}

export function childrenOf(der: Uint8Array, parent: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readNode(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

export function bytesOf(der: Uint8Array, node: DerNode): Uint8Array {
  return der.subarray(node.start, node.end);
}

export function contentOf(der: Uint8Array, node: DerNode): Uint8Array {
  return der.subarray(node.contentStart, node.end);
}

/** Dotted form of an OBJECT IDENTIFIER's content bytes. */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw malformed('empty OID');
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    if (value === 0 && byte === 0x80) throw malformed('non-minimal OID arc');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw malformed('OID arc too large');
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    } else if (i === content.length - 1) throw malformed('truncated OID');
  }
  return parts.join('.');
}

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const body: number[] = [];
  const push = (n: number) => {
    const tmp = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) tmp.unshift((n & 0x7f) | 0x80);
    body.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return encodeNode(Tag.OID, Uint8Array.from(body));
}

/** Tag-length-value with a definite DER length. */
export function encodeNode(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of contents) length += c.length;
  const lengthBytes: number[] = [];
  if (length < 0x80) lengthBytes.push(length);
  else {
    for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n & 0xff);
    lengthBytes.unshift(0x80 | lengthBytes.length);
  }
  const out = new Uint8Array(1 + lengthBytes.length + length);
  out[0] = tag;
  out.set(lengthBytes, 1);
  let at = 1 + lengthBytes.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** An unsigned INTEGER's magnitude without its sign-padding zero byte. */
export function unsignedInteger(content: Uint8Array): Uint8Array {
  let i = 0;
  while (i < content.length - 1 && content[i] === 0) i++;
  return content.subarray(i);
}

export function bitLength(magnitude: Uint8Array): number {
  const m = unsignedInteger(magnitude);
  if (m.length === 0 || (m.length === 1 && m[0] === 0)) return 0;
  return (m.length - 1) * 8 + (32 - Math.clz32(m[0]!));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A Map key standing for exactly these bytes (one char per byte). */
export function bytesKey(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

export function toHex(bytes: Uint8Array, separator = ''): string {
  const out: string[] = [];
  for (const b of bytes) out.push(b.toString(16).padStart(2, '0').toUpperCase());
  return out.join(separator);
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
