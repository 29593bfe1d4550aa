import { describe, expect, it } from 'vitest';
import * as ext from '../../src/messages/extensions.js';
import { encodeHandshake, isHelloRetryRequest } from '../../src/messages/handshake.js';
import { ContentType, ExtensionType, HandshakeType } from '../../src/registry.js';
import type { RawExtension } from '../../src/messages/types.js';
import { concatBytes } from '../../src/wire/bytes.js';
import { mutate, onMessage, onRecord, withBody } from '../helpers/mitm.js';
import { afterHandshake, expectAbort, scenario } from '../helpers/negative.js';

/**
 * Malformed and misplaced fields (RFC 8446 §4, §4.2): messages cut short, vector lengths that
 * overrun, trailing bytes (decode_error); duplicate extensions and extensions in a message
 * they do not belong to (illegal_parameter), and replies nobody asked for
 * (unsupported_extension).
 */

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const setU16 = (b: Uint8Array, at: number, v: number): void => void b.set([v >>> 8, v & 0xff], at);

/** Offsets of the length-prefixed fields in a ClientHello body. */
function clientHelloLayout(body: Uint8Array): { cipherSuites: number; extensions: number } {
  let at = 2 + 32;
  at += 1 + body[at]!;
  const cipherSuites = at;
  at += 2 + u16(body, at);
  at += 1 + body[at]!;
  return { cipherSuites, extensions: at };
}

/** Offset of the extensions block in a ServerHello body. */
function serverHelloExtensions(body: Uint8Array): number {
  const at = 2 + 32;
  return at + 1 + body[at]! + 2 + 1;
}

/** Rewrites the body of the (first) ClientHello as raw bytes. */
const clientHelloBody = (edit: (body: Uint8Array) => Uint8Array) =>
  onMessage('client', HandshakeType.client_hello, (raw) => [withBody(HandshakeType.client_hello, edit(raw.slice(4)))]);

/** Rewrites the body of the real ServerHello as raw bytes. */
const serverHelloBody = (edit: (body: Uint8Array) => Uint8Array) =>
  onMessage('server', HandshakeType.server_hello, (raw) => [withBody(HandshakeType.server_hello, edit(raw.slice(4)))]);

/** Rewrites the body of a protected server message of `type` as raw bytes. */
const serverBody = (type: number, edit: (body: Uint8Array) => Uint8Array) => onMessage('server', type, (raw) => [withBody(type, edit(raw.slice(4)))]);

const addToClientHello = (...extensions: RawExtension[]) => ({
  customizeClientHello: (ch: { extensions: RawExtension[] }) => void ch.extensions.push(...extensions),
});

const addToServerHello = (...extensions: RawExtension[]) =>
  mutate('server', HandshakeType.server_hello, (sh) => {
    if (isHelloRetryRequest(sh)) return false;
    sh.extensions.push(...extensions);
  });

const addToEncryptedExtensions = (...extensions: RawExtension[]) => ({
  customizeEncryptedExtensions: (ee: { extensions: RawExtension[] }) => void ee.extensions.push(...extensions),
});

const UNKNOWN_EXTENSION = 0x7a7a;

