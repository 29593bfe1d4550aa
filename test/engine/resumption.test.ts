import { describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ResumptionState, ServerConfig } from '../../src/config.js';
import type { SessionTicket } from '../../src/handshake-context.js';
import type { ProtocolReason } from '../../src/errors.js';
import * as ext from '../../src/messages/extensions.js';
import { decodeHandshake, isHelloRetryRequest } from '../../src/messages/handshake.js';
import { AlertDescription, CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup, PskKeyExchangeMode } from '../../src/registry.js';
import type { ClientHello, EncryptedExtensions } from '../../src/messages/types.js';
import { AntiReplay } from '../../src/server/anti-replay.js';
import { StatelessTicketStore } from '../../src/server/tickets.js';
import { concatBytes, utf8 } from '../../src/wire/bytes.js';
import { Mitm, mutate, onMessage, onRecord } from '../helpers/mitm.js';
import { clientConfig, drain, expectAbort, provider, realClientHello, scenario, serverConfig, until } from '../helpers/negative.js';
import { type Endpoint, joined, pipe } from '../helpers/pipe.js';

/**
 * Session resumption and 0-RTT between a real client and a real server in memory (RFC 8446
 * §2.2, §2.3, §4.2.10, §4.2.11, §4.6.1, §8): tickets from the `session` event resume with
 * psk_dhe_ke for every suite; 0-RTT data is accepted, or rejected (and skipped by the server,
 * and sent again by the client) for each reason a server may have; binders, tickets and
 * early data that are wrong end in their exact alert, or in a full handshake where the RFC
 * says a PSK is simply not used. The ticket store and the anti-replay record have unit tests
 * at the end.
 */

const SUITES = [
  { suite: CipherSuite.TLS_AES_128_GCM_SHA256, name: 'TLS_AES_128_GCM_SHA256' },
  { suite: CipherSuite.TLS_AES_256_GCM_SHA384, name: 'TLS_AES_256_GCM_SHA384' },
  { suite: CipherSuite.TLS_CHACHA20_POLY1305_SHA256, name: 'TLS_CHACHA20_POLY1305_SHA256' },
] as const;

const EARLY = utf8('GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n');

/** What a server that takes 0-RTT is configured with; each test gets its own store and record. */
function resumingServer(extra: Partial<ServerConfig> = {}): Partial<ServerConfig> {
  return { ticketStore: new StatelessTicketStore(provider), antiReplay: new AntiReplay(), maxEarlyDataSize: 16384, ...extra };
}

interface Run {
  client: ClientConnection;
  server: ServerConnection;
  ends: { client: Endpoint; server: Endpoint };
  tickets: SessionTicket[];
  /** 'data' and 'handshake' events in the order each side saw them. */
  events: { client: string[]; server: string[] };
  /** Handshake messages each side sent, in order. */
  sent: { client: { type: number; raw: Uint8Array }[]; server: { type: number; raw: Uint8Array }[] };
  /** Key epochs each side wrote under, in order. */
  writeEpochs: { client: string[]; server: string[] };
}

/**
 * A handshake through the in-memory pipe (random chunking): waits for both sides to finish
 * and for the tickets a server with a store sends (or for a failure).
 */
async function run(client: Partial<ClientConfig>, server: Partial<ServerConfig>, seed = 1, wantTickets?: number): Promise<Run> {
  const c = new ClientConnection(clientConfig(client));
  const s = new ServerConnection(await serverConfig(server));
  const r: Run = {
    client: c,
    server: s,
    ends: undefined as never,
    tickets: [],
    events: { client: [], server: [] },
    sent: { client: [], server: [] },
    writeEpochs: { client: [], server: [] },
  };
  for (const [side, connection] of [
    ['client', c],
    ['server', s],
  ] as const) {
    connection.on('trace', (e) => {
      if (e.kind === 'message' && e.direction === 'sent') r.sent[side].push({ type: e.message.type, raw: e.raw });
      if (e.kind === 'keys' && e.direction === 'write') r.writeEpochs[side].push(e.epoch);
    });
    connection.on('data', () => r.events[side].push('data'));
    connection.on('handshake', () => r.events[side].push('handshake'));
  }
  c.on('session', (t) => r.tickets.push(t));
  r.ends = pipe(c, s, { maxChunk: 700, seed });
  c.start();
  const wanted = wantTickets ?? (server.ticketStore ? (server.ticketCount ?? 2) : 0);
  await until(
    () => (c.session !== undefined && s.session !== undefined && r.tickets.length >= wanted) || c.error !== undefined || s.error !== undefined,
    'the handshake and the tickets',
  );
  await drain(c, s);
  return r;
}

/** Tickets from a full handshake with a server configured with `server`. */
async function ticketsFrom(server: Partial<ServerConfig>, client: Partial<ClientConfig> = {}): Promise<SessionTicket[]> {
  const r = await run(client, server);
  expect(r.client.error ?? r.server.error).toBeUndefined();
  expect(r.client.session?.resumed).toBe(false);
  return r.tickets;
}

function sentTypes(r: Run, side: 'client' | 'server'): number[] {
  return r.sent[side].map((m) => m.type);
}

function noErrors(r: Run): void {
  expect(r.client.error, r.client.error?.message).toBeUndefined();
  expect(r.server.error, r.server.error?.message).toBeUndefined();
  expect(r.client.state).toBe('connected');
  expect(r.server.state).toBe('connected');
}

/** The handshake went without a server certificate: the PSK authenticated the server. */
function expectResumedFlight(r: Run): void {
  const types = sentTypes(r, 'server');
  expect(types.slice(0, 3)).toEqual([HandshakeType.server_hello, HandshakeType.encrypted_extensions, HandshakeType.finished]);
  expect(types).not.toContain(HandshakeType.certificate);
  expect(types).not.toContain(HandshakeType.certificate_verify);
}

function expectFullFlight(r: Run): void {
  expect(sentTypes(r, 'server')).toContain(HandshakeType.certificate);
  expect(sentTypes(r, 'server')).toContain(HandshakeType.certificate_verify);
}

function clientHellos(r: Run): ClientHello[] {
  return r.sent.client.filter((m) => m.type === HandshakeType.client_hello).map((m) => decodeHandshake(m.raw[0]!, m.raw.subarray(4)) as ClientHello);
}

function offeredPsk(hello: ClientHello): ext.OfferedPsks | undefined {
  const psk = hello.extensions.find((e) => e.type === ExtensionType.pre_shared_key);
  return psk && ext.parsePreSharedKeyClientHello(psk.data);
}

function sentEncryptedExtensions(r: Run): EncryptedExtensions {
  const ee = r.sent.server.find((m) => m.type === HandshakeType.encrypted_extensions)!;
  return decodeHandshake(ee.raw[0]!, ee.raw.subarray(4)) as EncryptedExtensions;
}

/**
 * The server did not take the 0-RTT data: both sides say 'rejected', the handshake completed,
 * the client really sent early records, the server delivered none of them, and the client can
 * send the data again after the handshake, which arrives exactly once.
 */
