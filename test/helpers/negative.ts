import { expect } from 'vitest';
import { ClientConnection, type Connection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { CryptoProvider, SigningKey } from '../../src/crypto/provider.js';
import { type ProtocolReason, type TLSError, type TLSErrorCode, isProtocolReason } from '../../src/errors.js';
import { AlertDescription, type AlertName, ContentType } from '../../src/registry.js';
import { pinnedLeafVerifier, serverChain, serverKey } from './fixtures.js';
import { Mitm, type RecordEdit, type Side, plaintextRecord } from './mitm.js';
import { type Endpoint, pipe } from './pipe.js';
import { testProvider } from './provider.js';

/**
 * Scenarios for the engine's negative tests: a real client and a real server joined by the
 * in-memory pipe with a man in the middle (see mitm.ts), and assertions that say which side
 * detected what, which alert crossed the wire, and that both ended closed.
 */

export const provider: CryptoProvider = testProvider();

/** Ed25519 keeps handshakes cheap; the key types have their own positive tests. */
const CHAIN = serverChain('ed25519');
let signingKey: Promise<SigningKey> | undefined;

export async function serverConfig(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  signingKey ??= provider.importSigningKey(serverKey('ed25519'));
  return { provider, certificates: [{ chain: CHAIN, key: await signingKey }], ...extra };
}

export function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { provider, serverName: 'localhost', verifier: pinnedLeafVerifier(CHAIN[0]!), ...extra };
}

export interface Scenario {
  client: ClientConnection;
  server: ServerConnection;
  ends: { client: Endpoint; server: Endpoint };
  mitm: Mitm;
}

export interface ScenarioOptions {
  client?: Partial<ClientConfig>;
  server?: Partial<ServerConfig>;
  /** Edits the man in the middle applies, first match wins. */
  edits?: RecordEdit[];
  /** Largest chunk the pipe delivers at once (default: whole records). */
  maxChunk?: number;
}

/**
 * Starts a handshake between a real client and a real server through the man in the middle,
 * and waits until each side has either finished its handshake or failed.
 */
export async function scenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const mitm = new Mitm(provider).use(...(options.edits ?? []));
  const client = new ClientConnection(clientConfig({ onSecret: mitm.observeFrom('client'), ...options.client }));
  const server = new ServerConnection(await serverConfig({ onSecret: mitm.observeFrom('server'), ...options.server }));
  const ends = pipe(client, server, { tamper: mitm.tamper, ...(options.maxChunk ? { maxChunk: options.maxChunk } : {}) });
  client.start();
  const s = { client, server, ends, mitm };
  await until(() => settledSide(client) && settledSide(server), 'both sides to finish or fail the handshake');
  await drain(client, server);
  return s;
}

/** On an established scenario, does `action` and waits until both sides have failed. */
export async function afterHandshake(s: Scenario, action: () => void): Promise<void> {
  expect(s.client.error ?? s.server.error, 'the handshake itself succeeds').toBeUndefined();
  expect(s.client.session && s.server.session, 'both sides completed the handshake').toBeTruthy();
  action();
  await until(() => s.client.error !== undefined && s.server.error !== undefined, 'both sides to fail');
  await drain(s.client, s.server);
}

function settledSide(connection: Connection): boolean {
  return connection.error !== undefined || connection.session !== undefined;
}

/**
 * Polls `condition` across macrotask turns; a condition still false after `timeoutMs` fails
 * the test with `what` rather than letting it hang.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Lets in-flight bytes (an alert on its way, an answer to it) arrive and be processed. */
export async function drain(...connections: Connection[]): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    await Promise.all(connections.map((c) => c.idle()));
  }
}

function other(side: Side): Side {
  return side === 'client' ? 'server' : 'client';
}

/** The failure `side` reported: exactly one error event, the same error as `connection.error`. */
function soleError(s: Scenario, side: Side): TLSError {
  const connection = s[side];
  expect(connection.state, `${side} state`).toBe('closed');
  expect(s.ends[side].errors, `${side} error events`).toHaveLength(1);
  expect(s.ends[side].errors[0]).toBe(connection.error);
  return connection.error!;
}

/**
 * What a detector's error must say: a protocol error is named by its rule (the reason, which
 * implies PROTOCOL_ERROR), any other failure by its code; so a test passes only when the rule
 * it is about fired, not another one sending the same alert.
 */
