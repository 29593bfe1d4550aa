import { readFileSync } from 'node:fs';
import type { Server as NetServer } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import type { TLSError } from '../../src/errors.js';
import type { SessionInfo, TraceEvent } from '../../src/handshake-context.js';
import { HandshakeType, PskKeyExchangeMode } from '../../src/registry.js';
import { connect } from '../../src/node/connect.js';
import type { PeerCertificate } from '../../src/node/peer-certificate.js';
import { type ServerOptions, createServer } from '../../src/node/server.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { pkiPath } from '../helpers/fixtures.js';
import { ROOT_PEM, closeServer, listen, readUntil, serverPem, waitError, waitEvent } from './support.js';

/**
 * Resumption, 0-RTT and mutual TLS through the Node API, each side against node:tls: the
 * `session` event and option, createServer's tickets and maxEarlyDataSize, requestCert/ca
 * with rejectUnauthorized, and connect()'s cert/key.
 */

const TIMEOUT = 15_000;
const CLIENT = { cert: readFileSync(pkiPath('client-ecdsa-p256-chain.pem')), key: readFileSync(pkiPath('client-ecdsa-p256-key.pem')) };
const servers: NetServer[] = [];
const sockets: { destroy(): void }[] = [];
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map(closeServer));
});

async function nodeServer(options: tls.TlsOptions, onSecure: (socket: tls.TLSSocket) => void = () => undefined): Promise<{ port: number; next: () => Promise<tls.TLSSocket> }> {
  const server = tls.createServer({ ...serverPem('ecdsa-p256'), ...options }, (socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    onSecure(socket);
  });
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  const port = await listen(server);
  return { port, next: () => waitEvent<[tls.TLSSocket]>(server, 'secureConnection').then(([s]) => s) };
}

async function wiretlsServer(options: ServerOptions): Promise<{ server: ReturnType<typeof createServer>; port: number; next: () => Promise<TLSSocket> }> {
  const server = createServer({ ...serverPem('ecdsa-p256'), ...options }, (socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
  });
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  const port = await listen(server);
  return { server, port, next: () => waitEvent<[TLSSocket]>(server, 'secureConnection').then(([s]) => s) };
}

function wiretls(port: number, extra: Record<string, unknown> = {}): TLSSocket {
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ...extra });
  sockets.push(socket);
  return socket;
}

function nodeClient(port: number, extra: tls.ConnectionOptions = {}): tls.TLSSocket {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ...extra });
  socket.on('error', () => undefined);
  sockets.push(socket);
  return socket;
}

describe('resumption', () => {
  it(
    "connect() resumes with node:tls's ticket (the 'session' event, then the session option)",
    async () => {
      const { port, next } = await nodeServer({});
      const first = wiretls(port);
      const [session] = await waitEvent<[Buffer]>(first, 'session');
      expect(first.isSessionReused()).toBe(false);
      first.end();
      const accepted = next();
      const second = wiretls(port, { session });
      await waitEvent(second, 'secureConnect');
      expect(second.isSessionReused()).toBe(true);
      expect(second.getSessionInfo()!.resumed).toBe(true);
      // The resumed session inherits the first one's verified server.
      expect(second.authorized).toBe(true);
      expect((await accepted).isSessionReused()).toBe(true);
      second.end();
    },
    TIMEOUT,
  );

  it(
    "createServer's tickets resume node:tls clients; tickets: 0 issues none",
    async () => {
      const { port, next } = await wiretlsServer({});
      const first = nodeClient(port);
      const [session] = await waitEvent<[Buffer]>(first, 'session');
      first.end();
      const accepted = next();
      const second = nodeClient(port, { session });
      await waitEvent(second, 'secureConnect');
      expect(second.isSessionReused()).toBe(true);
      expect((await accepted).isSessionReused()).toBe(true);
      second.end();

      const none = await wiretlsServer({ tickets: 0 });
      const client = nodeClient(none.port);
      let sessions = 0;
      client.on('session', () => sessions++);
      await waitEvent(client, 'secureConnect');
      client.write('x');
      await waitEvent(client, 'data');
      expect(sessions).toBe(0);
      client.end();
    },
    TIMEOUT,
  );

  it(
    'connect() with earlyData ↔ createServer({ maxEarlyDataSize }): 0-RTT accepted, delivered first',
    async () => {
      const { port, next } = await wiretlsServer({ maxEarlyDataSize: 16_384 });
      const first = wiretls(port);
      const [session] = await waitEvent<[Buffer]>(first, 'session');
      first.end();
      const accepted = next();
      const second = wiretls(port, { session, earlyData: Buffer.from('sent in 0-RTT; ') });
      await waitEvent(second, 'secureConnect');
      expect(second.getSessionInfo()!.earlyData).toBe('accepted');
      second.write('sent after');
      const serverSide = await accepted;
      expect(serverSide.isSessionReused()).toBe(true);
      const echoed = await readUntil(second, (text) => text.length >= 'sent in 0-RTT; sent after'.length);
      expect(echoed).toBe('sent in 0-RTT; sent after');
      second.end();

      // A server that takes no early data: the session resumes, the 0-RTT data is rejected.
      const strict = await wiretlsServer({});
      const one = wiretls(strict.port);
      const [strictSession] = await waitEvent<[Buffer]>(one, 'session');
      one.end();
      const two = wiretls(strict.port, { session: strictSession, earlyData: Buffer.from('maybe') });
      await waitEvent(two, 'secureConnect');
      // Its tickets allow no early data, so none is offered (the data stays the caller's to send).
      expect(two.getSessionInfo()).toMatchObject({ resumed: true, earlyData: 'not_offered' });
      two.end();
    },
    TIMEOUT,
  );
});

