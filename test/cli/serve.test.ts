import { type ChildProcess, spawn } from 'node:child_process';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkiPath } from '../helpers/fixtures.js';
import { type Spawned, start } from '../helpers/processes.js';
import { ROOT_PEM, readUntil, waitEvent } from '../node/support.js';
import { ensureBuilt, expectOneLine, runCli, startCli, stopCliProcesses } from './cli.js';

/**
 * `wiretls serve`, run as a user runs it: `listening on HOST:PORT`, --www answered by curl,
 * --echo to openssl s_client and to several node:tls clients at once, and SIGTERM sending
 * close_notify to every open connection before exiting 0.
 */

const TIMEOUT = 45_000;
const clients: tls.TLSSocket[] = [];

beforeAll(() => ensureBuilt(), 120_000);
/** curl runs, stopped by PID in afterAll with the rest. */
const others = new Set<ChildProcess>();

afterAll(() => {
  for (const client of clients) client.destroy();
  for (const child of others) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  stopCliProcesses();
});

const CREDENTIALS = ['--cert', pkiPath('server-ecdsa-p256-chain.pem'), '--key', pkiPath('server-ecdsa-p256-key.pem')];

async function serve(args: readonly string[] = []): Promise<{ server: Spawned; port: number }> {
  const server = startCli(['serve', '--port', '0', ...CREDENTIALS, ...args]);
  const match = await server.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/m, 30_000);
  return { server, port: Number(match[1]) };
}

async function nodeClient(port: number, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ...extra });
  clients.push(client);
  // Servers are killed at the end of tests; the reset that leaves is not this test's business.
  client.on('error', () => undefined);
  await waitEvent(client, 'secureConnect');
  return client;
}

async function echoOf(client: tls.TLSSocket, text: string): Promise<string> {
  client.write(text);
  return readUntil(client, (got) => got.length >= text.length);
}

/** processes.ts keeps output as latin1 text; the trace's arrows are UTF-8. */
function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

function run(command: string, args: string[], ms = 10_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    others.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${command} timed out; stderr: ${stderr}`));
    }, ms);
    child.on('error', reject);
    child.on('close', (status) => {
      others.delete(child);
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

// Each test runs its own server and mostly waits on processes: they run concurrently.
describe.concurrent('wiretls serve', () => {
  it(
    '--www answers curl --cacert with a page naming the negotiated parameters',
    async () => {
      const { server, port } = await serve(['--www', '--alpn', 'http/1.1']);
      const result = await run('curl', ['--silent', '--show-error', '--include', '--cacert', pkiPath('root.pem'), `https://localhost:${port}/`]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
      expect(result.stdout).toContain('protocol: TLSv1.3');
      expect(result.stdout).toMatch(/cipher: TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)/);
      expect(result.stdout).toContain('alpn: http/1.1');
      expect(result.stdout).toContain('server name: localhost');
      server.stop();
    },
    TIMEOUT,
  );

  it(
    '--echo (the default) to openssl s_client, data both ways; --trace shows the server side',
    async () => {
      const { server, port } = await serve(['--trace']);
      const client = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pkiPath('root.pem'), '-verify_return_error', '-brief']);
      try {
        await client.waitFor(/Verification: OK/);
        client.process.stdin!.write('echo me, wiretls\n');
        await client.waitFor(/echo me, wiretls\n/);
        client.process.stdin!.end();
        expect(await client.exited).toBe(0);
        for (const step of ['C → S  ClientHello', 'S → C  ServerHello', 'S → C  Certificate', 'S → C  Finished', 'C → S  Finished']) {
          expect(utf8(server.output())).toContain(step);
        }
      } finally {
        client.stop();
        server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'serves several connections at once, and on SIGTERM sends close_notify to each and exits 0',
    async () => {
      const { server, port } = await serve();
      const open = await Promise.all([nodeClient(port), nodeClient(port), nodeClient(port)]);
      // All three are open together; each gets its own echo.
      const echoes = await Promise.all(open.map((client, i) => echoOf(client, `client ${i} says hi`)));
      expect(echoes).toEqual(['client 0 says hi', 'client 1 says hi', 'client 2 says hi']);
      const ended = open.map((client) => {
        const errors: Error[] = [];
        client.on('error', (error) => errors.push(error));
        // node:tls emits 'end' for the peer's close_notify; a bare FIN or a reset is an error.
        return waitEvent(client, 'end').then(() => errors);
      });
      process.kill(server.process.pid!, 'SIGTERM');
      for (const errors of await Promise.all(ended)) expect(errors).toEqual([]);
      expect(await server.exited).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'several --cert/--key pairs: the client’s signature_algorithms choose',
    async () => {
      const { server, port } = await serve(['--cert', pkiPath('server-ed25519-chain.pem'), '--key', pkiPath('server-ed25519-key.pem')]);
      const ecdsa = await nodeClient(port, { sigalgs: 'ecdsa_secp256r1_sha256' });
      const ed25519 = await nodeClient(port, { sigalgs: 'ed25519' });
      expect(ecdsa.getPeerCertificate().subject.CN).toBe('wiretls test server (ECDSA P-256)');
      expect(ed25519.getPeerCertificate().subject.CN).toMatch(/Ed25519/);
      ecdsa.end();
      ed25519.end();
      server.stop();
    },
    TIMEOUT,
  );

  it(
    'usage errors exit 1 with one line: no --cert, an unreadable key, an unknown group',
    async () => {
      const cases = [
        ['serve', '--port', '0'],
        ['serve', '--port', '0', '--cert', pkiPath('server-ecdsa-p256-chain.pem'), '--key', pkiPath('no-such-key.pem')],
        ['serve', '--port', '0', ...CREDENTIALS, '--groups', 'not-a-group'],
        ['serve', '--port', '0', '--cert', pkiPath('server-ecdsa-p256-chain.pem'), '--key', pkiPath('root.pem')],
      ];
      const results = await Promise.all(cases.map((args) => runCli(args, { timeoutMs: 15_000 })));
      results.forEach((result, i) => {
        expect(result.status, cases[i]!.join(' ')).toBe(1);
        expectOneLine(result.stderr);
      });
    },
    TIMEOUT,
  );
});
