import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer-core';
import { ensureBuilt } from '../cli/cli.js';
import { pkiPath } from '../helpers/fixtures.js';
import { stopAll } from '../helpers/processes.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { BROWSERS, type RunningBrowser, launch } from './browser.js';
import { bundle } from './bundle.js';
import { FIXTURES, type Peer, ROOT, ROOT_PEM, missingRuntime, serveFiles, startOpensslWww, startRelay, startWiretlsWww, unavailable, withTimeout } from './harness.js';

/**
 * wiretls in real browsers (issue 14 item 5): a page served from 127.0.0.1 loads the esbuild
 * browser bundle of an application that imports 'wiretls', opens a WebSocket to `wiretls relay`,
 * and runs TLS 1.3 through it to `openssl s_server -www` and to `wiretls serve --www`, checking
 * the chain against the test root it is given (browsers have no trust store to offer). The
 * test compares what the page negotiated with what the server says it negotiated.
 */

interface PageResult {
  ok: boolean;
  handshakeMs?: number;
  totalMs?: number;
  session?: { cipherSuite: number; group: number | undefined; signatureScheme: number | undefined; helloRetry: boolean; authorized: boolean; peerCertificates: number };
  answer?: string;
  tlsError?: boolean;
  code?: string;
  message?: string;
}

interface FetchOptions {
  /** A port on 127.0.0.1, or a whole HOST:PORT. */
  target: number | string;
  serverName?: string;
  groups?: number[];
  cipherSuites?: number[];
  caPem?: string;
}

let openssl: Peer;
let wiretls: Peer;
let relay: Peer;
let site: { url: string; close(): Promise<void> } | undefined;

beforeAll(async () => {
  await ensureBuilt();
  // No externals: the bundle must stand alone in a page (acceptance of issue 14).
  const page = await bundle(`${FIXTURES}page.js`, { platform: 'browser' });
  process.stderr.write(`[runtimes] browser bundle of test/runtimes/fixtures/page.js: ${(page.bytes / 1024).toFixed(1)} KiB unminified\n`);
  openssl = await startOpensslWww('ecdsa-p256');
  // Only P-384: a client whose first key share is another group gets a HelloRetryRequest.
  wiretls = await startWiretlsWww('rsa2048', ['--groups', 'P-384']);
  relay = await startRelay([openssl.port, wiretls.port]);
  // examples/browser as its comment says to run it: app.js bundled next to index.html.
  const example = await bundle(join(ROOT, 'examples/browser/app.js'), { platform: 'browser' });
  site = await serveFiles({
    '/': {
      type: 'text/html; charset=utf-8',
      body: '<!doctype html><meta charset="utf-8"><title>wiretls</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>',
    },
    '/page.js': { type: 'text/javascript; charset=utf-8', body: page.code },
    '/example/index.html': { type: 'text/html; charset=utf-8', body: readFileSync(join(ROOT, 'examples/browser/index.html')) },
    '/example/app.bundle.js': { type: 'text/javascript; charset=utf-8', body: example.code },
    '/example/ca.pem': { type: 'application/x-pem-file', body: ROOT_PEM },
  });
}, 120_000);

afterAll(async () => {
  await site?.close();
  stopAll();
});

