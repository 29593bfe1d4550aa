import * as tls from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CipherSuite } from '../../src/registry.js';
import { connect } from '../../src/node/connect.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { ROOT_PEM, closeServer, drain, expectedHash, listen, sendBlocks, serverPem, sleep, waitEvent } from './support.js';

/**
 * The TLSSocket as a stream against a node:tls server: back-pressure both ways (a reader that
 * stops must stop the sender, not fill memory) and half-close with allowHalfOpen.
 * ChaCha20-Poly1305 because the portable AES-GCM is the slow one.
 */

const TIMEOUT = 20_000;
const servers: tls.Server[] = [];
const sockets: TLSSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map(closeServer));
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

async function nodeServer(options: tls.TlsOptions, onConnection: (socket: tls.TLSSocket) => void): Promise<number> {
  const server = tls.createServer({ ...serverPem('ecdsa-p256'), ...options }, onConnection);
  servers.push(server);
  return listen(server);
}

function client(port: number, extra: Record<string, unknown> = {}): TLSSocket {
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256], ...extra });
  sockets.push(socket);
  return socket;
}

describe('back-pressure', () => {
  it(
    'a reader that pauses stops the sender; everything arrives once it reads again',
    async () => {
      const total = 24 << 20;
      let accepted = 0;
      let serverBlocked = false;
      const port = await nodeServer({}, (socket) => {
        socket.on('error', () => undefined);
        void sendBlocks(socket, total, {
          onBlock: (sent) => {
            accepted = sent;
          },
        }).catch(() => undefined);
        socket.on('drain', () => undefined);
        const check = setInterval(() => {
          if (socket.writableNeedDrain) serverBlocked = true;
        }, 20);
        socket.once('close', () => clearInterval(check));
      });
      const socket = client(port);
      await waitEvent(socket, 'secureConnect');
      socket.pause();
      // Nobody reads for a second: the data must pile up in the kernel and the server's write
      // buffer, not in our process.
      await sleep(1000);
      const acceptedWhilePaused = accepted;
      const bufferedHere = socket.readableLength + ((socket as unknown as { connection: { bufferedBytes: number } }).connection.bufferedBytes ?? 0);
      expect(serverBlocked).toBe(true);
      expect(acceptedWhilePaused).toBeLessThan(total / 2);
      expect(bufferedHere).toBeLessThan(1 << 20);
      const result = drain(socket);
      socket.resume();
      const { bytes, sha256 } = await result;
      expect(bytes).toBe(total);
      expect(sha256).toBe(expectedHash(total));
    },
    TIMEOUT,
  );

  it(
    'a server that reads slowly holds our writes back: write() returns false and memory stays bounded',
    async () => {
      const total = 24 << 20;
      let serverSocket: tls.TLSSocket | undefined;
      const port = await nodeServer({}, (socket) => {
        serverSocket = socket;
        socket.pause();
      });
      const socket = client(port);
      await waitEvent(socket, 'secureConnect');
      let maxQueued = 0;
      let sawFalse = false;
      let handedOver = 0;
      const sending = sendBlocks(socket, total, {
        onBlock: (sent) => {
          handedOver = sent;
          const queued = socket.writableLength + socket.transport.writableLength;
          maxQueued = Math.max(maxQueued, queued);
          if (socket.writableNeedDrain) sawFalse = true;
        },
      });
      await sleep(1000);
      // The server has not read a byte: we must have stopped well short of the total.
      expect(handedOver).toBeLessThan(total / 2);
      expect(sawFalse || socket.writableNeedDrain).toBe(true);
      expect(serverSocket).toBeDefined();
      const received = drain(serverSocket!);
      serverSocket!.resume();
      await sending;
      const { bytes, sha256 } = await received;
      expect(bytes).toBe(total);
      expect(sha256).toBe(expectedHash(total));
      // One 1 MiB block in flight plus the stream's and the socket's buffers.
      expect(maxQueued).toBeLessThan(4 << 20);
    },
    TIMEOUT,
  );
});

describe('writes before the handshake', () => {
  it(
    'write() and end() right after connect(): the data goes first, then close_notify',
    async () => {
      let received: Promise<{ text: string }> | undefined;
      const port = await nodeServer({ allowHalfOpen: true }, (socket) => {
        received = drain(socket);
        socket.on('end', () => socket.end());
      });
      const socket = client(port);
      const closed = waitEvent(socket, 'close');
      socket.write('written before ');
      socket.end('the handshake');
      await closed;
      expect((await received!).text).toBe('written before the handshake');
    },
    TIMEOUT,
  );
});

describe('half-close (allowHalfOpen)', () => {
  it(
    'our end() sends close_notify; the server still answers, and we read its answer',
    async () => {
      const port = await nodeServer({ allowHalfOpen: true }, (socket) => {
        let request = '';
        socket.on('data', (chunk: Buffer) => {
          request += chunk.toString();
        });
        socket.on('end', () => {
          // The client said it is done sending; the answer goes the other way afterwards.
          socket.end(`got ${request.length} bytes: ${request}`);
        });
      });
      const socket = client(port, { allowHalfOpen: true });
      const closed = waitEvent(socket, 'close');
      await waitEvent(socket, 'secureConnect');
      const answer = drain(socket);
      socket.end('question');
      expect((await answer).text).toBe('got 8 bytes: question');
      await closed;
    },
    TIMEOUT,
  );

  it(
    "the server's close_notify ends our reading side; we keep writing and the server reads it",
    async () => {
      let serverReceived: Promise<{ text: string }> | undefined;
      const port = await nodeServer({ allowHalfOpen: true }, (socket) => {
        serverReceived = drain(socket);
        // node:tls sends no close_notify while its tickets are unsent (OpenSSL refuses
        // SSL_shutdown "in init"): end once the client has spoken.
        socket.once('data', () => socket.end('bye from the server'));
      });
      const socket = client(port, { allowHalfOpen: true });
      const closed = waitEvent(socket, 'close');
      socket.write('hello, ');
      const text = await drain(socket);
      expect(text.text).toBe('bye from the server');
      expect(socket.writable).toBe(true);
      socket.write('still ');
      socket.end('talking');
      expect((await serverReceived!).text).toBe('hello, still talking');
      await closed;
    },
    TIMEOUT,
  );

  it(
    "without allowHalfOpen, the server's close_notify closes our side too",
    async () => {
      let serverEnded: Promise<unknown> | undefined;
      const port = await nodeServer({ allowHalfOpen: true }, (socket) => {
        serverEnded = waitEvent(socket, 'end');
        socket.once('data', () => socket.end('bye'));
      });
      const socket = client(port);
      socket.write('hi');
      const closed = waitEvent(socket, 'close');
      expect((await drain(socket)).text).toBe('bye');
      await closed;
      await serverEnded;
    },
    TIMEOUT,
  );
});
