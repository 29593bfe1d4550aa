import { describe, expect, it } from 'vitest';
import type { ProtocolReason } from '../../src/errors.js';
import * as ext from '../../src/messages/extensions.js';
import { buildEmptyExtension, buildPadding, buildStatusRequestCertificateEntry, buildStatusRequestClientHello } from '../helpers/extension-builders.js';
import type { ExtensionContext } from '../../src/messages/extensions.js';
import { ExtensionType } from '../../src/registry.js';
import { bytesToHex, utf8 } from '../../src/wire/bytes.js';
import { expectAlert, hex } from './helpers.js';

const bin = (...bytes: number[]) => new Uint8Array(bytes);
const text = (s: string) => bytesToHex(utf8(s));

/** [name, wire body hex, parse, build, decoded value]: build(value) must give the bytes and parse the value. */
type Case = [string, string, (data: Uint8Array) => unknown, (value: never) => Uint8Array, unknown];

const cases: Case[] = [
  ['server_name (CH)', '0009' + '00' + '0006' + text('server'), ext.parseServerNameClientHello, ext.buildServerNameClientHello, 'server'],
  ['empty body', '', ext.parseEmptyExtension, buildEmptyExtension, undefined],
  ['supported_groups', '0004' + '001d0017', ext.parseSupportedGroups, ext.buildSupportedGroups, [0x1d, 0x17]],
  ['signature_algorithms', '0004' + '04030804', ext.parseSignatureAlgorithms, ext.buildSignatureAlgorithms, [0x0403, 0x0804]],
  [
    'key_share (CH)',
    '000b' + '001d0002aabb' + '00170001cc',
    ext.parseKeyShareClientHello,
    ext.buildKeyShareClientHello,
    [
      { group: 0x1d, keyExchange: bin(0xaa, 0xbb) },
      { group: 0x17, keyExchange: bin(0xcc) },
    ],
  ],
  ['key_share (CH, no shares: awaiting HRR)', '0000', ext.parseKeyShareClientHello, ext.buildKeyShareClientHello, []],
  ['key_share (SH)', '001d0002aabb', ext.parseKeyShareServerHello, ext.buildKeyShareServerHello, { group: 0x1d, keyExchange: bin(0xaa, 0xbb) }],
  ['key_share (HRR)', '0017', ext.parseKeyShareHelloRetryRequest, ext.buildKeyShareHelloRetryRequest, 0x17],
  ['supported_versions (CH)', '04' + '0a0a0304', ext.parseSupportedVersionsClientHello, ext.buildSupportedVersionsClientHello, [0x0a0a, 0x0304]],
  ['supported_versions (SH/HRR)', '0304', ext.parseSupportedVersionsServerHello, ext.buildSupportedVersionsServerHello, 0x0304],
  ['cookie', '0003' + '010203', ext.parseCookie, ext.buildCookie, bin(1, 2, 3)],
  ['psk_key_exchange_modes', '02' + '0100', ext.parsePskKeyExchangeModes, ext.buildPskKeyExchangeModes, [1, 0]],
  [
    'pre_shared_key (CH)',
    '0009' + '0003aabbcc' + '00000010' + '0021' + '20' + '55'.repeat(32),
    ext.parsePreSharedKeyClientHello,
    ext.buildPreSharedKeyClientHello,
    { identities: [{ identity: bin(0xaa, 0xbb, 0xcc), obfuscatedTicketAge: 16 }], binders: [new Uint8Array(32).fill(0x55)] },
  ],
  ['pre_shared_key (SH)', '0001', ext.parsePreSharedKeyServerHello, ext.buildPreSharedKeyServerHello, 1],
  ['early_data (NST)', '00004000', ext.parseEarlyDataNewSessionTicket, ext.buildEarlyDataNewSessionTicket, 0x4000],
  ['ALPN', '000c' + '02' + text('h2') + '08' + text('http/1.1'), ext.parseAlpn, ext.buildAlpn, [utf8('h2'), utf8('http/1.1')]],
  ['record_size_limit', '4001', ext.parseRecordSizeLimit, ext.buildRecordSizeLimit, 0x4001],
  ['record_size_limit at its minimum', '0040', ext.parseRecordSizeLimit, ext.buildRecordSizeLimit, 64],
  [
    'status_request (CH)',
    '01' + '0003000101' + '0002abcd',
    ext.parseStatusRequestClientHello,
    buildStatusRequestClientHello,
    { statusType: 1, responderIdList: bin(0, 1, 1), requestExtensions: bin(0xab, 0xcd) },
  ],
  [
    'status_request (CH, no responders)',
    '01' + '0000' + '0000',
    ext.parseStatusRequestClientHello,
    buildStatusRequestClientHello,
    { statusType: 1, responderIdList: bin(), requestExtensions: bin() },
  ],
  ['status_request (CertificateEntry)', '01' + '000003' + 'aabbcc', ext.parseStatusRequestCertificateEntry, buildStatusRequestCertificateEntry, bin(0xaa, 0xbb, 0xcc)],
  ['padding', '000000', ext.parsePadding, buildPadding, 3],
  ['padding, empty', '', ext.parsePadding, buildPadding, 0],
  ['certificate_authorities', '0008' + '0003300100' + '000130', ext.parseCertificateAuthorities, ext.buildCertificateAuthorities, [bin(0x30, 1, 0), bin(0x30)]],
];

