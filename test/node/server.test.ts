import { X509Certificate } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { type Server, type ServerOptions, createServer } from '../../src/node/server.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { SERVER_KEY_KINDS, type ServerKeyKind, pemChain, pkiPath } from '../helpers/fixtures.js';
import { start, stopAll } from '../helpers/processes.js';
import { ROOT_PEM, closeServer, listen, readUntil, serverPem, sleep, waitError, waitEvent } from './support.js';

/**
 * createServer() against node:tls clients (tls.connect verifying the chain with the test
 * root): every key type, several certificates chosen by the client's signature_algorithms,
 * SNICallback and ALPN; and against `openssl s_client` with data both ways.
 */

const TIMEOUT = 15_000;
const servers: Server[] = [];
const clients: tls.TLSSocket[] = [];
afterAll(async () => {
  stopAll();
  for (const client of clients) client.destroy();
  await Promise.all(servers.map(closeServer));
});

/** An echo server; resolves with its port and a promise of its next secure connection. */
async function echoServer(options: ServerOptions): Promise<{ server: Server; port: number; next: () => Promise<TLSSocket> }> {
  const server = createServer(options, (socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    socket.on('end', () => socket.end());
  });
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  const port = await listen(server);
  return { server, port, next: () => waitEvent<[TLSSocket]>(server, 'secureConnection').then(([socket]) => socket) };
}

async function nodeClient(port: number, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ...extra });
  clients.push(client);
  await waitEvent(client, 'secureConnect');
  return client;
}

async function echo(client: tls.TLSSocket, text: string): Promise<string> {
  client.write(text);
  return readUntil(client, (got) => got.length >= text.length);
}

function leafFingerprint(kind: ServerKeyKind): string {
  return new X509Certificate(Buffer.from(pemChain(`server-${kind}-chain.pem`)[0]!)).fingerprint256;
}

describe('one certificate of each key type, a node:tls client verifying it', () => {
  for (const kind of SERVER_KEY_KINDS) {
    it(
      kind,
      async () => {
        const { port, next } = await echoServer(serverPem(kind));
        const accepted = next();
        const client = await nodeClient(port);
        expect(client.authorized).toBe(true);
        expect(client.getProtocol()).toBe('TLSv1.3');
        expect(client.getPeerCertificate().fingerprint256).toBe(leafFingerprint(kind));
        expect(await echo(client, `hello over ${kind}`)).toBe(`hello over ${kind}`);
        const socket = await accepted;
        expect(socket.getProtocol()).toBe('TLSv1.3');
        expect(socket.servername).toBe('localhost');
        // An accepted TCP socket is connected for good: no 'connect' listener is left on it.
        expect(socket.transport.listenerCount('connect')).toBe(0);
        client.end();
      },
      TIMEOUT,
    );
  }
});

describe('several certificates: the client’s signature_algorithms choose', () => {
  const both = {
    cert: [serverPem('ed25519').cert, serverPem('ecdsa-p256').cert, serverPem('rsa2048').cert],
    key: [serverPem('ed25519').key, serverPem('ecdsa-p256').key, serverPem('rsa2048').key],
  };
  for (const [sigalgs, kind] of [
    ['ecdsa_secp256r1_sha256', 'ecdsa-p256'],
    ['ed25519', 'ed25519'],
    ['rsa_pss_rsae_sha256', 'rsa2048'],
    ['ecdsa_secp256r1_sha256:ed25519', 'ed25519'],
  ] as const) {
    it(
      `a client offering only ${sigalgs} gets the ${kind} certificate`,
      async () => {
        const { port } = await echoServer(both);
        const client = await nodeClient(port, { sigalgs });
        expect(client.authorized).toBe(true);
        expect(client.getPeerCertificate().fingerprint256).toBe(leafFingerprint(kind));
        expect(await echo(client, 'ok')).toBe('ok');
        client.end();
      },
      TIMEOUT,
    );
  }

  it(
    'a client whose signature_algorithms fit none of them gets a handshake_failure alert',
    async () => {
      const { server, port } = await echoServer({ ...serverPem('ed25519') });
      const serverError = waitEvent<[Error & { code?: string; alert?: string }]>(server, 'tlsClientError');
      const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, sigalgs: 'ecdsa_secp384r1_sha384' });
      clients.push(client);
      const error = await waitError(client);
      expect(error.message).toMatch(/handshake failure/i);
      const [reported] = await serverError;
      expect(reported).toBeInstanceOf(TLSError);
      expect(reported.alert).toBe('handshake_failure');
    },
    TIMEOUT,
  );
});

