import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientConnection, type Connection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { SessionInfo, SessionTicket } from '../../src/handshake-context.js';
import { handshakeTypeName } from '../../src/registry.js';
import { AntiReplay } from '../../src/server/anti-replay.js';
import { StatelessTicketStore } from '../../src/server/tickets.js';
import { concatBytes, utf8 } from '../../src/wire/bytes.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { pemChain, pkcs8, pkiPath } from '../helpers/fixtures.js';
import { clientConfig, drain, provider, serverConfig, until } from '../helpers/negative.js';
import { pipe } from '../helpers/pipe.js';

/**
 * Events reach the application after a state change, not from inside one: 'handshake',
 * 'session' and 'authenticated' are delivered once the state machine has moved to its next
 * state, so a listener sees (and may use) the connection exactly as code outside it would.
 * The orders that matter are kept on purpose: writes held back before the handshake, then what
 * the 'handshake' listener writes, then the server's tickets, all in one flush; nothing after
 * our close_notify. (resumption.test.ts and connection-order.test.ts hold the older cases.)
 */

const tickets = (): Partial<ServerConfig> => ({ ticketStore: new StatelessTicketStore(provider), antiReplay: new AntiReplay() });

/** What a server sent, as the trace names it: handshake messages and KeyUpdates by name. */
function sentMessages(s: Connection): string[] {
  const sent: string[] = [];
  s.on('trace', (e) => {
    if (e.kind === 'message' && e.direction === 'sent') sent.push(handshakeTypeName(e.message.type));
  });
  return sent;
}

async function mutualConfigs(): Promise<{ server: ServerConfig; client: ClientConfig }> {
  const certificate = { chain: pemChain('client-ecdsa-p256-chain.pem'), key: await provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem')) };
  const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem')), 'root.pem');
  return { server: await serverConfig({ verifier: new X509Verifier({ trustStore }), ...tickets() }), client: clientConfig({ certificate }) };
}

describe("'handshake' after the state change", { timeout: 15_000 }, () => {
  it('the listener sees an established connection: state, session, exporter, KeyUpdate as outside it', async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(tickets()));
    const seen: Record<string, unknown>[] = [];
    const look = (connection: Connection, side: string) => (info: SessionInfo) => {
      seen.push({ side, state: connection.state, same: connection.session === info, exported: connection.exportKeyingMaterial(16, 'EXPORTER-test') });
      connection.updateKeys();
    };
    c.on('handshake', look(c, 'client'));
    s.on('handshake', look(s, 'server'));
    const ends = pipe(c, s, { maxChunk: 300 });
    c.start();
    await until(() => seen.length === 2 || c.error !== undefined || s.error !== undefined, 'both handshakes');
    c.write(utf8('after the updates'));
    await until(() => ends.server.received.length > 0 || c.error !== undefined || s.error !== undefined, 'the data');
    expect(c.error ?? s.error).toBeUndefined();
    // The client completes first (the server's Finished), the server on the client's.
    expect(seen.map(({ exported, ...rest }) => rest)).toEqual([
      { side: 'client', state: 'connected', same: true },
      { side: 'server', state: 'connected', same: true },
    ]);
    expect(seen[0]!.exported).toEqual(seen[1]!.exported);
    expect(concatBytes(...ends.server.received)).toEqual(utf8('after the updates'));
  });

  it('writes held back before the handshake go first, then what the listener writes, then the tickets', async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(tickets()));
    const sent = sentMessages(s);
    const order: string[] = [];
    s.on('handshake', () => {
      order.push(`handshake after ${sent.at(-1)}`);
      s.write(utf8(' and on handshake'));
    });
    s.on('send', () => order.push(`send (${sent.filter((m) => m === 'new_session_ticket').length} tickets traced)`));
    const received: SessionTicket[] = [];
    c.on('session', (t) => received.push(t));
    const ends = pipe(c, s, { maxChunk: 700 });
    // Written before the handshake, so held until it completes (0.5-RTT data is not sent).
    s.write(utf8('held back'));
    c.start();
    await until(() => received.length === 2 || c.error !== undefined || s.error !== undefined, 'the tickets');
    expect(c.error ?? s.error).toBeUndefined();
    // In the order the application made the writes; the tickets follow in the same flush.
    expect(concatBytes(...ends.client.received)).toEqual(utf8('held back and on handshake'));
    // The held write leaves just before the listener runs (the client's Finished, the step's
    // last message, brought nothing for the server to send).
    expect(order.slice(order.findIndex((o) => o.startsWith('handshake')) - 1)).toEqual([
      'send (0 tickets traced)',
      'handshake after finished',
      'send (0 tickets traced)',
      'send (2 tickets traced)',
    ]);
  });

  it('server: updateKeys() on handshake sends the KeyUpdate before the tickets, which go under the new key', async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(tickets()));
    const sent = sentMessages(s);
    s.on('handshake', () => s.updateKeys());
    const received: SessionTicket[] = [];
    c.on('session', (t) => received.push(t));
    const ends = pipe(c, s);
    c.start();
    await until(() => received.length === 2 || c.error !== undefined || s.error !== undefined, 'the tickets');
    s.write(utf8('under the next key'));
    await until(() => ends.client.received.length > 0 || c.error !== undefined, 'the data');
    expect(c.error ?? s.error).toBeUndefined();
    expect(sent.slice(sent.indexOf('finished'))).toEqual(['finished', 'key_update', 'new_session_ticket', 'new_session_ticket']);
  });

  it('server: close() on handshake sends close_notify and no ticket, not even to the trace', async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(tickets()));
    const sent = sentMessages(s);
    let closed = false;
    let afterClose = 0;
    s.on('send', () => {
      if (closed) afterClose++;
    });
    s.on('handshake', () => {
      s.close();
      closed = true;
      expect(() => s.write(utf8('late'))).toThrowError(expect.objectContaining({ code: 'CONNECTION_CLOSED' }));
    });
    let ended = false;
    c.on('end', () => (ended = true));
    pipe(c, s);
    c.start();
    await until(() => ended || c.error !== undefined || s.error !== undefined, "the client's end");
    await drain(c, s);
    expect(c.error ?? s.error).toBeUndefined();
    expect(afterClose).toBe(0);
    expect(sent).not.toContain('new_session_ticket');
  });

  it('client: close() on handshake sends the held write, then close_notify, then nothing', async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(tickets()));
    let closed = false;
    let afterClose = 0;
    c.on('send', () => {
      if (closed) afterClose++;
    });
    c.on('handshake', () => {
      c.close();
      closed = true;
    });
    const sessions: SessionTicket[] = [];
    c.on('session', (t) => sessions.push(t));
    const ends = pipe(c, s);
    c.write(utf8('held until the handshake'));
    c.start();
    await until(() => ends.server.ended || c.error !== undefined || s.error !== undefined, "the server's end");
    await drain(c, s);
    expect(c.error ?? s.error).toBeUndefined();
    expect(concatBytes(...ends.server.received)).toEqual(utf8('held until the handshake'));
    expect(afterClose).toBe(0);
    // Reading goes on after our close_notify: the tickets that follow still arrive.
    expect(sessions).toHaveLength(2);
  });

  it('server: requestClientCertificate() on handshake asks at once; the CertificateRequest precedes the tickets', async () => {
    const configs = await mutualConfigs();
    const c = new ClientConnection(configs.client);
    const s = new ServerConnection(configs.server);
    const sent = sentMessages(s);
    s.on('handshake', () => s.requestClientCertificate());
    const authenticated: SessionInfo[] = [];
    s.on('authenticated', (info) => authenticated.push(info));
    pipe(c, s);
    c.start();
    await until(() => authenticated.length === 1 || c.error !== undefined || s.error !== undefined, 'the post-handshake authentication');
    expect(c.error ?? s.error).toBeUndefined();
    expect(sent.slice(sent.indexOf('finished'))).toEqual(['finished', 'certificate_request', 'new_session_ticket', 'new_session_ticket']);
    expect(authenticated[0]).toMatchObject({ authorized: true });
    expect(s.session).toBe(authenticated[0]);
  });

  it('a listener that throws fails the connection with internal_error; the state machine sends nothing more', async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(tickets()));
    const sent = sentMessages(s);
    const errors: string[] = [];
    s.on('error', (e) => errors.push(`${e.code} ${e.alert}`));
    s.on('handshake', () => {
      throw new Error('listener bug');
    });
    pipe(c, s);
    c.start();
    await until(() => c.error !== undefined, "the client's failure");
    await drain(c, s);
    expect(errors).toEqual(['INTERNAL_ERROR internal_error']);
    expect(s.error!.message).toContain('listener bug');
    expect(s.state).toBe('closed');
    expect(c.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'internal_error' });
    expect(sent).not.toContain('new_session_ticket');
  });
});

