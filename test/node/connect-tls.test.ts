import { X509Certificate } from 'node:crypto';
import { type AddressInfo, Socket, connect as netConnect, createServer as createNetServer } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoPki } from '../../src/cli/demo-pki.js';
import { TLSError } from '../../src/errors.js';
import { CipherSuite } from '../../src/registry.js';
import { connect } from '../../src/node/connect.js';
import type { PeerCertificate } from '../../src/node/peer-certificate.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { pemChain } from '../helpers/fixtures.js';
import { ROOT_PEM, closeServer, listen, serverPem, waitError, waitEvent } from './support.js';

/**
 * connect()'s node:tls surface against a node:tls server: failures as Errors with the engine's
 * stable codes, rejectUnauthorized / checkServerIdentity, and the getters, each compared with
 * what node:tls itself reports for the same server (getPeerCertificate, getCipher, exporter).
 */

const TIMEOUT = 15_000;
let server: tls.Server;
let port: number;
/** The server side of the latest connection, to compare exporters. */
let lastServerSocket: tls.TLSSocket | undefined;
const serverSockets = new Set<tls.TLSSocket>();

beforeAll(async () => {
  server = tls.createServer({ ...serverPem('ecdsa-p256'), ALPNProtocols: ['h2', 'http/1.1'] }, (socket) => {
    lastServerSocket = socket;
    serverSockets.add(socket);
    socket.on('close', () => serverSockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
  });
  server.on('tlsClientError', () => undefined);
  port = await listen(server);
});

afterAll(async () => {
  for (const socket of serverSockets) socket.destroy();
  await closeServer(server);
});

function wiretls(extra: Record<string, unknown> = {}): TLSSocket {
  return connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ...extra });
}

/** The same connection made by node:tls, for reference values. */
async function nodeReference(extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ...extra });
  await waitEvent(socket, 'secureConnect');
  return socket;
}