describe('extension bodies round-trip', () => {
  it.each(cases)('%s', (_name, wire, parse, build, value) => {
    expect(parse(hex(wire))).toEqual(value);
    expect(bytesToHex(build(value as never))).toBe(wire);
  });
});

/** [name, parse, body hex, alert] */
type Bad = [string, (data: Uint8Array) => unknown, string, 'decode_error' | 'illegal_parameter', ProtocolReason];

const bad: Bad[] = [
  ['server_name: empty body', ext.parseServerNameClientHello, '', 'decode_error', 'length_overrun'],
  ['server_name: empty list', ext.parseServerNameClientHello, '0000', 'decode_error', 'length_out_of_range'],
  ['server_name: list overruns', ext.parseServerNameClientHello, '0004' + '000001', 'decode_error', 'length_overrun'],
  ['server_name: empty host name', ext.parseServerNameClientHello, '0003' + '00' + '0000', 'decode_error', 'length_out_of_range'],
  ['server_name: non-ASCII host name', ext.parseServerNameClientHello, '0004' + '00' + '0001' + 'ff', 'decode_error', 'invalid_host_name'],
  ['server_name: NUL in host name', ext.parseServerNameClientHello, '0005' + '00' + '0002' + '6100', 'decode_error', 'invalid_host_name'],
  ['server_name: trailing dot', ext.parseServerNameClientHello, '0005' + '00' + '0002' + text('a.'), 'decode_error', 'invalid_host_name'],
  ['server_name: two host names', ext.parseServerNameClientHello, '0008' + '000001' + text('a') + '000001' + text('b'), 'illegal_parameter', 'duplicate_host_name'],
  ['server_name: trailing bytes', ext.parseServerNameClientHello, '0004' + '000001' + text('a') + '00', 'decode_error', 'trailing_bytes'],
  ['empty body with content', ext.parseEmptyExtension, '00', 'decode_error', 'trailing_bytes'],
  ['supported_groups: empty list', ext.parseSupportedGroups, '0000', 'decode_error', 'length_out_of_range'],
  ['supported_groups: odd length', ext.parseSupportedGroups, '0003' + '001d00', 'decode_error', 'length_overrun'],
  ['supported_groups: no body', ext.parseSupportedGroups, '', 'decode_error', 'length_overrun'],
  ['supported_groups: trailing bytes', ext.parseSupportedGroups, '0002' + '001d' + '00', 'decode_error', 'trailing_bytes'],
  ['signature_algorithms: empty list', ext.parseSignatureAlgorithms, '0000', 'decode_error', 'length_out_of_range'],
  ['signature_algorithms: over 2^16-2', ext.parseSignatureAlgorithms, 'ffff' + '08'.repeat(0xffff), 'decode_error', 'length_out_of_range'],
  ['key_share (CH): empty key_exchange', ext.parseKeyShareClientHello, '0004' + '001d0000', 'decode_error', 'length_out_of_range'],
  ['key_share (CH): entry overruns', ext.parseKeyShareClientHello, '0005' + '001d0002aa', 'decode_error', 'length_overrun'],
  ['key_share (CH): same group twice', ext.parseKeyShareClientHello, '000a' + '001d0001aa' + '001d0001bb', 'illegal_parameter', 'duplicate_key_share_group'],
  ['key_share (CH): no body', ext.parseKeyShareClientHello, '', 'decode_error', 'length_overrun'],
  ['key_share (SH): empty key_exchange', ext.parseKeyShareServerHello, '001d0000', 'decode_error', 'length_out_of_range'],
  ['key_share (SH): truncated', ext.parseKeyShareServerHello, '001d0002aa', 'decode_error', 'length_overrun'],
  ['key_share (SH): trailing bytes', ext.parseKeyShareServerHello, '001d0001aa00', 'decode_error', 'trailing_bytes'],
  ['key_share (HRR): short', ext.parseKeyShareHelloRetryRequest, '00', 'decode_error', 'length_overrun'],
  ['key_share (HRR): long', ext.parseKeyShareHelloRetryRequest, '001700', 'decode_error', 'trailing_bytes'],
  ['supported_versions (CH): empty list', ext.parseSupportedVersionsClientHello, '00', 'decode_error', 'length_out_of_range'],
  ['supported_versions (CH): odd length', ext.parseSupportedVersionsClientHello, '03' + '030403', 'decode_error', 'length_overrun'],
  ['supported_versions (CH): over 254', ext.parseSupportedVersionsClientHello, 'ff' + '03'.repeat(255), 'decode_error', 'length_out_of_range'],
  ['supported_versions (SH): short', ext.parseSupportedVersionsServerHello, '03', 'decode_error', 'length_overrun'],
  ['supported_versions (SH): long', ext.parseSupportedVersionsServerHello, '030400', 'decode_error', 'trailing_bytes'],
  ['cookie: empty', ext.parseCookie, '0000', 'decode_error', 'length_out_of_range'],
  ['cookie: overruns', ext.parseCookie, '0002aa', 'decode_error', 'length_overrun'],
  ['psk_key_exchange_modes: empty list', ext.parsePskKeyExchangeModes, '00', 'decode_error', 'length_out_of_range'],
  ['psk_key_exchange_modes: overruns', ext.parsePskKeyExchangeModes, '0201', 'decode_error', 'length_overrun'],
  ['pre_shared_key (CH): no identities', ext.parsePreSharedKeyClientHello, '0000' + '0021' + '20' + '00'.repeat(32), 'decode_error', 'length_out_of_range'],
  [
    'pre_shared_key (CH): empty identity',
    ext.parsePreSharedKeyClientHello,
    '000d' + '0000' + '00000000' + '0001aa' + '00000000' + '0021' + '20' + '00'.repeat(32),
    'decode_error',
    'length_out_of_range',
  ],
  [
    'pre_shared_key (CH): binder of 31 bytes',
    ext.parsePreSharedKeyClientHello,
    '0007' + '0001aa' + '00000000' + '0020' + '1f' + '00'.repeat(31),
    'decode_error',
    'length_out_of_range',
  ],
  ['pre_shared_key (CH): no binders', ext.parsePreSharedKeyClientHello, '0007' + '0001aa' + '00000000' + '0000', 'decode_error', 'length_out_of_range'],
  ['pre_shared_key (CH): binders missing', ext.parsePreSharedKeyClientHello, '0007' + '0001aa' + '00000000', 'decode_error', 'length_overrun'],
  [
    'pre_shared_key (CH): two identities, one binder',
    ext.parsePreSharedKeyClientHello,
    '000e' + '0001aa00000000' + '0001bb00000000' + '0021' + '20' + '00'.repeat(32),
    'illegal_parameter',
    'psk_binder_count_mismatch',
  ],
  ['pre_shared_key (SH): short', ext.parsePreSharedKeyServerHello, '00', 'decode_error', 'length_overrun'],
  ['pre_shared_key (SH): long', ext.parsePreSharedKeyServerHello, '000000', 'decode_error', 'trailing_bytes'],
  ['early_data (NST): short', ext.parseEarlyDataNewSessionTicket, '000040', 'decode_error', 'length_overrun'],
  ['early_data (NST): long', ext.parseEarlyDataNewSessionTicket, '0000400000', 'decode_error', 'trailing_bytes'],
  ['ALPN: empty list', ext.parseAlpn, '0000', 'decode_error', 'length_out_of_range'],
  ['ALPN: empty names', ext.parseAlpn, '0002' + '0000', 'decode_error', 'length_out_of_range'],
  ['ALPN: name overruns', ext.parseAlpn, '0003' + '05aabb', 'decode_error', 'length_overrun'],
  ['ALPN: trailing bytes', ext.parseAlpn, '0003' + '0268' + '32' + '00', 'decode_error', 'trailing_bytes'],
  ['record_size_limit: 63 (RFC 8449 §4)', ext.parseRecordSizeLimit, '003f', 'illegal_parameter', 'record_size_limit_too_small'],
  ['record_size_limit: 0', ext.parseRecordSizeLimit, '0000', 'illegal_parameter', 'record_size_limit_too_small'],
  ['record_size_limit: short', ext.parseRecordSizeLimit, '40', 'decode_error', 'length_overrun'],
  ['record_size_limit: long', ext.parseRecordSizeLimit, '400100', 'decode_error', 'trailing_bytes'],
  ['status_request (CH): no request_extensions', ext.parseStatusRequestClientHello, '01' + '0000', 'decode_error', 'length_overrun'],
  ['status_request (CH): trailing bytes', ext.parseStatusRequestClientHello, '01' + '0000' + '0000' + '00', 'decode_error', 'trailing_bytes'],
  ['status_request (CT): not OCSP', ext.parseStatusRequestCertificateEntry, '02' + '000001' + 'aa', 'decode_error', 'value_out_of_range'],
  ['status_request (CT): empty response', ext.parseStatusRequestCertificateEntry, '01' + '000000', 'decode_error', 'length_out_of_range'],
  ['status_request (CT): response overruns', ext.parseStatusRequestCertificateEntry, '01' + '000002' + 'aa', 'decode_error', 'length_overrun'],
  ['padding: non-zero byte', ext.parsePadding, '000100', 'decode_error', 'value_out_of_range'],
  ['certificate_authorities: empty list', ext.parseCertificateAuthorities, '0000', 'decode_error', 'length_out_of_range'],
  ['certificate_authorities: empty name', ext.parseCertificateAuthorities, '0002' + '0000', 'decode_error', 'length_out_of_range'],
  ['certificate_authorities: name overruns', ext.parseCertificateAuthorities, '0004' + '000330', 'decode_error', 'length_overrun'],
];