describe("'session' and 'authenticated' after the step", { timeout: 15_000 }, () => {
  it("'session' events come in the order the tickets and data arrived", async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(tickets()));
    const order: string[] = [];
    c.on('session', () => order.push('session'));
    c.on('data', () => order.push('data'));
    s.on('handshake', () => s.write(utf8('reply')));
    pipe(c, s, { maxChunk: 4096 });
    c.start();
    await until(() => order.length === 3 || c.error !== undefined || s.error !== undefined, 'the reply and the tickets');
    expect(c.error ?? s.error).toBeUndefined();
    expect(order).toEqual(['data', 'session', 'session']);
  });

  it("a 'session' listener that throws fails the client with internal_error", async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(tickets()));
    let sessions = 0;
    c.on('session', () => {
      sessions++;
      throw new Error('ticket listener bug');
    });
    pipe(c, s);
    c.start();
    await until(() => s.error !== undefined, "the server's failure");
    expect(sessions).toBe(1);
    expect(c.error).toMatchObject({ code: 'INTERNAL_ERROR', alert: 'internal_error' });
    expect(s.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'internal_error' });
  });

  it("'authenticated': the listener may ask again at once, and each answer is reported in turn", async () => {
    const configs = await mutualConfigs();
    const c = new ClientConnection(configs.client);
    const s = new ServerConnection(configs.server);
    const authenticated: SessionInfo[] = [];
    s.on('authenticated', (info) => {
      authenticated.push(info);
      expect(s.session).toBe(info);
      if (authenticated.length === 1) s.requestClientCertificate();
    });
    pipe(c, s);
    c.start();
    await until(() => s.session !== undefined || s.error !== undefined, 'the handshake');
    s.requestClientCertificate();
    await until(() => authenticated.length === 2 || c.error !== undefined || s.error !== undefined, 'both authentications');
    await drain(c, s);
    expect(c.error ?? s.error).toBeUndefined();
    expect(authenticated).toHaveLength(2);
    expect(authenticated[0]).not.toBe(authenticated[1]);
    expect(authenticated.every((info) => info.authorized)).toBe(true);
  });
});