async function expectRejectedAndResent(r: Run, data: Uint8Array = EARLY): Promise<void> {
  noErrors(r);
  expect(r.client.session?.earlyData).toBe('rejected');
  expect(r.server.session?.earlyData).toBe('rejected');
  expect(r.writeEpochs.client[0], 'the client wrote under its early keys').toBe('early');
  expect(sentTypes(r, 'client')).not.toContain(HandshakeType.end_of_early_data);
  expect(sentEncryptedExtensions(r).extensions.map((e) => e.type)).not.toContain(ExtensionType.early_data);
  expect(r.ends.server.received, 'the server skipped the early records').toEqual([]);
  r.client.write(data);
  await until(() => joined(r.ends.server.received).length >= data.length, 'the data sent again');
  await drain(r.client, r.server);
  expect(joined(r.ends.server.received)).toEqual(data);
}

// ---- resumption ------------------------------------------------------------------------

describe('resumption with a ticket from the session event', () => {
  for (const { suite, name } of SUITES) {
    it(`${name}: resumes with psk_dhe_ke, no Certificate, a fresh key exchange`, async () => {
      const server = resumingServer({ antiReplay: undefined });
      const tickets = await ticketsFrom(server, { cipherSuites: [suite] });
      expect(tickets).toHaveLength(2);
      for (const t of tickets) {
        expect(t).toMatchObject({ cipherSuite: suite, serverName: 'localhost', lifetime: 7200, maxEarlyDataSize: 0, authorized: true });
        expect(t.psk.length).toBe(suite === CipherSuite.TLS_AES_256_GCM_SHA384 ? 48 : 32);
      }
      // Two tickets, two PSKs (distinct ticket_nonce) and two ticket_age_add values.
      expect(tickets[0]!.ticket).not.toEqual(tickets[1]!.ticket);
      expect(tickets[0]!.psk).not.toEqual(tickets[1]!.psk);

      for (const [i, ticket] of tickets.entries()) {
        const r = await run({ cipherSuites: [suite], groups: [NamedGroup.secp256r1, NamedGroup.x25519], session: ticket }, server, 10 + i);
        noErrors(r);
        const expected = { resumed: true, cipherSuite: suite, group: NamedGroup.secp256r1, earlyData: 'not_offered', helloRetry: false };
        expect(r.client.session).toMatchObject({ ...expected, authorized: true, signatureScheme: undefined, peerCertificates: [] });
        expect(r.server.session).toMatchObject(expected);
        expectResumedFlight(r);
        // psk_dhe_ke: the ServerHello answers our key share (RFC 8446 §4.2.9).
        const sh = r.sent.server[0]!;
        const hello = decodeHandshake(sh.raw[0]!, sh.raw.subarray(4));
        expect(hello.type === HandshakeType.server_hello && hello.extensions.map((e) => e.type)).toEqual(
          expect.arrayContaining([ExtensionType.pre_shared_key, ExtensionType.key_share]),
        );
        // The offer: one identity, the age obfuscated with ticket_age_add (RFC 8446 §4.2.11.1).
        const offered = offeredPsk(clientHellos(r)[0]!)!;
        expect(offered.identities).toHaveLength(1);
        expect(offered.identities[0]!.identity).toEqual(ticket.ticket);
        const age = (offered.identities[0]!.obfuscatedTicketAge - ticket.ageAdd) >>> 0;
        expect(age).toBeLessThan(60_000);
        // A resumed connection gets fresh tickets and carries data.
        expect(r.tickets).toHaveLength(2);
        r.client.write(utf8('ping'));
        r.server.write(utf8('pong'));
        await until(() => r.ends.server.received.length > 0 && r.ends.client.received.length > 0, 'data both ways');
        expect(joined(r.ends.server.received)).toEqual(utf8('ping'));
        expect(joined(r.ends.client.received)).toEqual(utf8('pong'));
        expect(r.client.exportKeyingMaterial(16, 'EXPERIMENTAL x')).toEqual(r.server.exportKeyingMaterial(16, 'EXPERIMENTAL x'));
      }
    });
  }

  it('a ticket from a resumed connection resumes again', async () => {
    const server = resumingServer();
    const first = await ticketsFrom(server);
    const second = await run({ session: first[0] }, server);
    noErrors(second);
    expect(second.client.session?.resumed).toBe(true);
    const third = await run({ session: second.tickets[0] }, server);
    noErrors(third);
    expect(third.client.session?.resumed).toBe(true);
    expectResumedFlight(third);
  });

  it('ticketCount: 0 sends no ticket, 3 sends three', async () => {
    const none = await run({}, resumingServer({ ticketCount: 0 }));
    noErrors(none);
    expect(none.tickets).toEqual([]);
    expect(sentTypes(none, 'server')).not.toContain(HandshakeType.new_session_ticket);
    const three = await run({}, resumingServer({ ticketCount: 3 }));
    expect(three.tickets).toHaveLength(3);
    expect(new Set(three.tickets.map((t) => t.ageAdd)).size).toBe(3);
  });

  it("the tickets leave in the same turn as what the server writes on 'handshake', after it", async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(resumingServer()));
    const order: string[] = [];
    s.on('trace', (e) => {
      if (e.kind === 'message' && e.direction === 'sent' && e.message.type === HandshakeType.new_session_ticket) order.push('ticket');
    });
    s.on('send', () => order.push('send'));
    s.on('handshake', () => {
      order.push('handshake');
      s.write(utf8('first reply'));
      // A transport flushes what it was given at the end of the turn (TLSSocket uncorks on
      // nextTick); the tickets must be sent by then, not in a later step of the engine.
      queueMicrotask(() => order.push('next turn'));
    });
    const tickets: SessionTicket[] = [];
    c.on('session', (t) => tickets.push(t));
    const ends = pipe(c, s, { maxChunk: 700 });
    c.start();
    await until(() => (tickets.length === 2 && ends.client.received.length > 0) || c.error !== undefined || s.error !== undefined, 'the tickets and the reply');
    expect(c.error ?? s.error).toBeUndefined();
    // The reply first, as OpenSSL orders them: the client reads the data before the tickets.
    expect(order.slice(order.indexOf('handshake'))).toEqual(['handshake', 'send', 'ticket', 'ticket', 'send', 'next turn']);
    expect(concatBytes(...ends.client.received)).toEqual(utf8('first reply'));
  });

  it("a server that closes on 'handshake' sends nothing after its close_notify, not even tickets", async () => {
    const c = new ClientConnection(clientConfig({}));
    const s = new ServerConnection(await serverConfig(resumingServer()));
    let sentAfterClose = 0;
    let closed = false;
    s.on('send', () => {
      if (closed) sentAfterClose++;
    });
    s.on('handshake', () => {
      s.close();
      closed = true;
    });
    let ended = false;
    c.on('end', () => (ended = true));
    pipe(c, s, { maxChunk: 700 });
    c.start();
    await until(() => ended || c.error !== undefined || s.error !== undefined, "the client's end");
    await drain(c, s);
    expect(c.error ?? s.error).toBeUndefined();
    expect(sentAfterClose).toBe(0);
  });

  it('a server without a ticket store sends no ticket', async () => {
    const r = await run({}, {});
    await drain(r.client, r.server);
    noErrors(r);
    expect(r.tickets).toEqual([]);
  });

  it('ticket lifetime: ServerConfig.ticketLifetime, capped at seven days', async () => {
    expect((await ticketsFrom(resumingServer({ ticketLifetime: 60 })))[0]!.lifetime).toBe(60);
    expect((await ticketsFrom(resumingServer({ ticketLifetime: 30 * 24 * 3600 })))[0]!.lifetime).toBe(7 * 24 * 3600);
  });

  it('HelloRetryRequest + PSK: the second ClientHello carries a new binder and resumes', async () => {
    const server = resumingServer({ groups: [NamedGroup.secp384r1] });
    const [ticket] = await ticketsFrom(server, { groups: [NamedGroup.secp384r1] });
    const r = await run({ groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519], session: ticket }, server);
    noErrors(r);
    for (const s of [r.client.session, r.server.session]) expect(s).toMatchObject({ resumed: true, helloRetry: true, group: NamedGroup.secp384r1 });
    expectResumedFlight({ ...r, sent: { ...r.sent, server: r.sent.server.slice(1) } });
    const [ch1, ch2] = clientHellos(r);
    const [psk1, psk2] = [offeredPsk(ch1!)!, offeredPsk(ch2!)!];
    expect(psk2.identities[0]!.identity).toEqual(psk1.identities[0]!.identity);
    // RFC 8446 §4.2.11.2: the second binder covers message_hash(CH1), HRR and the new CH.
    expect(psk2.binders[0]).not.toEqual(psk1.binders[0]);
  });

  it('SHA-384 ticket, client offering only SHA-256 suites: not offered, full handshake', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server, { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] });
    const r = await run({ cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256], session: ticket }, server);
    noErrors(r);
    expect(offeredPsk(clientHellos(r)[0]!)).toBeUndefined();
    expect(r.client.session).toMatchObject({ resumed: false, authorized: true });
    expect(r.client.session?.cipherSuite).not.toBe(CipherSuite.TLS_AES_256_GCM_SHA384);
    expectFullFlight(r);
  });

  it('a client offering only psk_ke to a server with the default modes (psk_dhe_ke only): no resumption and no tickets', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const pskKeOnly = (ch: ClientHello) => {
      const modes = ch.extensions.find((e) => e.type === ExtensionType.psk_key_exchange_modes)!;
      modes.data = ext.buildPskKeyExchangeModes([PskKeyExchangeMode.psk_ke]);
    };
    const r = await run({ session: ticket, customizeClientHello: pskKeOnly }, server, 1, 0);
    await drain(r.client, r.server);
    noErrors(r);
    expect(offeredPsk(clientHellos(r)[0]!)).toBeDefined();
    expect(r.server.session?.resumed).toBe(false);
    expectFullFlight(r);
    expect(sentTypes(r, 'server')).not.toContain(HandshakeType.new_session_ticket);
  });

  it('a ticket for another server name is not offered by the client', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const r = await run({ serverName: 'other.example', session: ticket }, server);
    noErrors(r);
    expect(offeredPsk(clientHellos(r)[0]!)).toBeUndefined();
    expect(r.client.session?.resumed).toBe(false);
  });

  it('a ticket past its lifetime on the client clock is not offered', async () => {
    const server = resumingServer({ ticketLifetime: 60 });
    const [ticket] = await ticketsFrom(server);
    const r = await run({ session: ticket, now: () => Date.now() + 61_000 }, server);
    noErrors(r);
    expect(offeredPsk(clientHellos(r)[0]!)).toBeUndefined();
    expect(r.client.session?.resumed).toBe(false);
  });

  it('a client with its own clock (ClientConfig.now) resumes with the tickets it received', async () => {
    const server = resumingServer();
    const skewed = () => Date.now() - 3_600_000;
    const [ticket] = await ticketsFrom(server, { now: skewed });
    expect(ticket!.receivedAt).toBeLessThanOrEqual(skewed());
    const r = await run({ session: ticket, earlyData: EARLY, now: skewed }, server);
    noErrors(r);
    // The age the client reports is measured on its own clock, so 0-RTT passes the age check.
    expect(r.client.session).toMatchObject({ resumed: true, earlyData: 'accepted' });
  });
});

