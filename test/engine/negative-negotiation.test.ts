import { describe, expect, it } from 'vitest';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import * as ext from '../../src/messages/extensions.js';
import { HELLO_RETRY_REQUEST_RANDOM, encodeHandshake, isHelloRetryRequest } from '../../src/messages/handshake.js';
import { CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion } from '../../src/registry.js';
import type { ClientHello, RawExtension, ServerHello } from '../../src/messages/types.js';
import { mutate, onMessage, onRecord, only } from '../helpers/mitm.js';
import { expectAbort, provider, scenario } from '../helpers/negative.js';

/**
 * Negotiation failures (RFC 8446 §4.1, §4.2): versions, suites, groups and key shares,
 * HelloRetryRequest and the second ClientHello, ALPN. Each test names the side that must detect
 * the problem and the alert it must send.
 */

const without = (extensions: RawExtension[], type: number): RawExtension[] => extensions.filter((e) => e.type !== type);
const replaceExtension = (extensions: RawExtension[], type: number, data: Uint8Array): RawExtension[] => extensions.map((e) => (e.type === type ? { type, data } : e));

/** Edits the real ServerHello (not a HelloRetryRequest). */
const serverHello = (edit: (sh: ServerHello) => void) =>
  mutate('server', HandshakeType.server_hello, (sh) => {
    if (isHelloRetryRequest(sh)) return false;
    edit(sh);
  });

/** Edits the HelloRetryRequest. */
const helloRetryRequest = (edit: (hrr: ServerHello) => void) =>
  mutate('server', HandshakeType.server_hello, (sh) => {
    if (!isHelloRetryRequest(sh)) return false;
    edit(sh);
  });

/** Edits the second ClientHello (the answer to a HelloRetryRequest). */
const secondClientHello = (edit: (ch: ClientHello) => void) => only(1, mutate('client', HandshakeType.client_hello, edit));

/** Client offers x25519 and secp384r1 with a share for x25519; the server only takes secp384r1. */
const RETRY = {
  client: { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] },
  server: { groups: [NamedGroup.secp384r1] },
};