describe('RFC 8446 limits through the Node API', () => {
  it(
    'pskKeyExchangeModes [psk_ke] on both sides: connect() resumes from createServer without a key exchange',
    async () => {
      const modes = { pskKeyExchangeModes: [PskKeyExchangeMode.psk_ke] };
      const { port, next } = await wiretlsServer(modes);
      const first = wiretls(port, modes);
      const [session] = await waitEvent<[Buffer]>(first, 'session');
      first.end();
      const accepted = next();
      const second = wiretls(port, { ...modes, session });
      await waitEvent(second, 'secureConnect');
      expect(second.getSessionInfo()).toMatchObject({ resumed: true, group: undefined });
      expect((await accepted).getSessionInfo()).toMatchObject({ resumed: true, group: undefined });
      second.write('over psk_ke');
      expect(await readUntil(second, (text) => text === 'over psk_ke')).toBe('over psk_ke');
      second.end();
    },
    TIMEOUT,
  );

  it(
    'keyUpdateAfterRecords: a 1 MiB echo across automatic KeyUpdates, against createServer (which updates too) and node:tls',
    async () => {
      let payload = '';
      for (let i = 0; payload.length < 1 << 20; i++) payload += `${i.toString(36)} `;
      const ours = await wiretlsServer({ keyUpdateAfterRecords: 5 });
      const theirs = await nodeServer({});
      for (const port of [ours.port, theirs.port]) {
        let updates = 0;
        const socket = wiretls(port, {
          keyUpdateAfterRecords: 3,
          onTrace: (e: TraceEvent) => {
            if (e.kind === 'message' && e.direction === 'sent' && e.message.type === HandshakeType.key_update) updates++;
          },
        });
        await waitEvent(socket, 'secureConnect');
        socket.write(payload);
        expect(await readUntil(socket, (text) => text.length >= payload.length)).toBe(payload);
        // 1 MiB is at least 64 full records: a new key every three.
        expect(updates).toBeGreaterThanOrEqual(21);
        socket.end();
      }
    },
    TIMEOUT,
  );
});

describe('mutual TLS', () => {
  it(
    'createServer({ requestCert, ca }): a node:tls client with a certificate is authorized and seen',
    async () => {
      const { port, next } = await wiretlsServer({ requestCert: true, ca: ROOT_PEM });
      const accepted = next();
      const client = nodeClient(port, CLIENT);
      await waitEvent(client, 'secureConnect');
      const socket = await accepted;
      expect(socket.authorized).toBe(true);
      expect(socket.authorizationError).toBeUndefined();
      expect((socket.getPeerCertificate() as PeerCertificate).subject.CN).toBe('wiretls test client (ECDSA P-256)');
      client.end();
    },
    TIMEOUT,
  );

  it(
    'requestCert refuses a client without a certificate (certificate_required), unless rejectUnauthorized: false',
    async () => {
      const { server, port } = await wiretlsServer({ requestCert: true, ca: ROOT_PEM });
      const refused = waitEvent<[TLSError]>(server, 'tlsClientError');
      const client = nodeClient(port);
      const clientError = waitError(client);
      const [error] = await refused;
      expect({ alert: error.alert, reason: error.reason }).toEqual({ alert: 'certificate_required', reason: 'client_certificate_missing' });
      expect((await clientError).message).toMatch(/certificate required/i);

      const lenient = await wiretlsServer({ requestCert: true, ca: ROOT_PEM, rejectUnauthorized: false });
      const accepted = lenient.next();
      const anonymous = nodeClient(lenient.port);
      await waitEvent(anonymous, 'secureConnect');
      const socket = await accepted;
      expect(socket.authorized).toBe(false);
      expect(socket.getPeerCertificate()).toEqual({});
      anonymous.end();
    },
    TIMEOUT,
  );

  it(
    "connect() with cert/key: node:tls's server (requestCert, ca) authorizes it",
    async () => {
      const { port, next } = await nodeServer({ requestCert: true, rejectUnauthorized: true, ca: ROOT_PEM });
      const accepted = next();
      const client = wiretls(port, CLIENT);
      await waitEvent(client, 'secureConnect');
      const socket = await accepted;
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerCertificate().subject.CN).toBe('wiretls test client (ECDSA P-256)');
      client.end();
    },
    TIMEOUT,
  );
});

