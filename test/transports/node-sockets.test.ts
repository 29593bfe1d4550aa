import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server as NetServer, type Socket, connect as netConnect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { NamedGroup } from '../../src/registry.js';
import { connect } from '../../src/node/connect.js';
import { type Server, createServer } from '../../src/node/server.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { type ByteStreams, acceptStreams, connectStreams } from '../../src/transports/web-streams.js';
import { pkiPath } from '../helpers/fixtures.js';
import { stopAll } from '../helpers/processes.js';
import { testProvider } from '../helpers/provider.js';
import { clientConfig, serverConfig, startServer } from '../interop/openssl.js';
import { ROOT_PEM, closeServer, listen, serverPem } from '../node/support.js';
import { payload, readAll, rejection, sha256, sleep, within, writeAll } from './support.js';

/**
 * The Web Streams adapter over real TCP in Node (net.Socket → Duplex.toWeb, the shape
 * Deno.connect, Bun and Workers' connect() give), against `openssl s_server` and against
 * wiretls's own createServer(); and acceptStreams serving real clients.
 */

const SIZE = 4 << 20;
const children = new Set<ChildProcess>();
const netServers: NetServer[] = [];
const tlsServers: Server[] = [];
const sockets: Socket[] = [];
let dir: string;
const data = payload(SIZE, 21);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wiretls-transports-'));
  writeFileSync(join(dir, 'big.bin'), data);
});

afterAll(async () => {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  stopAll();
  for (const socket of sockets) socket.destroy();
  await Promise.all([...netServers.map(closeServer), ...tlsServers.map(closeServer)]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A TCP connection as Web Streams, as runtimes without node:net hand them out. */
async function tcp(port: number): Promise<ByteStreams & { socket: Socket }> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const { readable, writable } = Duplex.toWeb(socket);
  return { readable: readable as ReadableStream<Uint8Array>, writable: writable as WritableStream<Uint8Array>, socket };
}

async function tcpWithRetry(port: number): Promise<ByteStreams & { socket: Socket }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await tcp(port);
    } catch (error) {
      if (attempt >= 50) throw error;
      await sleep(100);
    }
  }
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  const port = await listen(probe);
  await closeServer(probe);
  return port;
}

function spawnOpenssl(args: string[], options: { cwd?: string } = {}): { child: ChildProcess; stdout: () => Buffer; stdoutHash: () => { bytes: number; sha256: string } } {
  const child = spawn('openssl', args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let bytes = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    if (bytes < 65_536) head.push(chunk);
    bytes += chunk.length;
  });
  child.stderr!.resume();
  return { child, stdout: () => Buffer.concat(head), stdoutHash: () => ({ bytes, sha256: hash.copy().digest('hex') }) };
}

/** The body of an HTTP/1.0 answer: what follows the blank line. */
function httpBody(answer: Uint8Array): { status: string; body: Uint8Array } {
  const text = Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength);
  const end = text.indexOf('\r\n\r\n');
  return { status: text.subarray(0, end).toString('latin1'), body: answer.subarray(end + 4) };
}