describe('malformed extension bodies', () => {
  it.each(bad)('%s', (_name, parse, body, alert, reason) => {
    expectAlert(() => parse(hex(body)), alert, reason);
  });
});

describe('builders refuse what a peer would reject', () => {
  it.each([
    ['record_size_limit below 64', () => ext.buildRecordSizeLimit(63)],
    ['empty supported_groups', () => ext.buildSupportedGroups([])],
    ['empty signature_algorithms', () => ext.buildSignatureAlgorithms([])],
    ['empty supported_versions', () => ext.buildSupportedVersionsClientHello([])],
    ['empty ALPN list', () => ext.buildAlpn([])],
    ['empty ALPN name', () => ext.buildAlpn([bin()])],
    ['ALPN name over 255 bytes', () => ext.buildAlpn([new Uint8Array(256)])],
    ['empty host name', () => ext.buildServerNameClientHello('')],
    ['empty key_exchange', () => ext.buildKeyShareServerHello({ group: 0x1d, keyExchange: bin() })],
    ['empty cookie', () => ext.buildCookie(bin())],
    ['short binder', () => ext.buildPreSharedKeyClientHello({ identities: [{ identity: bin(1), obfuscatedTicketAge: 0 }], binders: [new Uint8Array(31)] })],
    ['no PSK identities', () => ext.buildPreSharedKeyClientHello({ identities: [], binders: [new Uint8Array(32)] })],
    ['empty OCSP response', () => buildStatusRequestCertificateEntry(bin())],
  ])('%s', (_name, build) => {
    expectAlert(build, 'internal_error');
  });

  it('builds a single supported version', () => {
    expect(bytesToHex(ext.buildSupportedVersionsClientHello([0x0304]))).toBe('020304');
  });
});

