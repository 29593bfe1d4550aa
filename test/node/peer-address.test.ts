import { connect as netConnect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type Server, createServer } from '../../src/node/server.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { closeServer, listen, serverPem, waitEvent } from './support.js';

/**
 * A TLSSocket names its peer for its whole life: 'tlsClientError' comes after the transport was
 * destroyed, when a net.Socket no longer knows its remote address, and that is exactly when a
 * server's log needs it (wiretls serve printed "[?:?] handshake failed").
 */

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map(closeServer)));

describe('TLSSocket.remoteAddress / remotePort / remoteFamily', () => {
  it('still name the client when a failed handshake is reported', async () => {
    const server = createServer(serverPem('ecdsa-p256'));
    servers.push(server);
    const port = await listen(server);
    const failed = waitEvent<[Error, TLSSocket]>(server, 'tlsClientError');
    const client = netConnect(port, '127.0.0.1');
    client.on('error', () => undefined);
    await waitEvent(client, 'connect');
    const localPort = client.localPort;
    client.end('GET / HTTP/1.0\r\n\r\n');
    const [error, socket] = await failed;
    expect((error as Error & { alert?: string }).alert).toBe('decode_error');
    expect(socket.destroyed).toBe(true);
    expect({ address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily }).toEqual({ address: '127.0.0.1', port: localPort, family: 'IPv4' });
  });
});