describe('psk_ke resumption (RFC 8446 §4.2.9): only when both sides list it', () => {
  const { psk_ke: KE, psk_dhe_ke: DHE } = PskKeyExchangeMode;

  function serverHelloExtensions(r: Run): number[] {
    const sh = r.sent.server[0]!;
    const hello = decodeHandshake(sh.raw[0]!, sh.raw.subarray(4));
    return hello.type === HandshakeType.server_hello ? hello.extensions.map((e) => e.type) : [];
  }

  async function expectWorking(r: Run): Promise<void> {
    r.client.write(utf8('ping'));
    r.server.write(utf8('pong'));
    await until(() => r.ends.server.received.length > 0 && r.ends.client.received.length > 0, 'data both ways');
    expect(joined(r.ends.server.received)).toEqual(utf8('ping'));
    expect(joined(r.ends.client.received)).toEqual(utf8('pong'));
    expect(r.client.exportKeyingMaterial(16, 'EXPERIMENTAL x')).toEqual(r.server.exportKeyingMaterial(16, 'EXPERIMENTAL x'));
  }

  for (const { suite, name } of SUITES) {
    it(`${name}: both sides list only psk_ke: resumed without a key share, group undefined`, async () => {
      const server = resumingServer({ antiReplay: undefined, pskKeyExchangeModes: [KE] });
      const [ticket] = await ticketsFrom(server, { cipherSuites: [suite], pskKeyExchangeModes: [KE] });
      const r = await run({ cipherSuites: [suite], session: ticket, pskKeyExchangeModes: [KE] }, server);
      noErrors(r);
      const expected = { resumed: true, group: undefined, cipherSuite: suite, helloRetry: false };
      expect(r.client.session).toMatchObject(expected);
      expect(r.server.session).toMatchObject(expected);
      expectResumedFlight(r);
      expect(serverHelloExtensions(r)).toContain(ExtensionType.pre_shared_key);
      expect(serverHelloExtensions(r)).not.toContain(ExtensionType.key_share);
      const modes = clientHellos(r)[0]!.extensions.find((e) => e.type === ExtensionType.psk_key_exchange_modes)!;
      expect(ext.parsePskKeyExchangeModes(modes.data)).toEqual([KE]);
      await expectWorking(r);
    });
  }

  it("the server's preference order decides when the client offers both", async () => {
    for (const [serverModes, group] of [
      [[DHE, KE], NamedGroup.x25519],
      [[KE, DHE], undefined],
    ] as const) {
      const server = resumingServer({ antiReplay: undefined, pskKeyExchangeModes: serverModes });
      const client = { groups: [NamedGroup.x25519], pskKeyExchangeModes: [KE, DHE] };
      const [ticket] = await ticketsFrom(server, client);
      const r = await run({ ...client, session: ticket }, server);
      noErrors(r);
      expect(r.client.session).toMatchObject({ resumed: true, group });
      expect(r.server.session).toMatchObject({ resumed: true, group });
      await expectWorking(r);
    }
  });

  it('psk_ke needs no share of a group the server takes: resumed without a HelloRetryRequest', async () => {
    const server = resumingServer({ antiReplay: undefined, pskKeyExchangeModes: [KE], groups: [NamedGroup.secp384r1] });
    const client = { groups: [NamedGroup.x25519, NamedGroup.secp384r1], pskKeyExchangeModes: [KE] };
    const [ticket] = await ticketsFrom(server, client);
    const r = await run({ ...client, session: ticket }, server);
    noErrors(r);
    expect(r.client.session).toMatchObject({ resumed: true, helloRetry: false, group: undefined });
    expect(clientHellos(r)).toHaveLength(1);
  });

  it('psk_ke with 0-RTT data: accepted', async () => {
    const server = resumingServer({ pskKeyExchangeModes: [KE] });
    const [ticket] = await ticketsFrom(server, { pskKeyExchangeModes: [KE] });
    const r = await run({ session: ticket, earlyData: EARLY, pskKeyExchangeModes: [KE] }, server);
    noErrors(r);
    expect(r.client.session).toMatchObject({ resumed: true, group: undefined, earlyData: 'accepted' });
    expect(joined(r.ends.server.received)).toEqual(EARLY);
  });

  it('psk_ke offered with a ticket this server cannot open: a full handshake with the key share', async () => {
    const server = resumingServer({ antiReplay: undefined, pskKeyExchangeModes: [KE, DHE] });
    const [ticket] = await ticketsFrom(server, { pskKeyExchangeModes: [KE] });
    const other = resumingServer({ antiReplay: undefined, pskKeyExchangeModes: [KE, DHE] });
    const r = await run({ session: ticket, pskKeyExchangeModes: [KE], groups: [NamedGroup.x25519] }, other);
    noErrors(r);
    expect(r.client.session).toMatchObject({ resumed: false, group: NamedGroup.x25519, authorized: true });
    expectFullFlight(r);
  });

  it('a server listing only psk_ke issues no ticket to a client offering only psk_dhe_ke', async () => {
    const r = await run({}, resumingServer({ antiReplay: undefined, pskKeyExchangeModes: [KE] }), 1, 0);
    await drain(r.client, r.server);
    noErrors(r);
    expect(sentTypes(r, 'server')).not.toContain(HandshakeType.new_session_ticket);
  });

  it('client: a resumed ServerHello without key_share when psk_ke was not offered → missing_extension', async () => {
    const server = resumingServer({ antiReplay: undefined });
    const [ticket] = await ticketsFrom(server);
    const s = await scenario({
      client: { session: ticket },
      server,
      edits: [
        mutate('server', HandshakeType.server_hello, (sh) => {
          if (!sh.extensions.some((e) => e.type === ExtensionType.pre_shared_key)) return false;
          sh.extensions = sh.extensions.filter((e) => e.type !== ExtensionType.key_share);
        }),
      ],
    });
    expectAbort(s, 'client', 'missing_extension', 'missing_key_share');
  });

  it('client: a resumed ServerHello with a key share when only psk_ke was offered → illegal_parameter', async () => {
    // The wire offers both modes, the client's own offer only psk_ke: the server resumes with
    // psk_dhe_ke, which this client never asked for.
    const server = resumingServer({ antiReplay: undefined, pskKeyExchangeModes: [DHE, KE] });
    const [ticket] = await ticketsFrom(server, { pskKeyExchangeModes: [KE] });
    const bothOnTheWire = (ch: ClientHello) => {
      ch.extensions.find((e) => e.type === ExtensionType.psk_key_exchange_modes)!.data = ext.buildPskKeyExchangeModes([KE, DHE]);
    };
    const s = await scenario({ client: { session: ticket, pskKeyExchangeModes: [KE], customizeClientHello: bothOnTheWire }, server });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_psk_mode');
  });

  it('refuses pskKeyExchangeModes that are empty, unknown or repeated', async () => {
    for (const pskKeyExchangeModes of [[], [2], [KE, KE]]) {
      expect(() => new ClientConnection(clientConfig({ pskKeyExchangeModes: pskKeyExchangeModes as PskKeyExchangeMode[] }))).toThrowError(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
      const config = await serverConfig({ pskKeyExchangeModes: pskKeyExchangeModes as PskKeyExchangeMode[] });
      expect(() => new ServerConnection(config)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

// ---- 0-RTT -----------------------------------------------------------------------------

describe('0-RTT data', () => {
  for (const { suite, name } of SUITES) {
    it(`${name}: accepted, delivered to the server before the handshake completes`, async () => {
      const server = resumingServer();
      const [ticket] = await ticketsFrom(server, { cipherSuites: [suite] });
      expect(ticket!.maxEarlyDataSize).toBe(16384);
      const r = await run({ cipherSuites: [suite], session: ticket, earlyData: EARLY }, server);
      noErrors(r);
      for (const s of [r.client.session, r.server.session]) expect(s).toMatchObject({ resumed: true, earlyData: 'accepted', cipherSuite: suite });
      expect(joined(r.ends.server.received)).toEqual(EARLY);
      expect(r.events.server.indexOf('data')).toBeLessThan(r.events.server.indexOf('handshake'));
      // The client's flight: ClientHello, then EndOfEarlyData under the early keys, then Finished.
      expect(sentTypes(r, 'client').filter((t) => t !== HandshakeType.new_session_ticket)).toEqual([
        HandshakeType.client_hello,
        HandshakeType.end_of_early_data,
        HandshakeType.finished,
      ]);
      expect(r.writeEpochs.client).toEqual(['early', 'handshake', 'application']);
      expect(sentEncryptedExtensions(r).extensions.map((e) => e.type)).toContain(ExtensionType.early_data);
      expectResumedFlight(r);
      r.client.write(utf8(' and after'));
      await until(() => joined(r.ends.server.received).length === EARLY.length + 10, 'data after the handshake');
    });
  }

  it('several records of 0-RTT data (60 kB of a 64 KiB allowance), in order', async () => {
    const server = resumingServer({ maxEarlyDataSize: 65536 });
    const [ticket] = await ticketsFrom(server);
    const data = provider.random(60_000);
    const r = await run({ session: ticket, earlyData: data }, server);
    noErrors(r);
    expect(r.server.session?.earlyData).toBe('accepted');
    expect(joined(r.ends.server.received)).toEqual(data);
  });

  it('accepted without compatibility mode (no change_cipher_spec before the early data)', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const r = await run({ session: ticket, earlyData: EARLY, compatibilityMode: false }, server);
    noErrors(r);
    expect(r.server.session?.earlyData).toBe('accepted');
    expect(joined(r.ends.server.received)).toEqual(EARLY);
  });

  it('exactly max_early_data_size bytes are accepted', async () => {
    const server = resumingServer({ maxEarlyDataSize: 100 });
    const [ticket] = await ticketsFrom(server);
    expect(ticket!.maxEarlyDataSize).toBe(100);
    const data = provider.random(100);
    const r = await run({ session: ticket, earlyData: data }, server);
    noErrors(r);
    expect(r.server.session?.earlyData).toBe('accepted');
    expect(joined(r.ends.server.received)).toEqual(data);
  });

  it('more than the ticket allows is not sent at all (not_offered), and resumption goes on', async () => {
    const server = resumingServer({ maxEarlyDataSize: 100 });
    const [ticket] = await ticketsFrom(server);
    const r = await run({ session: ticket, earlyData: provider.random(101) }, server);
    noErrors(r);
    expect(r.client.session).toMatchObject({ resumed: true, earlyData: 'not_offered' });
    expect(r.writeEpochs.client).not.toContain('early');
  });

  it('a ticket without early_data (server without anti-replay) sends no 0-RTT', async () => {
    const server = resumingServer({ antiReplay: undefined });
    const [ticket] = await ticketsFrom(server);
    expect(ticket!.maxEarlyDataSize).toBe(0);
    const r = await run({ session: ticket, earlyData: EARLY }, server);
    noErrors(r);
    expect(r.client.session).toMatchObject({ resumed: true, earlyData: 'not_offered' });
    expect(clientHellos(r)[0]!.extensions.map((e) => e.type)).not.toContain(ExtensionType.early_data);
  });
});

describe('0-RTT rejected: the handshake completes, the server skips the records, the client resends', () => {
  it('the server now has maxEarlyDataSize 0', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const r = await run({ session: ticket, earlyData: EARLY }, { ...server, maxEarlyDataSize: 0 });
    expect(r.client.session?.resumed).toBe(true);
    await expectRejectedAndResent(r);
  });

  it('the server now has no anti-replay record', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const r = await run({ session: ticket, earlyData: EARLY }, { ...server, antiReplay: undefined });
    expect(r.client.session?.resumed).toBe(true);
    await expectRejectedAndResent(r);
  });

  it('HelloRetryRequest (the server takes only P-384): resumed, early data dropped unread', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const r = await run(
      { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519], session: ticket, earlyData: EARLY },
      { ...server, groups: [NamedGroup.secp384r1] },
    );
    expect(r.client.session).toMatchObject({ resumed: true, helloRetry: true });
    // RFC 8446 §4.1.2: no early_data in the second ClientHello.
    expect(clientHellos(r)[1]!.extensions.map((e) => e.type)).not.toContain(ExtensionType.early_data);
    await expectRejectedAndResent(r);
  });

  it('HelloRetryRequest in compatibility mode off', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const r = await run(
      { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519], session: ticket, earlyData: EARLY, compatibilityMode: false },
      { ...server, groups: [NamedGroup.secp384r1] },
    );
    expect(r.client.session).toMatchObject({ resumed: true, helloRetry: true });
    await expectRejectedAndResent(r);
  });

  it('a different ALPN protocol is selected than the ticket was issued under', async () => {
    const server = resumingServer({ alpnProtocols: ['h2', 'http/1.1'] });
    const [ticket] = await ticketsFrom(server, { alpnProtocols: ['h2'] });
    expect(ticket!.alpnProtocol).toBe('h2');
    const r = await run({ alpnProtocols: ['http/1.1', 'h2'], session: ticket, earlyData: EARLY }, { ...server, alpnProtocols: ['http/1.1', 'h2'] });
    expect(r.client.session).toMatchObject({ resumed: true, alpnProtocol: 'http/1.1' });
    await expectRejectedAndResent(r);
  });

  it('the same ALPN protocol: accepted', async () => {
    const server = resumingServer({ alpnProtocols: ['h2', 'http/1.1'] });
    const [ticket] = await ticketsFrom(server, { alpnProtocols: ['h2'] });
    const r = await run({ alpnProtocols: ['h2'], session: ticket, earlyData: EARLY }, server);
    noErrors(r);
    expect(r.server.session).toMatchObject({ alpnProtocol: 'h2', earlyData: 'accepted' });
  });

  it('the ticket cannot be opened (unknown to this server): full handshake, early records skipped', async () => {
    const [ticket] = await ticketsFrom(resumingServer());
    const r = await run({ session: ticket, earlyData: EARLY }, resumingServer());
    expect(r.client.session).toMatchObject({ resumed: false, authorized: true });
    expectFullFlight(r);
    await expectRejectedAndResent(r);
  });

  it('the client age is outside the anti-replay window', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    // The client claims the ticket is 30 s older than the server knows it to be.
    const r = await run({ session: { ...ticket!, receivedAt: ticket!.receivedAt - 30_000 }, earlyData: EARLY }, server);
    expect(r.client.session?.resumed).toBe(true);
    await expectRejectedAndResent(r);
  });

  it('rejected 0-RTT data up to the 64 KiB the ticket allowed is skipped', async () => {
    const server = resumingServer({ maxEarlyDataSize: 65536, alpnProtocols: ['h2', 'http/1.1'] });
    const [ticket] = await ticketsFrom(server, { alpnProtocols: ['h2'] });
    const data = provider.random(65536);
    const r = await run({ alpnProtocols: ['http/1.1'], session: ticket, earlyData: data }, { ...server, alpnProtocols: ['http/1.1'] });
    await expectRejectedAndResent(r, data);
  });
});

