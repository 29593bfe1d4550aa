import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../cli/cli.js';
import { pkiPath } from '../helpers/fixtures.js';
import { type Spawned, start } from '../helpers/processes.js';

/**
 * Shared set-up for the runtime tests (browsers, Deno, Bun, workerd): the peers they reach
 * (openssl s_server, wiretls serve, wiretls relay), and the rule for a runtime that is not
 * there. Under CI (.ci/run sets WIRETLS_REQUIRE_RUNTIMES=1) a missing runtime is a failure:
 * a skipped proof is no proof. On a developer machine it skips, saying why.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const REQUIRE_RUNTIMES = process.env.WIRETLS_REQUIRE_RUNTIMES === '1';
export const ROOT_PEM = readFileSync(pkiPath('root.pem'), 'utf8');

/** Every wait in these tests is bounded; a runtime that hangs fails instead of stalling CI. */
export const STARTUP_TIMEOUT_MS = 20_000;

/**
 * Why `executable` cannot be used (undefined: it can). Runs `versionArgs` once so a binary
 * that exists but cannot start (missing shared libraries, wrong architecture) counts as missing.
 */
export function unavailable(executable: string, versionArgs: readonly string[] = ['--version']): string | undefined {
  if (!existsSync(executable)) return `${executable} not found`;
  const probe = spawnSync(executable, versionArgs, { timeout: 15_000, encoding: 'utf8', env: quietEnv() });
  if (probe.error) return `${executable} ${versionArgs.join(' ')} failed: ${probe.error.message}`;
  if (probe.status !== 0) return `${executable} ${versionArgs.join(' ')} exited ${probe.status ?? probe.signal}: ${(probe.stderr || probe.stdout).trim().slice(0, 300)}`;
  return undefined;
}

/**
 * For a test whose runtime is unavailable: throws under WIRETLS_REQUIRE_RUNTIMES=1, otherwise
 * prints the reason and skips (vitest's ctx.skip throws to end the test).
 */
export function missingRuntime(skip: (note: string) => never, runtime: string, reason: string): never {
  const message = `${runtime} unavailable: ${reason}`;
  if (REQUIRE_RUNTIMES) throw new Error(`${message} (WIRETLS_REQUIRE_RUNTIMES=1: every runtime must run)`);
  process.stderr.write(`[runtimes] skipping: ${message}\n`);
  return skip(message);
}

/** No update checks, telemetry or colour codes from the runtimes: nothing leaves 127.0.0.1. */
export function quietEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', DO_NOT_TRACK: '1', BUN_DISABLE_TELEMETRY: '1', ...extra };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `wiretls-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Peer {
  process: Spawned;
  port: number;
}

async function ready(process: Spawned, pattern: RegExp): Promise<Peer> {
  try {
    const match = await process.waitFor(pattern, STARTUP_TIMEOUT_MS);
    return { process, port: Number(match[1]) };
  } catch (error) {
    process.stop();
    throw error;
  }
}

/**
 * `openssl s_server -www` (answers GET with a status page naming the cipher) with the leaf and
 * intermediate of `kind`, for any number of connections; `args` adds e.g. `-groups`.
 */
export function startOpensslWww(kind: string, args: readonly string[] = []): Promise<Peer> {
  return ready(
    start('openssl', [
      's_server',
      '-accept',
      '127.0.0.1:0',
      '-tls1_3',
      '-www',
      '-cert',
      pkiPath(`server-${kind}.pem`),
      '-key',
      pkiPath(`server-${kind}-key.pem`),
      '-cert_chain',
      pkiPath('intermediate.pem'),
      ...args,
    ]),
    /ACCEPT 127\.0\.0\.1:(\d+)/,
  );
}

/** `wiretls serve --www` (answers GET with the negotiated parameters) on an ephemeral port. */
export function startWiretlsWww(kind: string, args: readonly string[] = []): Promise<Peer> {
  return ready(
    start(process.execPath, [CLI, 'serve', '--www', '--cert', pkiPath(`server-${kind}-chain.pem`), '--key', pkiPath(`server-${kind}-key.pem`), ...args]),
    /listening on 127\.0\.0\.1:(\d+)/,
  );
}

/** `wiretls relay` (WebSocket → TCP) that forwards only to the given 127.0.0.1 ports. */
export function startRelay(ports: readonly number[]): Promise<Peer> {
  return ready(
    start(process.execPath, [CLI, 'relay', '--listen', '127.0.0.1:0', '--allow', ports.map((port) => `127.0.0.1:${port}`).join(',')]),
    /listening on 127\.0\.0\.1:(\d+)/,
  );
}

/** A static HTTP server on 127.0.0.1 (a secure context, so pages get crypto.subtle). */
export async function serveFiles(files: Record<string, { type: string; body: string | Uint8Array }>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://127.0.0.1').pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Rejects after `ms` with what was being waited for: no wait in these tests is unbounded. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
