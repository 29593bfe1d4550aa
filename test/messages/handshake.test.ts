import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import * as ext from '../../src/messages/extensions.js';
import { buildStatusRequestCertificateEntry } from '../helpers/extension-builders.js';
import { HELLO_RETRY_REQUEST_RANDOM, decodeHandshake, encodeHandshake, findExtension, isHelloRetryRequest, messageHash } from '../../src/messages/handshake.js';
import { CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme } from '../../src/registry.js';
import type { Certificate, CertificateVerify, ClientHello, HandshakeMessage, NewSessionTicket, RawExtension, ServerHello } from '../../src/messages/types.js';
import { bytesToHex } from '../../src/wire/bytes.js';
import { allRfc8448, expectAlert, hex, rfc8448, split } from './helpers.js';

function decodeRaw(raw: Uint8Array): HandshakeMessage {
  const [type, body] = split(raw);
  return decodeHandshake(type, body);
}

function roundTrip<M extends HandshakeMessage>(message: M): M {
  return decodeRaw(encodeHandshake(message)) as M;
}

/** Decodes a body given as hex for message `type`. */
const decodeHex = (type: number, body: string) => () => decodeHandshake(type, hex(body));

const random = (fill: number) => new Uint8Array(32).fill(fill);

const clientHello = (extensions: ClientHello['extensions']): ClientHello => ({
  type: HandshakeType.client_hello,
  legacyVersion: ProtocolVersion.TLS1_2,
  random: random(1),
  legacySessionId: new Uint8Array(32).fill(9),
  cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, 0x0a0a],
  legacyCompressionMethods: new Uint8Array([0]),
  extensions,
});

const serverHello = (extensions: ServerHello['extensions']): ServerHello => ({
  type: HandshakeType.server_hello,
  legacyVersion: ProtocolVersion.TLS1_2,
  random: random(2),
  legacySessionIdEcho: new Uint8Array(0),
  cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384,
  legacyCompressionMethod: 0,
  extensions,
});

const ext4 = (type: number, data: Uint8Array = new Uint8Array(0)): RawExtension => ({ type, data });

