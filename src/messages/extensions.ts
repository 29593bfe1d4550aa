import { decodeError, internalError, protocolError } from '../errors.js';
import { utf8 } from '../wire/bytes.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { CertificateStatusType, ExtensionType, extensionTypeName } from '../registry.js';

/**
 * Typed bodies of the extensions we understand (RFC 8446 §4.2 and the RFCs it lists).
 *
 * Naming: `parseX(data)` reads and `buildX(value)` writes the extension_data of extension X.
 * Where the body has a different form per message, the name ends with the message whose form
 * it handles (`parseKeyShareClientHello`, `parseKeyShareServerHello`,
 * `parseKeyShareHelloRetryRequest`); a form shared by several messages has one name (ALPN,
 * signature_algorithms and signature_algorithms_cert). Every empty form is
 * `parseEmptyExtension`. Forms we only receive (status_request, padding) have no builder here:
 * the tests build them (test/helpers/extension-builders.ts).
 *
 * Parsers check every vector bound and that the body is consumed exactly (decode_error), and
 * the few value rules whose RFC names illegal_parameter. Decoded byte fields are views into
 * `data`. Whether an extension may appear at all is `extensionAllowedIn`; what the values
 * mean for the connection is the state machine's business.
 */

export type ExtensionContext = 'CH' | 'SH' | 'HRR' | 'EE' | 'CT' | 'CR' | 'NST';

export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}

export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}

/** OfferedPsks (§4.2.11): binders[i] authenticates identities[i]. */
export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Uint8Array[];
}

/** CertificateStatusRequest (RFC 6066 §8); the OCSP fields stay opaque DER lists. */
export interface StatusRequest {
  statusType: number;
  responderIdList: Uint8Array;
  requestExtensions: Uint8Array;
}

function parse<T>(data: Uint8Array, type: number, body: (r: Reader) => T): T {
  const r = new Reader(data, 0, data.length, extensionTypeName(type));
  const value = body(r);
  r.expectEnd();
  return value;
}

function build(body: (w: Writer) => void): Uint8Array {
  const w = new Writer(64);
  body(w);
  return w.finish();
}

const u16List =
  (type: number, min: number, max: number) =>
  (data: Uint8Array): number[] =>
    parse(data, type, (r) => r.list(2, min, max, (i) => i.u16()));

const buildU16List =
  (min: number, max: number) =>
  (values: readonly number[]): Uint8Array =>
    build((w) =>
      w.vector16(min, max, (v) => {
        for (const value of values) v.u16(value);
      }),
    );

// ---------------------------------------------------------------- empty bodies

/**
 * server_name in EE (RFC 6066 §3), early_data in CH and EE (§4.2.10), post_handshake_auth
 * (§4.2.6) and status_request in CR (§4.4.2.1) have empty extension_data.
 */
export function parseEmptyExtension(data: Uint8Array): void {
  if (data.length !== 0) throw decodeError('trailing_bytes', `extension body must be empty, got ${data.length} bytes`);
}

// ---------------------------------------------------------------- server_name (RFC 6066 §3)

const NAME_TYPE_HOST_NAME = 0;

/**
 * The host_name from a ClientHello's ServerNameList, or undefined when it names none. Names of
 * other types are skipped: RFC 6066 requires every future NameType body to start with a
 * 16-bit length so old parsers can step over it.
 */
export function parseServerNameClientHello(data: Uint8Array): string | undefined {
  return parse(data, ExtensionType.server_name, (r) => {
    let hostName: string | undefined;
    const names = r.list(2, 1, 0xffff, (e) => ({ nameType: e.u8(), name: e.vector16(1, 0xffff) }));
    for (const { nameType, name } of names) {
      if (nameType !== NAME_TYPE_HOST_NAME) continue;
      // RFC 6066 §3: "MUST NOT contain more than one name of the same name_type".
      if (hostName !== undefined) throw protocolError('duplicate_host_name', 'server_name lists two host names');
      hostName = hostNameText(name);
    }
    return hostName;
  });
}

/**
 * RFC 6066 §3: a host name is "a byte string using ASCII encoding without a trailing dot".
 * Control characters, spaces and non-ASCII bytes cannot be part of a DNS name; refusing them
 * here keeps them out of certificate matching and logs.
 */
