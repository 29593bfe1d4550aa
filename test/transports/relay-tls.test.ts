import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TLSError } from '../../src/errors.js';
import { createServer, type Server } from '../../src/node/server.js';
import { connectStreams } from '../../src/transports/web-streams.js';
import { webSocketStreams } from '../../src/transports/websocket.js';
import { ensureBuilt, startCli, stopCliProcesses } from '../cli/cli.js';
import { stopAll } from '../helpers/processes.js';
import { testProvider } from '../helpers/provider.js';
import { clientConfig, startServer } from '../interop/openssl.js';
import { closeServer, serverPem } from '../node/support.js';
import { payload, readAll, rejection, sha256, within, writeAll } from './support.js';

/**
 * What a page does, in Node: a WebSocket (the `ws` package, typed as the browser's) to
 * `wiretls relay`, webSocketStreams over it, connectStreams over that, to openssl s_server and
 * to wiretls's createServer behind the relay.
 */

const servers: Server[] = [];
beforeAll(ensureBuilt, 180_000);
afterAll(async () => {
  stopCliProcesses();
  stopAll();
  await Promise.all(servers.map(closeServer));
});

async function relay(allow: string[]): Promise<{ url: (to: string) => string; stop: () => Promise<number | string> }> {
  const process = startCli(['relay', '--listen', '127.0.0.1:0', '--allow', allow.join(',')]);
  const port = Number((await process.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 20_000))[1]);
  return {
    url: (to) => `ws://127.0.0.1:${port}/?to=${to}`,
    stop: () => {
      globalThis.process.kill(process.process.pid!, 'SIGTERM');
      return process.exited;
    },
  };
}

describe('TLS through webSocketStreams and wiretls relay', () => {
  it('reaches openssl s_server -www: chain verified, request answered', async () => {
    const server = await startServer('ecdsa-p256', ['-www']);
    const r = await relay([`127.0.0.1:${server.port}`]);
    const tls = connectStreams(webSocketStreams(new WebSocket(r.url(`127.0.0.1:${server.port}`))), clientConfig());
    const info = await within(tls.handshake, 15_000, 'handshake');
    expect(info.authorized).toBe(true);
    await writeAll(tls.writable, new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'), 1000, false);
    const answer = new TextDecoder().decode((await readAll(tls.readable)).data);
    expect(answer).toMatch(/^HTTP\/1\.0 200 ok/);
    expect(answer).toContain('TLSv1.3');
    await tls.close();
    expect(await r.stop()).toBe(0);
  });

  it('reaches wiretls createServer: 2 MiB echoed, hash-checked, clean close', async () => {
    const server = createServer({ ...serverPem('ecdsa-p256'), provider: testProvider() }, (socket) => socket.pipe(socket));
    servers.push(server);
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    const r = await relay([`127.0.0.1:${port}`]);
    const tls = connectStreams(webSocketStreams(new WebSocket(r.url(`127.0.0.1:${port}`))), clientConfig());
    await within(tls.handshake, 15_000, 'handshake');
    const data = payload(2 << 20, 31);
    const [, received] = await Promise.all([writeAll(tls.writable, data, 64 * 1024), readAll(tls.readable)]);
    expect(received.sha256).toBe(sha256(data));
    expect(await r.stop()).toBe(0);
  }, 60_000);

  it('a destination the relay refuses fails the handshake with the close code and reason', async () => {
    const r = await relay(['127.0.0.1:1']);
    const tls = connectStreams(webSocketStreams(new WebSocket(r.url('127.0.0.1:2'))), clientConfig());
    const error = await rejection(tls.handshake);
    expect(error).toBeInstanceOf(TLSError);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.message, error.message).toMatch(/WebSocket closed with code 1008: destination not allowed/);
    expect(await r.stop()).toBe(0);
  });
});