describe('ClientHello (the server decides)', { timeout: 15_000 }, () => {
  it('cut short: the message ends inside legacy_session_id → decode_error', async () => {
    const s = await scenario({ edits: [clientHelloBody((body) => body.slice(0, 40))] });
    expectAbort(s, 'server', 'decode_error', 'length_overrun');
  });

  it('cipher_suites length overruns the message → decode_error', async () => {
    const s = await scenario({
      edits: [
        clientHelloBody((body) => {
          const { cipherSuites } = clientHelloLayout(body);
          setU16(body, cipherSuites, (body.length - cipherSuites) & ~1);
          return body;
        }),
      ],
    });
    expectAbort(s, 'server', 'decode_error', 'length_overrun');
  });

  it('extensions block length overruns the message → decode_error', async () => {
    const s = await scenario({
      edits: [
        clientHelloBody((body) => {
          const { extensions } = clientHelloLayout(body);
          setU16(body, extensions, u16(body, extensions) + 1);
          return body;
        }),
      ],
    });
    expectAbort(s, 'server', 'decode_error', 'length_overrun');
  });

  it('the last extension length overruns the extensions block → decode_error', async () => {
    const s = await scenario({
      edits: [
        clientHelloBody((body) => {
          const { extensions } = clientHelloLayout(body);
          let last = extensions + 2;
          while (last + 4 + u16(body, last + 2) < body.length) last += 4 + u16(body, last + 2);
          setU16(body, last + 2, u16(body, last + 2) + 1);
          return body;
        }),
      ],
    });
    expectAbort(s, 'server', 'decode_error', 'length_overrun');
  });

  it('trailing bytes after the extensions → decode_error', async () => {
    const s = await scenario({ edits: [clientHelloBody((body) => concatBytes(body, Uint8Array.of(0)))] });
    expectAbort(s, 'server', 'decode_error', 'trailing_bytes');
  });

  it('an extension body that does not parse (empty supported_versions list) → decode_error', async () => {
    const s = await scenario({
      client: {
        customizeClientHello: (ch) => void (ch.extensions = ch.extensions.map((e) => (e.type === ExtensionType.supported_versions ? { type: e.type, data: Uint8Array.of(0) } : e))),
      },
    });
    expectAbort(s, 'server', 'decode_error', 'length_out_of_range');
  });

  it('an extension the server does not act on is still parsed (non-zero padding) → decode_error', async () => {
    const s = await scenario({ client: addToClientHello({ type: ExtensionType.padding, data: Uint8Array.of(0, 0, 1) }) });
    expectAbort(s, 'server', 'decode_error', 'value_out_of_range');
  });

  it('duplicate extension → illegal_parameter', async () => {
    const s = await scenario({
      client: {
        customizeClientHello: (ch) => void ch.extensions.push(ch.extensions.find((e) => e.type === ExtensionType.supported_groups)!),
      },
    });
    expectAbort(s, 'server', 'illegal_parameter', 'duplicate_extension');
  });

  it('an extension that belongs to CertificateRequest only (oid_filters) → illegal_parameter', async () => {
    const s = await scenario({ client: addToClientHello({ type: ExtensionType.oid_filters, data: Uint8Array.of(0, 0) }) });
    expectAbort(s, 'server', 'illegal_parameter', 'extension_not_allowed');
  });

  it('pre_shared_key that is not the last extension → illegal_parameter', async () => {
    const identities = Uint8Array.of(0, 7, 0, 1, 0xaa, 0, 0, 0, 0);
    const binders = concatBytes(Uint8Array.of(0, 33, 32), new Uint8Array(32));
    const s = await scenario({
      client: {
        customizeClientHello: (ch) => void ch.extensions.unshift({ type: ExtensionType.pre_shared_key, data: concatBytes(identities, binders) }),
      },
    });
    expectAbort(s, 'server', 'illegal_parameter', 'psk_not_last');
  });

  it('an unknown extension is ignored (control)', async () => {
    const s = await scenario({ client: addToClientHello({ type: UNKNOWN_EXTENSION, data: Uint8Array.of(1, 2, 3) }) });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.server.session).toBeDefined();
  });
});

