import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkiPath } from '../helpers/fixtures.js';
import { type Spawned, start } from '../helpers/processes.js';
import { ensureBuilt, expectOneLine, runCli, startCli, stopCliProcesses } from './cli.js';

/**
 * The CLI's resumption, 0-RTT and client-certificate flags, wiretls on both ends and against
 * openssl s_client: connect --session-out/--session-in/--early-data/--cert/--key and serve
 * --tickets/--early-data/--ca/--verify-client.
 */

const TIMEOUT = 45_000;
const ROOT = pkiPath('root.pem');
const CREDENTIALS = ['--cert', pkiPath('server-ecdsa-p256-chain.pem'), '--key', pkiPath('server-ecdsa-p256-key.pem')];
const REQUEST = 'GET / HTTP/1.0\r\n\r\n';
const CLIENT = ['--cert', pkiPath('client-ecdsa-p256-chain.pem'), '--key', pkiPath('client-ecdsa-p256-key.pem')];
let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'wiretls-cli-resume-'));
}, 120_000);

afterAll(() => {
  stopCliProcesses();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function serve(args: readonly string[]): Promise<{ server: Spawned; port: number }> {
  const server = startCli(['serve', '--port', '0', ...CREDENTIALS, ...args]);
  const match = await server.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/m, 30_000);
  return { server, port: Number(match[1]) };
}

async function until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function connectArgs(port: number, ...extra: string[]): string[] {
  return ['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--servername', 'localhost', '--json', ...extra];
}

function received(stdout: string): string {
  return Buffer.from((JSON.parse(stdout) as { received: string }).received, 'base64').toString();
}

// Each test runs its own peers and mostly waits on processes: they run concurrently.
describe.concurrent('resumption and 0-RTT', () => {
  it(
    'connect --session-out, then --session-in --early-data against serve --early-data: resumed, 0-RTT accepted',
    async () => {
      // --www answers and closes, so each connect ends without waiting for --timeout.
      const { server, port } = await serve(['--www', '--early-data']);
      try {
        const session = join(dir, 'session.json');
        const first = await runCli(connectArgs(port, '--session-out', session, '--send', REQUEST));
        expect(first.status).toBe(0);
        expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, resumed: false, earlyData: 'not_offered' });
        expect(existsSync(session)).toBe(true);

        // The whole request goes in 0-RTT; the page the server answers with says so.
        const early = join(dir, 'early.txt');
        writeFileSync(early, REQUEST);
        const second = await runCli(connectArgs(port, '--session-in', session, '--early-data', early));
        expect(second.status).toBe(0);
        expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, resumed: true, earlyData: 'accepted', verified: true });
        expect(received(second.stdout)).toContain('resumed: yes\nearly data: accepted\n');
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'a server without --early-data resumes but takes no 0-RTT: the data is sent again after the handshake',
    async () => {
      const { server, port } = await serve(['--www']);
      try {
        const session = join(dir, 'plain-session.json');
        expect((await runCli(connectArgs(port, '--session-out', session, '--send', REQUEST))).status).toBe(0);
        const early = join(dir, 'early2.txt');
        writeFileSync(early, REQUEST);
        const second = await runCli(connectArgs(port, '--session-in', session, '--early-data', early));
        expect(second.status).toBe(0);
        expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, resumed: true, earlyData: 'not_offered' });
        expect(received(second.stdout)).toContain('resumed: yes\nearly data: not_offered\n');
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'serve issues tickets openssl s_client resumes with; --tickets 0 issues none',
    async () => {
      const { server, port } = await serve(['--tickets', '1']);
      const none = await serve(['--tickets', '0']);
      const session = join(dir, 'openssl-session.pem');
      const sClient = (p: number, extra: string[]): Spawned =>
        start('openssl', ['s_client', '-connect', `127.0.0.1:${p}`, '-servername', 'localhost', '-CAfile', ROOT, '-verify_return_error', ...extra], { stdin: 'pipe' });
      try {
        // s_client's stdout is block-buffered in a pipe; the -sess_out file is written (and
        // closed) when a ticket arrives, so that is what to wait for.
        const first = sClient(port, ['-sess_out', session]);
        await until(() => existsSync(session), 'a ticket for s_client');
        first.process.stdin!.end();
        await first.exited;
        const second = sClient(port, ['-sess_in', session]);
        await second.waitFor(/Reused, TLSv1\.3/);
        second.process.stdin!.end();
        await second.exited;

        const noTicket = join(dir, 'no-ticket.pem');
        const third = sClient(none.port, ['-sess_out', noTicket]);
        await third.waitFor(/Verify return code: 0 \(ok\)/);
        third.process.stdin!.write('ping\n');
        await third.waitFor(/ping\n/);
        third.process.stdin!.end();
        await third.exited;
        expect(existsSync(noTicket)).toBe(false);
      } finally {
        server.stop();
        none.server.stop();
      }
    },
    TIMEOUT,
  );
});

describe.concurrent('client certificates', () => {
  it(
    'serve --verify-client require --ca: connect --cert/--key is let in and named on the --www page; no certificate is refused',
    async () => {
      const { server, port } = await serve(['--www', '--verify-client', 'require', '--ca', ROOT]);
      try {
        const withCert = await runCli(connectArgs(port, ...CLIENT, '--send', REQUEST));
        expect(withCert.status).toBe(0);
        const page = received(withCert.stdout);
        expect(page).toMatch(/^HTTP\/1\.0 200 ok/);
        expect(page).toContain('client certificate: CN=wiretls test client (ECDSA P-256), O=wiretls test PKI (verified)');

        const without = await runCli(connectArgs(port, '--send', REQUEST));
        expect(without.status).toBe(3);
        expect(JSON.parse(without.stdout).error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'certificate_required' });
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'serve --verify-client optional: openssl s_client with and without a certificate both get in',
    async () => {
      const { server, port } = await serve(['--www', '--verify-client', 'optional', '--ca', ROOT]);
      try {
        for (const [extra, expected] of [
          [
            ['-cert', pkiPath('client-ecdsa-p256.pem'), '-key', pkiPath('client-ecdsa-p256-key.pem'), '-cert_chain', pkiPath('intermediate.pem')],
            'client certificate: CN=wiretls test client',
          ],
          [[], 'client certificate: none'],
        ] as const) {
          const client = start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', ROOT, '-quiet', ...extra]);
          client.process.stdin!.write(REQUEST);
          await client.waitFor(new RegExp(expected));
          client.stop();
        }
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );
});

describe('usage errors', () => {
  it(
    'each one line, exit 1',
    async () => {
      const garbage = join(dir, 'garbage-session.json');
      writeFileSync(garbage, 'not a session');
      const cases = [
        ['connect', '127.0.0.1:1', '--early-data', pkiPath('root.pem')],
        ['connect', '127.0.0.1:1', '--session-in', garbage],
        ['connect', '127.0.0.1:1', '--cert', pkiPath('client-ecdsa-p256.pem')],
        ['connect', '127.0.0.1:1', '--cert', pkiPath('client-ecdsa-p256.pem'), '--key', pkiPath('root.pem')],
        ['serve', ...CREDENTIALS, '--verify-client', 'require'],
        ['serve', ...CREDENTIALS, '--verify-client', 'sometimes', '--ca', ROOT],
        ['serve', ...CREDENTIALS, '--ca', ROOT],
        ['serve', ...CREDENTIALS, '--tickets', '99'],
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