// ---- negative --------------------------------------------------------------------------

/** The binder is the last field of a ClientHello carrying a PSK (pre_shared_key is last). */
function binderOf(rawHello: Uint8Array, length = 32): Uint8Array {
  return rawHello.slice(rawHello.length - length);
}

function withBinder(rawHello: Uint8Array, binder: Uint8Array): Uint8Array {
  const out = rawHello.slice();
  out.set(binder, out.length - binder.length);
  return out;
}

const firstClientHello = (replace: (raw: Uint8Array) => Uint8Array) => {
  let done = false;
  return onMessage('client', HandshakeType.client_hello, (raw) => {
    if (done) return undefined;
    done = true;
    return [replace(raw)];
  });
};

describe('negative: binders (decrypt_error from the server)', () => {
  it('a bit flipped in the binder', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const s = await scenario({
      client: { session: ticket },
      server,
      edits: [
        firstClientHello((raw) =>
          withBinder(
            raw,
            binderOf(raw).map((b, i) => (i === 7 ? b ^ 0x10 : b)),
          ),
        ),
      ],
    });
    expectAbort(s, 'server', 'decrypt_error', 'psk_binder_mismatch');
  });

  it('a bit flipped in the binder, with 0-RTT data behind the ClientHello', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const s = await scenario({
      client: { session: ticket, earlyData: EARLY },
      server,
      edits: [
        firstClientHello((raw) =>
          withBinder(
            raw,
            binderOf(raw).map((b, i) => (i === 0 ? b ^ 1 : b)),
          ),
        ),
      ],
    });
    expectAbort(s, 'server', 'decrypt_error', 'psk_binder_mismatch');
    expect(s.ends.server.received).toEqual([]);
  });

  it('a byte of the ClientHello before the binders changed after they were computed', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const s = await scenario({
      client: { session: ticket },
      server,
      // The last byte of ClientHello.random.
      edits: [firstClientHello((raw) => raw.map((b, i) => (i === 4 + 2 + 31 ? b ^ 0x80 : b)))],
    });
    expectAbort(s, 'server', 'decrypt_error', 'psk_binder_mismatch');
  });

  it('the obfuscated ticket age changed after the binder was computed', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const s = await scenario({
      client: { session: ticket },
      server,
      // pre_shared_key ends with: identity, u32 age, u16 binders length, u8 binder length, binder.
      edits: [firstClientHello((raw) => raw.map((b, i) => (i === raw.length - 32 - 1 - 2 - 1 ? b ^ 1 : b)))],
    });
    expectAbort(s, 'server', 'decrypt_error', 'psk_binder_mismatch');
  });

  it('a valid binder of another ClientHello with the same ticket', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const other = binderOf(await realClientHello({ session: ticket }));
    const s = await scenario({ client: { session: ticket }, server, edits: [firstClientHello((raw) => withBinder(raw, other))] });
    expectAbort(s, 'server', 'decrypt_error', 'psk_binder_mismatch');
  });

  it('after HelloRetryRequest, the second ClientHello carrying the first one’s binder', async () => {
    const server = resumingServer({ groups: [NamedGroup.secp384r1] });
    const [ticket] = await ticketsFrom(server, { groups: [NamedGroup.secp384r1] });
    let first: Uint8Array | undefined;
    const s = await scenario({
      client: { session: ticket, groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] },
      server,
      edits: [
        onMessage('client', HandshakeType.client_hello, (raw) => {
          if (!first) {
            first = binderOf(raw);
            return undefined;
          }
          return [withBinder(raw, first)];
        }),
      ],
    });
    expectAbort(s, 'server', 'decrypt_error', 'psk_binder_mismatch');
  });
});

