import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../cli/cli.js';
import { type Spawned, start, stopAll } from '../helpers/processes.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { bundle } from './bundle.js';
import { FIXTURES, type Peer, ROOT, ROOT_PEM, STARTUP_TIMEOUT_MS, missingRuntime, quietEnv, startOpensslWww, tempDir, unavailable, withTimeout } from './harness.js';

/**
 * wiretls in workerd, the Cloudflare Workers runtime (issue 14 item 5): a Worker bundled from
 * test/runtimes/fixtures/worker.js reaches `openssl s_server -www` with connect() from
 * 'cloudflare:sockets' and answers over HTTP with what it negotiated. The capnp config lets the
 * Worker's outbound connections reach loopback only.
 */

interface WorkerResult {
  ok: boolean;
  entry?: string;
  session?: { cipherSuite: number; group: number | undefined; signatureScheme: number | undefined; helloRetry: boolean; authorized: boolean; peerCertificates: number };
  answer?: string;
  tlsError?: boolean;
  code?: string;
  message?: string;
}

const WORKERD = join(ROOT, 'node_modules/.bin/workerd');

let openssl: Peer;
let workerd: Spawned | undefined;
let url: string | undefined;
let exampleUrl: string | undefined;
let why: string | undefined;
const dir = tempDir('workerd');

function config(port: number, examplePort: number, opensslPort: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .tlsWorker),
    (name = "example", worker = .exampleWorker),
    # connect() goes out through globalOutbound: loopback and nothing else.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:${port}", http = (), service = "main"),
    (name = "example", address = "127.0.0.1:${examplePort}", http = (), service = "example"),
  ],
);

# examples/cloudflare-worker/worker.js, configured as its comment says (vars and CA_PEM).
const exampleWorker :Workerd.Worker = (
  modules = [(name = "example.js", esModule = embed "example.js")],
  compatibilityDate = "2025-01-01",
  bindings = [
    (name = "TLS_HOST", text = "127.0.0.1"),
    (name = "TLS_PORT", text = "${opensslPort}"),
    (name = "TLS_SERVERNAME", text = "localhost"),
    (name = "CA_PEM", text = embed "root.pem"),
  ],
  globalOutbound = "loopback",
);

const tlsWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-01-01",
  bindings = [(name = "CA_PEM", text = embed "root.pem")],
  globalOutbound = "loopback",
);
`;
}

/** A port nobody listens on right now, for workerd's HTTP socket (it cannot report one it chose). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls until workerd answers HTTP (it prints nothing when ready), within STARTUP_TIMEOUT_MS. */
async function waitForHttp(target: string, process: Spawned): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    try {
      const response = await fetch(target, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`workerd did not answer on ${target} within ${STARTUP_TIMEOUT_MS} ms: ${(error as Error).message}\n${process.output()}`);
      if (process.process.exitCode !== null) throw new Error(`workerd exited ${process.process.exitCode}:\n${process.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

beforeAll(async () => {
  await ensureBuilt();
  openssl = await startOpensslWww('ecdsa-p256');
  why = unavailable(WORKERD);
  if (why) return;
  const worker = await bundle(join(FIXTURES, 'worker.js'), { platform: 'neutral', conditions: ['workerd', 'worker', 'browser'], external: ['cloudflare:sockets'] });
  writeFileSync(join(dir.path, 'worker.js'), worker.code);
  const example = await bundle(join(ROOT, 'examples/cloudflare-worker/worker.js'), {
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:sockets'],
  });
  writeFileSync(join(dir.path, 'example.js'), example.code);
  writeFileSync(join(dir.path, 'root.pem'), ROOT_PEM);
  const port = await freePort();
  const examplePort = await freePort();
  exampleUrl = `http://127.0.0.1:${examplePort}/`;
  writeFileSync(join(dir.path, 'config.capnp'), config(port, examplePort, openssl.port));
  workerd = start(WORKERD, ['serve', join(dir.path, 'config.capnp')], { stdin: 'ignore', cwd: dir.path, env: quietEnv() });
  url = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(url, workerd);
  } catch (error) {
    why = (error as Error).message;
  }
}, 120_000);

afterAll(() => {
  stopAll();
  dir.remove();
});

async function run(skip: (note: string) => never, options: { serverName?: string; groups?: number[]; cipherSuites?: number[] }): Promise<WorkerResult> {
  if (why || !url) missingRuntime(skip, 'workerd', why ?? 'not started');
  const body = JSON.stringify({ port: openssl.port, serverName: options.serverName ?? 'localhost', request: 'GET / HTTP/1.0\r\n\r\n', ...options });
  const response = await withTimeout(fetch(url!, { method: 'POST', body, signal: AbortSignal.timeout(25_000) }), 26_000, 'the Worker to answer');
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as WorkerResult;
}

test('workerd: connect() to openssl s_server, P-256 and AES-128-GCM, chain checked, "workerd" condition taken', async (ctx) => {
  const result = await run(ctx.skip, { groups: [NamedGroup.secp256r1], cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
  expect(result, result.message).toMatchObject({ ok: true, entry: 'engine' });
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

test('workerd: X25519 and AES-256-GCM, the server reports the same suite', async (ctx) => {
  const result = await run(ctx.skip, { groups: [NamedGroup.x25519], cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] });
  expect(result, result.message).toMatchObject({ ok: true });
  expect(result.session).toMatchObject({ cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384, group: NamedGroup.x25519, authorized: true });
  expect(result.answer).toContain('New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384');
});

test('workerd: a name the certificate does not carry fails with CERT_HOSTNAME_MISMATCH', async (ctx) => {
  const result = await run(ctx.skip, { serverName: 'other.example' });
  expect(result).toMatchObject({ ok: false, tlsError: true, code: 'CERT_HOSTNAME_MISMATCH' });
});

test("workerd: examples/cloudflare-worker streams the server's answer, parameters in x-tls", async (ctx) => {
  if (why || !exampleUrl) missingRuntime(ctx.skip, 'workerd', why ?? 'not started');
  const response = await withTimeout(fetch(exampleUrl!, { signal: AbortSignal.timeout(25_000) }), 26_000, 'the example Worker to answer');
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('x-tls')).toMatch(/^TLS_AES_\d+_GCM_SHA\d+ \w+$/);
  expect(text).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
  expect(text).toContain(`Cipher is ${response.headers.get('x-tls')!.split(' ')[0]}`);
});
