import { describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { AlertDescription, ContentType } from '../../src/registry.js';
import { concatBytes } from '../../src/wire/bytes.js';
import { onRecord, plaintextRecord } from '../helpers/mitm.js';
import { joined } from '../helpers/pipe.js';
import { afterHandshake, drain, expectAbort, feed, loneClient, loneServer, plaintextAlert, realClientHello, scenario, until } from '../helpers/negative.js';

/**
 * How connections end (RFC 8446 §6): alerts from the peer, the transport closing with and
 * without close_notify, and what the API allows afterwards. The other negative-*.test.ts files
 * cover the protocol violations, each with the alert it must send.
 */

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('alerts from the peer', { timeout: 15_000 }, () => {
  it('a fatal handshake_failure surfaces as ALERT_RECEIVED handshake_failure, unanswered', async () => {
    const client = await loneClient();
    await feed(client, plaintextAlert('handshake_failure'));
    expect(client.errors).toHaveLength(1);
    expect(client.connection.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'handshake_failure' });
    expect(client.connection.state).toBe('closed');
    expect(client.sent, 'only the ClientHello, no alert back').toHaveLength(1);
  });

  it('a warning-level alert other than close_notify and user_canceled is fatal all the same', async () => {
    const server = await loneServer();
    await feed(server, plaintextRecord(ContentType.alert, Uint8Array.of(1, AlertDescription.unknown_ca)));
    expect(server.connection.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'unknown_ca' });
    expect(server.connection.state).toBe('closed');
    expect(server.sent).toEqual([]);
  });

  it('an alert description nobody assigned surfaces as ALERT_RECEIVED without a name', async () => {
    const client = await loneClient();
    await feed(client, plaintextRecord(ContentType.alert, Uint8Array.of(2, 254)));
    expect(client.connection.error).toBeInstanceOf(TLSError);
    expect(client.connection.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: undefined });
    expect(client.connection.state).toBe('closed');
  });

  it('the server takes an alert in the clear while it reads with handshake keys (the client may have none)', async () => {
    const server = await loneServer();
    await feed(server, plaintextRecord(ContentType.handshake, await realClientHello(), 0x0301));
    expect(server.sent.length, 'the server answered with its flight').toBeGreaterThan(1);
    await feed(server, plaintextAlert('illegal_parameter'));
    expect(server.connection.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'illegal_parameter' });
    expect(server.errors).toHaveLength(1);
  });

  it('once the client’s protected records arrive, an alert in the clear is unexpected_message', async () => {
    const s = await scenario();
    await afterHandshake(s, () => s.server.receive(plaintextAlert('handshake_failure')));
    expectAbort(s, 'server', 'unexpected_message', 'unprotected_record');
  });
});

