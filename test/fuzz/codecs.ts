import { TLSError } from '../../src/errors.js';
import * as ext from '../../src/messages/extensions.js';
import { buildEmptyExtension, buildPadding, buildStatusRequestCertificateEntry, buildStatusRequestClientHello } from '../helpers/extension-builders.js';
import { type ExtensionContext, validateExtension } from '../../src/messages/extensions.js';
import { decodeHandshake, encodeHandshake } from '../../src/messages/handshake.js';
import { HandshakeReassembler } from '../../src/messages/reassembler.js';
import { ContentType, ExtensionType, HandshakeType, handshakeTypeName } from '../../src/registry.js';
import type { HandshakeMessage, RawExtension } from '../../src/messages/types.js';
import { Deframer } from '../../src/record/deframer.js';
import { MAX_CIPHERTEXT_LENGTH, MAX_PLAINTEXT_LENGTH } from '../../src/record/framing.js';
import { bytesEqual, concatBytes } from '../../src/wire/bytes.js';
import { Rng } from './random.js';

/**
 * Property targets for the codecs (src/messages), the deframer and the handshake reassembler.
 * One case = (target, seed): the seed draws a valid value, then zero to three mutations of its
 * encoding. The properties:
 * - a valid value survives encode → decode unchanged, and its encoding decodes;
 * - any bytes either decode to a value that re-encodes to exactly those bytes (decode and
 *   encode are inverses, DESIGN.md), or are refused with a TLSError PROTOCOL_ERROR naming
 *   decode_error or illegal_parameter (§6) — never another exception;
 * - the deframer and the reassembler give the same records / messages and the same error for
 *   every chunking of the same stream.
 * A case returns the problem it found, or undefined.
 */

export interface CodecTarget {
  readonly name: string;
  run(rng: Rng): string | undefined;
}

const REFUSALS = ['decode_error', 'illegal_parameter'];