describe('negative: tickets the server cannot use → a full handshake, never an error', () => {
  async function expectFullHandshake(client: Partial<ClientConfig>, server: Partial<ServerConfig>): Promise<Run> {
    const r = await run(client, server);
    noErrors(r);
    expect(offeredPsk(clientHellos(r)[0]!), 'the client offered the ticket').toBeDefined();
    for (const s of [r.client.session, r.server.session]) expect(s?.resumed).toBe(false);
    expect(r.client.session?.authorized).toBe(true);
    expectFullFlight(r);
    return r;
  }

  it('a tampered ticket (one byte flipped)', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const tampered = ticket!.ticket.slice();
    tampered[tampered.length - 5]! ^= 0x01;
    await expectFullHandshake({ session: { ...ticket!, ticket: tampered } }, server);
  });

  it('a tampered ticket with 0-RTT data: rejected and skipped', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const tampered = ticket!.ticket.slice();
    tampered[20]! ^= 0x40;
    const r = await expectFullHandshake({ session: { ...ticket!, ticket: tampered }, earlyData: EARLY }, server);
    await expectRejectedAndResent(r);
  });

  it('an unknown ticket (random bytes)', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    await expectFullHandshake({ session: { ...ticket!, ticket: provider.random(100) } }, server);
  });

  it('an expired ticket (the server clock past the lifetime)', async () => {
    const server = resumingServer({ ticketLifetime: 60 });
    const [ticket] = await ticketsFrom(server);
    await expectFullHandshake({ session: ticket }, { ...server, now: () => Date.now() + 61_000 });
    // Within the lifetime, the same ticket resumes.
    const r = await run({ session: ticket }, { ...server, now: () => Date.now() + 50_000 });
    expect(r.server.session?.resumed).toBe(true);
  });

  it('a ticket issued "in the future" (the server clock went back)', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    await expectFullHandshake({ session: ticket }, { ...server, now: () => Date.now() - 3_600_000 });
  });

  it('a PSK whose hash is not that of the suite the server chooses', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server, { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] });
    const r = await expectFullHandshake(
      { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256], session: ticket, earlyData: EARLY },
      { ...server, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] },
    );
    expect(r.client.session?.cipherSuite).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    await expectRejectedAndResent(r);
  });

  it('a ticket issued for another server name', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    // The client is told the ticket is for other.example; the sealed state says localhost.
    await expectFullHandshake({ serverName: 'other.example', session: { ...ticket!, serverName: 'other.example' } }, server);
  });

  it('a ticket from a store whose key has rotated out', async () => {
    let clock = Date.now();
    const store = new StatelessTicketStore(provider, { rotationSeconds: 60, now: () => clock });
    const server = resumingServer({ ticketStore: store });
    const [ticket] = await ticketsFrom(server);
    clock += 121_000;
    await expectFullHandshake({ session: ticket }, server);
  });
});

