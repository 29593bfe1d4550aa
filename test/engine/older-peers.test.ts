import { describe, expect, it } from 'vitest';
import { decodeHandshake, encodeHandshake, isHelloRetryRequest } from '../../src/messages/handshake.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion } from '../../src/registry.js';
import type { ClientHello, ServerHello } from '../../src/messages/types.js';
import { concatBytes } from '../../src/wire/bytes.js';
import { mutate, plaintextRecord } from '../helpers/mitm.js';
import { expectAbort, expectLoneAbort, feed, loneClient, loneServer, scenario } from '../helpers/negative.js';

/**
 * Peers from before TLS 1.3 (RFC 8446 §4.1.2, §D.2, §D.5): their hellos are well-formed by the
 * rules of their own version, so they are answered with protocol_version, never decode_error;
 * and a hello naming SSL 3.0 or older is refused whatever else it offers.
 */

const u16 = (n: number): Uint8Array => Uint8Array.of(n >>> 8, n & 0xff);

/**
 * A TLS 1.2 ClientHello as an older client sends it: legacy_version 0x0303 (or `version`), TLS 1.2
 * suites, and `extensions` as the raw bytes after compression_methods (its length prefix
 * included), or nothing when undefined.
 */
function tls12ClientHello(extensions: Uint8Array | undefined, version = 0x0303): Uint8Array {
  const body = concatBytes(u16(version), new Uint8Array(32).fill(0x42), Uint8Array.of(0), u16(4), u16(0xc02f), u16(0x009c), Uint8Array.of(1, 0), extensions ?? new Uint8Array(0));
  return concatBytes(Uint8Array.of(HandshakeType.client_hello, 0, body.length >>> 8, body.length & 0xff), body);
}

/** An extension block holding `extensions` (type, body) as given. */
function block(...extensions: [number, Uint8Array][]): Uint8Array {
  const inner = concatBytes(...extensions.map(([type, data]) => concatBytes(u16(type), u16(data.length), data)));
  return concatBytes(u16(inner.length), inner);
}

const SESSION_TICKET = 35;
const RENEGOTIATION_INFO = 0xff01;

describe('older clients get protocol_version (RFC 8446 §4.1.2, §D.2)', () => {
  const cases: [string, Uint8Array | undefined][] = [
    ['no extensions field at all', undefined],
    ['a present but empty extensions field (0 bytes)', block()],
    ['only an empty session_ticket (4 bytes)', block([SESSION_TICKET, new Uint8Array(0)])],
    ['only renegotiation_info (5 bytes)', block([RENEGOTIATION_INFO, Uint8Array.of(0)])],
    ['session_ticket and renegotiation_info (9 bytes)', block([SESSION_TICKET, new Uint8Array(0)], [RENEGOTIATION_INFO, Uint8Array.of(0)])],
    ['a TLS 1.2-only supported_versions list', block([ExtensionType.supported_versions, Uint8Array.of(4, 3, 3, 3, 2)])],
  ];
  for (const [what, extensions] of cases) {
    it(`TLS 1.2 ClientHello with ${what} → protocol_version`, async () => {
      const p = await loneServer();
      await feed(p, plaintextRecord(ContentType.handshake, tls12ClientHello(extensions), 0x0301));
      expectLoneAbort(p, 'protocol_version', 'tls13_not_supported');
    });
  }

  it('a TLS 1.0 ClientHello offering compression (deflate, null) → protocol_version, not illegal_parameter', async () => {
    const hello = tls12ClientHello(block([SESSION_TICKET, new Uint8Array(0)]), 0x0301);
    // compression_methods sits after version (2), random (32), session id (1), suites (2 + 4).
    const at = 4 + 2 + 32 + 1 + 2 + 4;
    const withDeflate = concatBytes(hello.subarray(0, at), Uint8Array.of(2, 1, 0), hello.subarray(at + 2));
    withDeflate.set([0, (withDeflate.length - 4) >>> 8, (withDeflate.length - 4) & 0xff], 1);
    const p = await loneServer();
    await feed(p, plaintextRecord(ContentType.handshake, withDeflate, 0x0301));
    expectLoneAbort(p, 'protocol_version', 'tls13_not_supported');
  });

  it('the codec stays strict for TLS 1.3: supported_versions in a 7-byte block → decode_error', async () => {
    const p = await loneServer();
    await feed(p, plaintextRecord(ContentType.handshake, tls12ClientHello(block([ExtensionType.supported_versions, Uint8Array.of(2, 3, 4)]))));
    expectLoneAbort(p, 'decode_error', 'length_out_of_range');
  });

  it('a present but empty extensions field survives decode and encode byte for byte', () => {
    const raw = tls12ClientHello(block());
    const hello = decodeHandshake(HandshakeType.client_hello, raw.subarray(4)) as ClientHello;
    expect(hello.extensions).toEqual([]);
    expect(encodeHandshake(hello)).toEqual(raw);
    const absent = tls12ClientHello(undefined);
    expect(encodeHandshake(decodeHandshake(HandshakeType.client_hello, absent.subarray(4)))).toEqual(absent);
  });
});