describe('the transport closes', { timeout: 15_000 }, () => {
  it('mid-handshake: CONNECTION_CLOSED, and no alert is sent', async () => {
    const client = await loneClient();
    client.connection.transportClosed();
    expect(client.connection.error).toMatchObject({ code: 'CONNECTION_CLOSED', alert: undefined });
    expect(client.errors).toHaveLength(1);
    expect(client.connection.state).toBe('closed');
    expect(client.sent, 'only the ClientHello').toHaveLength(1);
  });

  it('mid-handshake, inside a record: CONNECTION_CLOSED that says the record was cut off', async () => {
    const server = await loneServer();
    const record = plaintextRecord(ContentType.handshake, await realClientHello(), 0x0301);
    await feed(server, record.subarray(0, 100));
    server.connection.transportClosed();
    expect(server.connection.error?.code).toBe('CONNECTION_CLOSED');
    expect(server.connection.error?.message).toMatch(/\(100 bytes of a record cut off\)/);
    expect(server.sent).toEqual([]);
  });

  it('after the handshake without close_notify: CONNECTION_CLOSED (a truncation, not an end)', async () => {
    const s = await scenario();
    s.client.transportClosed();
    expect(s.client.error).toMatchObject({ code: 'CONNECTION_CLOSED', alert: undefined });
    expect(s.ends.client.ended).toBe(false);
    expect(s.client.state).toBe('closed');
    await drain(s.client, s.server);
    expect(s.mitm.alertsFrom('client')).toEqual([]);
    expect(s.server.error).toBeUndefined();
  });

  it('close_notify ends the stream cleanly; the other direction stays open until closed too', async () => {
    const s = await scenario();
    s.client.write(text('request'));
    s.client.close();
    await until(() => s.ends.server.ended, 'the server to see the end');
    expect(joined(s.ends.server.received)).toEqual(text('request'));
    expect(s.server.state).toBe('connected');
    expect(() => s.client.write(text('more'))).toThrowError(expect.objectContaining({ code: 'CONNECTION_CLOSED' }));

    s.server.write(text('response'));
    s.server.close();
    await until(() => s.ends.client.ended, 'the client to see the end');
    expect(joined(s.ends.client.received)).toEqual(text('response'));
    expect([s.client.state, s.server.state]).toEqual(['closed', 'closed']);
    expect([s.client.error, s.server.error]).toEqual([undefined, undefined]);
    expect(s.mitm.alertsFrom('client')).toEqual([AlertDescription.close_notify]);

    // Closing the transport after close_notify is the normal end, not an error.
    s.client.transportClosed();
    s.server.transportClosed();
    expect([s.client.error, s.server.error]).toEqual([undefined, undefined]);
  });

  it('records after close_notify are ignored', async () => {
    let appended = false;
    const s = await scenario({
      edits: [
        onRecord('client', ContentType.alert, (record) => {
          if (appended) return undefined;
          appended = true;
          return [
            { type: record.type, content: record.content },
            { type: ContentType.application_data, content: text('after the end') },
          ];
        }),
      ],
    });
    s.client.close();
    await until(() => s.ends.server.ended, 'the server to see the end');
    await drain(s.client, s.server);
    expect(s.ends.server.received).toEqual([]);
    expect(s.server.error).toBeUndefined();
  });

  it('an alert and the end of the transport in one go, while a handshake step runs: the alert is what is reported', async () => {
    const server = await loneServer();
    server.connection.receive(plaintextRecord(ContentType.handshake, await realClientHello(), 0x0301));
    server.connection.receive(plaintextAlert('bad_certificate'));
    server.connection.transportClosed();
    await drain(server.connection);
    expect(server.errors).toHaveLength(1);
    expect(server.connection.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'bad_certificate' });
  });

  it('KeyUpdate, data, close_notify and the end of the transport in one go: all of it is read, a clean end', async () => {
    let holding = false;
    const held: Uint8Array[] = [];
    const s = await scenario({
      edits: [
        (record) => {
          if (!holding || record.from !== 'client') return undefined;
          held.push(record.wire);
          return [];
        },
      ],
    });
    holding = true;
    s.client.updateKeys(false);
    s.client.write(text('last words'));
    s.client.close();
    expect(held).toHaveLength(3);
    s.server.receive(concatBytes(...held));
    s.server.transportClosed();
    await drain(s.server);
    expect(s.server.error).toBeUndefined();
    expect(s.ends.server.ended).toBe(true);
    expect(joined(s.ends.server.received)).toEqual(text('last words'));
  });

  it('close_notify during the handshake: CONNECTION_CLOSED, not a handshake that waits forever', async () => {
    const client = await loneClient();
    await feed(client, plaintextAlert('close_notify'));
    expect(client.connection.error).toMatchObject({ code: 'CONNECTION_CLOSED', alert: undefined });
    expect(client.connection.state).toBe('closed');
    expect(client.sent, 'no alert in answer').toHaveLength(1);
  });

  it('user_canceled then close_notify during the handshake: CONNECTION_CLOSED', async () => {
    const server = await loneServer();
    await feed(server, concatBytes(plaintextAlert('user_canceled'), plaintextAlert('close_notify')));
    expect(server.connection.error).toMatchObject({ code: 'CONNECTION_CLOSED', alert: undefined });
    expect(server.errors).toHaveLength(1);
    expect(server.sent).toEqual([]);
  });
});

describe('after a failure', { timeout: 15_000 }, () => {
  it('input is ignored, writing throws the failure, and nothing more is sent', async () => {
    const server = await loneServer();
    await feed(server, text('GET / HTTP/1.1\r\n\r\n'));
    const error = server.connection.error!;
    expect(error.alert).toBe('decode_error');
    const sent = server.sent.length;
    await feed(server, plaintextRecord(ContentType.handshake, await realClientHello(), 0x0301));
    server.connection.transportClosed();
    server.connection.close();
    expect(server.sent).toHaveLength(sent);
    expect(server.errors).toEqual([error]);
    expect(() => server.connection.write(text('x'))).toThrow(error);
  });

  it('the man in the middle is transparent when it edits nothing', async () => {
    const s = await scenario();
    s.client.write(text('abc'));
    s.client.updateKeys(true);
    s.client.write(text('def'));
    s.server.write(text('xyz'));
    await until(() => s.ends.server.received.length >= 2 && s.ends.client.received.length >= 1, 'data both ways');
    expect(joined(s.ends.server.received)).toEqual(text('abcdef'));
    expect(joined(s.ends.client.received)).toEqual(text('xyz'));
    expect([s.client.error, s.server.error]).toEqual([undefined, undefined]);
  });
});