function hostNameText(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) {
    if (b < 0x21 || b > 0x7e) throw decodeError('invalid_host_name', 'server_name host name is not printable ASCII');
    text += String.fromCharCode(b);
  }
  if (text.endsWith('.')) throw decodeError('invalid_host_name', 'server_name host name has a trailing dot');
  return text;
}

/** `hostName` must already be an ASCII (A-label) DNS name; the connection options check that. */
export function buildServerNameClientHello(hostName: string): Uint8Array {
  return build((w) =>
    w.vector16(1, 0xffff, (list) => {
      list.u8(NAME_TYPE_HOST_NAME);
      list.vector16(1, 0xffff, utf8(hostName));
    }),
  );
}

// ---------------------------------------------------------------- code point lists

/** NamedGroup named_group_list<2..2^16-1> (§4.2.7). */
export const parseSupportedGroups = u16List(ExtensionType.supported_groups, 2, 0xffff);
export const buildSupportedGroups = buildU16List(2, 0xffff);

/**
 * SignatureScheme supported_signature_algorithms<2..2^16-2> (§4.2.3): the body of both
 * signature_algorithms and signature_algorithms_cert.
 */
export const parseSignatureAlgorithms = u16List(ExtensionType.signature_algorithms, 2, 0xfffe);
export const buildSignatureAlgorithms = buildU16List(2, 0xfffe);

// ---------------------------------------------------------------- key_share (§4.2.8)

function readKeyShareEntry(r: Reader): KeyShareEntry {
  return { group: r.u16(), keyExchange: r.vector16(1, 0xffff) };
}

function writeKeyShareEntry(w: Writer, entry: KeyShareEntry): void {
  w.u16(entry.group);
  w.vector16(1, 0xffff, entry.keyExchange);
}

/**
 * KeyShareEntry client_shares<0..2^16-1>. "Clients MUST NOT offer multiple KeyShareEntry values
 * for the same group ... Servers MAY check for violations of these rules and abort the handshake
 * with an illegal_parameter alert": we do, so a share can be looked up by group unambiguously.
 */
export function parseKeyShareClientHello(data: Uint8Array): KeyShareEntry[] {
  const entries = parse(data, ExtensionType.key_share, (r) => r.list(2, 0, 0xffff, readKeyShareEntry));
  const groups = new Set<number>();
  for (const { group } of entries) {
    if (groups.has(group)) throw protocolError('duplicate_key_share_group', 'key_share offers the same group twice');
    groups.add(group);
  }
  return entries;
}

export function buildKeyShareClientHello(entries: readonly KeyShareEntry[]): Uint8Array {
  return build((w) =>
    w.vector16(0, 0xffff, (list) => {
      for (const entry of entries) writeKeyShareEntry(list, entry);
    }),
  );
}

/** KeyShareEntry server_share. */
export function parseKeyShareServerHello(data: Uint8Array): KeyShareEntry {
  return parse(data, ExtensionType.key_share, readKeyShareEntry);
}

export function buildKeyShareServerHello(entry: KeyShareEntry): Uint8Array {
  return build((w) => writeKeyShareEntry(w, entry));
}

/** NamedGroup selected_group. */
export function parseKeyShareHelloRetryRequest(data: Uint8Array): number {
  return parse(data, ExtensionType.key_share, (r) => r.u16());
}

export function buildKeyShareHelloRetryRequest(group: number): Uint8Array {
  return build((w) => w.u16(group));
}

// ---------------------------------------------------------------- supported_versions (§4.2.1)

/** ProtocolVersion versions<2..254>. */
export function parseSupportedVersionsClientHello(data: Uint8Array): number[] {
  return parse(data, ExtensionType.supported_versions, (r) => r.list(1, 2, 254, (i) => i.u16()));
}

export function buildSupportedVersionsClientHello(versions: readonly number[]): Uint8Array {
  return build((w) =>
    w.vector8(2, 254, (v) => {
      for (const version of versions) v.u16(version);
    }),
  );
}