/** What a refusal may look like; anything else thrown is a bug. */
function badRefusal(error: unknown, allowed: readonly string[] = REFUSALS): string | undefined {
  if (!(error instanceof TLSError)) return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}, not a TLSError`;
  if (error.code !== 'PROTOCOL_ERROR' || error.alert === undefined || !allowed.includes(error.alert)) {
    return `refused with ${error.code} ${error.alert ?? ''} (${error.message}), not one of ${allowed.join('/')}`;
  }
  return undefined;
}

/** Structural equality over the codecs' values: numbers, strings, byte strings, arrays, records. */
export function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b);
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

const hex = (bytes: Uint8Array): string =>
  bytes.length > 64 ? `${Buffer.from(bytes.subarray(0, 64)).toString('hex')}… (${bytes.length} bytes)` : Buffer.from(bytes).toString('hex');

// ---- byte mutations -----------------------------------------------------------------------

type ByteMutation = (input: Uint8Array, rng: Rng) => Uint8Array;

const BYTE_MUTATIONS: readonly ByteMutation[] = [
  (b, rng) => {
    const out = b.slice();
    if (out.length > 0) out[rng.below(out.length)]! ^= 1 << rng.below(8);
    return out;
  },
  (b, rng) => {
    const out = b.slice();
    if (out.length > 0) out[rng.below(out.length)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.below(256)]);
    return out;
  },
  // Length fields: a 16-bit boundary or off-by-one value anywhere.
  (b, rng) => {
    const out = b.slice();
    if (out.length < 2) return out;
    const i = rng.below(out.length - 1);
    const v = rng.pick([0, 1, 0xffff, 0x8000, ((out[i]! << 8) | out[i + 1]!) + rng.pick([1, -1, 2, -2])]) & 0xffff;
    out[i] = v >>> 8;
    out[i + 1] = v & 0xff;
    return out;
  },
  (b, rng) => b.slice(0, rng.below(b.length + 1)),
  (b, rng) => {
    const i = rng.below(b.length + 1);
    return concatBytes(b.subarray(0, i), rng.bytes(1 + rng.below(8)), b.subarray(i));
  },
  (b, rng) => {
    const i = rng.below(b.length + 1);
    return concatBytes(b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + rng.below(8))));
  },
  (b, rng) => {
    const i = rng.below(b.length + 1);
    return concatBytes(b.subarray(0, i), b.subarray(i, i + 1 + rng.below(32)), b.subarray(i));
  },
  (b, rng) => concatBytes(b, rng.bytes(1 + rng.below(4))),
  resizeVector,
  resizeVector,
];

const readLength = (b: Uint8Array, at: number, width: number): number => {
  let v = 0;
  for (let k = 0; k < width; k++) v = v * 256 + b[at + k]!;
  return v;
};

const writeLength = (b: Uint8Array, at: number, width: number, value: number): void => {
  for (let k = width - 1; k >= 0; k--, value = Math.floor(value / 256)) b[at + k] = value & 0xff;
};

/**
 * Resizes what may be a length-prefixed vector (down to empty, or by one either way) and
 * keeps the encoding consistent: the prefix says the new length, and so does every earlier
 * prefix that ended where this vector or the whole input ended. Byte flips alone almost never
 * produce a well-formed encoding with, say, an empty ALPN name; this does, so a decoder that
 * accepts what its encoder's bounds refuse is found.
 */
function resizeVector(b: Uint8Array, rng: Rng): Uint8Array {
  const width = rng.pick([1, 2, 2, 3]);
  if (b.length < width + 1) return b;
  const at = rng.below(b.length - width);
  const old = readLength(b, at, width);
  const end = at + width + old;
  if (end > b.length) return b;
  const wanted = Math.max(0, rng.pick([0, 0, 1, old - 1, old + 1, rng.below(old + 2)]));
  const delta = wanted - old;
  const body = wanted <= old ? b.subarray(at + width, at + width + wanted) : concatBytes(b.subarray(at + width, end), rng.bytes(delta));
  const out = concatBytes(b.subarray(0, at + width), body, b.subarray(end));
  writeLength(out, at, width, wanted);
  for (let j = 0; j < at; j++) {
    for (const w of [1, 2, 3]) {
      if (j + w > at) continue;
      const v = readLength(b, j, w);
      const enclosingEnd = j + w + v;
      if ((enclosingEnd === end || enclosingEnd === b.length) && v + delta >= 0 && v + delta < 256 ** w) writeLength(out, j, w, v + delta);
    }
  }
  return out;
}

/** The valid encoding, or that encoding with one to three mutations, or (rarely) noise. */
function damage(valid: Uint8Array, rng: Rng): Uint8Array {
  const roll = rng.below(16);
  if (roll < 3) return valid;
  if (roll === 15) return rng.bytes(rng.length(0, 300));
  let out = valid;
  for (let i = 0, n = 1 + rng.below(3); i < n; i++) out = rng.pick(BYTE_MUTATIONS)(out, rng);
  return out;
}

// ---- value generators ---------------------------------------------------------------------

const GROUPS = [0x0017, 0x0018, 0x0019, 0x001d, 0x001e, 0x0100, 0x11ec, 0x0a0a];
const SCHEMES = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0401, 0x0201, 0x1a1a];

function u16List(rng: Rng, pool: readonly number[], min: number, max: number): number[] {
  return Array.from({ length: rng.int(min, max) }, () => (rng.chance(0.8) ? rng.pick(pool) : rng.below(0x10000)));
}

const opaque = (rng: Rng, min: number, max: number): Uint8Array => rng.bytes(rng.length(min, max));

/**
 * One extension form: a generator of valid values, and its build/parse pair. `canonical`
 * false marks a parser that by design keeps less than the bytes say (server_name skips name
 * types other than host_name, RFC 6066 §3): there, parse(build(v)) = v is the property.
 */
interface ExtensionForm<T> {
  readonly name: string;
  readonly type: number;
  readonly context: ExtensionContext;
  readonly canonical?: boolean;
  generate(rng: Rng): T;
  build(value: T): Uint8Array;
  parse(data: Uint8Array): T;
}

function form<T>(f: ExtensionForm<T>): ExtensionForm<unknown> {
  return f as ExtensionForm<unknown>;
}

const hostName = (rng: Rng): string => {
  const label = (): string => Array.from({ length: 1 + rng.below(12) }, () => rng.pick([...'abcdefghijklmnopqrstuvwxyz0123456789-'])).join('');
  return Array.from({ length: 1 + rng.below(4) }, label).join('.');
};

export const EXTENSION_FORMS: readonly ExtensionForm<unknown>[] = [
  form({
    name: 'empty',
    type: ExtensionType.post_handshake_auth,
    context: 'CH',
    generate: () => undefined,
    build: () => buildEmptyExtension(),
    parse: ext.parseEmptyExtension,
  }),
  form({
    name: 'server_name CH',
    type: ExtensionType.server_name,
    context: 'CH',
    canonical: false,
    generate: hostName,
    build: ext.buildServerNameClientHello,
    parse: ext.parseServerNameClientHello,
  }),
  form({
    name: 'supported_groups',
    type: ExtensionType.supported_groups,
    context: 'CH',
    generate: (rng) => u16List(rng, GROUPS, 1, 12),
    build: ext.buildSupportedGroups,
    parse: ext.parseSupportedGroups,
  }),
  form({
    name: 'signature_algorithms',
    type: ExtensionType.signature_algorithms,
    context: 'CH',
    generate: (rng) => u16List(rng, SCHEMES, 1, 20),
    build: ext.buildSignatureAlgorithms,
    parse: ext.parseSignatureAlgorithms,
  }),
  form({
    name: 'key_share CH',
    type: ExtensionType.key_share,
    context: 'CH',
    generate: (rng) => [...new Set(u16List(rng, GROUPS, 0, 4))].map((group) => ({ group, keyExchange: opaque(rng, 1, 200) })),
    build: ext.buildKeyShareClientHello,
    parse: ext.parseKeyShareClientHello,
  }),
  form({
    name: 'key_share SH',
    type: ExtensionType.key_share,
    context: 'SH',
    generate: (rng) => ({ group: rng.pick(GROUPS), keyExchange: opaque(rng, 1, 200) }),
    build: ext.buildKeyShareServerHello,
    parse: ext.parseKeyShareServerHello,
  }),
  form({
    name: 'key_share HRR',
    type: ExtensionType.key_share,
    context: 'HRR',
    generate: (rng) => rng.pick(GROUPS),
    build: ext.buildKeyShareHelloRetryRequest,
    parse: ext.parseKeyShareHelloRetryRequest,
  }),
  form({
    name: 'supported_versions CH',
    type: ExtensionType.supported_versions,
    context: 'CH',
    generate: (rng) => u16List(rng, [0x0304, 0x0303, 0x0302, 0x7f1c], 1, 8),
    build: ext.buildSupportedVersionsClientHello,
    parse: ext.parseSupportedVersionsClientHello,
  }),
  form({
    name: 'supported_versions SH',
    type: ExtensionType.supported_versions,
    context: 'SH',
    generate: (rng) => rng.pick([0x0304, 0x0303, rng.below(0x10000)]),
    build: ext.buildSupportedVersionsServerHello,
    parse: ext.parseSupportedVersionsServerHello,
  }),
  form({ name: 'cookie', type: ExtensionType.cookie, context: 'CH', generate: (rng) => opaque(rng, 1, 300), build: ext.buildCookie, parse: ext.parseCookie }),
  form({
    name: 'psk_key_exchange_modes',
    type: ExtensionType.psk_key_exchange_modes,
    context: 'CH',
    generate: (rng) => Array.from({ length: rng.int(1, 4) }, () => rng.pick([0, 1, rng.below(256)])),
    build: ext.buildPskKeyExchangeModes,
    parse: ext.parsePskKeyExchangeModes,
  }),
  form({
    name: 'pre_shared_key CH',
    type: ExtensionType.pre_shared_key,
    context: 'CH',
    generate: (rng) => {
      const n = rng.int(1, 3);
      return {
        identities: Array.from({ length: n }, () => ({ identity: opaque(rng, 1, 120), obfuscatedTicketAge: rng.u32() })),
        binders: Array.from({ length: n }, () => opaque(rng, 32, 64)),
      };
    },
    build: ext.buildPreSharedKeyClientHello,
    parse: ext.parsePreSharedKeyClientHello,
  }),
  form({
    name: 'pre_shared_key SH',
    type: ExtensionType.pre_shared_key,
    context: 'SH',
    generate: (rng) => rng.below(0x10000),
    build: ext.buildPreSharedKeyServerHello,
    parse: ext.parsePreSharedKeyServerHello,
  }),
  form({
    name: 'early_data NST',
    type: ExtensionType.early_data,
    context: 'NST',
    generate: (rng) => rng.u32(),
    build: ext.buildEarlyDataNewSessionTicket,
    parse: ext.parseEarlyDataNewSessionTicket,
  }),
  form({
    name: 'alpn',
    type: ExtensionType.application_layer_protocol_negotiation,
    context: 'CH',
    generate: (rng) => Array.from({ length: rng.int(1, 4) }, () => opaque(rng, 1, 20)),
    build: ext.buildAlpn,
    parse: ext.parseAlpn,
  }),
  form({
    name: 'record_size_limit',
    type: ExtensionType.record_size_limit,
    context: 'CH',
    generate: (rng) => rng.int(64, 0xffff),
    build: ext.buildRecordSizeLimit,
    parse: ext.parseRecordSizeLimit,
  }),
  form({
    name: 'status_request CH',
    type: ExtensionType.status_request,
    context: 'CH',
    generate: (rng) => ({ statusType: rng.pick([1, rng.below(256)]), responderIdList: opaque(rng, 0, 40), requestExtensions: opaque(rng, 0, 40) }),
    build: buildStatusRequestClientHello,
    parse: ext.parseStatusRequestClientHello,
  }),
  form({
    name: 'status_request CT',
    type: ExtensionType.status_request,
    context: 'CT',
    generate: (rng) => opaque(rng, 1, 200),
    build: buildStatusRequestCertificateEntry,
    parse: ext.parseStatusRequestCertificateEntry,
  }),
  form({ name: 'padding', type: ExtensionType.padding, context: 'CH', generate: (rng) => rng.length(0, 300), build: buildPadding, parse: ext.parsePadding }),
  form({
    name: 'certificate_authorities',
    type: ExtensionType.certificate_authorities,
    context: 'CR',
    generate: (rng) => Array.from({ length: rng.int(1, 3) }, () => opaque(rng, 1, 80)),
    build: ext.buildCertificateAuthorities,
    parse: ext.parseCertificateAuthorities,
  }),
];

/** A valid extension body of `type` for `context` where we have a form, else opaque bytes. */
function extensionData(rng: Rng, type: number, context: ExtensionContext): Uint8Array {
  const forms = EXTENSION_FORMS.filter((f) => f.type === type && f.context === context);
  if (forms.length === 0) return opaque(rng, 0, 24);
  const f = rng.pick(forms);
  return f.build(f.generate(rng));
}

const KNOWN_TYPES = Object.values(ExtensionType);

/** An extension block with distinct types (§4.2), pre_shared_key last when present. */
function extensions(rng: Rng, context: ExtensionContext, count: number, minBytes = 0): RawExtension[] {
  const types = new Set<number>();
  while (types.size < count) types.add(rng.chance(0.7) ? rng.pick(KNOWN_TYPES) : rng.pick([0x0a0a, 0xfafa, rng.below(0x10000)]));
  const ordered = [...types].filter((t) => t !== ExtensionType.pre_shared_key);
  if (types.has(ExtensionType.pre_shared_key)) ordered.push(ExtensionType.pre_shared_key);
  const list = ordered.map((type) => ({ type, data: extensionData(rng, type, context) }));
  // A block below its minimum encoded size is not a valid value: pad it with an unknown extension.
  const size = list.reduce((n, e) => n + 4 + e.data.length, 0);
  if (list.length > 0 && size < minBytes) list.unshift({ type: 0xeaea, data: new Uint8Array(minBytes) });
  return list;
}

const MESSAGE_GENERATORS: Record<HandshakeMessage['type'], (rng: Rng) => HandshakeMessage> = {
  [HandshakeType.client_hello]: (rng) => ({
    type: HandshakeType.client_hello,
    legacyVersion: rng.pick([0x0303, 0x0301, rng.below(0x10000)]),
    random: rng.bytes(32),
    legacySessionId: opaque(rng, 0, 32),
    cipherSuites: u16List(rng, [0x1301, 0x1302, 0x1303, 0x00ff, 0x2a2a], 1, 16),
    legacyCompressionMethods: opaque(rng, 1, 4),
    extensions: rng.chance(0.1) ? [] : extensions(rng, 'CH', rng.int(1, 12), 8),
  }),
  [HandshakeType.server_hello]: (rng) => ({
    type: HandshakeType.server_hello,
    legacyVersion: 0x0303,
    random: rng.bytes(32),
    legacySessionIdEcho: opaque(rng, 0, 32),
    cipherSuite: rng.pick([0x1301, 0x1302, 0x1303, rng.below(0x10000)]),
    legacyCompressionMethod: rng.pick([0, rng.below(256)]),
    extensions: rng.chance(0.1) ? [] : extensions(rng, rng.chance(0.2) ? 'HRR' : 'SH', rng.int(1, 4), 6),
  }),
  [HandshakeType.new_session_ticket]: (rng) => ({
    type: HandshakeType.new_session_ticket,
    lifetime: rng.u32(),
    ageAdd: rng.u32(),
    nonce: opaque(rng, 0, 255),
    ticket: opaque(rng, 1, 400),
    extensions: extensions(rng, 'NST', rng.int(0, 3)),
  }),
  [HandshakeType.end_of_early_data]: () => ({ type: HandshakeType.end_of_early_data }),
  [HandshakeType.encrypted_extensions]: (rng) => ({ type: HandshakeType.encrypted_extensions, extensions: extensions(rng, 'EE', rng.int(0, 6)) }),
  [HandshakeType.certificate_request]: (rng) => ({ type: HandshakeType.certificate_request, context: opaque(rng, 0, 255), extensions: extensions(rng, 'CR', rng.int(1, 5)) }),
  [HandshakeType.certificate]: (rng) => ({
    type: HandshakeType.certificate,
    context: opaque(rng, 0, 255),
    entries: Array.from({ length: rng.int(0, 4) }, () => ({ data: opaque(rng, 1, 1500), extensions: extensions(rng, 'CT', rng.int(0, 2)) })),
  }),
  [HandshakeType.certificate_verify]: (rng) => ({ type: HandshakeType.certificate_verify, scheme: rng.pick(SCHEMES), signature: opaque(rng, 0, 512) }),
  [HandshakeType.finished]: (rng) => ({ type: HandshakeType.finished, verifyData: opaque(rng, 0, 64) }),
  [HandshakeType.key_update]: (rng) => ({ type: HandshakeType.key_update, requestUpdate: rng.below(2) }),
};

// ---- targets ------------------------------------------------------------------------------

function messageTarget(type: HandshakeMessage['type']): CodecTarget {
  const generate = MESSAGE_GENERATORS[type];
  return {
    name: `message ${handshakeTypeName(type)}`,
    run(rng) {
      const value = generate(rng);
      const encoded = encodeHandshake(value);
      const roundTrip = decodeHandshake(type, encoded.subarray(4));
      if (!same(roundTrip, value)) return `decode(encode(x)) != x for ${hex(encoded)}`;
      const body = damage(encoded.subarray(4), rng);
      let decoded: HandshakeMessage;
      try {
        decoded = decodeHandshake(type, body);
      } catch (error) {
        const bad = badRefusal(error);
        return bad && `${bad}; body ${hex(body)}`;
      }
      let again: Uint8Array;
      try {
        again = encodeHandshake(decoded).subarray(4);
      } catch (error) {
        return `a decoded body does not encode again (${error instanceof Error ? error.message : String(error)}): ${hex(body)}`;
      }
      return bytesEqual(again, body) ? undefined : `decoded body re-encodes differently: ${hex(body)} -> ${hex(again)}`;
    },
  };
}

function extensionTarget(f: ExtensionForm<unknown>): CodecTarget {
  return {
    name: `extension ${f.name}`,
    run(rng) {
      const value = f.generate(rng);
      const encoded = f.build(value);
      if (!same(f.parse(encoded), value)) return `parse(build(x)) != x for ${hex(encoded)}`;
      const data = damage(encoded, rng);
      let parsed: unknown;
      try {
        parsed = f.parse(data);
      } catch (error) {
        const bad = badRefusal(error);
        return bad && `${bad}; data ${hex(data)}`;
      }
      if (f.canonical === false) {
        // Lossy by design: what was kept must survive a round trip.
        return parsed === undefined || same(f.parse(f.build(parsed)), parsed) ? undefined : `parse(build(parse(b))) != parse(b) for ${hex(data)}`;
      }
      let again: Uint8Array;
      try {
        again = f.build(parsed);
      } catch (error) {
        return `a parsed body does not build again (${error instanceof Error ? error.message : String(error)}): ${hex(data)}`;
      }
      return bytesEqual(again, data) ? undefined : `parsed body builds differently: ${hex(data)} -> ${hex(again)}`;
    },
  };
}

const CONTEXTS: readonly ExtensionContext[] = ['CH', 'SH', 'HRR', 'EE', 'CT', 'CR', 'NST'];

/** Every parser reachable from validateExtension, on valid bodies of other forms and on noise. */
const validateTarget: CodecTarget = {
  name: 'validateExtension (every type, every context)',
  run(rng) {
    const type = rng.chance(0.9) ? rng.pick(KNOWN_TYPES) : rng.below(0x10000);
    const context = rng.pick(CONTEXTS);
    const data = damage(extensionData(rng, type, rng.pick(CONTEXTS)), rng);
    try {
      validateExtension(type, data, context);
    } catch (error) {
      const bad = badRefusal(error);
      return bad && `${bad}; type ${type} in ${context}, data ${hex(data)}`;
    }
    return undefined;
  },
};

/** Cuts `stream` into chunks: whole, single bytes, or random sizes around record boundaries. */
function chunkings(stream: Uint8Array, rng: Rng): Uint8Array[] {
  // Byte by byte is the harshest and the slowest: kept for short streams.
  const style = rng.below(stream.length > 400 ? 3 : 4);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length; ) {
    const size = style === 0 ? stream.length : style === 1 ? 1 + rng.below(7) : style === 2 ? 1 + rng.below(2000) : 1;
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

interface DeframedView {
  /** Each record: content type, then the header and fragment bytes. */
  records: Uint8Array[];
  error: string | undefined;
}

/** Pushes the chunks, taking records at random moments (or after each chunk without `rng`). */
function deframe(chunks: readonly Uint8Array[], rng: Rng | undefined): DeframedView {
  const deframer = new Deframer();
  const records: Uint8Array[] = [];
  let error: string | undefined;
  const drain = (): boolean => {
    try {
      for (let record = deframer.next(); record; record = deframer.next()) {
        records.push(concatBytes(record.header, record.fragment));
        if (record.type !== record.header[0]) records.push(Uint8Array.of(0xde, 0xad));
        deframer.recycle(record);
      }
    } catch (e) {
      error = e instanceof TLSError ? `${e.code}/${e.alert}` : `not a TLSError: ${String(e)}`;
      return false;
    }
    return true;
  };
  for (const chunk of chunks) {
    deframer.push(chunk);
    if (!rng || rng.chance(0.5)) if (!drain()) return { records, error };
  }
  drain();
  return { records, error };
}

/** A record stream: valid records, sometimes followed by garbage or a damaged header. */
function recordStream(rng: Rng): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0, n = rng.int(0, 6); i < n; i++) {
    const type = rng.pick([ContentType.handshake, ContentType.alert, ContentType.change_cipher_spec, ContentType.application_data]);
    const max = type === ContentType.application_data ? MAX_CIPHERTEXT_LENGTH : MAX_PLAINTEXT_LENGTH;
    const min = type === ContentType.handshake || type === ContentType.alert ? 1 : 0;
    const length = rng.chance(0.05) ? rng.pick([max, max - 1]) : rng.length(min, Math.min(max, 600));
    parts.push(Uint8Array.of(type, 3, rng.pick([1, 3, 4]), length >>> 8, length & 0xff), rng.bytes(length));
  }
  const stream = concatBytes(...parts);
  return rng.chance(0.4) ? damage(stream, rng) : stream;
}

const deframerTarget: CodecTarget = {
  name: 'deframer (any chunking)',
  run(rng) {
    const stream = recordStream(rng);
    const whole = deframe([stream], undefined);
    const cut = deframe(chunkings(stream, rng), rng);
    if (whole.error?.startsWith('not a TLSError')) return `${whole.error} on ${hex(stream)}`;
    if (whole.error && !['PROTOCOL_ERROR/decode_error', 'PROTOCOL_ERROR/unexpected_message', 'PROTOCOL_ERROR/record_overflow'].includes(whole.error))
      return `refused with ${whole.error}: ${hex(stream)}`;
    if (!same(cut, whole))
      return `chunking changed the result (${whole.records.length} records, ${whole.error ?? 'no error'} whole; ${cut.records.length}, ${cut.error ?? 'no error'} in chunks) for ${hex(stream)}`;
    // What came out is what went in: the records are the stream's prefix, byte for byte.
    const out = concatBytes(...whole.records);
    if (!bytesEqual(out, stream.subarray(0, out.length))) return `records differ from the stream: ${hex(stream)}`;
    return undefined;
  },
};

interface ReassembledView {
  messages: Uint8Array[];
  error: string | undefined;
}

function reassemble(chunks: readonly Uint8Array[], maxMessageSize: number): ReassembledView {
  const reassembler = new HandshakeReassembler(maxMessageSize);
  const messages: Uint8Array[] = [];
  try {
    for (const chunk of chunks) {
      reassembler.push(chunk);
      for (let m = reassembler.next(); m; m = reassembler.next()) messages.push(m.raw);
    }
  } catch (e) {
    return { messages, error: e instanceof TLSError ? `${e.code}/${e.alert}` : `not a TLSError: ${String(e)}` };
  }
  return { messages, error: undefined };
}

const reassemblerTarget: CodecTarget = {
  name: 'handshake reassembler (any chunking)',
  run(rng) {
    const types = Object.keys(MESSAGE_GENERATORS).map(Number) as HandshakeMessage['type'][];
    const messages = Array.from({ length: rng.int(1, 4) }, () => encodeHandshake(MESSAGE_GENERATORS[rng.pick(types)](rng)));
    const stream = rng.chance(0.3) ? damage(concatBytes(...messages), rng) : concatBytes(...messages);
    const limit = rng.pick([0x10000 + 0x1000, 2000, 300]);
    const whole = reassemble([stream], limit);
    const cut = reassemble(chunkings(stream, rng), limit);
    if (whole.error && !['PROTOCOL_ERROR/unexpected_message', 'PROTOCOL_ERROR/illegal_parameter', 'PROTOCOL_ERROR/decode_error'].includes(whole.error))
      return `refused with ${whole.error}: ${hex(stream)}`;
    if (!same(cut, whole)) return `chunking changed the result for ${hex(stream)}`;
    return undefined;
  },
};

export const CODEC_TARGETS: readonly CodecTarget[] = [
  ...(Object.keys(MESSAGE_GENERATORS).map(Number) as HandshakeMessage['type'][]).map(messageTarget),
  ...EXTENSION_FORMS.map(extensionTarget),
  validateTarget,
  deframerTarget,
  reassemblerTarget,
];

export function codecTargetByName(name: string): CodecTarget {
  const target = CODEC_TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no codec target ${name}; targets: ${CODEC_TARGETS.map((t) => t.name).join(', ')}`);
  return target;
}

/** Runs one case; an exception escaping the target's own checks is a problem too. */
export function runCodecCase(target: CodecTarget, seed: number): string | undefined {
  try {
    return target.run(new Rng(seed));
  } catch (error) {
    return `uncaught ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

export function codecCaseId(target: CodecTarget, seed: number): string {
  return `codec:${target.name}:${seed}`;
}
