import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { PKI_DIR, ROOT_DIR, pkiText } from '../fixtures.js';
import { type Options, type Report, makeRow, median } from '../harness.js';

/**
 * wiretls against subtls where subtls lives (issue 14 item 6): headless Chromium, one page with
 * both libraries, whole connections (WebSocket open, handshake, one GET, the answer to its end)
 * through the same `wiretls relay` to the same `openssl s_server -www`, P-256 and AES-128-GCM.
 * Rounds alternate which library goes first; each side's figure is the median of its round
 * medians. The ratio is subtls's time over wiretls's (> 1: wiretls is faster).
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CLI = join(ROOT_DIR, 'dist-bench/src/cli/main.js');

type Impl = 'wiretls' | 'subtls' | 'websocket';

/** One connection as the page timed it (ms from its start; see Marks in browser-page.js). */
export interface ConnectionTiming {
  ms: number;
  open: number;
  /** Undefined for the no-TLS 'websocket' connections, as are request and answer. */
  handshake?: number;
  request?: number;
  answer?: number;
  /** WebSocket messages the client sent. */
  sends: number;
}

export interface BrowserBench {
  page: Page;
  /** The page's script, as served. */
  code: string;
  relayUrl: string;
  rootPem: string;
  /** `count` connections with `impl` in the page: the time and marks of each. */
  connections(impl: Impl, count: number): Promise<ConnectionTiming[]>;
  /**
   * Loads the page again (fresh modules, nothing cached by either library) and warms what the
   * first connection of any library would pay for alone in this renderer: a WebSocket through
   * the relay and a WebCrypto call (together about 300 ms on a first use).
   */
  freshPage(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a process and resolves with the port of the first `pattern` match in its output. */
function startProcess(command: string, args: string[], pattern: RegExp, children: ChildProcess[]): Promise<number> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${command} not ready after 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited ${code}:\n${output}`));
    });
  });
}

/**
 * The page's bundle: wiretls from its browser entry (source), subtls as published. Minified as
 * an application ships it; unminified for profiles, where esbuild's `// path` comments name
 * the module of every line.
 */
export async function bundlePage(minify: boolean): Promise<string> {
  const result = await build({
    absWorkingDir: ROOT_DIR,
    entryPoints: [join(ROOT_DIR, 'bench/browser-page.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify,
    // The package's own name resolves through its exports map ("browser" condition).
    alias: { wiretls: join(ROOT_DIR, 'src/engine.ts') },
    // subtls's Node fallback (`import('crypto')`) is never reached where globalThis.crypto exists.
    external: ['crypto'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Chromium, openssl s_server -www, wiretls relay and the page; close() stops all by PID. */
export async function startBrowserBench(options: { minify: boolean } = { minify: true }): Promise<BrowserBench> {
  const children: ChildProcess[] = [];
  const profile = mkdtempSync(join(tmpdir(), 'wiretls-bench-chromium-'));
  let site: Server | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    const pid = browser?.process()?.pid;
    if (pid !== undefined && browser?.process()?.exitCode === null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const child of children) if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    site?.closeAllConnections();
    site?.close();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const code = await bundlePage(options.minify);
    const opensslPort = await startProcess(
      'openssl',
      [
        's_server',
        '-accept',
        '127.0.0.1:0',
        '-tls1_3',
        '-www',
        '-cert',
        `${PKI_DIR}server-ecdsa-p256.pem`,
        '-key',
        `${PKI_DIR}server-ecdsa-p256-key.pem`,
        '-cert_chain',
        `${PKI_DIR}intermediate.pem`,
      ],
      /ACCEPT 127\.0\.0\.1:(\d+)/,
      children,
    );
    const relayPort = await startProcess(
      process.execPath,
      [CLI, 'relay', '--listen', '127.0.0.1:0', '--allow', `127.0.0.1:${opensslPort}`],
      /listening on 127\.0\.0\.1:(\d+)/,
      children,
    );
    site = createServer((request, response) => {
      if (request.url === '/')
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>');
      else if (request.url === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => site!.listen(0, '127.0.0.1', resolve));
    browser = await puppeteer.launch({ browser: 'chrome', executablePath: CHROMIUM, headless: true, userDataDir: profile, args: CHROMIUM_ARGS, timeout: 20_000 });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    await page.waitForFunction('window.benchReady === true', { timeout: 20_000 });
    const relayUrl = `ws://127.0.0.1:${relayPort}/?to=127.0.0.1:${opensslPort}`;
    const rootPem = pkiText('root.pem');
    return {
      page,
      code,
      relayUrl,
      rootPem,
      connections: (impl, count) =>
        page.evaluate(
          (i, u, r, n) => (globalThis as unknown as { benchConnections(i: string, u: string, r: string, n: number): Promise<ConnectionTiming[]> }).benchConnections(i, u, r, n),
          impl,
          relayUrl,
          rootPem,
          count,
        ),
      async freshPage() {
        await page.reload();
        await page.waitForFunction('window.benchReady === true', { timeout: 20_000 });
        await page.evaluate(() => crypto.subtle.digest('SHA-256', new Uint8Array(1)));
        await page.evaluate(
          (u, r) => (globalThis as unknown as { benchConnections(i: string, u: string, r: string, n: number): Promise<ConnectionTiming[]> }).benchConnections('websocket', u, r, 1),
          relayUrl,
          rootPem,
        );
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function browserSuite(report: Report, options: Options): Promise<void> {
  const name = 'Chromium: connection via relay (P-256, AES-128-GCM, handshake + GET)';
  if (!report.wants(`${name} webcrypto`)) return;
  report.section('In Chromium: whole connections through wiretls relay to openssl s_server -www, wiretls (webcrypto provider) vs subtls');
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`browser suite skipped: ${CHROMIUM} not found\n`);
    return;
  }
  const bench = await startBrowserBench();
  try {
    const perRound = options.quick ? 5 : 15;
    // The first connection in a page pays for loading and compiling the library's code (and
    // for wiretls, running its JavaScript AES-GCM and SHA-2 before the JIT has optimized them).
    const first: Record<'wiretls' | 'subtls', number[]> = { wiretls: [], subtls: [] };
    for (let i = 0; i < (options.quick ? 2 : 4); i++) {
      for (const impl of i % 2 === 0 ? (['wiretls', 'subtls'] as const) : (['subtls', 'wiretls'] as const)) {
        await bench.freshPage();
        first[impl].push((await bench.connections(impl, 1))[0]!.ms);
      }
    }
    await bench.connections('wiretls', perRound);
    await bench.connections('subtls', perRound);
    const rounds: Record<'wiretls' | 'subtls', number[]> = { wiretls: [], subtls: [] };
    const timings: Record<'wiretls' | 'subtls', ConnectionTiming[]> = { wiretls: [], subtls: [] };
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (['wiretls', 'subtls'] as const) : (['subtls', 'wiretls'] as const);
      for (const impl of order) {
        const results = await bench.connections(impl, perRound);
        rounds[impl].push(median(results.map((r) => r.ms)));
        timings[impl].push(...results);
      }
    }
    const base = { unit: 'ms', provider: 'webcrypto', baselineName: 'subtls', better: 'lower' as const };
    report.add(
      makeRow({ ...base, name: 'Chromium: first connection in a fresh page', note: `${first.wiretls.length} fresh pages each, platform warmed` }, first.wiretls, first.subtls),
    );
    report.add(makeRow({ ...base, name, note: `${perRound} connections per round per side` }, rounds.wiretls, rounds.subtls));
    // The same connections cut into phases (medians over all connections, not round medians):
    // the WebSocket open and the handshake's round trip through relay and s_server are shared
    // costs no client can cut; the messages show how the client's flights reach the relay.
    const phase = (name: string, of: (t: ConnectionTiming) => number, unit = 'ms'): void => {
      const values = (impl: 'wiretls' | 'subtls'): number[] => [median(timings[impl].map(of))];
      report.add(makeRow({ ...base, unit, name: `  ${name}`, note: 'median of all connections' }, values('wiretls'), values('subtls')));
    };
    phase('phase: WebSocket open', (t) => t.open);
    phase('phase: open → handshake done', (t) => t.handshake! - t.open);
    phase('phase: request written → first answer byte', (t) => t.answer! - t.request!);
    phase('WebSocket messages sent per connection', (t) => t.sends, 'messages');
  } finally {
    await bench.close();
  }
}