async function expectFailure(socket: TLSSocket): Promise<TLSError> {
  let secure = false;
  socket.on('secureConnect', () => {
    secure = true;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const error = await waitError(socket);
  expect(error).toBeInstanceOf(Error);
  expect(error).toBeInstanceOf(TLSError);
  expect(secure).toBe(false);
  await closed;
  expect(socket.destroyed).toBe(true);
  return error as TLSError;
}

describe('failures are Errors with stable codes', () => {
  it(
    'a chain from a CA we do not trust: CERT_UNTRUSTED (default Mozilla roots, and another ca)',
    async () => {
      const withSystemRoots = await expectFailure(connect({ host: '127.0.0.1', port, servername: 'localhost' }));
      expect(withSystemRoots.code).toBe('CERT_UNTRUSTED');
      expect(withSystemRoots.alert).toBe('unknown_ca');
      const withOtherCa = await expectFailure(wiretls({ ca: makeDemoPki().caPem }));
      expect(withOtherCa.code).toBe('CERT_UNTRUSTED');
    },
    TIMEOUT,
  );

  it(
    'a name the certificate does not cover: CERT_HOSTNAME_MISMATCH',
    async () => {
      const error = await expectFailure(wiretls({ servername: 'not-wiretls.example' }));
      expect(error.code).toBe('CERT_HOSTNAME_MISMATCH');
      expect(error.message).toContain('not-wiretls.example');
    },
    TIMEOUT,
  );

  it(
    'a closed port: CONNECT_FAILED, the system error kept as cause',
    async () => {
      const probe = createNetServer();
      const closedPort = await listen(probe);
      await closeServer(probe);
      const error = await expectFailure(connect({ host: '127.0.0.1', port: closedPort, ca: ROOT_PEM }));
      expect(error.code).toBe('CONNECT_FAILED');
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    },
    TIMEOUT,
  );

  it(
    'a TCP reset in the middle of the session: an error (CONNECTION_CLOSED), never a hang',
    async () => {
      const proxy = await tcpProxy();
      try {
        const socket = wiretls({ port: proxy.port });
        await waitEvent(socket, 'secureConnect');
        socket.write('ping');
        await waitEvent(socket, 'data');
        proxy.clientSide()!.resetAndDestroy();
        const error = await waitError(socket);
        expect(error).toBeInstanceOf(TLSError);
        expect(error.code).toBe('CONNECTION_CLOSED');
        expect((error.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
      } finally {
        await proxy.close();
      }
    },
    TIMEOUT,
  );

  it(
    'a FIN with no close_notify before it: CONNECTION_CLOSED (a truncation, not an end of data)',
    async () => {
      const proxy = await tcpProxy();
      try {
        const socket = wiretls({ port: proxy.port });
        await waitEvent(socket, 'secureConnect');
        socket.write('ping');
        await waitEvent(socket, 'data');
        let ended = false;
        socket.on('end', () => {
          ended = true;
        });
        proxy.clientSide()!.end();
        const error = await waitError(socket);
        expect(error.code).toBe('CONNECTION_CLOSED');
        expect(error.message).toContain('without close_notify');
        expect(ended).toBe(false);
      } finally {
        await proxy.close();
      }
    },
    TIMEOUT,
  );
});

/** A TCP relay to the node:tls server whose client-side socket a test can reset or end. */
async function tcpProxy(): Promise<{ port: number; clientSide: () => Socket | undefined; close: () => Promise<void> }> {
  let last: Socket | undefined;
  const open = new Set<Socket>();
  const relay = createNetServer((inbound) => {
    last = inbound;
    const outbound = netConnect({ host: '127.0.0.1', port });
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => open.delete(s));
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  const relayPort = await listen(relay);
  return {
    port: relayPort,
    clientSide: () => last,
    close: async () => {
      for (const s of open) s.destroy();
      await closeServer(relay);
    },
  };
}

describe('rejectUnauthorized and checkServerIdentity', () => {
  it(
    'rejectUnauthorized: false connects with authorized = false and the reason in authorizationError',
    async () => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
      await waitEvent(socket, 'secureConnect');
      expect(socket.authorized).toBe(false);
      expect(socket.authorizationError).toBeInstanceOf(Error);
      expect((socket.authorizationError as TLSError).code).toBe('CERT_UNTRUSTED');
      socket.write('still talks');
      const [echo] = await waitEvent<[Buffer]>(socket, 'data');
      expect(echo.toString()).toBe('still talks');
      socket.destroy();
    },
    TIMEOUT,
  );

  it(
    'a verified connection has authorized = true and no authorizationError',
    async () => {
      const socket = wiretls();
      await waitEvent(socket, 'secureConnect');
      expect(socket.authorized).toBe(true);
      expect(socket.authorizationError).toBeUndefined();
      socket.destroy();
    },
    TIMEOUT,
  );

  it(
    'checkServerIdentity replaces the name check: it can accept another name, or reject with its own Error',
    async () => {
      const seen: { host: string; cert: PeerCertificate }[] = [];
      const accepting = wiretls({
        servername: 'other.example',
        checkServerIdentity: (host: string, cert: PeerCertificate) => {
          seen.push({ host, cert });
          return undefined;
        },
      });
      await waitEvent(accepting, 'secureConnect');
      expect(accepting.authorized).toBe(true);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.host).toBe('other.example');
      expect(seen[0]!.cert.subject.CN).toBe('wiretls test server (ECDSA P-256)');
      expect(seen[0]!.cert.subjectaltname).toContain('DNS:localhost');
      accepting.destroy();

      const rejecting = wiretls({ checkServerIdentity: () => new Error('pinned key does not match') });
      const error = await expectFailure(rejecting);
      expect(error.code).toBe('CERT_HOSTNAME_MISMATCH');
      expect(error.message).toContain('pinned key does not match');
    },
    TIMEOUT,
  );
});

describe('what the socket reports, next to node:tls', () => {
  it(
    'getProtocol, getCipher, alpnProtocol, getPeerCertificate(true) match node:tls for the same server',
    async () => {
      const socket = wiretls({ ALPNProtocols: ['http/1.1'], cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] });
      expect(socket.getProtocol()).toBeNull();
      await waitEvent(socket, 'secureConnect');
      const reference = await nodeReference({ ALPNProtocols: ['http/1.1'], ciphers: 'TLS_AES_256_GCM_SHA384' });
      try {
        expect(socket.getProtocol()).toBe('TLSv1.3');
        expect(socket.getProtocol()).toBe(reference.getProtocol());
        expect(socket.getCipher()).toEqual({ name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' });
        expect(socket.getCipher()).toEqual(reference.getCipher());
        expect(socket.alpnProtocol).toBe('http/1.1');
        expect(socket.alpnProtocol).toBe(reference.alpnProtocol);

        const ours = socket.getPeerCertificate(true) as PeerCertificate;
        const theirs = reference.getPeerCertificate(true);
        const chain = pemChain('server-ecdsa-p256-chain.pem');
        for (const [mine, node, der] of [
          [ours, theirs, chain[0]!],
          [ours.issuerCertificate!, theirs.issuerCertificate, chain[1]!],
        ] as const) {
          expect(mine.raw.equals(Buffer.from(der))).toBe(true);
          expect(mine.subject).toEqual({ ...node.subject });
          expect(mine.issuer).toEqual({ ...node.issuer });
          expect(mine.subjectaltname ?? '').toBe(node.subjectaltname ?? '');
          expect(mine.valid_from).toBe(node.valid_from);
          expect(mine.valid_to).toBe(node.valid_to);
          expect(mine.fingerprint256).toBe(node.fingerprint256);
          expect(mine.serialNumber).toBe(node.serialNumber);
        }
        expect(new X509Certificate(ours.raw).subject).toContain('wiretls test server');
        // Without `detailed`, no chain; the peer's certificate only.
        expect((socket.getPeerCertificate() as PeerCertificate).issuerCertificate).toBeUndefined();
      } finally {
        socket.destroy();
        reference.destroy();
      }
    },
    TIMEOUT,
  );

  it(
    'no ALPN offered: alpnProtocol is false, as in node:tls',
    async () => {
      const socket = wiretls();
      await waitEvent(socket, 'secureConnect');
      expect(socket.alpnProtocol).toBe(false);
      socket.destroy();
    },
    TIMEOUT,
  );

  it(
    'exportKeyingMaterial equals what node:tls exports on the server side',
    async () => {
      const socket = wiretls();
      await waitEvent(socket, 'secureConnect');
      // The server socket is the one that echoes; make sure it is this connection's.
      socket.write('x');
      await waitEvent(socket, 'data');
      const serverSide = lastServerSocket!;
      expect(serverSide.remotePort).toBe(socket.localPort);
      for (const [length, label, context] of [
        [32, 'EXPORTER-wiretls-test', undefined],
        [64, 'EXPORTER-wiretls-test', Buffer.from('some context')],
        [17, 'EXPORTER-Channel-Binding', Buffer.alloc(0)],
      ] as const) {
        const mine = socket.exportKeyingMaterial(length, label, context);
        expect(mine).toBeInstanceOf(Buffer);
        expect(mine.toString('hex')).toBe(serverSide.exportKeyingMaterial(length, label, context as Buffer).toString('hex'));
      }
      socket.destroy();
    },
    TIMEOUT,
  );

  it(
    "the 'socket' option runs TLS over a transport the caller opened",
    async () => {
      const transport = netConnect({ host: '127.0.0.1', port });
      const socket = connect({ socket: transport, servername: 'localhost', ca: ROOT_PEM });
      await waitEvent(socket, 'secureConnect');
      expect(socket.transport).toBe(transport);
      socket.write('over your socket');
      const [echo] = await waitEvent<[Buffer]>(socket, 'data');
      expect(echo.toString()).toBe('over your socket');
      socket.destroy();
      expect(transport.destroyed).toBe(true);
    },
    TIMEOUT,
  );

  it(
    "'connect' is passed on from a transport still to connect, and not waited for on one already connected",
    async () => {
      // A socket that has not even started connecting: its 'connect' comes after connect() returns.
      const later = new Socket();
      const socket = connect({ socket: later, servername: 'localhost', ca: ROOT_PEM });
      const connected = waitEvent(socket, 'connect');
      later.connect(port, '127.0.0.1');
      await connected;
      await waitEvent(socket, 'secureConnect');
      socket.destroy();
      // A connected one will not announce it again, so nothing listens for it.
      const open = netConnect({ host: '127.0.0.1', port });
      await waitEvent(open, 'connect');
      const over = connect({ socket: open, servername: 'localhost', ca: ROOT_PEM });
      expect(open.listenerCount('connect')).toBe(0);
      await waitEvent(over, 'secureConnect');
      over.destroy();
    },
    TIMEOUT,
  );

  it(
    "node:tls's tickets arrive as 'session' events (opaque Buffers)",
    async () => {
      const socket = wiretls();
      const [session] = await waitEvent<[Buffer]>(socket, 'session');
      expect(Buffer.isBuffer(session)).toBe(true);
      expect(session.length).toBeGreaterThan(0);
      socket.destroy();
    },
    TIMEOUT,
  );

  it(
    'minVersion/maxVersion: TLS 1.3 only; a maxVersion below it throws at once (INVALID_ARGUMENT)',
    async () => {
      expect(() => wiretls({ maxVersion: 'TLSv1.2' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => wiretls({ minVersion: 'SSLv3' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => wiretls({ ca: 'not a certificate' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      const socket = wiretls({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
      await waitEvent(socket, 'secureConnect');
      expect(socket.getProtocol()).toBe('TLSv1.3');
      socket.destroy();
    },
    TIMEOUT,
  );

  it(
    'remote/local address pass-throughs name the TCP endpoints',
    async () => {
      const socket = wiretls();
      await waitEvent(socket, 'secureConnect');
      expect(socket.remoteAddress).toBe('127.0.0.1');
      expect(socket.remotePort).toBe(port);
      expect((socket.address() as AddressInfo).port).toBe(socket.localPort);
      socket.destroy();
    },
    TIMEOUT,
  );
});