describe('RFC 8448 messages', () => {
  it.each(allRfc8448())('%s re-encodes byte for byte', (_name, raw) => {
    expect(bytesToHex(encodeHandshake(decodeRaw(raw)))).toBe(bytesToHex(raw));
  });

  it('decodes the §3 ClientHello fields', () => {
    const hello = decodeRaw(rfc8448('section3_simple_1rtt', 'clientHello')) as ClientHello;
    expect(hello.type).toBe(HandshakeType.client_hello);
    expect(hello.legacyVersion).toBe(0x0303);
    expect(bytesToHex(hello.random)).toBe('cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7');
    expect(hello.legacySessionId.length).toBe(0);
    expect(hello.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect([...hello.legacyCompressionMethods]).toEqual([0]);
    // renegotiation_info (0xff01) and session_ticket (0x0023) are unknown to us and kept in place.
    expect(hello.extensions.map((e) => e.type)).toEqual([0, 0xff01, 10, 0x23, 51, 43, 13, 45, 28]);

    const body = (type: number) => findExtension(hello.extensions, type)!;
    expect(ext.parseServerNameClientHello(body(ExtensionType.server_name))).toBe('server');
    expect(ext.parseSupportedGroups(body(ExtensionType.supported_groups))).toEqual([0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104]);
    const [share, ...more] = ext.parseKeyShareClientHello(body(ExtensionType.key_share));
    expect(more).toEqual([]);
    expect(share!.group).toBe(NamedGroup.x25519);
    expect(bytesToHex(share!.keyExchange)).toBe('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    expect(ext.parseSupportedVersionsClientHello(body(ExtensionType.supported_versions))).toEqual([ProtocolVersion.TLS1_3]);
    const schemes = ext.parseSignatureAlgorithms(body(ExtensionType.signature_algorithms));
    expect(schemes).toHaveLength(15);
    expect(schemes.slice(0, 3)).toEqual([SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp521r1_sha512]);
    expect(ext.parsePskKeyExchangeModes(body(ExtensionType.psk_key_exchange_modes))).toEqual([1]);
    expect(ext.parseRecordSizeLimit(body(ExtensionType.record_size_limit))).toBe(0x4001);
    for (const { type, data } of hello.extensions) expect(() => ext.validateExtension(type, data, 'CH')).not.toThrow();
  });

  it('decodes the §3 server flight', () => {
    const sh = decodeRaw(rfc8448('section3_simple_1rtt', 'serverHello')) as ServerHello;
    expect(isHelloRetryRequest(sh)).toBe(false);
    expect(sh.cipherSuite).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    expect(sh.legacyCompressionMethod).toBe(0);
    expect(ext.parseKeyShareServerHello(findExtension(sh.extensions, ExtensionType.key_share)!).group).toBe(NamedGroup.x25519);
    expect(ext.parseSupportedVersionsServerHello(findExtension(sh.extensions, ExtensionType.supported_versions)!)).toBe(0x0304);

    const ee = decodeRaw(rfc8448('section3_simple_1rtt', 'encryptedExtensions'));
    expect(ee.type).toBe(HandshakeType.encrypted_extensions);

    const cert = decodeRaw(rfc8448('section3_simple_1rtt', 'certificate')) as Certificate;
    expect(cert.context.length).toBe(0);
    expect(cert.entries).toHaveLength(1);
    expect(cert.entries[0]!.data.length).toBe(0x1b0);
    expect(cert.entries[0]!.data[0]).toBe(0x30); // a DER SEQUENCE
    expect(cert.entries[0]!.extensions).toEqual([]);

    const cv = decodeRaw(rfc8448('section3_simple_1rtt', 'certificateVerify')) as CertificateVerify;
    expect(cv.scheme).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    expect(cv.signature.length).toBe(128);

    const fin = decodeRaw(rfc8448('section3_simple_1rtt', 'serverFinished'));
    expect(fin).toMatchObject({ type: HandshakeType.finished });
    if (fin.type === HandshakeType.finished) expect(fin.verifyData.length).toBe(32);

    const nst = decodeRaw(rfc8448('section3_simple_1rtt', 'newSessionTicket')) as NewSessionTicket;
    expect(nst.lifetime).toBe(30);
    expect(nst.ageAdd).toBe(0xfad6aac5);
    expect([...nst.nonce]).toEqual([0, 0]);
    expect(nst.ticket.length).toBe(0xb2);
    expect(ext.parseEarlyDataNewSessionTicket(findExtension(nst.extensions, ExtensionType.early_data)!)).toBe(0x400);
  });

  it('decodes the §4 resumption ClientHello with pre_shared_key last', () => {
    const raw = rfc8448('section4_resumed_0rtt', 'clientHello');
    const hello = decodeRaw(raw) as ClientHello;
    expect(hello.extensions.at(-1)!.type).toBe(ExtensionType.pre_shared_key);
    expect(ext.parsePadding(findExtension(hello.extensions, ExtensionType.padding)!)).toBe(0x57);
    expect(() => ext.parseEmptyExtension(findExtension(hello.extensions, ExtensionType.early_data)!)).not.toThrow();

    const offer = ext.parsePreSharedKeyClientHello(findExtension(hello.extensions, ExtensionType.pre_shared_key)!);
    expect(offer.identities).toHaveLength(1);
    expect(offer.identities[0]!.identity.length).toBe(0xb2);
    expect(offer.identities[0]!.obfuscatedTicketAge).toBe(0xfad6aacb);
    expect(bytesToHex(offer.binders[0]!)).toBe('3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d');
    // The binder covers the message up to the identities: it ends with the ticket age.
    const signed = raw.subarray(0, raw.length - ext.pskBindersLength(offer.binders));
    expect(bytesToHex(signed.subarray(-4))).toBe('fad6aacb');

    const sh = decodeRaw(rfc8448('section4_resumed_0rtt', 'serverHello')) as ServerHello;
    expect(ext.parsePreSharedKeyServerHello(findExtension(sh.extensions, ExtensionType.pre_shared_key)!)).toBe(0);
  });

  it('decodes the §5 HelloRetryRequest and second ClientHello', () => {
    const hrr = decodeRaw(rfc8448('section5_hello_retry_request', 'helloRetryRequest')) as ServerHello;
    expect(isHelloRetryRequest(hrr)).toBe(true);
    expect(ext.parseKeyShareHelloRetryRequest(findExtension(hrr.extensions, ExtensionType.key_share)!)).toBe(NamedGroup.secp256r1);
    const cookie = ext.parseCookie(findExtension(hrr.extensions, ExtensionType.cookie)!);
    expect(cookie.length).toBe(0x72);

    const ch2 = decodeRaw(rfc8448('section5_hello_retry_request', 'clientHello2')) as ClientHello;
    expect(bytesToHex(ext.parseCookie(findExtension(ch2.extensions, ExtensionType.cookie)!))).toBe(bytesToHex(cookie));
    const [share] = ext.parseKeyShareClientHello(findExtension(ch2.extensions, ExtensionType.key_share)!);
    expect(share!.group).toBe(NamedGroup.secp256r1);
    expect(share!.keyExchange.length).toBe(65);
  });

  it('returns views into the received body', () => {
    const [type, body] = split(rfc8448('section3_simple_1rtt', 'clientHello'));
    const hello = decodeHandshake(type, body) as ClientHello;
    expect(hello.random.buffer).toBe(body.buffer);
  });

  /** Cutting a message anywhere must fail with decode_error, except where the prefix is itself valid. */
  it.each(allRfc8448())('%s: every truncation is a decode_error or a valid shorter message', (_name, raw) => {
    const [type, body] = split(raw);
    const decodedAt: number[] = [];
    for (let n = 0; n < body.length; n++) {
      try {
        decodeHandshake(type, body.subarray(0, n));
        decodedAt.push(n);
      } catch (error) {
        expect(error).toBeInstanceOf(TLSError);
        expect((error as TLSError).alert).toBe('decode_error');
      }
    }
    const message = decodeHandshake(type, body);
    if (message.type === HandshakeType.finished) expect(decodedAt).toHaveLength(body.length);
    else if (message.type === HandshakeType.client_hello) {
      // Only the extension-less ClientHello of RFC 8446 §4.1.2 is a valid prefix.
      const end = 2 + 32 + 1 + message.legacySessionId.length + 2 + 2 * message.cipherSuites.length + 1 + message.legacyCompressionMethods.length;
      expect(decodedAt).toEqual([end]);
    } else if (message.type === HandshakeType.server_hello) {
      expect(decodedAt).toEqual([2 + 32 + 1 + message.legacySessionIdEcho.length + 2 + 1]);
    } else expect(decodedAt).toEqual([]);
  });

  it.each(allRfc8448().filter(([name]) => !/Finished/.test(name)))('%s: a trailing byte is a decode_error', (_name, raw) => {
    const [type, body] = split(raw);
    const longer = new Uint8Array(body.length + 1);
    longer.set(body);
    expectAlert(() => decodeHandshake(type, longer), 'decode_error', 'trailing_bytes');
  });
});

describe('round trips of built messages', () => {
  const grease = ext4(0x1a1a, new Uint8Array([0xde, 0xad]));
  const messages: [string, HandshakeMessage][] = [
    [
      'ClientHello with GREASE and unknown extensions',
      clientHello([grease, ext4(0xff01, new Uint8Array([0])), ext4(ExtensionType.supported_versions, ext.buildSupportedVersionsClientHello([0x0304]))]),
    ],
    ['ClientHello without extensions (TLS 1.2 client)', clientHello([])],
    ['ServerHello', serverHello([ext4(ExtensionType.supported_versions, ext.buildSupportedVersionsServerHello(0x0304))])],
    ['ServerHello with pre_shared_key not last', serverHello([ext4(ExtensionType.pre_shared_key, ext.buildPreSharedKeyServerHello(0)), ext4(43, hex('0304'))])],
    ['ServerHello without extensions (TLS 1.2 server)', serverHello([])],
    ['HelloRetryRequest', { ...serverHello([ext4(ExtensionType.key_share, ext.buildKeyShareHelloRetryRequest(0x17))]), random: HELLO_RETRY_REQUEST_RANDOM }],
    ['EncryptedExtensions, empty', { type: HandshakeType.encrypted_extensions, extensions: [] }],
    ['EncryptedExtensions with GREASE', { type: HandshakeType.encrypted_extensions, extensions: [grease, ext4(ExtensionType.server_name)] }],
    [
      'CertificateRequest',
      {
        type: HandshakeType.certificate_request,
        context: new Uint8Array([1, 2, 3]),
        extensions: [ext4(ExtensionType.signature_algorithms, ext.buildSignatureAlgorithms([0x0804])), ext4(ExtensionType.status_request)],
      },
    ],
    ['Certificate, empty (no client certificate)', { type: HandshakeType.certificate, context: new Uint8Array([7]), entries: [] }],
    [
      'Certificate with entry extensions',
      {
        type: HandshakeType.certificate,
        context: new Uint8Array(0),
        entries: [
          { data: new Uint8Array([0x30, 0x00]), extensions: [ext4(ExtensionType.status_request, buildStatusRequestCertificateEntry(new Uint8Array([1])))] },
          { data: new Uint8Array([0x30, 0x01, 0x05]), extensions: [] },
        ],
      },
    ],
    ['CertificateVerify', { type: HandshakeType.certificate_verify, scheme: 0x0807, signature: new Uint8Array(64).fill(3) }],
    ['CertificateVerify, empty signature', { type: HandshakeType.certificate_verify, scheme: 0x0403, signature: new Uint8Array(0) }],
    ['Finished', { type: HandshakeType.finished, verifyData: new Uint8Array(48).fill(4) }],
    [
      'NewSessionTicket',
      {
        type: HandshakeType.new_session_ticket,
        lifetime: 604800,
        ageAdd: 0xffffffff,
        nonce: new Uint8Array(0),
        ticket: new Uint8Array([5]),
        extensions: [ext4(ExtensionType.early_data, ext.buildEarlyDataNewSessionTicket(16384)), grease],
      },
    ],
    ['EndOfEarlyData', { type: HandshakeType.end_of_early_data }],
    ['KeyUpdate(update_not_requested)', { type: HandshakeType.key_update, requestUpdate: 0 }],
    ['KeyUpdate(update_requested)', { type: HandshakeType.key_update, requestUpdate: 1 }],
  ];

  it.each(messages)('%s', (_name, message) => {
    const raw = encodeHandshake(message);
    expect(raw[0]).toBe(message.type);
    expect((raw[1]! << 16) | (raw[2]! << 8) | raw[3]!).toBe(raw.length - 4);
    expect(roundTrip(message)).toEqual(message);
    expect(bytesToHex(encodeHandshake(roundTrip(message)))).toBe(bytesToHex(raw));
  });

  it('encodes EndOfEarlyData and KeyUpdate exactly', () => {
    expect(bytesToHex(encodeHandshake({ type: HandshakeType.end_of_early_data }))).toBe('05000000');
    expect(bytesToHex(encodeHandshake({ type: HandshakeType.key_update, requestUpdate: 1 }))).toBe('1800000101');
  });

  it('refuses to build what a peer would reject', () => {
    expectAlert(() => encodeHandshake({ ...clientHello([]), random: new Uint8Array(31) }), 'internal_error');
    expectAlert(() => encodeHandshake({ ...clientHello([]), cipherSuites: [] }), 'internal_error');
    expectAlert(() => encodeHandshake({ ...clientHello([]), legacySessionId: new Uint8Array(33) }), 'internal_error');
    // A TLS 1.3 ClientHello (one with supported_versions) whose block is < 8 bytes; an older
    // client's block may be that short (RFC 5246 §7.4.1.2), see older-peers.test.ts.
    expectAlert(() => encodeHandshake({ ...clientHello([{ type: ExtensionType.supported_versions, data: hex('020304') }]) }), 'internal_error');
    expectAlert(() => encodeHandshake({ type: HandshakeType.certificate_request, context: new Uint8Array(0), extensions: [] }), 'internal_error');
    expectAlert(() => encodeHandshake({ type: HandshakeType.certificate, context: new Uint8Array(0), entries: [{ data: new Uint8Array(0), extensions: [] }] }), 'internal_error');
  });
});

describe('HelloRetryRequest and message_hash', () => {
  it('HELLO_RETRY_REQUEST_RANDOM is SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3)', () => {
    expect(bytesToHex(HELLO_RETRY_REQUEST_RANDOM)).toBe(createHash('sha256').update('HelloRetryRequest').digest('hex'));
  });

  it('messageHash frames the digest as handshake type 254 (RFC 8446 §4.4.1)', () => {
    const digest = new Uint8Array(32).fill(0xab);
    expect(bytesToHex(messageHash(digest))).toBe('fe000020' + 'ab'.repeat(32));
    expect(bytesToHex(messageHash(new Uint8Array(48)))).toBe('fe000030' + '00'.repeat(48));
  });
});

describe('malformed messages', () => {
  // A ClientHello body up to the extensions: version, random, empty session id, one suite, null compression.
  const chHead = '0303' + '11'.repeat(32) + '00' + '00021301' + '0100';
  // A ServerHello body up to the extensions.
  const shHead = '0303' + '22'.repeat(32) + '00' + '1301' + '00';
  const sv = '002b00020304'; // supported_versions(TLS 1.3), 6 bytes

  it('rejects handshake types that are not TLS 1.3 messages with unexpected_message', () => {
    for (const type of [0, 3, 6, 12, 14, 16, 21, 22, 254, 255]) expectAlert(() => decodeHandshake(type, new Uint8Array(0)), 'unexpected_message', 'unknown_handshake_type');
  });

  it('checks ClientHello vector bounds', () => {
    expectAlert(decodeHex(1, '0303' + '11'.repeat(31)), 'decode_error', 'length_overrun'); // short random
    expectAlert(decodeHex(1, '0303' + '11'.repeat(32) + '21' + '00'.repeat(33) + '000213010100'), 'decode_error', 'length_out_of_range'); // session id 33
    expectAlert(decodeHex(1, '0303' + '11'.repeat(32) + '00' + '0000' + '0100'), 'decode_error', 'length_out_of_range'); // no cipher suites
    expectAlert(decodeHex(1, '0303' + '11'.repeat(32) + '00' + '0003130113' + '0100'), 'decode_error', 'length_overrun'); // odd suites length
    expectAlert(decodeHex(1, '0303' + '11'.repeat(32) + '00' + 'ffff' + '00'.repeat(0xffff) + '0100'), 'decode_error', 'length_out_of_range'); // 2^16-1 > 2^16-2
    expectAlert(decodeHex(1, '0303' + '11'.repeat(32) + '00' + '00021301' + '00'), 'decode_error', 'length_out_of_range'); // no compression method
    expectAlert(decodeHex(1, chHead + '0006' + sv), 'decode_error', 'length_out_of_range'); // a TLS 1.3 extensions block (supported_versions) < 8
    expect(() => decodeHandshake(1, hex(chHead + '0004' + '1a1a0000'))).not.toThrow(); // an older client's block < 8
    expectAlert(decodeHex(1, chHead + '0009' + sv + '0a0a00'), 'decode_error', 'length_overrun'); // extension header cut short
    expectAlert(decodeHex(1, chHead + '000a' + sv + '0a0a0001'), 'decode_error', 'length_overrun'); // extension data overruns the block
    expectAlert(decodeHex(1, chHead + '0008' + sv), 'decode_error', 'length_overrun'); // block length overruns the message
    expect(() => decodeHandshake(1, hex(chHead + '000a' + sv + '0a0a0000'))).not.toThrow();
  });

  it('checks ServerHello vector bounds', () => {
    expectAlert(decodeHex(2, '0303' + '22'.repeat(32) + '21' + '00'.repeat(33) + '130100'), 'decode_error', 'length_out_of_range'); // session id echo 33
    expectAlert(decodeHex(2, shHead + '0005' + sv.slice(0, 8) + '03'), 'decode_error', 'length_overrun'); // a TLS 1.3 block (supported_versions) < 6
    expect(() => decodeHandshake(2, hex(shHead + '0004' + '1a1a0000'))).not.toThrow(); // an older server's block < 6
    expectAlert(decodeHex(2, shHead + '0006' + '002b000203'), 'decode_error', 'length_overrun'); // extension overruns
    expect(() => decodeHandshake(2, hex(shHead + '0006' + sv))).not.toThrow();
  });

  it('rejects duplicate extensions in every extension block with illegal_parameter', () => {
    expectAlert(decodeHex(1, chHead + '000c' + sv + sv), 'illegal_parameter', 'duplicate_extension');
    expectAlert(decodeHex(2, shHead + '000c' + sv + sv), 'illegal_parameter', 'duplicate_extension');
    expectAlert(decodeHex(8, '0008' + '1a1a0000' + '1a1a0000'), 'illegal_parameter', 'duplicate_extension'); // GREASE twice
    expectAlert(decodeHex(13, '00' + '0010' + '000d000400020804' + '00050000' + '00050000'), 'illegal_parameter', 'duplicate_extension');
    expectAlert(decodeHex(11, '00' + '00000e' + '000001' + '30' + '0008' + '00120000' + '00120000'), 'illegal_parameter', 'duplicate_extension');
    expectAlert(decodeHex(4, '00000001' + '00000002' + '00' + '000101' + '0010' + '002a000400000400' + '002a000400000400'), 'illegal_parameter', 'duplicate_extension');
  });

  it('requires pre_shared_key to be the last ClientHello extension (RFC 8446 §4.2.11)', () => {
    const psk = '0029' + '0000'; // body content is not looked at by the block reader
    expectAlert(decodeHex(1, chHead + '000a' + psk + sv), 'illegal_parameter', 'psk_not_last');
    expect(() => decodeHandshake(1, hex(chHead + '000a' + sv + psk))).not.toThrow();
    expect(() => decodeHandshake(2, hex(shHead + '000a' + psk + sv))).not.toThrow(); // anywhere in ServerHello
  });

  it('checks EncryptedExtensions and CertificateRequest', () => {
    expectAlert(decodeHex(8, ''), 'decode_error', 'length_overrun');
    expectAlert(decodeHex(8, '0004' + '0000'), 'decode_error', 'length_overrun');
    expectAlert(decodeHex(13, '00' + '0000'), 'decode_error', 'length_out_of_range'); // CR extensions < 2
    expectAlert(decodeHex(13, '05' + '0102'), 'decode_error', 'length_overrun'); // context overruns
    expectAlert(decodeHex(13, '00'), 'decode_error', 'length_overrun');
    expect(decodeHandshake(13, hex('00' + '0004' + '00310000'))).toMatchObject({ context: new Uint8Array(0) });
  });

  it('checks Certificate bounds', () => {
    expectAlert(decodeHex(11, '00' + '000005' + '000000' + '0000'), 'decode_error', 'length_out_of_range'); // empty cert_data
    expectAlert(decodeHex(11, '00' + '000004' + '000001' + '30'), 'decode_error', 'length_overrun'); // entry without extensions
    expectAlert(decodeHex(11, '00' + '000007' + '000001' + '30' + '0000'), 'decode_error', 'length_overrun'); // list length overruns the message
    expectAlert(decodeHex(11, '00' + '000006' + '000002' + '30' + '0000'), 'decode_error', 'length_overrun'); // cert_data overruns its entry
    expectAlert(decodeHex(11, '00'), 'decode_error', 'length_overrun'); // no certificate_list
    expectAlert(decodeHex(11, '01'), 'decode_error', 'length_overrun'); // context overruns
  });

  it('checks CertificateVerify, NewSessionTicket, EndOfEarlyData and KeyUpdate', () => {
    expectAlert(decodeHex(15, '0804' + '0003' + '0102'), 'decode_error', 'length_overrun');
    expectAlert(decodeHex(15, '08'), 'decode_error', 'length_overrun');
    const nstHead = '0000001e' + 'fad6aac5' + '00';
    expectAlert(decodeHex(4, nstHead + '0000' + '0000'), 'decode_error', 'length_out_of_range'); // empty ticket
    expectAlert(decodeHex(4, nstHead + '0001' + 'aa'), 'decode_error', 'length_overrun'); // no extensions field
    expectAlert(decodeHex(4, nstHead + '0001' + 'aa' + 'ffff' + '00'.repeat(0xffff)), 'decode_error', 'length_out_of_range'); // extensions > 2^16-2
    expectAlert(decodeHex(4, '0000001e' + 'fad6aac5' + '05' + '0000'), 'decode_error', 'length_overrun'); // nonce overruns
    expectAlert(decodeHex(5, '00'), 'decode_error', 'trailing_bytes');
    expectAlert(decodeHex(24, ''), 'decode_error', 'length_overrun');
    expectAlert(decodeHex(24, '0000'), 'decode_error', 'trailing_bytes');
    expectAlert(decodeHex(24, '02'), 'illegal_parameter', 'invalid_key_update_request');
    expectAlert(decodeHex(24, 'ff'), 'illegal_parameter', 'invalid_key_update_request');
  });

  it('keeps whole bodies as Finished verify_data, whatever their length', () => {
    expect(decodeHandshake(20, new Uint8Array(0))).toEqual({ type: HandshakeType.finished, verifyData: new Uint8Array(0) });
  });
});

describe('findExtension', () => {
  it('returns the body of the first extension of a type, or undefined', () => {
    const exts = [ext4(1, new Uint8Array([1])), ext4(2, new Uint8Array([2]))];
    expect(findExtension(exts, 2)).toEqual(new Uint8Array([2]));
    expect(findExtension(exts, 3)).toBeUndefined();
  });
});