describe('post-handshake authentication (TLSSocket.requestClientCertificate)', () => {
  const CLIENT_CN = 'wiretls test client (ECDSA P-256)';

  /** A wiretls client (with `extra` options) connected to a wiretls server that may ask for certificates. */
  async function established(extra: Record<string, unknown>): Promise<{ client: TLSSocket; socket: TLSSocket }> {
    const { port, next } = await wiretlsServer({ requestCert: true, rejectUnauthorized: false, ca: ROOT_PEM });
    const accepted = next();
    const client = wiretls(port, extra);
    await waitEvent(client, 'secureConnect');
    return { client, socket: await accepted };
  }

  it(
    "asks again after the handshake: resolves and emits 'authenticated' with the client's certificate, data flows on",
    async () => {
      const { client, socket } = await established(CLIENT);
      expect(socket.authorized).toBe(true);
      const event = waitEvent(socket, 'authenticated');
      await socket.requestClientCertificate();
      await event;
      expect(socket.authorized).toBe(true);
      expect((socket.getPeerCertificate() as PeerCertificate).subject.CN).toBe(CLIENT_CN);
      // Two requests in a row are answered in order.
      await Promise.all([socket.requestClientCertificate(), socket.requestClientCertificate()]);
      client.write('still here');
      const [echo] = await waitEvent<[Buffer]>(client, 'data');
      expect(echo.toString()).toBe('still here');
      client.end();
    },
    TIMEOUT,
  );

  it(
    'is refused at once (INVALID_ARGUMENT) on a client socket and when the client did not offer post_handshake_auth',
    async () => {
      // A client without a certificate does not offer post_handshake_auth.
      const { client, socket } = await established({});
      expect(() => client.requestClientCertificate()).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => socket.requestClientCertificate()).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      client.write('unharmed');
      const [echo] = await waitEvent<[Buffer]>(client, 'data');
      expect(echo.toString()).toBe('unharmed');
      client.end();
    },
    TIMEOUT,
  );

  it(
    "leaves the getSessionInfo() held from before as it was: getSessionInfo(), getPeerCertificate() and 'authenticated' give a new object with the client's certificate",
    async () => {
      const { port, next } = await wiretlsServer({ ca: ROOT_PEM });
      const accepted = next();
      const client = wiretls(port, CLIENT);
      await waitEvent(client, 'secureConnect');
      const socket = await accepted;
      const held = socket.getSessionInfo()!;
      const before = { ...held, peerCertificates: held.peerCertificates.map((c) => c.slice()) };
      expect(held).toMatchObject({ authorized: false, peerCertificates: [] });
      expect(socket.getPeerCertificate()).toEqual({});

      const event = waitEvent<[SessionInfo]>(socket, 'authenticated');
      await socket.requestClientCertificate();
      const [info] = await event;
      expect(held).toEqual(before);
      expect(Object.isFrozen(held)).toBe(true);
      expect(info).not.toBe(held);
      expect(socket.getSessionInfo()).toBe(info);
      expect(info).toMatchObject({ authorized: true, resumed: false, cipherSuite: held.cipherSuite });
      expect(info.peerCertificates).toHaveLength(2);
      expect(socket.authorized).toBe(true);
      expect((socket.getPeerCertificate() as PeerCertificate).subject.CN).toBe(CLIENT_CN);
      client.end();
    },
    TIMEOUT,
  );

  it(
    "works without requestCert: the certificate is checked against `ca` (authorized) or refused without it (the client's chain is not in the system roots)",
    async () => {
      const trusting = await wiretlsServer({ ca: ROOT_PEM });
      const accepted = trusting.next();
      const client = wiretls(trusting.port, CLIENT);
      await waitEvent(client, 'secureConnect');
      const socket = await accepted;
      expect(socket.authorized).toBe(false);
      await socket.requestClientCertificate();
      expect(socket.authorized).toBe(true);
      expect((socket.getPeerCertificate() as PeerCertificate).subject.CN).toBe(CLIENT_CN);
      client.end();

      const untrusting = await wiretlsServer({});
      const acceptedToo = untrusting.next();
      const stranger = wiretls(untrusting.port, CLIENT);
      const strangerError = waitError(stranger);
      await waitEvent(stranger, 'secureConnect');
      const refusing = await acceptedToo;
      await expect(refusing.requestClientCertificate()).rejects.toMatchObject({ code: 'CERT_UNTRUSTED', alert: 'unknown_ca' });
      expect(await strangerError).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'unknown_ca' });
    },
    TIMEOUT,
  );

  it(
    'rejects with CONNECTION_CLOSED when the connection ends before the client answers',
    async () => {
      const { client, socket } = await established(CLIENT);
      // Gone before the request can reach it: nothing will answer.
      client.destroy();
      await expect(socket.requestClientCertificate()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    },
    TIMEOUT,
  );
});