/** ProtocolVersion selected_version, in ServerHello and HelloRetryRequest alike. */
export function parseSupportedVersionsServerHello(data: Uint8Array): number {
  return parse(data, ExtensionType.supported_versions, (r) => r.u16());
}

export function buildSupportedVersionsServerHello(version: number): Uint8Array {
  return build((w) => w.u16(version));
}

// ---------------------------------------------------------------- cookie (§4.2.2)

/** opaque cookie<1..2^16-1>. */
export function parseCookie(data: Uint8Array): Uint8Array {
  return parse(data, ExtensionType.cookie, (r) => r.vector16(1, 0xffff));
}

export function buildCookie(cookie: Uint8Array): Uint8Array {
  return build((w) => w.vector16(1, 0xffff, cookie));
}

// ---------------------------------------------------------------- psk_key_exchange_modes (§4.2.9)

/** PskKeyExchangeMode ke_modes<1..255>; unknown modes are kept for the caller to ignore. */
export function parsePskKeyExchangeModes(data: Uint8Array): number[] {
  return parse(data, ExtensionType.psk_key_exchange_modes, (r) => r.list(1, 1, 0xff, (i) => i.u8()));
}

export function buildPskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  return build((w) =>
    w.vector8(1, 0xff, (v) => {
      for (const mode of modes) v.u8(mode);
    }),
  );
}

// ---------------------------------------------------------------- pre_shared_key (§4.2.11)

const BINDER = [32, 0xff] as const;
const BINDERS = [33, 0xffff] as const;

/**
 * OfferedPsks: PskIdentity identities<7..2^16-1>, PskBinderEntry binders<33..2^16-1>. A binder
 * count that differs from the identity count leaves an identity unauthenticated (or a binder
 * without identity): the lists are well-formed but inconsistent, so illegal_parameter.
 */
export function parsePreSharedKeyClientHello(data: Uint8Array): OfferedPsks {
  const offer = parse(data, ExtensionType.pre_shared_key, (r) => ({
    identities: r.list(2, 7, 0xffff, (i) => ({ identity: i.vector16(1, 0xffff), obfuscatedTicketAge: i.u32() })),
    binders: r.list(2, ...BINDERS, (b) => b.vector8(...BINDER)),
  }));
  if (offer.identities.length !== offer.binders.length) {
    throw protocolError('psk_binder_count_mismatch', `pre_shared_key has ${offer.identities.length} identities but ${offer.binders.length} binders`);
  }
  return offer;
}

export function buildPreSharedKeyClientHello(offer: OfferedPsks): Uint8Array {
  return build((w) => {
    w.vector16(7, 0xffff, (list) => {
      for (const { identity, obfuscatedTicketAge } of offer.identities) {
        list.vector16(1, 0xffff, identity);
        list.u32(obfuscatedTicketAge);
      }
    });
    w.vector16(...BINDERS, (list) => {
      for (const binder of offer.binders) list.vector8(...BINDER, binder);
    });
  });
}

/**
 * Encoded size of the binders list, length prefix included. Binders sign the ClientHello "up to
 * and including the PreSharedKeyExtension.identities field" (§4.2.11.2), and the binders list
 * ends the message (pre_shared_key is last), so the signed prefix is the encoded ClientHello
 * minus this many trailing bytes: the client builds with placeholder binders of the final
 * sizes, the server truncates the received raw bytes.
 */
export function pskBindersLength(binders: readonly Uint8Array[]): number {
  let length = 2;
  for (const binder of binders) length += 1 + binder.length;
  return length;
}

/** uint16 selected_identity. */
export function parsePreSharedKeyServerHello(data: Uint8Array): number {
  return parse(data, ExtensionType.pre_shared_key, (r) => r.u16());
}

export function buildPreSharedKeyServerHello(selectedIdentity: number): Uint8Array {
  return build((w) => w.u16(selectedIdentity));
}

// ---------------------------------------------------------------- early_data (§4.2.10)

/** uint32 max_early_data_size (the CH and EE forms are empty). */
export function parseEarlyDataNewSessionTicket(data: Uint8Array): number {
  return parse(data, ExtensionType.early_data, (r) => r.u32());
}