describe('ServerHello (the client decides)', { timeout: 15_000 }, () => {
  it('cut short: the message ends inside the random → decode_error', async () => {
    const s = await scenario({ edits: [serverHelloBody((body) => body.slice(0, 20))] });
    expectAbort(s, 'client', 'decode_error', 'length_overrun');
  });

  it('trailing bytes after the extensions → decode_error', async () => {
    const s = await scenario({ edits: [serverHelloBody((body) => concatBytes(body, Uint8Array.of(0, 0)))] });
    expectAbort(s, 'client', 'decode_error', 'trailing_bytes');
  });

  it('extensions block length overruns the message → decode_error', async () => {
    const s = await scenario({
      edits: [
        serverHelloBody((body) => {
          const at = serverHelloExtensions(body);
          setU16(body, at, u16(body, at) + 2);
          return body;
        }),
      ],
    });
    expectAbort(s, 'client', 'decode_error', 'length_overrun');
  });

  it('key_share body with a trailing byte → decode_error', async () => {
    const s = await scenario({
      edits: [
        mutate('server', HandshakeType.server_hello, (sh) => {
          sh.extensions = sh.extensions.map((e) => (e.type === ExtensionType.key_share ? { type: e.type, data: concatBytes(e.data, Uint8Array.of(0)) } : e));
        }),
      ],
    });
    expectAbort(s, 'client', 'decode_error', 'trailing_bytes');
  });

  it('duplicate extension (supported_versions twice) → illegal_parameter', async () => {
    const s = await scenario({ edits: [addToServerHello({ type: ExtensionType.supported_versions, data: ext.buildSupportedVersionsServerHello(0x0304) })] });
    expectAbort(s, 'client', 'illegal_parameter', 'duplicate_extension');
  });

  it('server_name, which belongs to ClientHello and EncryptedExtensions → illegal_parameter (RFC 8446 §4.2)', async () => {
    const s = await scenario({ edits: [addToServerHello({ type: ExtensionType.server_name, data: new Uint8Array(0) })] });
    expectAbort(s, 'client', 'illegal_parameter', 'extension_not_allowed');
  });

  it('cookie, which belongs to HelloRetryRequest → illegal_parameter', async () => {
    const s = await scenario({ edits: [addToServerHello({ type: ExtensionType.cookie, data: ext.buildCookie(Uint8Array.of(1)) })] });
    expectAbort(s, 'client', 'illegal_parameter', 'extension_not_allowed');
  });

  it('an extension the client does not know → unsupported_extension', async () => {
    const s = await scenario({ edits: [addToServerHello({ type: UNKNOWN_EXTENSION, data: new Uint8Array(0) })] });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('pre_shared_key although the client offered no PSK → unsupported_extension', async () => {
    const s = await scenario({ edits: [addToServerHello({ type: ExtensionType.pre_shared_key, data: Uint8Array.of(0, 0) })] });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });
});

describe('protected server messages (the client decides)', { timeout: 15_000 }, () => {
  it('EncryptedExtensions with a trailing byte → decode_error', async () => {
    const s = await scenario({ edits: [serverBody(HandshakeType.encrypted_extensions, (body) => concatBytes(body, Uint8Array.of(0)))] });
    expectAbort(s, 'client', 'decode_error', 'trailing_bytes');
  });

  it('EncryptedExtensions whose extensions length overruns → decode_error', async () => {
    const s = await scenario({
      edits: [
        serverBody(HandshakeType.encrypted_extensions, (body) => {
          setU16(body, 0, u16(body, 0) + 4);
          return body;
        }),
      ],
    });
    expectAbort(s, 'client', 'decode_error', 'length_overrun');
  });

  it('EncryptedExtensions with a duplicate extension → illegal_parameter', async () => {
    const s = await scenario({ server: addToEncryptedExtensions({ type: ExtensionType.server_name, data: new Uint8Array(0) }) });
    expectAbort(s, 'client', 'illegal_parameter', 'duplicate_extension');
  });

  it('EncryptedExtensions with key_share, which belongs to the hellos → illegal_parameter', async () => {
    const s = await scenario({ server: addToEncryptedExtensions({ type: ExtensionType.key_share, data: Uint8Array.of(0, 0x1d, 0, 1, 1) }) });
    expectAbort(s, 'client', 'illegal_parameter', 'extension_not_allowed');
  });

  it('EncryptedExtensions acknowledging server_name the client never sent → unsupported_extension', async () => {
    const s = await scenario({
      client: { serverName: undefined },
      server: addToEncryptedExtensions({ type: ExtensionType.server_name, data: new Uint8Array(0) }),
    });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('EncryptedExtensions with an extension the client does not know → unsupported_extension', async () => {
    const s = await scenario({ server: addToEncryptedExtensions({ type: UNKNOWN_EXTENSION, data: new Uint8Array(0) }) });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('Certificate whose certificate_list length overruns → decode_error', async () => {
    const s = await scenario({
      edits: [
        serverBody(HandshakeType.certificate, (body) => {
          // context<0..255> (empty), then certificate_list<0..2^24-1>.
          const length = (body[2]! << 8) | body[3]!;
          body.set([(length + 1) >>> 8, (length + 1) & 0xff], 2);
          return body;
        }),
      ],
    });
    expectAbort(s, 'client', 'decode_error', 'length_overrun');
  });

  it('CertificateVerify with a trailing byte → decode_error', async () => {
    const s = await scenario({ edits: [serverBody(HandshakeType.certificate_verify, (body) => concatBytes(body, Uint8Array.of(0)))] });
    expectAbort(s, 'client', 'decode_error', 'trailing_bytes');
  });

  it('Finished one byte short → decode_error', async () => {
    const s = await scenario({ edits: [serverBody(HandshakeType.finished, (body) => body.slice(0, -1))] });
    expectAbort(s, 'client', 'decode_error', 'finished_wrong_length');
  });
});

describe('post-handshake messages (the client decides)', { timeout: 15_000 }, () => {
  /** The server's next application record is replaced by `message`. */
  const serverSends = (message: Uint8Array) => onRecord('server', ContentType.application_data, () => [{ type: ContentType.handshake, content: message }]);

  const ticket = (extra: { lifetime?: number; extensions?: RawExtension[] } = {}) =>
    encodeHandshake({
      type: HandshakeType.new_session_ticket,
      lifetime: extra.lifetime ?? 3600,
      ageAdd: 1,
      nonce: Uint8Array.of(0),
      ticket: Uint8Array.of(1, 2, 3),
      extensions: extra.extensions ?? [],
    });

  it('NewSessionTicket with a trailing byte → decode_error', async () => {
    const raw = ticket();
    const s = await scenario({ edits: [serverSends(withBody(HandshakeType.new_session_ticket, concatBytes(raw.subarray(4), Uint8Array.of(0))))] });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'decode_error', 'trailing_bytes');
  });

  it('NewSessionTicket with a lifetime over seven days → illegal_parameter', async () => {
    const s = await scenario({ edits: [serverSends(ticket({ lifetime: 7 * 24 * 3600 + 1 }))] });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'illegal_parameter', 'ticket_lifetime_too_long');
  });

  it('NewSessionTicket with key_share, which has no place there → illegal_parameter', async () => {
    const s = await scenario({ edits: [serverSends(ticket({ extensions: [{ type: ExtensionType.key_share, data: Uint8Array.of(0, 0x1d) }] }))] });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'illegal_parameter', 'extension_not_allowed');
  });

  it('KeyUpdate with request_update 2 → illegal_parameter', async () => {
    const s = await scenario({ edits: [serverSends(withBody(HandshakeType.key_update, Uint8Array.of(2)))] });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'illegal_parameter', 'invalid_key_update_request');
  });

  it('KeyUpdate with a trailing byte → decode_error', async () => {
    const s = await scenario({ edits: [serverSends(withBody(HandshakeType.key_update, Uint8Array.of(0, 0)))] });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'decode_error', 'message_too_long');
  });
});