describe('SNICallback and ALPN', () => {
  it(
    'SNICallback picks the certificate for the name the client sent; other names get the default',
    async () => {
      const asked: string[] = [];
      const { port, next } = await echoServer({
        ...serverPem('ecdsa-p256'),
        SNICallback: (name, callback) => {
          asked.push(name);
          setImmediate(() => callback(null, name === 'wiretls.test' ? serverPem('ed25519') : undefined));
        },
      });
      const accepted = next();
      const special = await nodeClient(port, { servername: 'wiretls.test' });
      expect(special.getPeerCertificate().fingerprint256).toBe(leafFingerprint('ed25519'));
      expect((await accepted).servername).toBe('wiretls.test');
      const plain = await nodeClient(port);
      expect(plain.getPeerCertificate().fingerprint256).toBe(leafFingerprint('ecdsa-p256'));
      expect(asked).toEqual(['wiretls.test', 'localhost']);
      special.end();
      plain.end();
    },
    TIMEOUT,
  );

  it(
    'an SNICallback error aborts that handshake, reported as tlsClientError',
    async () => {
      const { server, port } = await echoServer({ ...serverPem('ecdsa-p256'), SNICallback: (_name, callback) => callback(new Error('no such site')) });
      const serverError = waitEvent<[Error]>(server, 'tlsClientError');
      const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM });
      clients.push(client);
      await waitError(client);
      const [reported] = await serverError;
      expect(reported).toBeInstanceOf(Error);
    },
    TIMEOUT,
  );

  it(
    'ALPNProtocols: the server picks its first protocol that the client offers',
    async () => {
      const { port, next } = await echoServer({ ...serverPem('ecdsa-p256'), ALPNProtocols: ['h2', 'http/1.1'] });
      const accepted = next();
      const client = await nodeClient(port, { ALPNProtocols: ['http/1.1', 'h2'] });
      expect(client.alpnProtocol).toBe('h2');
      expect((await accepted).alpnProtocol).toBe('h2');
      const other = await nodeClient(port, { ALPNProtocols: ['http/1.1'] });
      expect(other.alpnProtocol).toBe('http/1.1');
      const none = await nodeClient(port);
      expect(none.alpnProtocol).toBe(false);
      for (const c of [client, other, none]) c.end();
    },
    TIMEOUT,
  );

  it(
    'ALPN with no protocol in common: no_application_protocol (RFC 7301 §3.2)',
    async () => {
      const { server, port } = await echoServer({ ...serverPem('ecdsa-p256'), ALPNProtocols: ['h2'] });
      const serverError = waitEvent<[TLSError]>(server, 'tlsClientError');
      const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ALPNProtocols: ['spdy/1'] });
      clients.push(client);
      const error = await waitError(client);
      expect(error.message).toMatch(/no application protocol/i);
      expect((await serverError)[0].alert).toBe('no_application_protocol');
    },
    TIMEOUT,
  );

  it(
    'the server socket reports what node:tls reports on the client side (cipher, exporter)',
    async () => {
      const { port, next } = await echoServer(serverPem('ecdsa-p384'));
      const accepted = next();
      const client = await nodeClient(port, { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
      const socket = await accepted;
      expect(socket.getCipher()).toEqual(client.getCipher());
      expect(socket.exportKeyingMaterial(48, 'EXPORTER-test', Buffer.from('ctx')).equals(client.exportKeyingMaterial(48, 'EXPORTER-test', Buffer.from('ctx')))).toBe(true);
      // A server that asked for no client certificate has no peer certificate.
      expect(socket.getPeerCertificate()).toEqual({});
      client.end();
    },
    TIMEOUT,
  );

  it(
    "a client that rejects the server's certificate: tlsClientError with the alert it sent",
    async () => {
      const { server, port } = await echoServer(serverPem('ecdsa-p256'));
      const serverError = waitEvent<[TLSError]>(server, 'tlsClientError');
      // node:tls checks the chain after the handshake and just closes; OpenSSL with
      // -verify_return_error sends the alert, which is what this test is about.
      const client = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-verify_return_error', '-brief'], { stdin: 'ignore' });
      try {
        const [reported] = await serverError;
        expect(reported.code).toBe('ALERT_RECEIVED');
        expect(reported.alert).toBe('unknown_ca');
        expect(await client.exited).not.toBe(0);
      } finally {
        client.stop();
      }
    },
    TIMEOUT,
  );
});