export function buildEarlyDataNewSessionTicket(maxEarlyDataSize: number): Uint8Array {
  return build((w) => w.u32(maxEarlyDataSize));
}

// ---------------------------------------------------------------- ALPN (RFC 7301 §3.1)

/**
 * ProtocolName protocol_name_list<2..2^16-1>, ProtocolName opaque<1..2^8-1>. The same syntax in
 * ClientHello and EncryptedExtensions; the server's "exactly one name" rule is checked by the
 * client state machine against what it offered. Names are bytes: the RFC does not make them
 * text.
 */
export function parseAlpn(data: Uint8Array): Uint8Array[] {
  return parse(data, ExtensionType.application_layer_protocol_negotiation, (r) => r.list(2, 2, 0xffff, (n) => n.vector8(1, 0xff)));
}

export function buildAlpn(protocols: readonly Uint8Array[]): Uint8Array {
  return build((w) =>
    w.vector16(2, 0xffff, (list) => {
      for (const name of protocols) list.vector8(1, 0xff, name);
    }),
  );
}

// ---------------------------------------------------------------- record_size_limit (RFC 8449 §4)

const RECORD_SIZE_LIMIT_MIN = 64;

/**
 * uint16 RecordSizeLimit. RFC 8449 §4: "An endpoint MUST treat receipt of a smaller value [than
 * 64] as a fatal error and generate an illegal_parameter alert" (tiny records would let a peer
 * make us spend a record's overhead per byte).
 */
export function parseRecordSizeLimit(data: Uint8Array): number {
  const limit = parse(data, ExtensionType.record_size_limit, (r) => r.u16());
  if (limit < RECORD_SIZE_LIMIT_MIN) throw protocolError('record_size_limit_too_small', `record_size_limit ${limit} is below 64`);
  return limit;
}

export function buildRecordSizeLimit(limit: number): Uint8Array {
  if (limit < RECORD_SIZE_LIMIT_MIN || limit > 0xffff) throw internalError(`record_size_limit ${limit} out of range`);
  return build((w) => w.u16(limit));
}

// ---------------------------------------------------------------- status_request (RFC 6066 §8)

/**
 * CertificateStatusRequest in ClientHello. Only ocsp(1) is defined, and its OCSPStatusRequest
 * (ResponderID list, request extensions: two opaque16 fields) is read for any status_type, as
 * other implementations do; the caller staples only for ocsp.
 */
export function parseStatusRequestClientHello(data: Uint8Array): StatusRequest {
  return parse(data, ExtensionType.status_request, (r) => ({
    statusType: r.u8(),
    responderIdList: r.vector16(),
    requestExtensions: r.vector16(),
  }));
}

/**
 * CertificateStatus in a CertificateEntry (§4.4.2.1): status_type then OCSPResponse
 * ocsp_response<1..2^24-1>. A status type other than ocsp has no body we could read.
 */
export function parseStatusRequestCertificateEntry(data: Uint8Array): Uint8Array {
  return parse(data, ExtensionType.status_request, (r) => {
    const statusType = r.u8();
    if (statusType !== CertificateStatusType.ocsp) throw decodeError('value_out_of_range', `unknown certificate status type ${statusType}`);
    return r.vector24(1, 0xffffff);
  });
}

// ---------------------------------------------------------------- padding (RFC 7685 §3)

/** The padding length. "The client MUST fill the padding extension completely with zero bytes." */
export function parsePadding(data: Uint8Array): number {
  if (data.some((b) => b !== 0)) throw decodeError('value_out_of_range', 'padding extension contains non-zero bytes');
  return data.length;
}

// ---------------------------------------------------------------- certificate_authorities (§4.2.4)

/** DistinguishedName authorities<3..2^16-1>, each opaque DER <1..2^16-1>. */
export function parseCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  return parse(data, ExtensionType.certificate_authorities, (r) => r.list(2, 3, 0xffff, (n) => n.vector16(1, 0xffff)));
}

export function buildCertificateAuthorities(names: readonly Uint8Array[]): Uint8Array {
  return build((w) =>
    w.vector16(3, 0xffff, (list) => {
      for (const name of names) list.vector16(1, 0xffff, name);
    }),
  );
}

