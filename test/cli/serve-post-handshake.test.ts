import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkiPath } from '../helpers/fixtures.js';
import { type Spawned, start } from '../helpers/processes.js';
import { waitEvent } from '../node/support.js';
import { ensureBuilt, runCli, startCli, stopCliProcesses } from './cli.js';

/**
 * `wiretls serve --www` as a target for the post-handshake messages (RFC 8446 §4.6): GET
 * /keyupdate sends KeyUpdate(update_requested) before the answer, GET /client-cert asks for a
 * client certificate after the handshake (403 when the client did not offer
 * post_handshake_auth); each tried with openssl s_client and with wiretls connect. And every
 * log line of `serve` names the peer, a failed handshake's included.
 */

const TIMEOUT = 60_000;
const ROOT = pkiPath('root.pem');
const CLIENT = ['-cert', pkiPath('client-ecdsa-p256.pem'), '-key', pkiPath('client-ecdsa-p256-key.pem'), '-cert_chain', pkiPath('intermediate.pem')];
const CLIENT_SUBJECT = 'client certificate: CN=wiretls test client (ECDSA P-256), O=wiretls test PKI (verified)';

beforeAll(() => ensureBuilt(), 120_000);
afterAll(() => stopCliProcesses());

async function serve(args: readonly string[] = []): Promise<{ server: Spawned; port: number }> {
  const server = startCli(['serve', '--port', '0', '--cert', pkiPath('server-ecdsa-p256-chain.pem'), '--key', pkiPath('server-ecdsa-p256-key.pem'), ...args]);
  const match = await server.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/m, 30_000);
  return { server, port: Number(match[1]) };
}

/**
 * openssl s_client sends `request`; its whole output once the server has answered and closed
 * the connection, which ends s_client (its stdin stays open until then).
 */
async function sClient(port: number, request: string, args: readonly string[]): Promise<string> {
  const client = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', ROOT, '-verify_return_error', ...args]);
  try {
    await client.waitFor(/Verify return code: 0 \(ok\)|Verification: OK/, 30_000);
    client.process.stdin!.write(request);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`s_client still running; output:\n${client.output()}`)), 30_000)));
    await Promise.race([client.exited, late]).finally(() => clearTimeout(timer));
    return client.output();
  } finally {
    client.stop();
  }
}

const GET = (path: string): string => `GET ${path} HTTP/1.0\r\n\r\n`;

describe.concurrent('wiretls serve --www: post-handshake messages on request', () => {
  it(
    'GET /keyupdate: openssl s_client receives KeyUpdate(update_requested) before the answer; wiretls connect answers it with its own',
    async () => {
      const { server, port } = await serve(['--www']);
      try {
        const openssl = await sClient(port, GET('/keyupdate'), ['-msg']);
        // -msg shows the handshake message in hex: type 24 (key_update), length 1, request_update 1.
        const keyUpdate = openssl.indexOf('KeyUpdate');
        expect(keyUpdate, openssl).toBeGreaterThan(0);
        expect(openssl.slice(keyUpdate)).toMatch(/^KeyUpdate\s+18 00 00 01 01/);
        expect(openssl.indexOf('HTTP/1.0 200 ok')).toBeGreaterThan(keyUpdate);
        expect(openssl).toContain('key update: sent KeyUpdate(update_requested) before this answer');

        const wiretls = await runCli(['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--servername', 'localhost', '--trace', '--send', GET('/keyupdate')]);
        expect(wiretls.status, wiretls.stderr).toBe(0);
        const out = wiretls.stdout;
        expect(out).toMatch(/S → C {2}KeyUpdate/);
        expect(out).toMatch(/C → S {2}KeyUpdate/);
        expect(out.indexOf('HTTP/1.0 200 ok')).toBeGreaterThan(out.indexOf('S → C  KeyUpdate'));
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'GET /client-cert: openssl s_client -enable_pha and wiretls connect --cert are asked after the handshake and named in the answer',
    async () => {
      const { server, port } = await serve(['--www', '--ca', ROOT, '--trace']);
      try {
        const openssl = await sClient(port, GET('/client-cert'), ['-enable_pha', ...CLIENT]);
        expect(openssl).toContain('HTTP/1.0 200 ok');
        expect(openssl).toContain(CLIENT_SUBJECT);
        expect(openssl).toContain('post-handshake authentication: done');

        const wiretls = await runCli([
          'connect',
          `127.0.0.1:${port}`,
          '--ca',
          ROOT,
          '--servername',
          'localhost',
          '--cert',
          pkiPath('client-ecdsa-p256-chain.pem'),
          '--key',
          pkiPath('client-ecdsa-p256-key.pem'),
          '--send',
          GET('/client-cert'),
        ]);
        expect(wiretls.status, wiretls.stderr).toBe(0);
        expect(wiretls.stdout).toContain('HTTP/1.0 200 ok');
        expect(wiretls.stdout).toContain(CLIENT_SUBJECT);
        // The server's trace shows the request after the handshake.
        expect(Buffer.from(server.output(), 'latin1').toString('utf8')).toMatch(/S → C {2}CertificateRequest/);
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'GET /client-cert from a client that did not offer post_handshake_auth: 403 saying so, nothing asked',
    async () => {
      const { server, port } = await serve(['--www', '--ca', ROOT, '--trace']);
      try {
        const openssl = await sClient(port, GET('/client-cert'), []);
        expect(openssl).toContain('HTTP/1.0 403 Forbidden');
        expect(openssl).toContain('the client did not offer post_handshake_auth');
        const wiretls = await runCli(['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--servername', 'localhost', '--send', GET('/client-cert')]);
        expect(wiretls.stdout).toContain('HTTP/1.0 403 Forbidden');
        expect(Buffer.from(server.output(), 'latin1').toString('utf8')).not.toMatch(/CertificateRequest/);
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );
});

describe('wiretls serve logs name the peer', () => {
  it(
    "a failed handshake is logged as [address:port], the client's own",
    async () => {
      const { server, port } = await serve();
      try {
        const socket = netConnect(port, '127.0.0.1');
        await waitEvent(socket, 'connect');
        const local = `${socket.localAddress}:${socket.localPort}`;
        socket.on('error', () => undefined);
        socket.end('GET / HTTP/1.0\r\n\r\n');
        const line = await server.waitFor(/^\[.*\] handshake failed.*$/m, 20_000);
        expect(line[0]).toMatch(new RegExp(`^\\[${local.replace(/\./g, '\\.')}\\] handshake failed: PROTOCOL_ERROR \\(decode_error\\) \\[not_a_tls_record\\]: `));
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );
});