describe('ending at once', () => {
  it(
    "a server that ends the socket on 'secureConnection' closes cleanly: the reply and close_notify, no tickets after them, no error",
    async () => {
      const errors: Error[] = [];
      const server = createServer(serverPem('ecdsa-p256'), (socket) => {
        socket.on('error', (error) => errors.push(error));
        socket.end('bye');
      });
      server.on('tlsClientError', (error) => errors.push(error));
      servers.push(server);
      const port = await listen(server);
      const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM });
      clients.push(client);
      let sessions = 0;
      client.on('session', () => sessions++);
      const reply = readUntil(client, (text) => text === 'bye');
      await waitEvent(client, 'end');
      expect(await reply).toBe('bye');
      await sleep(100);
      expect(errors).toEqual([]);
      // The tickets, queued after the application's close_notify, were dropped, not sent after it.
      expect(sessions).toBe(0);
    },
    TIMEOUT,
  );
});

describe('handshakeTimeout', () => {
  /** A TCP client that sends `bytes` and then nothing; resolves with when its socket closed. */
  async function stallingClient(port: number, bytes: Uint8Array): Promise<{ closed: Promise<number> }> {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    await waitEvent(socket, 'connect');
    socket.write(bytes);
    return { closed: waitEvent(socket, 'close').then(() => performance.now()) };
  }

  it(
    'cuts off a client that sends nothing, or a header promising more than it sends, with a TIMEOUT tlsClientError',
    async () => {
      const { server, port } = await echoServer({ ...serverPem('ecdsa-p256'), handshakeTimeout: 300 });
      // A handshake record header announcing 16 KiB, then silence: the server would wait forever.
      for (const bytes of [new Uint8Array(0), Uint8Array.of(0x16, 0x03, 0x01, 0x40, 0x00, 0x01)]) {
        const refused = waitEvent<[TLSError]>(server, 'tlsClientError');
        const started = performance.now();
        const { closed } = await stallingClient(port, bytes);
        const [error] = await refused;
        expect(error).toBeInstanceOf(TLSError);
        expect(error.code).toBe('TIMEOUT');
        expect(performance.now() - started).toBeGreaterThanOrEqual(250);
        expect(await closed).toBeGreaterThanOrEqual(started);
      }
    },
    TIMEOUT,
  );

  it(
    'does not touch an established connection, however long it stays',
    async () => {
      const { port } = await echoServer({ ...serverPem('ecdsa-p256'), handshakeTimeout: 200 });
      const client = await nodeClient(port);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await echo(client, 'still here')).toBe('still here');
      client.end();
    },
    TIMEOUT,
  );

  it('is checked when the server is created', () => {
    for (const handshakeTimeout of [-1, Number.NaN, 2 ** 31]) {
      expect(() => createServer({ ...serverPem('ecdsa-p256'), handshakeTimeout })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

describe('openssl s_client against createServer', () => {
  it(
    'verifies the chain and carries data both ways',
    async () => {
      const { port, next } = await echoServer(serverPem('rsapss2048'));
      const accepted = next();
      const client = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pkiPath('root.pem'), '-verify_return_error', '-brief']);
      try {
        const socket = await accepted;
        const fromClient: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => fromClient.push(chunk));
        client.process.stdin!.write('typed into s_client\n');
        await client.waitFor(/typed into s_client/);
        socket.write('written by wiretls\n');
        await client.waitFor(/written by wiretls/);
        expect(Buffer.concat(fromClient).toString()).toContain('typed into s_client');
        client.process.stdin!.end();
        expect(await client.exited).toBe(0);
      } finally {
        client.stop();
      }
    },
    TIMEOUT,
  );
});