describe('versions', { timeout: 15_000 }, () => {
  it('server: ClientHello without supported_versions (a TLS 1.2 client) → protocol_version', async () => {
    const s = await scenario({
      client: { customizeClientHello: (ch) => void (ch.extensions = without(ch.extensions, ExtensionType.supported_versions)) },
    });
    expectAbort(s, 'server', 'protocol_version', 'tls13_not_supported');
  });

  it('server: a ClientHello with no extensions block at all (an SSL 3.0-era client) → protocol_version', async () => {
    const s = await scenario({ client: { customizeClientHello: (ch) => void (ch.extensions = []) } });
    expectAbort(s, 'server', 'protocol_version', 'tls13_not_supported');
  });

  it('server: supported_versions without TLS 1.3 → protocol_version', async () => {
    const s = await scenario({
      client: {
        customizeClientHello: (ch) =>
          void (ch.extensions = replaceExtension(
            ch.extensions,
            ExtensionType.supported_versions,
            ext.buildSupportedVersionsClientHello([ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_1]),
          )),
      },
    });
    expectAbort(s, 'server', 'protocol_version', 'tls13_not_supported');
  });

  it('client: ServerHello without supported_versions (a TLS 1.2 ServerHello) → protocol_version', async () => {
    const s = await scenario({ edits: [serverHello((sh) => void (sh.extensions = without(sh.extensions, ExtensionType.supported_versions)))] });
    expectAbort(s, 'client', 'protocol_version', 'tls13_not_supported');
  });

  it('client: ServerHello selecting TLS 1.2 in supported_versions → illegal_parameter', async () => {
    const s = await scenario({
      edits: [
        serverHello(
          (sh) => void (sh.extensions = replaceExtension(sh.extensions, ExtensionType.supported_versions, ext.buildSupportedVersionsServerHello(ProtocolVersion.TLS1_2))),
        ),
      ],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_version');
  });

  for (const [name, last] of [
    ['TLS 1.2', 0x01],
    ['TLS 1.1', 0x00],
  ] as const) {
    it(`client: TLS 1.2 ServerHello whose random ends in the ${name} downgrade sentinel → illegal_parameter`, async () => {
      const s = await scenario({
        edits: [
          serverHello((sh) => {
            sh.extensions = without(sh.extensions, ExtensionType.supported_versions);
            sh.random = sh.random.slice();
            // RFC 8446 §4.1.3: "DOWNGRD" followed by 01 (TLS 1.2) or 00 (TLS 1.1 and below).
            sh.random.set([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, last], 24);
          }),
        ],
      });
      expectAbort(s, 'client', 'illegal_parameter', 'downgrade_detected');
    });
  }
});

describe('cipher suites, groups and key shares', { timeout: 15_000 }, () => {
  it('server: no cipher suite in common → handshake_failure', async () => {
    const s = await scenario({
      client: { cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
      server: { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] },
    });
    expectAbort(s, 'server', 'handshake_failure', 'no_common_cipher_suite');
  });

  it('server: no group in common → handshake_failure', async () => {
    const s = await scenario({ client: { groups: [NamedGroup.x25519] }, server: { groups: [NamedGroup.secp256r1] } });
    expectAbort(s, 'server', 'handshake_failure', 'no_common_group');
  });

  it('server: key share for a group not in supported_groups → illegal_parameter', async () => {
    const s = await scenario({
      client: {
        customizeClientHello: (ch) => void (ch.extensions = replaceExtension(ch.extensions, ExtensionType.supported_groups, ext.buildSupportedGroups([NamedGroup.secp256r1]))),
      },
      server: { groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
    });
    expectAbort(s, 'server', 'illegal_parameter', 'key_share_group_not_supported');
  });

  it('server: key shares out of supported_groups order → illegal_parameter, told apart from the group check by its reason', async () => {
    const s = await scenario({
      client: {
        groups: [NamedGroup.x25519, NamedGroup.secp256r1],
        keyShareGroups: [NamedGroup.x25519, NamedGroup.secp256r1],
        // Both groups stay offered; only their order now contradicts the shares' (§4.2.8).
        customizeClientHello: (ch) =>
          void (ch.extensions = replaceExtension(ch.extensions, ExtensionType.supported_groups, ext.buildSupportedGroups([NamedGroup.secp256r1, NamedGroup.x25519]))),
      },
    });
    expectAbort(s, 'server', 'illegal_parameter', 'key_shares_out_of_order');
  });

  it('client: ServerHello choosing a suite that was not offered → illegal_parameter', async () => {
    const s = await scenario({
      client: { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] },
      edits: [serverHello((sh) => void (sh.cipherSuite = CipherSuite.TLS_AES_256_GCM_SHA384))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_cipher_suite');
  });

  it('client: ServerHello choosing an unknown suite → illegal_parameter', async () => {
    const s = await scenario({ edits: [serverHello((sh) => void (sh.cipherSuite = 0x13ff))] });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_cipher_suite');
  });

  it('client: ServerHello key share for a group the client sent no share for → illegal_parameter', async () => {
    const s = await scenario({
      client: { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
      edits: [
        serverHello((sh) => {
          const share = ext.parseKeyShareServerHello(sh.extensions.find((e) => e.type === ExtensionType.key_share)!.data);
          sh.extensions = replaceExtension(sh.extensions, ExtensionType.key_share, ext.buildKeyShareServerHello({ ...share, group: NamedGroup.secp256r1 }));
        }),
      ],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_key_share_group');
  });

  it('client: ServerHello without key_share → missing_extension', async () => {
    const s = await scenario({ edits: [serverHello((sh) => void (sh.extensions = without(sh.extensions, ExtensionType.key_share)))] });
    expectAbort(s, 'client', 'missing_extension', 'missing_key_share');
  });

  it('client: ServerHello that does not echo legacy_session_id → illegal_parameter', async () => {
    const s = await scenario({ edits: [serverHello((sh) => void (sh.legacySessionIdEcho = new Uint8Array(32).fill(7)))] });
    expectAbort(s, 'client', 'illegal_parameter', 'session_id_not_echoed');
  });

  it('client: ServerHello with a compression method other than null → illegal_parameter', async () => {
    const s = await scenario({ edits: [serverHello((sh) => void (sh.legacyCompressionMethod = 1))] });
    expectAbort(s, 'client', 'illegal_parameter', 'compression_not_null');
  });

  for (const version of [0x0304, 0x0301, 0x0302]) {
    it(`client: TLS 1.3 ServerHello with legacy_version 0x${version.toString(16).padStart(4, '0')} → illegal_parameter (§4.1.3)`, async () => {
      const s = await scenario({ edits: [serverHello((sh) => void (sh.legacyVersion = version))] });
      expectAbort(s, 'client', 'illegal_parameter', 'invalid_legacy_version');
    });
  }
});

describe('ClientHello requirements (the server decides)', { timeout: 15_000 }, () => {
  const clientHello = (edit: (ch: ClientHello) => void) => ({ customizeClientHello: edit });

  it('compression methods other than [null] → illegal_parameter (§4.1.2)', async () => {
    const s = await scenario({ client: clientHello((ch) => void (ch.legacyCompressionMethods = Uint8Array.of(1, 0))) });
    expectAbort(s, 'server', 'illegal_parameter', 'compression_not_null');
  });

  it('no signature_algorithms → missing_extension (§9.2)', async () => {
    const s = await scenario({ client: clientHello((ch) => void (ch.extensions = without(ch.extensions, ExtensionType.signature_algorithms))) });
    expectAbort(s, 'server', 'missing_extension', 'missing_signature_algorithms');
  });

  it('supported_groups without key_share → missing_extension (§9.2)', async () => {
    const s = await scenario({ client: clientHello((ch) => void (ch.extensions = without(ch.extensions, ExtensionType.key_share))) });
    expectAbort(s, 'server', 'missing_extension', 'missing_groups_or_key_share');
  });

  it('pre_shared_key without psk_key_exchange_modes → missing_extension (§4.2.9)', async () => {
    const identities = Uint8Array.of(0, 7, 0, 1, 0xaa, 0, 0, 0, 0);
    const binders = Uint8Array.of(0, 33, 32, ...new Uint8Array(32));
    const s = await scenario({
      client: clientHello((ch) => {
        ch.extensions = without(ch.extensions, ExtensionType.psk_key_exchange_modes);
        ch.extensions.push({ type: ExtensionType.pre_shared_key, data: Uint8Array.of(...identities, ...binders) });
      }),
    });
    expectAbort(s, 'server', 'missing_extension', 'missing_psk_key_exchange_modes');
  });

  it('record_size_limit below 64 → illegal_parameter (RFC 8449 §4)', async () => {
    const s = await scenario({ client: clientHello((ch) => void ch.extensions.push({ type: ExtensionType.record_size_limit, data: Uint8Array.of(0, 63) })) });
    expectAbort(s, 'server', 'illegal_parameter', 'record_size_limit_too_small');
  });
});

describe('key share values (§4.2.8.1, §7.4)', { timeout: 15_000 }, () => {
  /** Replaces the key_exchange bytes of the client's (single) share as the server receives it. */
  const clientShare = (group: number, keyExchange: Uint8Array) =>
    mutate('client', HandshakeType.client_hello, (ch) => {
      ch.extensions = replaceExtension(ch.extensions, ExtensionType.key_share, ext.buildKeyShareClientHello([{ group, keyExchange }]));
    });

  it('server: an X25519 share of 31 bytes → illegal_parameter', async () => {
    const s = await scenario({ client: { groups: [NamedGroup.x25519] }, edits: [clientShare(NamedGroup.x25519, new Uint8Array(31).fill(9))] });
    expectAbort(s, 'server', 'illegal_parameter', 'invalid_key_share');
  });

  it('server: an X25519 share of low order (all zeros) → illegal_parameter', async () => {
    const s = await scenario({ client: { groups: [NamedGroup.x25519] }, edits: [clientShare(NamedGroup.x25519, new Uint8Array(32))] });
    expectAbort(s, 'server', 'illegal_parameter', 'invalid_key_share');
  });

  it('server: a secp256r1 point that is not on the curve → illegal_parameter', async () => {
    const point = new Uint8Array(65).fill(1);
    point[0] = 4;
    const s = await scenario({ client: { groups: [NamedGroup.secp256r1] }, edits: [clientShare(NamedGroup.secp256r1, point)] });
    expectAbort(s, 'server', 'illegal_parameter', 'invalid_key_share');
  });

  it('server: a compressed secp256r1 point → illegal_parameter', async () => {
    const point = new Uint8Array(33).fill(1);
    point[0] = 2;
    const s = await scenario({ client: { groups: [NamedGroup.secp256r1] }, edits: [clientShare(NamedGroup.secp256r1, point)] });
    expectAbort(s, 'server', 'illegal_parameter', 'invalid_key_share');
  });

  it('client: a server X25519 share of low order → illegal_parameter', async () => {
    const s = await scenario({
      client: { groups: [NamedGroup.x25519] },
      edits: [
        serverHello(
          (sh) =>
            void (sh.extensions = replaceExtension(
              sh.extensions,
              ExtensionType.key_share,
              ext.buildKeyShareServerHello({ group: NamedGroup.x25519, keyExchange: new Uint8Array(32) }),
            )),
        ),
      ],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'invalid_key_share');
  });

  it('client: an ML-KEM hybrid ciphertext of the wrong length → illegal_parameter', async () => {
    const s = await scenario({
      client: { groups: [NamedGroup.X25519MLKEM768] },
      edits: [
        serverHello(
          (sh) =>
            void (sh.extensions = replaceExtension(
              sh.extensions,
              ExtensionType.key_share,
              ext.buildKeyShareServerHello({ group: NamedGroup.X25519MLKEM768, keyExchange: new Uint8Array(100).fill(5) }),
            )),
        ),
      ],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'invalid_key_share');
  });
});

describe('HelloRetryRequest and the second ClientHello', { timeout: 15_000 }, () => {
  it('baseline: the retry configuration completes with a HelloRetryRequest', async () => {
    const s = await scenario(RETRY);
    expect(s.client.error).toBeUndefined();
    expect(s.client.session?.helloRetry).toBe(true);
  });

  it('client: HelloRetryRequest asking for the group it already sent a share for → illegal_parameter', async () => {
    const s = await scenario({
      ...RETRY,
      edits: [helloRetryRequest((hrr) => void (hrr.extensions = replaceExtension(hrr.extensions, ExtensionType.key_share, ext.buildKeyShareHelloRetryRequest(NamedGroup.x25519))))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'hello_retry_group_already_shared');
  });

  it('client: HelloRetryRequest asking for a group it never offered → illegal_parameter', async () => {
    const s = await scenario({
      ...RETRY,
      edits: [
        helloRetryRequest((hrr) => void (hrr.extensions = replaceExtension(hrr.extensions, ExtensionType.key_share, ext.buildKeyShareHelloRetryRequest(NamedGroup.secp521r1)))),
      ],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'hello_retry_unoffered_group');
  });

  it('client: HelloRetryRequest for an offered group its provider then has no key exchange for → illegal_parameter', async () => {
    // Configuration refuses a group the provider does not list, so only a provider whose list
    // and keyExchange() disagree gets here: it lists secp384r1 but cannot do it.
    const lacking: CryptoProvider = Object.create(provider);
    lacking.keyExchange = (group) => (group === NamedGroup.secp384r1 ? undefined : provider.keyExchange(group));
    const s = await scenario({ ...RETRY, client: { ...RETRY.client, provider: lacking } });
    expectAbort(s, 'client', 'illegal_parameter', 'hello_retry_group_unavailable');
  });

  it('client: HelloRetryRequest that would change nothing (no key_share, no cookie) → illegal_parameter', async () => {
    const s = await scenario({ ...RETRY, edits: [helloRetryRequest((hrr) => void (hrr.extensions = without(hrr.extensions, ExtensionType.key_share)))] });
    expectAbort(s, 'client', 'illegal_parameter', 'hello_retry_changes_nothing');
  });

  it('client: a second HelloRetryRequest → unexpected_message', async () => {
    const s = await scenario({
      ...RETRY,
      edits: [
        onRecord('server', 22, (record) =>
          record.content[0] === HandshakeType.server_hello && containsHrrRandom(record.content)
            ? [
                { type: 22, content: record.content },
                { type: 22, content: record.content },
              ]
            : undefined,
        ),
      ],
    });
    expectAbort(s, 'client', 'unexpected_message', 'second_hello_retry');
  });

  it('client: HelloRetryRequest without supported_versions → protocol_version', async () => {
    const s = await scenario({ ...RETRY, edits: [helloRetryRequest((hrr) => void (hrr.extensions = without(hrr.extensions, ExtensionType.supported_versions)))] });
    expectAbort(s, 'client', 'protocol_version', 'missing_supported_versions');
  });

  it('client: HelloRetryRequest with legacy_version 0x0304 → illegal_parameter (§4.1.3)', async () => {
    const s = await scenario({ ...RETRY, edits: [helloRetryRequest((hrr) => void (hrr.legacyVersion = 0x0304))] });
    expectAbort(s, 'client', 'illegal_parameter', 'invalid_legacy_version');
  });

  it('client: ServerHello after a HelloRetryRequest with a different suite → illegal_parameter', async () => {
    const s = await scenario({
      ...RETRY,
      client: { ...RETRY.client, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
      // Whichever of the two the HelloRetryRequest chose, the ServerHello names the other.
      edits: [
        serverHello(
          (sh) => void (sh.cipherSuite = sh.cipherSuite === CipherSuite.TLS_AES_128_GCM_SHA256 ? CipherSuite.TLS_CHACHA20_POLY1305_SHA256 : CipherSuite.TLS_AES_128_GCM_SHA256),
        ),
      ],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'hello_retry_suite_changed');
  });

  it('client: HelloRetryRequest choosing a suite it did not offer → illegal_parameter', async () => {
    const s = await scenario({
      ...RETRY,
      client: { ...RETRY.client, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] },
      edits: [helloRetryRequest((hrr) => void (hrr.cipherSuite = CipherSuite.TLS_AES_256_GCM_SHA384))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_cipher_suite');
  });

  it('client: HelloRetryRequest with pre_shared_key, which has no place there → illegal_parameter', async () => {
    const s = await scenario({ ...RETRY, edits: [helloRetryRequest((hrr) => void hrr.extensions.push({ type: ExtensionType.pre_shared_key, data: Uint8Array.of(0, 0) }))] });
    expectAbort(s, 'client', 'illegal_parameter', 'extension_not_allowed');
  });

  it('client: HelloRetryRequest with an extension it does not know → unsupported_extension', async () => {
    const s = await scenario({ ...RETRY, edits: [helloRetryRequest((hrr) => void hrr.extensions.push({ type: 0x7a7a, data: new Uint8Array(0) }))] });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('server: something other than a ClientHello after its HelloRetryRequest → unexpected_message', async () => {
    const s = await scenario({
      ...RETRY,
      edits: [
        only(
          1,
          onMessage('client', HandshakeType.client_hello, () => [encodeHandshake({ type: HandshakeType.finished, verifyData: new Uint8Array(32) })]),
        ),
      ],
    });
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('server: second ClientHello with a cookie although the HelloRetryRequest had none → illegal_parameter', async () => {
    const s = await scenario({ ...RETRY, edits: [secondClientHello((ch) => void ch.extensions.push({ type: ExtensionType.cookie, data: ext.buildCookie(Uint8Array.of(1)) }))] });
    expectAbort(s, 'server', 'illegal_parameter', 'cookie_not_sent');
  });

  it('server: second ClientHello offering early_data → illegal_parameter (§4.2.10)', async () => {
    const s = await scenario({ ...RETRY, edits: [secondClientHello((ch) => void ch.extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) }))] });
    expectAbort(s, 'server', 'illegal_parameter', 'early_data_after_hello_retry');
  });

  it('server: second ClientHello with a different random → illegal_parameter', async () => {
    const s = await scenario({ ...RETRY, edits: [secondClientHello((ch) => void (ch.random = ch.random.map((b) => b ^ 0xff)))] });
    expectAbort(s, 'server', 'illegal_parameter', 'second_client_hello_changed');
  });

  it('server: second ClientHello that does not echo the cookie → illegal_parameter', async () => {
    const s = await scenario({
      ...RETRY,
      server: { ...RETRY.server, helloRetryCookie: () => new Uint8Array([9, 8, 7, 6]) },
      edits: [secondClientHello((ch) => void (ch.extensions = without(ch.extensions, ExtensionType.cookie)))],
    });
    expectAbort(s, 'server', 'illegal_parameter', 'cookie_not_echoed');
  });

  it('server: second ClientHello with a different cookie → illegal_parameter', async () => {
    const s = await scenario({
      ...RETRY,
      server: { ...RETRY.server, helloRetryCookie: () => new Uint8Array([9, 8, 7, 6]) },
      edits: [secondClientHello((ch) => void (ch.extensions = replaceExtension(ch.extensions, ExtensionType.cookie, ext.buildCookie(new Uint8Array([9, 8, 7, 5])))))],
    });
    expectAbort(s, 'server', 'illegal_parameter', 'cookie_not_echoed');
  });

  it('server: second ClientHello still without a share for the requested group → illegal_parameter', async () => {
    const s = await scenario({
      ...RETRY,
      edits: [secondClientHello((ch) => void (ch.extensions = replaceExtension(ch.extensions, ExtensionType.key_share, ext.buildKeyShareClientHello([]))))],
    });
    expectAbort(s, 'server', 'illegal_parameter', 'hello_retry_key_share_mismatch');
  });

  it('server: second ClientHello with different cipher suites → illegal_parameter', async () => {
    const s = await scenario({ ...RETRY, edits: [secondClientHello((ch) => void ch.cipherSuites.reverse())] });
    expectAbort(s, 'server', 'illegal_parameter', 'second_client_hello_changed');
  });
});

describe('record_size_limit in EncryptedExtensions (RFC 8449)', { timeout: 15_000 }, () => {
  it('client: record_size_limit it did not send → unsupported_extension', async () => {
    const s = await scenario({
      server: { customizeEncryptedExtensions: (ee) => void ee.extensions.push({ type: ExtensionType.record_size_limit, data: ext.buildRecordSizeLimit(1000) }) },
    });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('client: record_size_limit below 64 → illegal_parameter', async () => {
    const s = await scenario({
      client: { recordSizeLimit: 1000 },
      server: {
        customizeEncryptedExtensions: (ee) => void (ee.extensions = replaceExtension(ee.extensions, ExtensionType.record_size_limit, Uint8Array.of(0, 63))),
      },
    });
    expectAbort(s, 'client', 'illegal_parameter', 'record_size_limit_too_small');
  });
});

describe('ALPN (RFC 7301)', { timeout: 15_000 }, () => {
  it('server: no protocol in common → no_application_protocol', async () => {
    const s = await scenario({ client: { alpnProtocols: ['h2'] }, server: { alpnProtocols: ['http/1.1'] } });
    expectAbort(s, 'server', 'no_application_protocol', 'no_common_alpn_protocol');
  });

  it('client: ALPN in EncryptedExtensions when it offered none → unsupported_extension', async () => {
    const s = await scenario({
      server: {
        customizeEncryptedExtensions: (ee) =>
          void ee.extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: ext.buildAlpn([new TextEncoder().encode('h2')]) }),
      },
    });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('client: server selects a protocol the client did not offer → illegal_parameter', async () => {
    const s = await scenario({
      client: { alpnProtocols: ['h2'] },
      server: {
        customizeEncryptedExtensions: (ee) =>
          void (ee.extensions = [{ type: ExtensionType.application_layer_protocol_negotiation, data: ext.buildAlpn([new TextEncoder().encode('spdy/3')]) }]),
      },
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_alpn_protocol');
  });
});

function containsHrrRandom(content: Uint8Array): boolean {
  // Handshake header (4), legacy_version (2), then the random.
  return HELLO_RETRY_REQUEST_RANDOM.every((b, i) => content[6 + i] === b);
}
