import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkiPath } from '../helpers/fixtures.js';
import { type Spawned, start } from '../helpers/processes.js';
import { ensureBuilt, runCli, startCli, stopCliProcesses } from '../cli/cli.js';

/**
 * The --explain flags as a user runs them (node dist/cli/main.js): connect against `openssl
 * s_server`, serve to `openssl s_client`, demo offline. The pages are parsed back: every
 * record's regions form a well-framed record, every secret with a key log name equals the
 * line --keylog wrote, and a redacted explanation holds none of them.
 */

const TIMEOUT = 45_000;
let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'wiretls-explain-'));
}, 120_000);

afterAll(() => {
  stopCliProcesses();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function sServer(): Promise<{ port: number; process: Spawned }> {
  const process = start('openssl', [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-tls1_3',
    '-naccept',
    '1',
    '-rev',
    '-cert',
    pkiPath('server-ecdsa-p256.pem'),
    '-key',
    pkiPath('server-ecdsa-p256-key.pem'),
    '-cert_chain',
    pkiPath('intermediate.pem'),
  ]);
  const match = await process.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/);
  return { port: Number(match[1]), process };
}

/** Each record on the page, joined from its regions: a 5-byte header whose length frames the rest. */
function pageRecords(html: string): string[] {
  const records = new Map<number, string>();
  for (const m of html.matchAll(/<code class="w" data-r="(\d+)">([^<]*)<\/code>/g)) {
    const index = Number(m[1]);
    records.set(index, (records.get(index) ?? '') + m[2]!.replace(/\s+/g, ''));
  }
  const out = [...records.entries()].sort(([a], [b]) => a - b).map(([, hex]) => hex);
  for (const hex of out) {
    expect([20, 21, 22, 23]).toContain(parseInt(hex.slice(0, 2), 16));
    expect(hex.length / 2).toBe(5 + parseInt(hex.slice(6, 10), 16));
  }
  return out;
}

/** NSS key log lines → name → secret hex. */
function keyLog(file: string): Map<string, string> {
  return new Map(
    readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => [l.split(' ')[0]!, l.split(' ')[2]!] as [string, string]),
  );
}

describe('--explain on the command line', () => {
  it(
    'connect --explain FILE.html against openssl s_server: the page, its records, its secrets equal to --keylog, the warning on stderr',
    async () => {
      const server = await sServer();
      const page = join(dir, 'connect.html');
      const keylog = join(dir, 'connect.keys');
      const result = await runCli([
        'connect',
        `127.0.0.1:${server.port}`,
        '--ca',
        pkiPath('root.pem'),
        '--servername',
        'localhost',
        '--keylog',
        keylog,
        '--send',
        'hello\nCLOSE\n',
        '--explain',
        page,
      ]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain(`${page} contains this connection's traffic secrets`);
      const html = readFileSync(page, 'utf8');
      expect(statSync(page).size).toBeLessThan(300 * 1024);
      const records = pageRecords(html);
      expect(records.length).toBeGreaterThanOrEqual(6);
      // The first record is our ClientHello, in the clear: handshake, client_hello.
      expect(records[0]!.slice(0, 2)).toBe('16');
      expect(records[0]!.slice(10, 12)).toBe('01');
      const log = keyLog(keylog);
      expect(log.size).toBe(5);
      const shown = [...html.matchAll(/data-keylog="([A-Z_0-9]+)">([0-9a-f]+)</g)];
      for (const [, name, hex] of shown) expect(hex, name).toBe(log.get(name!));
      expect(new Set(shown.map((m) => m[1]))).toEqual(new Set(log.keys()));
      expect(html).toContain('✓ TLS 1.3 with');
      expect(html).not.toContain('DIFFERENT');
      // Every protected record opened again with the key and nonce shown (no ✗ anywhere).
      expect(html).not.toContain('✗');
      expect(html).toContain('Decrypting again with this key and nonce gives the plaintext below');
      expect(html).toContain('&quot;olleh\\n&quot;');
      await server.process.exited;
    },
    TIMEOUT,
  );

  it(
    'connect --explain - --explain-redact: text on stdout, no colour off a TTY, no secret',
    async () => {
      const server = await sServer();
      const keylog = join(dir, 'redact.keys');
      const result = await runCli([
        'connect',
        `127.0.0.1:${server.port}`,
        '--ca',
        pkiPath('root.pem'),
        '--servername',
        'localhost',
        '--keylog',
        keylog,
        '--send',
        'hi\nCLOSE\n',
        '--explain',
        '-',
        '--explain-redact',
      ]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain('━━ 1. Hello');
      expect(result.stdout).toContain('━━ 4. Keys');
      expect(result.stdout).toContain('‹secret, 32 bytes, redacted›');
      expect(result.stdout).not.toContain('\x1b[');
      const flat = result.stdout.replace(/\s+/g, '');
      for (const [name, hex] of keyLog(keylog)) expect(flat.includes(hex), name).toBe(false);
      for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
      await server.process.exited;
    },
    TIMEOUT,
  );

  it(
    'serve --explain DIR: one page per connection from openssl s_client, written when it closes',
    async () => {
      const out = join(dir, 'served');
      const server = startCli(['serve', '--port', '0', '--cert', pkiPath('server-ecdsa-p256-chain.pem'), '--key', pkiPath('server-ecdsa-p256-key.pem'), '--explain', out]);
      try {
        const port = Number((await server.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/m, 30_000))[1]);
        for (let i = 0; i < 2; i++) {
          const client = start('openssl', [
            's_client',
            '-connect',
            `127.0.0.1:${port}`,
            '-servername',
            'localhost',
            '-CAfile',
            pkiPath('root.pem'),
            '-verify_return_error',
            '-brief',
          ]);
          await client.waitFor(/Verification: OK/);
          client.process.stdin!.write('echo me\n');
          await client.waitFor(/echo me\n/);
          client.process.stdin!.end();
          expect(await client.exited).toBe(0);
        }
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && !(existsSync(out) && readdirSync(out).length >= 2)) await new Promise((r) => setTimeout(r, 50));
        expect(readdirSync(out).sort()).toEqual(['connection-1.html', 'connection-2.html']);
        for (const name of readdirSync(out)) {
          const html = readFileSync(join(out, name), 'utf8');
          expect(pageRecords(html).length).toBeGreaterThanOrEqual(5);
          expect(html).toContain('this side</dt><dd>server');
          expect(html).toContain('data-keylog="SERVER_TRAFFIC_SECRET_0"');
        }
        await server.waitFor(/connection-2\.html contains this connection's traffic secrets/);
      } finally {
        server.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'demo --explain FILE.html: offline, the page written, exit 0',
    async () => {
      const page = join(dir, 'demo.html');
      const result = await runCli(['demo', '--explain', page]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain('traffic secrets');
      const html = readFileSync(page, 'utf8');
      expect(pageRecords(html).length).toBeGreaterThanOrEqual(8);
      expect(html).toContain('The conversation at a glance');
      expect(statSync(page).size).toBeLessThan(300 * 1024);
    },
    TIMEOUT,
  );

  it('usage: --explain-redact alone, serve --explain -', async () => {
    const alone = await runCli(['connect', '127.0.0.1:1', '--explain-redact']);
    expect(alone.status).toBe(1);
    expect(alone.stderr).toContain('--explain-redact goes with --explain');
    const dash = await runCli(['serve', '--cert', pkiPath('server-ecdsa-p256-chain.pem'), '--key', pkiPath('server-ecdsa-p256-key.pem'), '--explain', '-']);
    expect(dash.status).toBe(1);
    expect(dash.stderr).toContain('serve --explain takes a directory');
  });
});
