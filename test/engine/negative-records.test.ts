import { describe, expect, it } from 'vitest';
import { ContentType, ExtensionType, HandshakeType } from '../../src/registry.js';
import { concatBytes } from '../../src/wire/bytes.js';
import { type Outgoing, onMessage, onRecord, plaintextRecord } from '../helpers/mitm.js';
import { joined } from '../helpers/pipe.js';
import { afterHandshake, expectAbort, expectLoneAbort, feed, loneClient, loneServer, scenario, until } from '../helpers/negative.js';

/**
 * The record layer under attack (RFC 8446 §5): lengths over the limits (record_overflow),
 * bytes that are not TLS at all (decode_error), change_cipher_spec out of place
 * (unexpected_message), broken inner plaintexts, and hostile sizes that must neither be
 * buffered nor cost quadratic time.
 */

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const header = (type: number, length: number, version = 0x0303): Uint8Array => Uint8Array.of(type, version >>> 8, version & 0xff, length >>> 8, length & 0xff);

/** After the handshake, `from`'s next application record is replaced by `outgoing`. */
const nextRecordFrom = (from: 'client' | 'server', ...outgoing: Outgoing[]) => onRecord(from, ContentType.application_data, () => outgoing);

/** An established connection whose next client record is replaced; the server must catch it. */
async function clientRecordAfterHandshake(...outgoing: Outgoing[]) {
  const s = await scenario({ edits: [nextRecordFrom('client', ...outgoing)] });
  await afterHandshake(s, () => s.client.write(text('ping')));
  return s;
}

/** The same, from the server; the client must catch it. */
async function serverRecordAfterHandshake(...outgoing: Outgoing[]) {
  const s = await scenario({ edits: [nextRecordFrom('server', ...outgoing)] });
  await afterHandshake(s, () => s.server.write(text('pong')));
  return s;
}

describe('record_overflow (§5.1, §5.2, RFC 8449)', { timeout: 15_000 }, () => {
  it('server: a protected record header announcing 2^14 + 257 bytes → record_overflow, before the body arrives', async () => {
    const s = await clientRecordAfterHandshake({ wire: header(ContentType.application_data, 16384 + 257) });
    expectAbort(s, 'server', 'record_overflow', 'record_too_long');
  });

  it('server: a plaintext record header announcing 2^14 + 1 bytes, before any ClientHello → record_overflow', async () => {
    const server = await loneServer();
    await feed(server, header(ContentType.handshake, 16385, 0x0301));
    expectLoneAbort(server, 'record_overflow', 'record_too_long');
  });

  it('client: a plaintext record of 2^14 + 1 bytes in place of ServerHello → record_overflow', async () => {
    const s = await scenario({
      edits: [
        onRecord('server', ContentType.handshake, (r) =>
          r.epoch === 'plaintext' ? [{ wire: concatBytes(header(ContentType.handshake, 16385), new Uint8Array(16385)) }] : undefined,
        ),
      ],
    });
    expectAbort(s, 'client', 'record_overflow', 'record_too_long');
  });

  it('client: a protected record whose inner plaintext is 2^14 + 2 bytes → record_overflow', async () => {
    const inner = concatBytes(new Uint8Array(16385).fill(0x61), Uint8Array.of(ContentType.application_data));
    const s = await serverRecordAfterHandshake({ inner });
    expectAbort(s, 'client', 'record_overflow', 'plaintext_too_long');
  });

  it('control: a protected record of exactly 2^14 bytes of content is accepted', async () => {
    const s = await scenario({ edits: [nextRecordFrom('server', { type: ContentType.application_data, content: new Uint8Array(16384).fill(0x62) })] });
    s.server.write(text('pong'));
    await until(() => s.ends.client.received.length > 0 || s.client.error !== undefined, 'the record to arrive');
    expect(s.client.error).toBeUndefined();
    expect(joined(s.ends.client.received)).toEqual(new Uint8Array(16384).fill(0x62));
  });

  it('client: an inner plaintext over its announced record_size_limit → record_overflow', async () => {
    const s = await scenario({
      client: { recordSizeLimit: 1024 },
      server: { recordSizeLimit: 4096 },
      edits: [nextRecordFrom('server', { type: ContentType.application_data, content: new Uint8Array(1024) })],
    });
    await afterHandshake(s, () => s.server.write(text('pong')));
    expectAbort(s, 'client', 'record_overflow', 'plaintext_too_long');
  });
});