/**
 * A client that sent 0-RTT data and then rejects the server's EncryptedExtensions aborts under
 * its early keys, its current write keys (RFC 8446 §6). A server that did not take the early
 * data cannot read that alert: it skips it as rejected 0-RTT (§4.2.10) and learns of the abort
 * only from the transport. So: the client fails with `alert` and sent it (the man in the middle
 * reads it under the early keys), and the server fails when the transport closes.
 */
async function expectClientAbortUnderEarlyKeys(options: Parameters<typeof scenario>[0], alert: 'illegal_parameter', reason: ProtocolReason): Promise<void> {
  const mitm = new Mitm(provider).use(...(options?.edits ?? []));
  const client = new ClientConnection(clientConfig({ onSecret: mitm.observeFrom('client'), ...options?.client }));
  const server = new ServerConnection(await serverConfig({ onSecret: mitm.observeFrom('server'), ...options?.server }));
  const ends = pipe(client, server, { tamper: mitm.tamper });
  client.start();
  await until(() => client.error !== undefined, 'the client to fail');
  await drain(client, server);
  expect({ code: client.error!.code, alert: client.error!.alert, reason: client.error!.reason }, client.error!.message).toEqual({ code: 'PROTOCOL_ERROR', alert, reason });
  expect(ends.client.errors).toHaveLength(1);
  expect(mitm.alertsFrom('client')).toEqual([AlertDescription[alert]]);
  expect(mitm.recordsFrom('client').at(-1)).toBe(ContentType.alert);
  expect(server.error, 'the server skipped the alert as 0-RTT data').toBeUndefined();
  expect(ends.server.received).toEqual([]);
  server.transportClosed();
  await drain(server);
  expect(server.error?.code).toBe('CONNECTION_CLOSED');
  expect(mitm.alertsFrom('server')).toEqual([]);
}