describe('pskBindersLength', () => {
  it('is the size of the trailing binders list, so the rest is the part the binders sign', () => {
    const offer = {
      identities: [
        { identity: bin(1, 2), obfuscatedTicketAge: 7 },
        { identity: bin(3), obfuscatedTicketAge: 8 },
      ],
      binders: [new Uint8Array(32).fill(1), new Uint8Array(48).fill(2)],
    };
    const body = ext.buildPreSharedKeyClientHello(offer);
    expect(ext.pskBindersLength(offer.binders)).toBe(2 + 33 + 49);
    const identities = 2 + (2 + 2 + 4) + (2 + 1 + 4);
    expect(body.length - ext.pskBindersLength(offer.binders)).toBe(identities);
  });
});

describe('extensionAllowedIn (RFC 8446 §4.2 table)', () => {
  const contexts: ExtensionContext[] = ['CH', 'SH', 'HRR', 'EE', 'CT', 'CR', 'NST'];
  const table: [keyof typeof ExtensionType, string][] = [
    ['server_name', 'CH EE'],
    ['max_fragment_length', 'CH EE'],
    ['status_request', 'CH CR CT'],
    ['supported_groups', 'CH EE'],
    ['signature_algorithms', 'CH CR'],
    ['use_srtp', 'CH EE'],
    ['heartbeat', 'CH EE'],
    ['application_layer_protocol_negotiation', 'CH EE'],
    ['signed_certificate_timestamp', 'CH CR CT'],
    ['client_certificate_type', 'CH EE'],
    ['server_certificate_type', 'CH EE'],
    ['padding', 'CH'],
    ['record_size_limit', 'CH EE'],
    ['key_share', 'CH SH HRR'],
    ['pre_shared_key', 'CH SH'],
    ['psk_key_exchange_modes', 'CH'],
    ['early_data', 'CH EE NST'],
    ['cookie', 'CH HRR'],
    ['supported_versions', 'CH SH HRR'],
    ['certificate_authorities', 'CH CR'],
    ['oid_filters', 'CR'],
    ['post_handshake_auth', 'CH'],
    ['signature_algorithms_cert', 'CH CR'],
  ];

  it('covers every extension in the registry', () => {
    expect(table.map(([name]) => name).sort()).toEqual(Object.keys(ExtensionType).sort());
  });

  it.each(table)('%s: %s', (name, places) => {
    const type = ExtensionType[name];
    expect(ext.isKnownExtension(type)).toBe(true);
    for (const context of contexts) expect(ext.extensionAllowedIn(type, context)).toBe(places.split(' ').includes(context));
  });

  it('answers undefined for unknown and GREASE extensions', () => {
    for (const type of [0x0a0a, 0xfafa, 0xff01, 0x0023, 0xffff]) {
      expect(ext.isKnownExtension(type)).toBe(false);
      for (const context of contexts) expect(ext.extensionAllowedIn(type, context)).toBeUndefined();
    }
  });
});