describe('SSL 3.0 and older are refused even next to TLS 1.3 (RFC 8446 §D.5)', { timeout: 15_000 }, () => {
  for (const version of [0x0300, 0x0200, 0x0002]) {
    const hex = `0x${version.toString(16).padStart(4, '0')}`;
    it(`server: a TLS 1.3 ClientHello with legacy_version ${hex} → protocol_version`, async () => {
      const s = await scenario({ client: { customizeClientHello: (ch: ClientHello) => void (ch.legacyVersion = version) } });
      expectAbort(s, 'server', 'protocol_version', 'obsolete_legacy_version');
    });

    it(`client: a TLS 1.3 ServerHello with legacy_version ${hex} → protocol_version`, async () => {
      const s = await scenario({ edits: [mutate('server', HandshakeType.server_hello, (sh) => void (sh.legacyVersion = version))] });
      expectAbort(s, 'client', 'protocol_version', 'obsolete_legacy_version');
    });
  }

  it('client: a HelloRetryRequest with legacy_version 0x0300 → protocol_version', async () => {
    const s = await scenario({
      client: { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] },
      server: { groups: [NamedGroup.secp384r1] },
      edits: [
        mutate('server', HandshakeType.server_hello, (sh) => {
          if (!isHelloRetryRequest(sh)) return false;
          sh.legacyVersion = 0x0300;
        }),
      ],
    });
    expectAbort(s, 'client', 'protocol_version', 'obsolete_legacy_version');
  });

  it('control: legacy_version 0x0301 next to supported_versions TLS 1.3 is accepted (§4.1.2 ignores it)', async () => {
    const s = await scenario({ client: { customizeClientHello: (ch: ClientHello) => void (ch.legacyVersion = ProtocolVersion.TLS1_0) } });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.server.session?.version).toBe('TLSv1.3');
  });
});

/**
 * A TLS 1.2 server's answer as it sends it: its own session id (RFC 5246 §7.4.1.3), a TLS 1.2
 * suite, and `extensions` as the raw bytes after the compression method, or nothing.
 */
function tls12ServerHello(extensions: Uint8Array | undefined, randomTail = new Uint8Array(8).fill(0x17)): Uint8Array {
  const body = concatBytes(
    u16(0x0303),
    new Uint8Array(24).fill(0x33),
    randomTail,
    Uint8Array.of(32, ...new Uint8Array(32).fill(0x99)),
    u16(0xc02f),
    Uint8Array.of(0),
    extensions ?? new Uint8Array(0),
  );
  return concatBytes(Uint8Array.of(HandshakeType.server_hello, 0, body.length >>> 8, body.length & 0xff), body);
}

describe('older servers get protocol_version (RFC 8446 §4.1.3, §D.1)', () => {
  const cases: [string, Uint8Array | undefined][] = [
    ['no extensions field at all', undefined],
    ['a present but empty extensions field', block()],
    ['only renegotiation_info (5 bytes)', block([RENEGOTIATION_INFO, Uint8Array.of(0)])],
    ['renegotiation_info and session_ticket', block([RENEGOTIATION_INFO, Uint8Array.of(0)], [SESSION_TICKET, new Uint8Array(0)])],
  ];
  for (const [what, extensions] of cases) {
    it(`client: a TLS 1.2 ServerHello with its own session id and ${what} → protocol_version`, async () => {
      const p = await loneClient();
      await feed(p, plaintextRecord(ContentType.handshake, tls12ServerHello(extensions)));
      expectLoneAbort(p, 'protocol_version', 'tls13_not_supported');
    });
  }

  it('client: the same with the TLS 1.2 downgrade sentinel in its random → illegal_parameter (§4.1.3)', async () => {
    const p = await loneClient();
    await feed(
      p,
      plaintextRecord(ContentType.handshake, tls12ServerHello(block([RENEGOTIATION_INFO, Uint8Array.of(0)]), Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01))),
    );
    expectLoneAbort(p, 'illegal_parameter', 'downgrade_detected');
  });

  it('the codec stays strict for TLS 1.3: supported_versions alone cut to a 5-byte block → decode_error', async () => {
    const p = await loneClient();
    await feed(p, plaintextRecord(ContentType.handshake, tls12ServerHello(block([ExtensionType.supported_versions, Uint8Array.of(3)]))));
    expectLoneAbort(p, 'decode_error', 'length_out_of_range');
  });

  it('a present but empty ServerHello extensions field survives decode and encode byte for byte', () => {
    const raw = tls12ServerHello(block());
    const hello = decodeHandshake(HandshakeType.server_hello, raw.subarray(4)) as ServerHello;
    expect(hello.extensions).toEqual([]);
    expect(encodeHandshake(hello)).toEqual(raw);
  });
});