describe.each(BROWSERS)('$name', (kind) => {
  let running: RunningBrowser | undefined;
  let page: Page | undefined;
  let why: string | undefined;

  beforeAll(async () => {
    why = unavailable(kind.executable);
    if (why) return;
    try {
      running = await launch(kind);
      page = await running.browser.newPage();
      page.on('console', (message) => process.stderr.write(`[${kind.name} console] ${message.text()}\n`));
      page.on('pageerror', (error) => process.stderr.write(`[${kind.name} page error] ${String(error)}\n`));
      await withTimeout(page.goto(`${site!.url}/`), 20_000, `${kind.name} to load the page`);
      await page.waitForFunction('window.wiretlsReady === true', { timeout: 20_000 });
    } catch (error) {
      why = `could not start or load the page: ${(error as Error).message}`;
    }
  }, 90_000);

  afterAll(async () => {
    await running?.close();
  }, 20_000);

  /** Runs one connection in the page; the page's own read timeout is 10 s, this one 25 s (within vitest's 30). */
  async function fetchIn(skip: (note: string) => never, options: FetchOptions): Promise<PageResult> {
    if (why || !page) missingRuntime(skip, kind.name, why ?? 'no page');
    const args = {
      relay: `ws://127.0.0.1:${relay.port}`,
      target: typeof options.target === 'number' ? `127.0.0.1:${options.target}` : options.target,
      serverName: options.serverName ?? 'localhost',
      caPem: options.caPem ?? ROOT_PEM,
      groups: options.groups,
      cipherSuites: options.cipherSuites,
      request: 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n',
    };
    return withTimeout(
      page!.evaluate((a) => (globalThis as unknown as { wiretlsFetch(a: unknown): Promise<PageResult> }).wiretlsFetch(a), args),
      25_000,
      `${kind.name}: connection to ${args.target}`,
    );
  }

  test('openssl s_server -www: P-256, AES-128-GCM, ECDSA chain checked against the given root', async (ctx) => {
    const result = await fetchIn(ctx.skip, { target: openssl.port, groups: [NamedGroup.secp256r1], cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
    expect(result, result.message).toMatchObject({ ok: true });
    expect(result.session).toEqual({
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      group: NamedGroup.secp256r1,
      signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256,
      helloRetry: false,
      authorized: true,
      peerCertificates: 2,
    });
    // s_server's status page: it answered our request, and agrees on the protocol and suite.
    expect(result.answer).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
    expect(result.answer).toContain('New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256');
    process.stderr.write(`[runtimes] ${kind.name} → relay → openssl: handshake ${result.handshakeMs!.toFixed(0)} ms, with request ${result.totalMs!.toFixed(0)} ms\n`);
  });

  test('wiretls serve --www: HelloRetryRequest to P-384, RSA-PSS chain, server reports the same parameters', async (ctx) => {
    const result = await fetchIn(ctx.skip, { target: wiretls.port, groups: [NamedGroup.x25519, NamedGroup.secp384r1], cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] });
    expect(result, result.message).toMatchObject({ ok: true });
    expect(result.session).toEqual({
      cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384,
      group: NamedGroup.secp384r1,
      signatureScheme: SignatureScheme.rsa_pss_rsae_sha256,
      helloRetry: true,
      authorized: true,
      peerCertificates: 2,
    });
    expect(result.answer).toContain('cipher: TLS_AES_256_GCM_SHA384');
    expect(result.answer).toContain('group: secp384r1');
    expect(result.answer).toContain('hello retry: yes');
    expect(result.answer).toContain('server name: localhost');
  });

  test('a name the certificate does not carry fails with CERT_HOSTNAME_MISMATCH', async (ctx) => {
    const result = await fetchIn(ctx.skip, { target: openssl.port, serverName: 'other.example' });
    expect(result).toMatchObject({ ok: false, tlsError: true, code: 'CERT_HOSTNAME_MISMATCH' });
  });

  test('a chain that does not lead to the given root fails with CERT_UNTRUSTED', async (ctx) => {
    // The only anchor is a certificate that issued nothing in this chain.
    const result = await fetchIn(ctx.skip, { target: openssl.port, caPem: readFileSync(pkiPath('server-ed25519.pem'), 'utf8') });
    expect(result).toMatchObject({ ok: false, tlsError: true, code: 'CERT_UNTRUSTED' });
  });

  test('a destination the relay does not allow ends in a TLSError, not a hang', async (ctx) => {
    const result = await fetchIn(ctx.skip, { target: '127.0.0.1:1' });
    // The relay refuses with close code 1008 (policy violation) before any TLS byte moves.
    expect(result).toMatchObject({ ok: false, tlsError: true, code: 'CONNECTION_CLOSED' });
    expect(result.message).toContain('1008');
    await relay.process.waitFor(/refused "127\.0\.0\.1:1": not in --allow/, 5_000);
  });

  test('examples/browser runs as documented: bundled app, relay and CA from the query string', async (ctx) => {
    if (why || !running) missingRuntime(ctx.skip, kind.name, why ?? 'not started');
    const tab = await running!.browser.newPage();
    try {
      const query = new URLSearchParams({ relay: `ws://127.0.0.1:${relay.port}/`, to: `127.0.0.1:${openssl.port}`, servername: 'localhost', ca: 'ca.pem' });
      await withTimeout(tab.goto(`${site!.url}/example/index.html?${query}`), 20_000, `${kind.name} to load examples/browser`);
      await tab.waitForFunction('globalThis.exampleResult !== undefined', { timeout: 20_000 });
      const result = (await tab.evaluate('globalThis.exampleResult')) as { ok: boolean; cipherSuite?: number; group?: number; text?: string; message?: string };
      expect(result, result.message).toMatchObject({ ok: true });
      // openssl s_server's default preferences with the provider's default offer.
      expect(result.text).toMatch(/^connected to 127\.0\.0\.1:\d+ through ws:\S+: TLS_AES_\d+_GCM_SHA\d+, \w+/);
      expect(result.text).toContain('HTTP/1.0 200 ok');
      expect(result.text).toContain(`Cipher is ${Object.keys(CipherSuite).find((name) => CipherSuite[name as keyof typeof CipherSuite] === result.cipherSuite)}`);
    } finally {
      await tab.close();
    }
  });
});
