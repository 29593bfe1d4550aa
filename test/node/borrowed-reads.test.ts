import { type Server, type Socket, createServer as netCreateServer } from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/connection.js';
import { CipherSuite } from '../../src/registry.js';
import { connect } from '../../src/node/connect.js';
import { TLSSocket } from '../../src/node/tls-socket.js';
import { pinnedLeafVerifier, serverChain } from '../helpers/fixtures.js';
import { testProvider } from '../helpers/provider.js';
import { ROOT_PEM, closeServer, drain, expectedHash, listen, sendBlocks, serverPem, sleep, waitError } from './support.js';

/**
 * Sockets that connect() opens read into one buffer shared by the whole process
 * (TLSSocket.connectTcp). Several connections receiving at once must never see each other's
 * bytes, and bytes that arrive before the engine is attached must be kept, not lost.
 */

const TIMEOUT = 30_000;
const servers: Server[] = [];
const sockets: TLSSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map(closeServer));
});

describe('reads through the shared buffer', () => {
  it(
    'four connections download different streams at once, each intact',
    async () => {
      // Each connection gets its own stream: block i of connection k is block i + 100k.
      const perConnection = 8 << 20;
      const server = tls.createServer({ ...serverPem('ecdsa-p256') }, (socket) => {
        socket.on('error', () => undefined);
        socket.once('data', (request: Buffer) => {
          const k = Number(request.toString());
          void sendBlocks(socket, perConnection, { end: true, firstBlock: 100 * k }).catch(() => undefined);
        });
      });
      servers.push(server);
      const port = await listen(server);
      const results = await Promise.all(
        [0, 1, 2, 3].map(async (k) => {
          const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
          sockets.push(socket);
          socket.write(String(k));
          return drain(socket);
        }),
      );
      results.forEach(({ bytes, sha256 }, k) => {
        expect(bytes).toBe(perConnection);
        expect(sha256).toBe(expectedHash(perConnection, 1 << 20, 100 * k));
      });
    },
    TIMEOUT,
  );

  it(
    'bytes that arrive before the engine is attached are kept and judged once it is',
    async () => {
      // A "server" that speaks first, plaintext HTTP, before our ClientHello could go out.
      const accepted: Socket[] = [];
      const server = netCreateServer((socket: Socket) => {
        accepted.push(socket);
        socket.on('error', () => undefined);
        socket.write('HTTP/1.1 400 Bad Request\r\n\r\n');
      });
      const port = await listen(server as unknown as Server);
      const socket = TLSSocket.connectTcp({ host: '127.0.0.1', port });
      sockets.push(socket);
      await sleep(300);
      const failed = waitError(socket);
      const connection = new ClientConnection({ provider: testProvider(), serverName: 'localhost', verifier: pinnedLeafVerifier(serverChain('ecdsa-p256')[0]!) });
      socket.attach(connection);
      connection.start();
      const error = await failed;
      expect(error.code).toBe('PROTOCOL_ERROR');
      expect(error.alert).toBe('decode_error');
      expect(error.message).toMatch(/plaintext HTTP/);
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
    TIMEOUT,
  );
});