describe('bytes that are not TLS (the deframer)', { timeout: 15_000 }, () => {
  it('server: an HTTP request → decode_error, answered in the clear', async () => {
    const server = await loneServer();
    await feed(server, text('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    expectLoneAbort(server, 'decode_error', 'not_a_tls_record');
  });

  it('client: an HTTP response instead of ServerHello → decode_error', async () => {
    const client = await loneClient();
    await feed(client, text('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    expectLoneAbort(client, 'decode_error', 'not_a_tls_record');
  });

  it('server: an SSLv2-format ClientHello → decode_error', async () => {
    const server = await loneServer();
    await feed(server, Uint8Array.of(0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10));
    expectLoneAbort(server, 'decode_error', 'not_a_tls_record');
  });

  it('server: random bytes after the handshake → decode_error', async () => {
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff);
    garbage[1] = 0x99; // not a TLS version: the deframer must not take it for a record header
    const s = await clientRecordAfterHandshake({ wire: garbage });
    expectAbort(s, 'server', 'decode_error', 'not_a_tls_record');
  });

  it('server: a record of an unknown content type (24, heartbeat) → unexpected_message', async () => {
    const s = await clientRecordAfterHandshake({ wire: concatBytes(header(24, 3), Uint8Array.of(1, 0, 0)) });
    expectAbort(s, 'server', 'unexpected_message', 'unknown_content_type');
  });

  it('server: application data in the clear before the ClientHello → unexpected_message', async () => {
    const server = await loneServer();
    await feed(server, concatBytes(header(ContentType.application_data, 4), text('data')));
    expectLoneAbort(server, 'unexpected_message', 'application_data_before_handshake');
  });

  it('server: an empty plaintext handshake record → unexpected_message', async () => {
    const server = await loneServer();
    await feed(server, header(ContentType.handshake, 0, 0x0301));
    expectLoneAbort(server, 'unexpected_message', 'empty_record');
  });

  it('client: an alert record of three bytes → decode_error', async () => {
    const client = await loneClient();
    await feed(client, plaintextRecord(ContentType.alert, Uint8Array.of(2, 40, 0)));
    expectLoneAbort(client, 'decode_error', 'malformed_alert');
  });
});

describe('inner plaintext (§5.4)', { timeout: 15_000 }, () => {
  it('client: a protected record of only zeros (no content type) → unexpected_message', async () => {
    const s = await serverRecordAfterHandshake({ inner: new Uint8Array(20) });
    expectAbort(s, 'client', 'unexpected_message', 'missing_content_type');
  });

  it('client: an empty protected handshake record → unexpected_message', async () => {
    const s = await serverRecordAfterHandshake({ inner: Uint8Array.of(ContentType.handshake, 0, 0) });
    expectAbort(s, 'client', 'unexpected_message', 'empty_record');
  });

  it('server: a plaintext record after keys (a handshake record in the clear) → unexpected_message', async () => {
    const s = await clientRecordAfterHandshake({ type: ContentType.handshake, content: Uint8Array.of(HandshakeType.key_update, 0, 0, 1, 0), plaintext: true });
    expectAbort(s, 'server', 'unexpected_message', 'unprotected_record');
  });
});

describe('change_cipher_spec (§5, Appendix D.4)', { timeout: 15_000 }, () => {
  const ccs = (...value: number[]): Outgoing => ({ type: ContentType.change_cipher_spec, content: Uint8Array.from(value), plaintext: true });

  it('client: change_cipher_spec with value 2 during the handshake → unexpected_message', async () => {
    const s = await scenario({ edits: [onRecord('server', ContentType.change_cipher_spec, () => [ccs(2)])] });
    expectAbort(s, 'client', 'unexpected_message', 'invalid_change_cipher_spec');
  });

  it('client: change_cipher_spec of two bytes → unexpected_message', async () => {
    const s = await scenario({ edits: [onRecord('server', ContentType.change_cipher_spec, () => [ccs(1, 1)])] });
    expectAbort(s, 'client', 'unexpected_message', 'invalid_change_cipher_spec');
  });

  it('control: several change_cipher_spec records during the handshake are dropped', async () => {
    const s = await scenario({ edits: [onRecord('server', ContentType.change_cipher_spec, () => [ccs(1), ccs(1), ccs(1)])] });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.client.session).toBeDefined();
  });

  // CVE-2020-25648: dropped records cost the sender 6 bytes and us a turn each; a flood of
  // them would last until the handshake timer.
  it('server: a flood of change_cipher_spec records after the ClientHello → unexpected_message', async () => {
    const flood = Array.from({ length: 1000 }, () => ccs(1));
    const s = await scenario({ edits: [onRecord('client', ContentType.handshake, (r) => (r.epoch === 'plaintext' ? [{ wire: r.wire }, ...flood] : undefined))] });
    expectAbort(s, 'server', 'unexpected_message', 'too_many_change_cipher_specs');
  });

  it('client: a flood of change_cipher_spec records after the ServerHello → unexpected_message', async () => {
    const flood = Array.from({ length: 1000 }, () => ccs(1));
    const s = await scenario({ edits: [onRecord('server', ContentType.change_cipher_spec, () => flood)] });
    expectAbort(s, 'client', 'unexpected_message', 'too_many_change_cipher_specs');
  });

  it('client: a fourth change_cipher_spec in one handshake → unexpected_message', async () => {
    const s = await scenario({ edits: [onRecord('server', ContentType.change_cipher_spec, () => [ccs(1), ccs(1), ccs(1), ccs(1)])] });
    expectAbort(s, 'client', 'unexpected_message', 'too_many_change_cipher_specs');
  });

  it('server: change_cipher_spec after the handshake → unexpected_message', async () => {
    const s = await clientRecordAfterHandshake(ccs(1));
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_change_cipher_spec');
  });

  it('client: change_cipher_spec after the handshake → unexpected_message', async () => {
    const s = await serverRecordAfterHandshake(ccs(1));
    expectAbort(s, 'client', 'unexpected_message', 'unexpected_change_cipher_spec');
  });

  it('server: change_cipher_spec before the ClientHello → unexpected_message', async () => {
    const server = await loneServer();
    await feed(server, plaintextRecord(ContentType.change_cipher_spec, Uint8Array.of(1)));
    expectLoneAbort(server, 'unexpected_message', 'unexpected_change_cipher_spec');
  });

  it('server: change_cipher_spec inside a protected record → unexpected_message', async () => {
    const s = await clientRecordAfterHandshake({ type: ContentType.change_cipher_spec, content: Uint8Array.of(1) });
    expectAbort(s, 'server', 'unexpected_message', 'invalid_inner_content_type');
  });
});

describe('hostile sizes', { timeout: 20_000 }, () => {
  it('server: a ClientHello declaring 16 MiB (over its syntactic ~128 KiB) → decode_error at once, nothing buffered', async () => {
    const server = await loneServer();
    const start = Date.now();
    await feed(server, plaintextRecord(ContentType.handshake, concatBytes(Uint8Array.of(HandshakeType.client_hello, 0xff, 0xff, 0xff), new Uint8Array(1000)), 0x0301));
    expectLoneAbort(server, 'decode_error', 'message_too_long');
    // What the peer sends next is dropped unread, not collected towards 16 MiB.
    const filler = plaintextRecord(ContentType.handshake, new Uint8Array(16384));
    for (let i = 0; i < 1024; i++) server.connection.receive(filler);
    expect(server.connection.bufferedBytes).toBe(0);
    expect(server.errors).toHaveLength(1);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('client: a protected Certificate declaring 16 MiB → illegal_parameter', async () => {
    const s = await scenario({ edits: [onMessage('server', HandshakeType.certificate, () => [Uint8Array.of(HandshakeType.certificate, 0xff, 0xff, 0xff, 0)])] });
    expectAbort(s, 'client', 'illegal_parameter', 'certificate_too_large');
  });

  it('client: a Certificate over its maxHandshakeMessageSize → illegal_parameter', async () => {
    const s = await scenario({ client: { maxHandshakeMessageSize: 200 } });
    expectAbort(s, 'client', 'illegal_parameter', 'certificate_too_large');
  });

  it('server: a padded 8 KiB ClientHello sent one byte per record (8000+ records) still works, in linear time', async () => {
    let records = 0;
    const start = Date.now();
    const s = await scenario({
      client: { customizeClientHello: (ch) => void ch.extensions.push({ type: ExtensionType.padding, data: new Uint8Array(8192) }) },
      edits: [
        onRecord('client', ContentType.handshake, (record) => {
          if (record.epoch !== 'plaintext') return undefined;
          records += record.content.length;
          return Array.from(record.content, (byte) => ({ wire: plaintextRecord(ContentType.handshake, Uint8Array.of(byte), 0x0301) }));
        }),
      ],
    });
    const elapsed = Date.now() - start;
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.server.session).toBeDefined();
    expect(records).toBeGreaterThan(8192);
    expect(elapsed, `${records} one-byte records took ${elapsed} ms`).toBeLessThan(5000);
  });

  it('client: the protected server flight sent one byte per record still works', async () => {
    let records = 0;
    const s = await scenario({
      edits: [
        onRecord('server', ContentType.handshake, (record) => {
          if (record.epoch !== 'handshake') return undefined;
          records += record.content.length;
          return Array.from(record.content, (byte) => ({ type: ContentType.handshake, content: Uint8Array.of(byte) }));
        }),
      ],
    });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.client.session).toBeDefined();
    expect(records).toBeGreaterThan(500);
  });
});

describe('after our close_notify (§6.1)', { timeout: 15_000 }, () => {
  it('a side sends nothing more, not even the alert for a bad record it still reads', async () => {
    const s = await scenario();
    expect(s.client.error ?? s.server.error, 'the handshake itself succeeds').toBeUndefined();
    s.server.close();
    let sentAfterClose = 0;
    s.server.on('send', () => sentAfterClose++);
    // The server still reads (the client has not closed): a record that does not decrypt.
    s.server.receive(concatBytes(Uint8Array.of(ContentType.application_data, 0x03, 0x03, 0x00, 0x20), new Uint8Array(32)));
    expect(s.server.error?.alert).toBe('bad_record_mac');
    expect(sentAfterClose).toBe(0);
  });
});
