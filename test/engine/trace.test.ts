import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, type Connection, ServerConnection } from '../../src/connection.js';
import type { SessionTicket, TraceEvent } from '../../src/handshake-context.js';
import * as ext from '../../src/messages/extensions.js';
import { ExtensionType, HandshakeType, NamedGroup, handshakeTypeName } from '../../src/registry.js';
import { AntiReplay } from '../../src/server/anti-replay.js';
import { StatelessTicketStore } from '../../src/server/tickets.js';
import { bytesToHex, utf8 } from '../../src/wire/bytes.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { pemChain, pkcs8, pkiPath } from '../helpers/fixtures.js';
import { Mitm, type RecordEdit, mutate } from '../helpers/mitm.js';
import { clientConfig, drain, provider, serverConfig, until } from '../helpers/negative.js';
import { pipe } from '../helpers/pipe.js';

/**
 * The trace records every handshake message as it arrives, once, before any state judges it
 * (DESIGN.md: "the trace records what arrived before it is judged, so a failure is always
 * explained"): a failed handshake's trace ends with the offending message, then the failure.
 */

interface Traced {
  direction: 'sent' | 'received';
  type: string;
  raw: string;
}

interface Recorded {
  messages: Traced[];
  /** Messages and the failure, as `--trace` would list them. */
  events: string[];
}

function recordTrace(connection: Connection): Recorded {
  const recorded: Recorded = { messages: [], events: [] };
  connection.on('trace', (event: TraceEvent) => {
    if (event.kind === 'message') {
      recorded.messages.push({ direction: event.direction, type: handshakeTypeName(event.message.type), raw: bytesToHex(event.raw) });
      recorded.events.push(`${event.direction} ${handshakeTypeName(event.message.type)}`);
    } else if (event.kind === 'undecodable') recorded.events.push(`undecodable ${handshakeTypeName(event.type)} ${event.raw.length}`);
    else if (event.kind === 'failed') recorded.events.push(`failed ${event.error.alert ?? event.error.code}`);
  });
  return recorded;
}

interface TracedRun {
  client: ClientConnection;
  server: ServerConnection;
  trace: { client: Recorded; server: Recorded };
}

/** A handshake with both traces listened to from the start, through a man in the middle making `edits`. */
async function traced(client: Partial<ClientConfig>, server: Partial<ServerConfig>, edits: RecordEdit[] = [], listen?: (c: ClientConnection) => void): Promise<TracedRun> {
  const mitm = new Mitm(provider).use(...edits);
  const c = new ClientConnection(clientConfig({ onSecret: mitm.observeFrom('client'), ...client }));
  const s = new ServerConnection(await serverConfig({ onSecret: mitm.observeFrom('server'), ...server }));
  const trace = { client: recordTrace(c), server: recordTrace(s) };
  listen?.(c);
  pipe(c, s, { tamper: mitm.tamper, maxChunk: 300 });
  c.start();
  await until(() => (c.error !== undefined || c.session !== undefined) && (s.error !== undefined || s.session !== undefined), 'both sides to settle');
  await drain(c, s);
  return { client: c, server: s, trace };
}

/** Each side received exactly what the other sent, message for message, each traced once. */
function expectEachReceivedOnce({ client, server }: { client: Recorded; server: Recorded }): void {
  const of = (r: Recorded, direction: Traced['direction']) => r.messages.filter((m) => m.direction === direction);
  const asReceived = (m: Traced): Traced => ({ ...m, direction: 'received' });
  expect(of(client, 'received').length).toBeGreaterThan(0);
  expect(of(client, 'received')).toEqual(of(server, 'sent').map(asReceived));
  expect(of(server, 'received')).toEqual(of(client, 'sent').map(asReceived));
}

function received(r: Recorded): string[] {
  return r.messages.filter((m) => m.direction === 'received').map((m) => m.type);
}