function expected(codeOrReason: Exclude<TLSErrorCode, 'PROTOCOL_ERROR'> | ProtocolReason): { code: TLSErrorCode; reason?: ProtocolReason } {
  return isProtocolReason(codeOrReason) ? { code: 'PROTOCOL_ERROR', reason: codeOrReason } : { code: codeOrReason };
}

/**
 * `detector` found the violation: it failed with `code` (PROTOCOL_ERROR unless a certificate
 * check failed) naming `alert` — and, when the last argument is a reason rather than a code,
 * PROTOCOL_ERROR for exactly that rule — and sent that alert as its last record; the peer
 * failed with ALERT_RECEIVED naming the same alert and sent no alert back. Both are closed,
 * each with exactly one error event.
 */
export function expectAbort(s: Scenario, detector: Side, alert: AlertName, codeOrReason: Exclude<TLSErrorCode, 'PROTOCOL_ERROR'> | ProtocolReason): void {
  const peer = other(detector);
  const detected = soleError(s, detector);
  const { code, reason } = expected(codeOrReason);
  expect({ code: detected.code, alert: detected.alert }, `${detector} error: ${detected.message}`).toEqual({ code, alert });
  if (reason !== undefined) expect(detected.reason, `${detector} error: ${detected.message}`).toBe(reason);
  const received = soleError(s, peer);
  expect({ code: received.code, alert: received.alert }, `${peer} error: ${received.message}`).toEqual({ code: 'ALERT_RECEIVED', alert });
  expect(s.mitm.alertsFrom(detector), `alerts sent by the ${detector}`).toEqual([AlertDescription[alert]]);
  expect(s.mitm.recordsFrom(detector).at(-1), `the ${detector}'s alert is its last record`).toBe(ContentType.alert);
  expect(s.mitm.alertsFrom(peer), `alerts sent by the ${peer}`).toEqual([]);
}

/** A connection driven by hand: every record it sends and every error it reports. */
export interface Probe<C extends Connection> {
  connection: C;
  sent: Uint8Array[];
  errors: TLSError[];
}

export function probe<C extends Connection>(connection: C): Probe<C> {
  const p: Probe<C> = { connection, sent: [], errors: [] };
  connection.on('send', (bytes) => p.sent.push(bytes.slice()));
  connection.on('error', (error) => p.errors.push(error));
  return p;
}

/** A server fed by hand, with a probe on it. */
export async function loneServer(extra: Partial<ServerConfig> = {}): Promise<Probe<ServerConnection>> {
  return probe(new ServerConnection(await serverConfig(extra)));
}

/**
 * A started client fed by hand; `sent[0]` holds its ClientHello record. Resolves once the
 * ClientHello is out, which with an asynchronous key exchange (WebCrypto) is after start().
 */
export async function loneClient(extra: Partial<ClientConfig> = {}): Promise<Probe<ClientConnection>> {
  const p = probe(new ClientConnection(clientConfig(extra)));
  p.connection.start();
  await p.connection.idle();
  return p;
}

/** The ClientHello message (handshake header included) a real client with `extra` sends. */
export async function realClientHello(extra: Partial<ClientConfig> = {}): Promise<Uint8Array> {
  const p = await loneClient(extra);
  return p.sent[0]!.slice(5);
}

/** Feeds `bytes` and waits until the connection has processed them. */
export async function feed(p: Probe<Connection>, ...records: Uint8Array[]): Promise<void> {
  for (const bytes of records) p.connection.receive(bytes);
  await drain(p.connection);
}

/** A plaintext alert record as the engine sends it before it has keys. */
export function plaintextAlert(alert: AlertName): Uint8Array {
  const level = alert === 'close_notify' || alert === 'user_canceled' ? 1 : 2;
  return plaintextRecord(ContentType.alert, Uint8Array.of(level, AlertDescription[alert]));
}

/**
 * A connection driven by hand, before it had keys, failed on its own: PROTOCOL_ERROR naming
 * `alert` (and the rule `reason`, when given), one error event, closed, and that alert in the
 * clear as its last record.
 */
export function expectLoneAbort(p: Probe<Connection>, alert: AlertName, reason: ProtocolReason): void {
  const error = p.connection.error;
  expect(error, 'the connection failed').toBeDefined();
  expect({ code: error!.code, alert: error!.alert }, error!.message).toEqual({ code: 'PROTOCOL_ERROR', alert });
  expect(error!.reason, error!.message).toBe(reason);
  expect(p.errors).toEqual([error]);
  expect(p.connection.state).toBe('closed');
  expect(p.sent.at(-1)).toEqual(plaintextAlert(alert));
}
