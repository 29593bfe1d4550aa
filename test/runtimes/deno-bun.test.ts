import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../cli/cli.js';
import { pkiPath } from '../helpers/fixtures.js';
import { start, stopAll } from '../helpers/processes.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { FIXTURES, type Peer, ROOT, ROOT_PEM, missingRuntime, quietEnv, startOpensslWww, unavailable, withTimeout } from './harness.js';

/**
 * wiretls in Deno and Bun (issue 14 item 5): test/runtimes/fixtures/tcp-client.mjs imports
 * 'wiretls' (the runtime resolves it through the package's exports map, with its own
 * condition), opens a TCP socket with the runtime's API (Deno.connect, Bun.connect) and runs
 * TLS over its Web Streams to `openssl s_server -www`, verifying the chain against the test
 * root it is given.
 */

interface ClientResult {
  ok: boolean;
  runtime: string;
  entry?: string;
  session?: { cipherSuite: number; group: number | undefined; signatureScheme: number | undefined; helloRetry: boolean; authorized: boolean; peerCertificates: number };
  answer?: string;
  tlsError?: boolean;
  code?: string;
  message?: string;
}

const RUNTIMES = [
  {
    name: 'Deno',
    executable: join(ROOT, 'node_modules/.bin/deno'),
    // The client needs nothing but TCP to 127.0.0.1: no read, env or other net permission.
    args: (script: string, options: string) => ['run', '--no-prompt', '--quiet', '--allow-net=127.0.0.1', script, options],
    example: (port: number) => [
      'run',
      '--no-prompt',
      '--quiet',
      '--allow-net=127.0.0.1',
      `--allow-read=${pkiPath('root.pem')}`,
      join(ROOT, 'examples/deno/client.js'),
      '127.0.0.1',
      String(port),
      'localhost',
      pkiPath('root.pem'),
    ],
  },
  {
    name: 'Bun',
    executable: join(ROOT, 'node_modules/.bin/bun'),
    args: (script: string, options: string) => [script, options],
    example: (port: number) => [join(ROOT, 'examples/bun/client.js'), '127.0.0.1', String(port), 'localhost', pkiPath('root.pem')],
  },
];

let openssl: Peer;

beforeAll(async () => {
  // The runtimes import the built package (dist/) through its exports map.
  await ensureBuilt();
  openssl = await startOpensslWww('ecdsa-p256');
}, 120_000);

afterAll(() => stopAll());

describe.each(RUNTIMES)('$name', (runtime) => {
  let why: string | undefined;
  beforeAll(() => {
    why = unavailable(runtime.executable);
  }, 30_000);

  async function run(skip: (note: string) => never, options: { serverName?: string; groups?: number[]; cipherSuites?: number[] }): Promise<ClientResult> {
    if (why) missingRuntime(skip, runtime.name, why);
    const json = JSON.stringify({ port: openssl.port, serverName: options.serverName ?? 'localhost', caPem: ROOT_PEM, request: 'GET / HTTP/1.0\r\n\r\n', ...options });
    const child = start(runtime.executable, runtime.args(join(FIXTURES, 'tcp-client.mjs'), json), { stdin: 'ignore', cwd: ROOT, env: quietEnv() });
    try {
      const status = await withTimeout(child.exited, 25_000, `${runtime.name} client`);
      const line = child
        .output()
        .split('\n')
        .find((l) => l.startsWith('{"ok"'));
      if (status !== 0 || !line) throw new Error(`${runtime.name} exited ${status} without a result:\n${child.output().slice(0, 3000)}`);
      return JSON.parse(line) as ClientResult;
    } finally {
      child.stop();
    }
  }

  test('P-256 and AES-128-GCM to openssl s_server, chain checked, package taken by its runtime condition', async (ctx) => {
    const result = await run(ctx.skip, { groups: [NamedGroup.secp256r1], cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
    expect(result, result.message).toMatchObject({ ok: true, entry: 'engine' });
    expect(result.runtime.toLowerCase()).toContain(runtime.name.toLowerCase());
    expect(result.session).toEqual({
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      group: NamedGroup.secp256r1,
      signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256,
      helloRetry: false,
      authorized: true,
      peerCertificates: 2,
    });
    expect(result.answer).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
    expect(result.answer).toContain('New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256');
  });

  test('X25519 and AES-256-GCM: the server reports the same suite', async (ctx) => {
    const result = await run(ctx.skip, { groups: [NamedGroup.x25519], cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] });
    expect(result, result.message).toMatchObject({ ok: true });
    expect(result.session).toMatchObject({ cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384, group: NamedGroup.x25519, authorized: true });
    expect(result.answer).toContain('New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384');
  });

  test('a name the certificate does not carry fails with CERT_HOSTNAME_MISMATCH', async (ctx) => {
    const result = await run(ctx.skip, { serverName: 'other.example' });
    expect(result).toMatchObject({ ok: false, tlsError: true, code: 'CERT_HOSTNAME_MISMATCH' });
  });

  test('the example in examples/ runs as its comment says', async (ctx) => {
    if (why) missingRuntime(ctx.skip, runtime.name, why);
    const child = start(runtime.executable, runtime.example(openssl.port), { stdin: 'ignore', cwd: ROOT, env: quietEnv() });
    try {
      const status = await withTimeout(child.exited, 25_000, `${runtime.name} example`);
      expect(status, child.output()).toBe(0);
      expect(child.output()).toMatch(/connected: TLS_AES_\d+_GCM_SHA\d+, \w+/);
      expect(child.output()).toContain('HTTP/1.0 200 ok');
    } finally {
      child.stop();
    }
  });
});
