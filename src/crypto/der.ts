import { TLSError } from '../errors.js';
import { concatBytes } from '../wire/bytes.js';

/**
 * The project's one DER reader, for the structures crypto/ reads itself (SubjectPublicKeyInfo,
 * PKCS#8 PrivateKeyInfo, RSA/EC key bodies, ECDSA-Sig-Value) and for x509/ (certificates, names,
 * extensions). It lives here, not in x509/, because crypto sits below x509 in the dependency
 * order. Strict means: definite minimal lengths, no trailing bytes, no high tag numbers; a
 * signature, key or certificate that is "almost DER" is rejected rather than repaired, so two
 * parsers can never disagree about what was signed.
 */
export interface DerNode {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  readonly contentStart: number;
  /** Offset just past the element. */
  readonly end: number;
}

export const DerTag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [0] constructed, context-specific */
  CONTEXT_0: 0xa0,
  CONTEXT_1: 0xa1,
  CONTEXT_2: 0xa2,
  CONTEXT_3: 0xa3,
} as const;

export function derError(detail: string): TLSError {
  return new TLSError('INVALID_ARGUMENT', `malformed DER: ${detail}`);
}

/**
 * Turns a DER failure into the error its layer owes: a key handed to crypto/ is the caller's
 * INVALID_ARGUMENT, a peer's certificate is CERT_INVALID with bad_certificate (x509/).
 */
export type DerFailure = (detail: string) => TLSError;

/** The reading half of the walker; every function throws `fail(detail)` on malformed input. */
export interface DerReader {
  /** The caller's error for a malformed structure, for checks made outside this walker. */
  fail: DerFailure;
  /** Reads the element starting at `at`, which must end by `limit`. */
  readElement(der: Uint8Array, at: number, limit?: number): DerNode;
  /** The whole input must be exactly one element with the expected tag. */
  readRoot(der: Uint8Array, expectedTag: number): DerNode;
  expectTag(node: DerNode, tag: number): void;
  childrenOf(der: Uint8Array, parent: DerNode): DerNode[];
  /** Dotted form of an OBJECT IDENTIFIER's content bytes. */
  decodeOid(content: Uint8Array): string;
  /**
   * The magnitude of a non-negative INTEGER, without the sign byte. Rejects negative values and
   * non-minimal encodings (a redundant leading 0x00 or 0xff), as DER requires.
   */
  unsignedIntegerOf(der: Uint8Array, node: DerNode): Uint8Array;
  /** A small non-negative INTEGER (versions, salt lengths) as a number. */
  smallIntegerOf(der: Uint8Array, node: DerNode): number;
  /** The contents of a BIT STRING that must have no unused bits (keys are whole octets). */
  bitStringBytesOf(der: Uint8Array, node: DerNode): Uint8Array;
}

/**
 * The strict reader, failing with the caller's error type: each method is the function below of
 * the same name with "Or" (`readElementOr(fail, …)`: read the element or throw `fail(detail)`).
 */
export function derReader(fail: DerFailure): DerReader {
  return {
    fail,
    readElement: (der, at, limit = der.length) => readElementOr(fail, der, at, limit),
    readRoot: (der, expectedTag) => readRootOr(fail, der, expectedTag),
    expectTag: (node, tag) => expectTagOr(fail, node, tag),
    childrenOf: (der, parent) => childrenOr(fail, der, parent),
    decodeOid: (content) => decodeOidOr(fail, content),
    unsignedIntegerOf: (der, node) => unsignedIntegerOr(fail, der, node),
    smallIntegerOf: (der, node) => smallIntegerOr(fail, der, node),
    bitStringBytesOf: (der, node) => bitStringBytesOr(fail, der, node),
  };
}

function readElementOr(fail: DerFailure, der: Uint8Array, at: number, limit: number): DerNode {
  if (at + 2 > limit) throw fail('truncated element');
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw fail('high tag numbers are not used here');
  let length = der[at + 1]!;
  let contentStart = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw fail('indefinite length is not DER');
    if (count > 4 || contentStart + count > limit) throw fail('bad length');
    if (der[contentStart] === 0) throw fail('length has a leading zero byte');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[contentStart + i]!;
    if (length < 0x80) throw fail('long-form length for a short element');
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw fail('element overruns its container');
  return { tag, start: at, contentStart, end };
}