describe('validateExtension', () => {
  it('parses a known body in its context', () => {
    expectAlert(() => ext.validateExtension(ExtensionType.supported_groups, hex('0000'), 'CH'), 'decode_error', 'length_out_of_range');
    expectAlert(() => ext.validateExtension(ExtensionType.record_size_limit, hex('0010'), 'EE'), 'illegal_parameter', 'record_size_limit_too_small');
    expectAlert(() => ext.validateExtension(ExtensionType.server_name, hex('00'), 'EE'), 'decode_error', 'trailing_bytes');
    expectAlert(() => ext.validateExtension(ExtensionType.early_data, hex('00'), 'CH'), 'decode_error', 'trailing_bytes');
    expectAlert(() => ext.validateExtension(ExtensionType.status_request, hex('0100'), 'CR'), 'decode_error', 'trailing_bytes');
    expect(() => ext.validateExtension(ExtensionType.early_data, hex('00000400'), 'NST')).not.toThrow();
    expect(() => ext.validateExtension(ExtensionType.supported_versions, hex('0304'), 'HRR')).not.toThrow();
  });

  it('lets unknown extensions, uninterpreted forms and other contexts pass', () => {
    expect(() => ext.validateExtension(0x0a0a, hex('ff'), 'CH')).not.toThrow();
    expect(() => ext.validateExtension(ExtensionType.use_srtp, hex('ff'), 'CH')).not.toThrow();
    expect(() => ext.validateExtension(ExtensionType.key_share, hex('ff'), 'EE')).not.toThrow();
  });
});