describe('a received handshake message is traced once, before it is checked', { timeout: 20_000 }, () => {
  it('client: a cookie in EncryptedExtensions → the trace shows the EncryptedExtensions received, then illegal_parameter', async () => {
    const cookieInEncryptedExtensions = mutate('server', HandshakeType.encrypted_extensions, (m) => {
      // RFC 8446 §4.2: cookie belongs in ClientHello and HelloRetryRequest only.
      m.extensions.push({ type: ExtensionType.cookie, data: ext.buildCookie(Uint8Array.of(1, 2, 3)) });
    });
    const r = await traced({}, {}, [cookieInEncryptedExtensions]);
    expect(r.client.error?.alert).toBe('illegal_parameter');
    expect(r.trace.client.events.slice(-3)).toEqual(['received server_hello', 'received encrypted_extensions', 'failed illegal_parameter']);
  });

  it('client: an EncryptedExtensions that does not decode (an extension twice) → its bytes are traced, then the failure', async () => {
    let length = 0;
    const twice = mutate('server', HandshakeType.encrypted_extensions, (m) => {
      // RFC 8446 §4.2: no extension type may appear twice in one block; the codec refuses it.
      m.extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) }, { type: ExtensionType.server_name, data: new Uint8Array(0) });
    });
    const r = await traced({}, {}, [twice], (c) =>
      c.on('trace', (event) => {
        if (event.kind === 'undecodable') length = event.raw.length;
      }),
    );
    expect(r.client.error).toMatchObject({ alert: 'illegal_parameter', reason: 'duplicate_extension' });
    expect(length).toBeGreaterThan(4);
    expect(r.trace.client.events.slice(-3)).toEqual(['received server_hello', `undecodable encrypted_extensions ${length}`, 'failed illegal_parameter']);
  });

  it('server: a ClientHello without supported_versions → the trace shows it received, then the failure', async () => {
    const noSupportedVersions = mutate('client', HandshakeType.client_hello, (m) => {
      m.extensions = m.extensions.filter((e) => e.type !== ExtensionType.supported_versions);
    });
    const r = await traced({}, {}, [noSupportedVersions]);
    expect(r.server.error).toBeDefined();
    expect(r.trace.server.events).toEqual(['received client_hello', `failed ${r.server.error!.alert}`]);
  });

  it('full handshake, application data and a KeyUpdate each way', async () => {
    const r = await traced({}, {});
    expect(r.client.error ?? r.server.error).toBeUndefined();
    r.client.updateKeys(true);
    r.client.write(utf8('after the update'));
    await drain(r.client, r.server);
    expect(r.client.error ?? r.server.error).toBeUndefined();
    expect(received(r.trace.server)).toEqual(['client_hello', 'finished', 'key_update']);
    expect(received(r.trace.client)).toEqual(['server_hello', 'encrypted_extensions', 'certificate', 'certificate_verify', 'finished', 'key_update']);
    expectEachReceivedOnce(r.trace);
  });

  it('HelloRetryRequest', async () => {
    const r = await traced({ groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] }, { groups: [NamedGroup.secp256r1] });
    expect(r.client.session?.helloRetry).toBe(true);
    expect(received(r.trace.server)).toEqual(['client_hello', 'client_hello', 'finished']);
    expect(received(r.trace.client)[0]).toBe('server_hello');
    expect(received(r.trace.client).filter((t) => t === 'server_hello')).toHaveLength(2);
    expectEachReceivedOnce(r.trace);
  });

  it('resumption with 0-RTT: tickets, EndOfEarlyData', async () => {
    const server = { ticketStore: new StatelessTicketStore(provider), antiReplay: new AntiReplay(), maxEarlyDataSize: 16384 };
    const tickets: SessionTicket[] = [];
    const first = await traced({}, server, [], (c) => c.on('session', (t) => tickets.push(t)));
    await until(() => tickets.length > 0, 'a ticket');
    expect(received(first.trace.client).filter((t) => t === 'new_session_ticket').length).toBeGreaterThan(0);
    expectEachReceivedOnce(first.trace);
    const r = await traced({ session: tickets[0]!, earlyData: utf8('early') }, server);
    expect(r.client.session).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(received(r.trace.server)).toEqual(['client_hello', 'end_of_early_data', 'finished']);
    expectEachReceivedOnce(r.trace);
  });

  it('mutual TLS, then post-handshake authentication', async () => {
    const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem')), 'root.pem');
    const certificate = { chain: pemChain('client-ecdsa-p256-chain.pem'), key: await provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem')) };
    const r = await traced({ certificate }, { clientAuth: 'require', verifier: new X509Verifier({ trustStore }) });
    expect(r.server.session?.authorized).toBe(true);
    expect(received(r.trace.server)).toEqual(['client_hello', 'certificate', 'certificate_verify', 'finished']);
    expectEachReceivedOnce(r.trace);

    const later = await traced({ certificate }, { verifier: new X509Verifier({ trustStore }) });
    let authenticated = false;
    later.server.on('authenticated', () => (authenticated = true));
    later.server.requestClientCertificate();
    await until(() => authenticated, 'post-handshake authentication');
    await drain(later.client, later.server);
    expect(received(later.trace.server)).toEqual(['client_hello', 'finished', 'certificate', 'certificate_verify', 'finished']);
    expect(received(later.trace.client)).toContain('certificate_request');
    expectEachReceivedOnce(later.trace);
  });
});