describe('negative: 0-RTT and PSK protocol violations', () => {
  it('server: more 0-RTT data than max_early_data_size → unexpected_message', async () => {
    const server = resumingServer({ maxEarlyDataSize: 100 });
    const [ticket] = await ticketsFrom(server);
    // The client is made to believe it may send 5000 bytes; the server allowed 100.
    const s = await scenario({ client: { session: { ...ticket!, maxEarlyDataSize: 5000 }, earlyData: provider.random(1000) }, server });
    expectAbort(s, 'server', 'unexpected_message', 'too_much_early_data');
    expect(s.ends.server.received).toEqual([]);
  });

  it('server: 0-RTT data over the limit across records → unexpected_message', async () => {
    const server = resumingServer({ maxEarlyDataSize: 100 });
    const [ticket] = await ticketsFrom(server);
    // Split the client's one early record into records of 60 bytes: the second crosses the limit.
    const s = await scenario({
      client: { session: { ...ticket!, maxEarlyDataSize: 5000 }, earlyData: provider.random(180) },
      server,
      edits: [
        onRecord('client', ContentType.application_data, (r) =>
          r.epoch === 'early' ? [0, 60, 120].map((at) => ({ type: ContentType.application_data, content: r.content.slice(at, at + 60) })) : undefined,
        ),
      ],
    });
    expectAbort(s, 'server', 'unexpected_message', 'too_much_early_data');
    expect(joined(s.ends.server.received).length).toBe(60);
  });

  it('client: ServerHello selecting identity 1 when one was offered → illegal_parameter', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const s = await scenario({
      client: { session: ticket },
      server,
      edits: [
        mutate('server', HandshakeType.server_hello, (sh) => {
          const psk = sh.extensions.find((e) => e.type === ExtensionType.pre_shared_key);
          if (!psk) return false;
          psk.data = ext.buildPreSharedKeyServerHello(1);
        }),
      ],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_psk_identity');
  });

  it('client: ServerHello accepting the PSK with a suite of another hash → illegal_parameter', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server, { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
    const s = await scenario({
      client: { session: ticket, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384] },
      server,
      edits: [mutate('server', HandshakeType.server_hello, (sh) => void (sh.cipherSuite = CipherSuite.TLS_AES_256_GCM_SHA384))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'psk_hash_mismatch');
  });

  it('client: ServerHello with pre_shared_key after a HelloRetryRequest whose suite dropped the PSK → unsupported_extension', async () => {
    // The ticket is SHA-384; the HelloRetryRequest chooses a SHA-256 suite, so the second
    // ClientHello carries no PSK (RFC 8446 §4.1.4) and a PSK in the ServerHello was never offered.
    const server = resumingServer({ groups: [NamedGroup.secp384r1] });
    const [ticket] = await ticketsFrom(server, { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384], groups: [NamedGroup.secp384r1] });
    const s = await scenario({
      client: {
        session: ticket,
        cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256],
        groups: [NamedGroup.x25519, NamedGroup.secp384r1],
        keyShareGroups: [NamedGroup.x25519],
      },
      server: { ...server, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] },
      edits: [
        mutate('server', HandshakeType.server_hello, (sh) => {
          if (isHelloRetryRequest(sh)) return false;
          sh.extensions.unshift({ type: ExtensionType.pre_shared_key, data: ext.buildPreSharedKeyServerHello(0) });
        }),
      ],
    });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('client: early_data in EncryptedExtensions of a resumption without 0-RTT → unsupported_extension', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const s = await scenario({
      client: { session: ticket },
      server: { ...server, customizeEncryptedExtensions: (ee) => void ee.extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) }) },
    });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('client: early_data in EncryptedExtensions of a full handshake → unsupported_extension', async () => {
    const s = await scenario({
      server: { customizeEncryptedExtensions: (ee) => void ee.extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) }) },
    });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('client: early_data accepted in EncryptedExtensions although the server did not select the PSK → illegal_parameter', async () => {
    // RFC 8446 §4.2.10: early data can only be accepted with the first offered PSK.
    const [ticket] = await ticketsFrom(resumingServer());
    await expectClientAbortUnderEarlyKeys(
      {
        client: { session: ticket, earlyData: EARLY },
        server: {
          ...resumingServer(),
          customizeEncryptedExtensions: (ee) => void ee.extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) }),
        },
      },
      'illegal_parameter',
      'early_data_without_psk',
    );
  });

  it('client: early_data accepted with another ALPN protocol than the ticket’s → illegal_parameter', async () => {
    const server = resumingServer({ alpnProtocols: ['h2', 'http/1.1'] });
    const [ticket] = await ticketsFrom(server, { alpnProtocols: ['h2'] });
    await expectClientAbortUnderEarlyKeys(
      {
        client: { alpnProtocols: ['http/1.1', 'h2'], session: ticket, earlyData: EARLY },
        server: {
          ...server,
          alpnProtocols: ['http/1.1'],
          customizeEncryptedExtensions: (ee) => void ee.extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) }),
        },
      },
      'illegal_parameter',
      'early_data_parameters_mismatch',
    );
  });

  it('client: early_data accepted with another suite (same hash) than the ticket’s → illegal_parameter', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server, { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
    await expectClientAbortUnderEarlyKeys(
      {
        client: { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256], session: ticket, earlyData: EARLY },
        server: {
          ...server,
          cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
          customizeEncryptedExtensions: (ee) => void ee.extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) }),
        },
      },
      'illegal_parameter',
      'early_data_parameters_mismatch',
    );
  });

  it('server: rejected 0-RTT data beyond what it would skip (max_early_data_size) → unexpected_message', async () => {
    const server = resumingServer({ maxEarlyDataSize: 100, alpnProtocols: ['h2', 'http/1.1'] });
    const [ticket] = await ticketsFrom(server, { alpnProtocols: ['h2'] });
    // The ALPN differs, so the server rejects; the client believes it may send 40 000 bytes.
    const s = await scenario({
      client: { alpnProtocols: ['http/1.1'], session: { ...ticket!, maxEarlyDataSize: 40_000 }, earlyData: provider.random(40_000) },
      server: { ...server, alpnProtocols: ['http/1.1'] },
    });
    expectAbort(s, 'server', 'unexpected_message', 'too_much_early_data');
    expect(s.ends.server.received).toEqual([]);
  });

  it('server: the client skips EndOfEarlyData after accepted 0-RTT → its Finished does not open under the early keys (bad_record_mac)', async () => {
    const server = resumingServer();
    const [ticket] = await ticketsFrom(server);
    const s = await scenario({
      client: { session: ticket, earlyData: EARLY },
      server,
      edits: [onRecord('client', ContentType.handshake, (r) => (r.epoch === 'early' ? [] : undefined))],
    });
    expectAbort(s, 'server', 'bad_record_mac', 'record_decrypt_failed');
  });
});