describe('connectStreams over TCP ↔ openssl s_server', () => {
  it('handshake and a 4 MiB download from s_server -WWW, hash-checked', async () => {
    const server = spawnOpenssl(
      [
        's_server',
        '-accept',
        '127.0.0.1:0',
        '-tls1_3',
        '-naccept',
        '1',
        '-cert',
        pkiPath('server-ecdsa-p256.pem'),
        '-key',
        pkiPath('server-ecdsa-p256-key.pem'),
        '-cert_chain',
        pkiPath('intermediate.pem'),
        '-WWW',
      ],
      { cwd: dir },
    );
    let port = 0;
    for (let i = 0; i < 200 && port === 0; i++) {
      port = Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(server.stdout().toString('latin1'))?.[1] ?? 0);
      if (port === 0) await sleep(50);
    }
    const tls = connectStreams(await tcp(port), clientConfig());
    const info = await within(tls.handshake, 10_000, 'handshake');
    expect(info.authorized).toBe(true);
    expect(info.peerCertificates).toHaveLength(2);
    await writeAll(tls.writable, new TextEncoder().encode('GET /big.bin HTTP/1.0\r\n\r\n'), 1000, false);
    const answer = await readAll(tls.readable);
    const { status, body } = httpBody(answer.data);
    expect(status).toMatch(/^HTTP\/1\.0 200 ok/);
    expect(body.length).toBe(SIZE);
    expect(sha256(body)).toBe(sha256(data));
    await tls.close();
  }, 60_000);

  it('a 4 MiB upload to s_server, which writes what it receives to stdout, hash-checked', async () => {
    // -quiet: stdout holds only the data (and no ACCEPT line: take a free port and retry).
    const port = await freePort();
    const server = spawnOpenssl([
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-tls1_3',
      '-naccept',
      '1',
      '-quiet',
      '-cert',
      pkiPath('server-ecdsa-p256.pem'),
      '-key',
      pkiPath('server-ecdsa-p256-key.pem'),
      '-cert_chain',
      pkiPath('intermediate.pem'),
    ]);
    const tls = connectStreams(await tcpWithRetry(port), clientConfig());
    await within(tls.handshake, 10_000, 'handshake');
    await writeAll(tls.writable, data, 64 * 1024, false);
    for (let i = 0; i < 300 && server.stdoutHash().bytes < SIZE; i++) await sleep(50);
    expect(server.stdoutHash()).toEqual({ bytes: SIZE, sha256: sha256(data) });
    await tls.close();
  }, 60_000);

  it('bad input: a group s_server refuses ends with its handshake_failure alert as a TLSError', async () => {
    const server = await startServer('ecdsa-p256', ['-groups', 'P-384']);
    const tls = connectStreams(await tcp(server.port), clientConfig({ groups: [NamedGroup.x25519] }));
    const error = await rejection(tls.handshake);
    expect(error).toBeInstanceOf(TLSError);
    expect(error.code).toBe('ALERT_RECEIVED');
    expect(error.alert).toBe('handshake_failure');
    await expect(rejection(tls.readable.getReader().read())).resolves.toBe(error);
  });

  it('a server certificate for another name: CERT_HOSTNAME_MISMATCH, and s_server hears the alert', async () => {
    const server = await startServer('ecdsa-p256');
    const tls = connectStreams(await tcp(server.port), clientConfig({ serverName: 'not-the-name.example' }));
    const error = await rejection(tls.handshake);
    expect(error.code).toBe('CERT_HOSTNAME_MISMATCH');
    await server.process.waitFor(/alert|error/i);
  });
});