function readRootOr(fail: DerFailure, der: Uint8Array, expectedTag: number): DerNode {
  const node = readElementOr(fail, der, 0, der.length);
  if (node.end !== der.length) throw fail('trailing bytes after the element');
  expectTagOr(fail, node, expectedTag);
  return node;
}

function expectTagOr(fail: DerFailure, node: DerNode, tag: number): void {
  if (node.tag !== tag) throw fail(`expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
}

function childrenOr(fail: DerFailure, der: Uint8Array, parent: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readElementOr(fail, der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function decodeOidOr(fail: DerFailure, content: Uint8Array): string {
  if (content.length === 0) throw fail('empty OID');
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    if (value === 0 && byte === 0x80) throw fail('non-minimal OID arc');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw fail('OID arc too large');
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    } else if (i === content.length - 1) throw fail('truncated OID');
  }
  return parts.join('.');
}

function unsignedIntegerOr(fail: DerFailure, der: Uint8Array, node: DerNode): Uint8Array {
  expectTagOr(fail, node, DerTag.INTEGER);
  const content = contentOf(der, node);
  if (content.length === 0) throw fail('empty INTEGER');
  if (content[0]! & 0x80) throw fail('negative INTEGER');
  if (content.length > 1 && content[0] === 0 && (content[1]! & 0x80) === 0) throw fail('non-minimal INTEGER');
  return content[0] === 0 && content.length > 1 ? content.subarray(1) : content;
}

function smallIntegerOr(fail: DerFailure, der: Uint8Array, node: DerNode): number {
  const magnitude = unsignedIntegerOr(fail, der, node);
  if (magnitude.length > 4) throw fail('INTEGER too large');
  let value = 0;
  for (const byte of magnitude) value = value * 256 + byte;
  return value;
}

function bitStringBytesOr(fail: DerFailure, der: Uint8Array, node: DerNode): Uint8Array {
  expectTagOr(fail, node, DerTag.BIT_STRING);
  const content = contentOf(der, node);
  if (content.length === 0 || content[0] !== 0) throw fail('BIT STRING with unused bits');
  return content.subarray(1);
}

/** crypto/'s reader: a malformed key or signature is the caller's INVALID_ARGUMENT. */
export const keyDer = derReader(derError);
export const { readElement, readRoot, expectTag, childrenOf, decodeOid, unsignedIntegerOf, smallIntegerOf, bitStringBytesOf } = keyDer;

export function contentOf(der: Uint8Array, node: DerNode): Uint8Array {
  return der.subarray(node.contentStart, node.end);
}

export function bytesOf(der: Uint8Array, node: DerNode): Uint8Array {
  return der.subarray(node.start, node.end);
}

/**
 * Big-endian bytes without their leading zero bytes (one byte is kept for zero). Lenient on
 * purpose: for magnitudes that are sized or re-encoded (serial numbers, key sizes), not for
 * checking that an INTEGER is DER; unsignedIntegerOf does that.
 */
export function withoutLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** Bits in a big-endian magnitude (an RSA modulus size), leading zero bytes ignored. */
export function bitLength(magnitude: Uint8Array): number {
  const m = withoutLeadingZeros(magnitude);
  if (m.length === 0 || (m.length === 1 && m[0] === 0)) return 0;
  return (m.length - 1) * 8 + (32 - Math.clz32(m[0]!));
}

/** Tag-length-value with a minimal definite length. */
export function encodeElement(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of contents) length += c.length;
  const header: number[] = [];
  if (length < 0x80) header.push(length);
  else {
    for (let n = length; n > 0; n = Math.floor(n / 256)) header.unshift(n & 0xff);
    header.unshift(0x80 | header.length);
  }
  header.unshift(tag);
  return concatBytes(Uint8Array.from(header), ...contents);
}

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const body: number[] = [];
  const push = (n: number): void => {
    const tmp = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) tmp.unshift((n & 0x7f) | 0x80);
    body.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return encodeElement(DerTag.OID, Uint8Array.from(body));
}