describe('negative: a replayed 0-RTT ClientHello', () => {
  /** The client's first flight (ClientHello, change_cipher_spec, 0-RTT records) and a server it completed with. */
  async function originalFlight(server: Partial<ServerConfig>): Promise<Uint8Array> {
    const [ticket] = await ticketsFrom(server);
    const client = new ClientConnection(clientConfig({ session: ticket, earlyData: EARLY }));
    const original = new ServerConnection(await serverConfig(server));
    const ends = pipe(client, original);
    client.start();
    // The first flight is out once start()'s key generation is (at once, or after WebCrypto's).
    await client.idle();
    const flight = joined(ends.client.wire);
    await until(() => client.session !== undefined && original.session !== undefined, 'the original handshake');
    expect(original.session?.earlyData).toBe('accepted');
    expect(joined(ends.server.received)).toEqual(EARLY);
    return flight;
  }

  /** Feeds `flight` to a fresh server connection, as an attacker replaying it would. */
  async function replay(server: Partial<ServerConfig>, flight: Uint8Array) {
    const connection = new ServerConnection(await serverConfig(server));
    const received: Uint8Array[] = [];
    const sent: { type: number; raw: Uint8Array }[] = [];
    connection.on('data', (d) => received.push(d.slice()));
    connection.on('trace', (e) => {
      if (e.kind === 'message' && e.direction === 'sent') sent.push({ type: e.message.type, raw: e.raw });
    });
    connection.receive(flight);
    await until(() => sent.some((m) => m.type === HandshakeType.finished) || connection.error !== undefined, 'the replayed server flight');
    await drain(connection);
    const ee = sent.find((m) => m.type === HandshakeType.encrypted_extensions)!;
    const extensions = (decodeHandshake(ee.raw[0]!, ee.raw.subarray(4)) as EncryptedExtensions).extensions.map((e) => e.type);
    return { connection, received, extensions };
  }

  it('to a second server connection sharing the ticket store and anti-replay record: early data rejected, not delivered twice', async () => {
    const server = resumingServer();
    const flight = await originalFlight(server);
    const replayed = await replay(server, flight);
    expect(replayed.connection.error).toBeUndefined();
    expect(replayed.extensions).not.toContain(ExtensionType.early_data);
    expect(replayed.received).toEqual([]);
    // The attacker has no keys: the handshake never completes.
    expect(replayed.connection.state).toBe('handshaking');
  });

  it('(control) to a server with its own anti-replay record, the replay would be delivered again', async () => {
    const server = resumingServer();
    const flight = await originalFlight(server);
    const replayed = await replay({ ...server, antiReplay: new AntiReplay() }, flight);
    expect(replayed.extensions).toContain(ExtensionType.early_data);
    expect(joined(replayed.received)).toEqual(EARLY);
  });
});

// ---- ticket store and anti-replay ------------------------------------------------------

function state(extra: Partial<ResumptionState> = {}): ResumptionState {
  return {
    psk: provider.random(32),
    cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
    issuedAt: 1_700_000_000_123,
    lifetime: 7200,
    ageAdd: 0xdeadbeef,
    maxEarlyDataSize: 16384,
    alpnProtocol: 'h2',
    serverName: 'localhost',
    clientCertificates: [Uint8Array.of(1, 2, 3)],
    ...extra,
  };
}

describe('StatelessTicketStore', () => {
  it('opens what it sealed, exactly', () => {
    const store = new StatelessTicketStore(provider);
    for (const s of [state(), state({ alpnProtocol: undefined, serverName: undefined, clientCertificates: [], psk: provider.random(48) })]) {
      expect(store.open(store.seal(s))).toEqual(s);
    }
  });

  it('seals the same state to different tickets (fresh nonce), which say nothing in the clear', () => {
    const store = new StatelessTicketStore(provider);
    const s = state();
    const [a, b] = [store.seal(s), store.seal(s)];
    expect(a).not.toEqual(b);
    const hex = (x: Uint8Array) => Buffer.from(x).toString('hex');
    expect(hex(a)).not.toContain(hex(s.psk));
    expect(Buffer.from(a).toString('latin1')).not.toContain('localhost');
  });

  it('tickets cannot be forged: any bit of any byte flipped, cut or extended → undefined', () => {
    const store = new StatelessTicketStore(provider);
    const ticket = store.seal(state());
    for (let i = 0; i < ticket.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const forged = ticket.slice();
        forged[i]! ^= bit;
        expect(store.open(forged), `byte ${i} ^ ${bit}`).toBeUndefined();
      }
    }
    expect(store.open(ticket.subarray(0, ticket.length - 1))).toBeUndefined();
    expect(store.open(concatBytes(ticket, Uint8Array.of(0)))).toBeUndefined();
    expect(store.open(new Uint8Array(0))).toBeUndefined();
    expect(store.open(ticket)).toBeDefined();
  });

  it("another store's tickets do not open", () => {
    const a = new StatelessTicketStore(provider);
    const b = new StatelessTicketStore(provider);
    expect(b.open(a.seal(state()))).toBeUndefined();
  });

  it('rotation: a key seals for one period and opens for one period more, then not', () => {
    let now = 1_000_000;
    const store = new StatelessTicketStore(provider, { rotationSeconds: 100, now: () => now });
    const old = store.seal(state());
    now += 99_000;
    expect(store.open(old), 'within its period').toBeDefined();
    now += 2_000; // 101 s: a new key seals, the old one still opens
    const fresh = store.seal(state());
    expect(fresh.subarray(1, 5)).not.toEqual(old.subarray(1, 5));
    expect(store.open(old), 'one period more').toBeDefined();
    expect(store.open(fresh)).toBeDefined();
    now += 100_000; // 201 s: the fresh key is rotated out of sealing, the old one is gone
    expect(store.open(old), 'two periods later').toBeUndefined();
    expect(store.open(fresh)).toBeDefined();
    now += 100_000;
    expect(store.open(fresh)).toBeUndefined();
  });

  it('rotation after an idle server: a key that sealed long ago does not open', () => {
    let now = 1_000_000;
    const store = new StatelessTicketStore(provider, { rotationSeconds: 100, now: () => now });
    const old = store.seal(state());
    // Nothing happens for five periods; the first call after that must not revive the old key.
    now += 500_000;
    expect(store.open(old)).toBeUndefined();
  });

  it('rotation: every ticket opens for at least one period after it was sealed, and at most two', () => {
    let now = 1_000_000;
    const store = new StatelessTicketStore(provider, { rotationSeconds: 100, now: () => now });
    now += 99_000; // late in the first key's period
    const ticket = store.seal(state());
    now += 99_000;
    expect(store.open(ticket)).toBeDefined();
    now += 2_000;
    expect(store.open(ticket)).toBeUndefined();
  });
});

describe('AntiReplay', () => {
  const binder = (n: number) => new Uint8Array(32).fill(n);

  it('admits a ClientHello once', () => {
    const record = new AntiReplay({ now: () => 10_000 });
    expect(record.admit(binder(1), 5_000, 5_000)).toBe(true);
    expect(record.admit(binder(1), 5_000, 5_000)).toBe(false);
    expect(record.admit(binder(2), 5_000, 5_000)).toBe(true);
  });

  it('refuses a ticket age outside the window either way', () => {
    const record = new AntiReplay({ windowMs: 1_000, now: () => 100_000 });
    // The server issued the ticket at 90 000: it is 10 s old.
    expect(record.admit(binder(1), 8_900, 90_000)).toBe(false);
    expect(record.admit(binder(2), 11_100, 90_000)).toBe(false);
    expect(record.admit(binder(3), 9_000, 90_000)).toBe(true);
    expect(record.admit(binder(4), 11_000, 90_000)).toBe(true);
  });

  it('refuses when full, and forgets entries after the window', () => {
    let now = 100_000;
    const record = new AntiReplay({ windowMs: 1_000, capacity: 2, now: () => now });
    expect(record.admit(binder(1), 0, now)).toBe(true);
    expect(record.admit(binder(2), 0, now)).toBe(true);
    expect(record.admit(binder(3), 0, now)).toBe(false);
    now += 2_001;
    expect(record.admit(binder(3), 0, now)).toBe(true);
  });
});