describe('connectStreams over TCP ↔ wiretls createServer', () => {
  async function wiretlsServer(onSocket: (socket: TLSSocket) => void): Promise<number> {
    const server = createServer({ ...serverPem('ecdsa-p256'), provider: testProvider() }, onSocket);
    tlsServers.push(server);
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  }

  it('echoes 4 MiB, hash-checked, and closes cleanly both ways', async () => {
    const port = await wiretlsServer((socket) => socket.pipe(socket));
    const tls = connectStreams(await tcp(port), clientConfig());
    await within(tls.handshake, 10_000, 'handshake');
    const [, received] = await Promise.all([writeAll(tls.writable, data, 100_000), readAll(tls.readable)]);
    expect(received.sha256).toBe(sha256(data));
    expect(tls.connection.state).toBe('closed');
  }, 60_000);

  it('back-pressure: a client that does not read stops the server within a bounded amount', async () => {
    const big = payload(32 << 20, 23);
    let acknowledged = 0;
    const port = await wiretlsServer((socket) => {
      let offset = 0;
      const pump = (): void => {
        while (offset < big.length) {
          const chunk = big.subarray(offset, offset + 64 * 1024);
          offset += chunk.length;
          if (!socket.write(chunk, () => (acknowledged += chunk.length))) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
    const transport = await tcp(port);
    const tls = connectStreams(transport, clientConfig(), { readableHighWaterMark: 64 * 1024 });
    await within(tls.handshake, 10_000, 'handshake');
    await sleep(1500);
    const stalled = acknowledged;
    // Kernel socket buffers on loopback hold a few MiB; the adapter holds 64 KiB and a chunk.
    expect(stalled).toBeLessThan(12 << 20);
    expect(transport.socket.bytesRead).toBeLessThan(12 << 20);
    process.stdout.write(`[transports] client not reading: the server got ${(stalled / 2 ** 20).toFixed(1)} MiB of 32 MiB out\n`);
    const received = await readAll(tls.readable, 60_000);
    expect(received.sha256).toBe(sha256(big));
    await tls.close();
  }, 90_000);

  it('peer close: the server ending its socket ends the readable cleanly', async () => {
    const port = await wiretlsServer((socket) => socket.end('goodbye'));
    const tls = connectStreams(await tcp(port), clientConfig());
    const { data: answer } = await readAll(tls.readable);
    expect(new TextDecoder().decode(answer)).toBe('goodbye');
    await tls.close();
  });

  it('peer abort: a server that drops the TCP connection errors the readable with CONNECTION_CLOSED', async () => {
    const port = await wiretlsServer((socket) => socket.write('partial', () => setTimeout(() => socket.destroy(), 50)));
    const tls = connectStreams(await tcp(port), clientConfig());
    const reader = tls.readable.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('partial');
    const error = await rejection(reader.read());
    expect(error).toBeInstanceOf(TLSError);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.message).toMatch(/without close_notify/);
  });

  it('cancellation: a deadline on a server that never answers ends with TIMEOUT and closes the socket', async () => {
    const silent = createNetServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    netServers.push(silent);
    const port = await listen(silent);
    const transport = await tcp(port);
    const tls = connectStreams(transport, clientConfig(), { signal: AbortSignal.timeout(300) });
    const error = await rejection(tls.handshake);
    expect(error.code).toBe('TIMEOUT');
    await within(new Promise((resolve) => (transport.socket.destroyed ? resolve(undefined) : transport.socket.once('close', resolve))), 5_000, 'socket close');
  });
});

describe('acceptStreams over TCP', () => {
  async function streamsServer(onTls: (tls: ReturnType<typeof acceptStreams>) => void): Promise<number> {
    const config = await serverConfig('ecdsa-p256');
    const server = createNetServer((socket) => {
      sockets.push(socket);
      const { readable, writable } = Duplex.toWeb(socket);
      onTls(acceptStreams({ readable: readable as ReadableStream<Uint8Array>, writable: writable as WritableStream<Uint8Array> }, config));
    });
    netServers.push(server);
    return listen(server);
  }

  it('serves wiretls connect(): 4 MiB echoed, hash-checked', async () => {
    const port = await streamsServer((tls) => void tls.readable.pipeTo(tls.writable).catch(() => undefined));
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, provider: testProvider() });
    const hash = createHash('sha256');
    let bytes = 0;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      socket.on('end', resolve);
      socket.on('error', reject);
    });
    socket.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    await within(done, 60_000, 'echo');
    expect(bytes).toBe(SIZE);
    expect(hash.digest('hex')).toBe(sha256(data));
  }, 60_000);

  it('serves openssl s_client, which verifies the chain', async () => {
    const port = await streamsServer((tls) => {
      void tls.handshake.then(
        async () => {
          const writer = tls.writable.getWriter();
          await writer.write(new TextEncoder().encode('hello from acceptStreams\n'));
          await writer.close();
        },
        () => undefined,
      );
    });
    const client = spawnOpenssl(['s_client', '-tls1_3', '-connect', `127.0.0.1:${port}`, '-CAfile', pkiPath('root.pem'), '-servername', 'localhost', '-verify_return_error']);
    for (let i = 0; i < 200 && !client.stdout().toString('latin1').includes('hello from acceptStreams'); i++) await sleep(50);
    const output = client.stdout().toString('latin1');
    expect(output).toContain('Verify return code: 0 (ok)');
    expect(output).toContain('hello from acceptStreams');
    client.child.stdin!.end();
  }, 30_000);
});