// ---------------------------------------------------------------- where each extension may appear

type BodyParser = (data: Uint8Array) => unknown;

/**
 * For every extension in the registry, the messages it may appear in (RFC 8446 §4.2 table; RFC
 * 8449 §4 for record_size_limit) and, where we understand that form, its parser. `null` marks
 * a form that is allowed but whose body we do not interpret.
 */
const PLACES: ReadonlyMap<number, Partial<Record<ExtensionContext, BodyParser | null>>> = new Map<number, Partial<Record<ExtensionContext, BodyParser | null>>>([
  [ExtensionType.server_name, { CH: parseServerNameClientHello, EE: parseEmptyExtension }],
  [ExtensionType.max_fragment_length, { CH: null, EE: null }],
  [ExtensionType.status_request, { CH: parseStatusRequestClientHello, CR: parseEmptyExtension, CT: parseStatusRequestCertificateEntry }],
  [ExtensionType.supported_groups, { CH: parseSupportedGroups, EE: parseSupportedGroups }],
  [ExtensionType.signature_algorithms, { CH: parseSignatureAlgorithms, CR: parseSignatureAlgorithms }],
  [ExtensionType.use_srtp, { CH: null, EE: null }],
  [ExtensionType.heartbeat, { CH: null, EE: null }],
  [ExtensionType.application_layer_protocol_negotiation, { CH: parseAlpn, EE: parseAlpn }],
  [ExtensionType.signed_certificate_timestamp, { CH: null, CR: null, CT: null }],
  [ExtensionType.client_certificate_type, { CH: null, EE: null }],
  [ExtensionType.server_certificate_type, { CH: null, EE: null }],
  [ExtensionType.padding, { CH: parsePadding }],
  [ExtensionType.record_size_limit, { CH: parseRecordSizeLimit, EE: parseRecordSizeLimit }],
  [ExtensionType.key_share, { CH: parseKeyShareClientHello, SH: parseKeyShareServerHello, HRR: parseKeyShareHelloRetryRequest }],
  [ExtensionType.pre_shared_key, { CH: parsePreSharedKeyClientHello, SH: parsePreSharedKeyServerHello }],
  [ExtensionType.psk_key_exchange_modes, { CH: parsePskKeyExchangeModes }],
  [ExtensionType.early_data, { CH: parseEmptyExtension, EE: parseEmptyExtension, NST: parseEarlyDataNewSessionTicket }],
  [ExtensionType.cookie, { CH: parseCookie, HRR: parseCookie }],
  [ExtensionType.supported_versions, { CH: parseSupportedVersionsClientHello, SH: parseSupportedVersionsServerHello, HRR: parseSupportedVersionsServerHello }],
  [ExtensionType.certificate_authorities, { CH: parseCertificateAuthorities, CR: parseCertificateAuthorities }],
  [ExtensionType.oid_filters, { CR: null }],
  [ExtensionType.post_handshake_auth, { CH: parseEmptyExtension }],
  [ExtensionType.signature_algorithms_cert, { CH: parseSignatureAlgorithms, CR: parseSignatureAlgorithms }],
]);

export function isKnownExtension(type: number): boolean {
  return PLACES.has(type);
}

/**
 * Whether a known extension may appear in `context`; undefined for an extension we do not know
 * (including GREASE), which RFC 8446 §4.2 says to ignore in ClientHello and to answer with
 * unsupported_extension in a response. A known extension in the wrong message is
 * illegal_parameter (§4.2): that decision is the state machine's.
 */
export function extensionAllowedIn(type: number, context: ExtensionContext): boolean | undefined {
  const places = PLACES.get(type);
  return places === undefined ? undefined : context in places;
}

/**
 * Runs the parser for `type` in `context`, for extensions the caller does not otherwise read,
 * so a malformed body of a known extension is still a decode_error. Unknown extensions, forms
 * we do not interpret, and forms not allowed in `context` (see extensionAllowedIn) pass.
 */
export function validateExtension(type: number, data: Uint8Array, context: ExtensionContext): void {
  PLACES.get(type)?.[context]?.(data);
}
