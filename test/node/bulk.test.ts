import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CipherSuite } from '../../src/registry.js';
import { connect } from '../../src/node/connect.js';
import { type Server, createServer } from '../../src/node/server.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { pkiPath } from '../helpers/fixtures.js';
import { ROOT_PEM, closeServer, drain, expectedHash, listen, sendBlocks, serverPem, sleep, waitEvent } from './support.js';

/**
 * 64 MiB each way through the Node adapter against OpenSSL 3.0, checked by SHA-256:
 * connect() ↔ `openssl s_server` and createServer() ↔ `openssl s_client`. ChaCha20-Poly1305,
 * the faster of the portable AEADs. Throughput is printed for the record.
 */

const SIZE = 64 << 20;
const TIMEOUT = 60_000;
const EXPECTED = expectedHash(SIZE);
const children = new Set<ChildProcess>();
const servers: Server[] = [];
let dir: string;

beforeAll(async () => {
  // The file `s_server -WWW` serves: the same blocks the hash above was taken over.
  dir = mkdtempSync(join(tmpdir(), 'wiretls-bulk-'));
  const file = createWriteStream(join(dir, 'big.bin'));
  await sendBlocks(file, SIZE);
}, TIMEOUT);

afterAll(async () => {
  for (const child of children) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(servers.map(closeServer));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Spawns openssl with raw stdout (a 64 MiB binary stream, not text) and stderr collected. */
function openssl(args: string[], options: { cwd?: string; stdin?: 'pipe' | 'ignore' } = {}): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn('openssl', args, { cwd: options.cwd, stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('latin1');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

function waitForText(stream: NodeJS.ReadableStream, pattern: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; got ${JSON.stringify(text.slice(0, 500))}`)), ms);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const match = pattern.exec(text);
      if (match) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(match);
      }
    };
    stream.on('data', onData);
  });
}

function report(what: string, bytes: number, ms: number): void {
  process.stdout.write(`[bulk] ${what}: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${(ms / 1000).toFixed(2)} s = ${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s\n`);
}

function sServer(extra: string[], options: { cwd?: string; stdin?: 'pipe' | 'ignore'; accept?: number } = {}) {
  return openssl(
    [
      's_server',
      '-accept',
      `127.0.0.1:${options.accept ?? 0}`,
      '-tls1_3',
      '-naccept',
      '1',
      '-ciphersuites',
      'TLS_CHACHA20_POLY1305_SHA256',
      '-cert',
      pkiPath('server-ecdsa-p256.pem'),
      '-key',
      pkiPath('server-ecdsa-p256-key.pem'),
      '-cert_chain',
      pkiPath('intermediate.pem'),
      ...extra,
    ],
    options,
  );
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  const port = await listen(probe);
  await closeServer(probe);
  return port;
}

async function connectWithRetry(port: number): Promise<TLSSocket> {
  for (let attempt = 0; ; attempt++) {
    const socket = wiretlsClient(port);
    try {
      await waitEvent(socket, 'secureConnect');
      return socket;
    } catch (error) {
      if ((error as { code?: string }).code !== 'CONNECT_FAILED' || attempt >= 50) throw error;
      await sleep(100);
    }
  }
}

function wiretlsClient(port: number): TLSSocket {
  return connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] });
}

describe('connect() ↔ openssl s_server, 64 MiB', () => {
  it(
    'download: s_server -WWW sends a 64 MiB file',
    async () => {
      const server = sServer(['-WWW'], { cwd: dir, stdin: 'ignore' });
      const port = Number((await waitForText(server.child.stdout!, /ACCEPT 127\.0\.0\.1:(\d+)/))[1]);
      const socket = wiretlsClient(port);
      await waitEvent(socket, 'secureConnect');
      const started = Date.now();
      socket.write('GET /big.bin HTTP/1.0\r\n\r\n');
      // The body follows the status line and headers s_server writes.
      const hash = createHash('sha256');
      let header: Buffer | undefined = Buffer.alloc(0);
      let status = '';
      let body = 0;
      const done = new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => {
          if (header) {
            const joined = Buffer.concat([header, chunk]);
            const end = joined.indexOf('\r\n\r\n');
            if (end < 0) {
              header = joined;
              return;
            }
            status = joined.subarray(0, end).toString();
            header = undefined;
            chunk = joined.subarray(end + 4);
          }
          hash.update(chunk);
          body += chunk.length;
        });
        socket.on('end', resolve);
        socket.on('error', reject);
      });
      await done;
      report('wiretls client ← openssl s_server', body, Date.now() - started);
      expect(status).toMatch(/^HTTP\/1\.0 200 ok/);
      expect(body).toBe(SIZE);
      expect(hash.digest('hex')).toBe(EXPECTED);
      socket.destroy();
    },
    TIMEOUT,
  );

  it(
    'upload: 64 MiB to s_server, which writes what it receives to stdout',
    async () => {
      // -quiet: no command letters and stdout holds only the data, but no ACCEPT line either,
      // so take a free port first and retry connecting while s_server starts (a refused
      // connection is not an accepted one, -naccept 1 still holds).
      const port = await freePort();
      // stdin stays open: s_server ends the connection at EOF on its stdin.
      const server = sServer(['-quiet'], { accept: port });
      const hash = createHash('sha256');
      let bytes = 0;
      server.child.stdout!.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      const socket = await connectWithRetry(port);
      const started = Date.now();
      await sendBlocks(socket, SIZE);
      await server.exited;
      report('wiretls client → openssl s_server', SIZE, Date.now() - started);
      expect(bytes).toBe(SIZE);
      expect(hash.digest('hex')).toBe(EXPECTED);
    },
    TIMEOUT,
  );
});

describe('createServer() ↔ openssl s_client, 64 MiB', () => {
  async function wiretlsServer(onConnection: (socket: TLSSocket) => void): Promise<number> {
    const server = createServer({ ...serverPem('ecdsa-p256'), cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] }, onConnection);
    servers.push(server);
    return listen(server);
  }

  function sClient(port: number, extra: string[]) {
    return openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pkiPath('root.pem'), '-verify_return_error', '-tls1_3', ...extra]);
  }

  it(
    'download: the server sends 64 MiB, s_client -quiet writes it to stdout',
    async () => {
      let started = 0;
      const port = await wiretlsServer((socket) => {
        started = Date.now();
        void sendBlocks(socket, SIZE);
      });
      const client = sClient(port, ['-quiet']);
      const received = drain(client.child.stdout!, TIMEOUT);
      const { bytes, sha256 } = await received;
      report('wiretls server → openssl s_client', bytes, Date.now() - started);
      expect(bytes).toBe(SIZE);
      expect(sha256).toBe(EXPECTED);
      client.child.stdin!.end();
    },
    TIMEOUT,
  );

  it(
    'upload: s_client sends 64 MiB from stdin (-nocommands), the server hashes it',
    async () => {
      let received: Promise<{ bytes: number; sha256: string }> | undefined;
      const connected = new Promise<void>((resolve) => {
        void wiretlsServer((socket) => {
          received = drain(socket, TIMEOUT);
          resolve();
        }).then((port) => {
          const client = sClient(port, ['-nocommands', '-brief']);
          client.child.stdout!.resume();
          void sendBlocks(client.child.stdin!, SIZE);
        });
      });
      await connected;
      const started = Date.now();
      const { bytes, sha256 } = await received!;
      report('wiretls server ← openssl s_client', bytes, Date.now() - started);
      expect(bytes).toBe(SIZE);
      expect(sha256).toBe(EXPECTED);
    },
    TIMEOUT,
  );
});
