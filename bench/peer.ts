/**
 * A benchmark peer: one child process that plays a TLS client or server (wiretls or node:tls)
 * on command from the bench runner over the IPC channel, so client and server never share a
 * process (or an event loop, or a CPU core's worth of JIT state). Long-lived: the same
 * process serves every round, so rounds after the first measure warm code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as netCreateServer, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { CipherSuite, NamedGroup } from '../src/registry.js';
import { connect as wiretlsConnect } from '../src/node/connect.js';
import { createServer as wiretlsCreateServer } from '../src/node/server.js';
import { PKI_DIR, pkiText } from './fixtures.js';
import { type ProviderName, providers } from './providers.js';

export type Impl = 'wiretls' | 'node';
export type ServerMode = 'handshake' | 'sink' | 'source' | 'idle';

export interface Request {
  id: number;
  cmd: string;
  [key: string]: unknown;
}

const rootPem = pkiText('root.pem');
const chainPem = pkiText('server-ecdsa-p256-chain.pem');
const keyPem = pkiText('server-ecdsa-p256-key.pem');

const providerCache = new Map<ProviderName, CryptoProvider>();
function provider(name: ProviderName): CryptoProvider {
  let p = providerCache.get(name);
  if (!p) providerCache.set(name, (p = providers[name]()));
  return p;
}

/** Both stacks negotiate X25519 unless told otherwise; bulk pins AES-128-GCM on both. */
interface Tuning {
  provider: ProviderName;
  /**
   * 'x25519' (default, like node:tls), 'p256' (secp256r1 only: what subtls supports) or
   * 'default' (the provider's own order: X25519MLKEM768 first).
   */
  groups: 'x25519' | 'p256' | 'default';
  aes128: boolean;
}

function tuning(req: Request): Tuning {
  return {
    provider: (req.provider as ProviderName | undefined) ?? 'node',
    groups: (req.groups as Tuning['groups'] | undefined) ?? 'x25519',
    aes128: req.aes128 === true,
  };
}

/** The wiretls client/server `groups` option for a tuning (undefined: the provider's order). */
function wiretlsGroups(t: Tuning): { groups?: NamedGroup[] } {
  if (t.groups === 'x25519') return { groups: [NamedGroup.x25519] };
  if (t.groups === 'p256') return { groups: [NamedGroup.secp256r1] };
  return {};
}

/** node:tls's ecdhCurve for a tuning (undefined: its default list). */
function nodeCurve(t: Tuning): { ecdhCurve?: string } {
  if (t.groups === 'x25519') return { ecdhCurve: 'X25519' };
  if (t.groups === 'p256') return { ecdhCurve: 'P-256' };
  return {};
}

const BULK_CHUNK = Buffer.alloc(64 * 1024, 0x61);

function writeAll(socket: Duplex, bytes: number, done: () => void): void {
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, BULK_CHUNK.length);
      left -= n;
      if (!socket.write(n === BULK_CHUNK.length ? BULK_CHUNK : BULK_CHUNK.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}

/* ----------------------------------------------------------------------------------------- */
/* servers                                                                                   */
/* ----------------------------------------------------------------------------------------- */

const servers: { close(): void }[] = [];
const openssl: ChildProcess[] = [];

function onServerSocket(socket: Duplex, mode: ServerMode, bytes: number): void {
  socket.on('error', () => undefined);
  if (mode === 'sink') {
    const start = performance.now();
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('end', () => {
      process.send!({ event: 'sink', bytes: received, ms: performance.now() - start });
      socket.end();
    });
  } else if (mode === 'source') {
    writeAll(socket, bytes, () => socket.end());
    socket.resume();
  } else {
    // One byte right after the handshake: a client that waits for it knows the server has
    // read its Finished (and sent its tickets), so a measured handshake is the whole of it.
    if (mode === 'handshake') socket.write('x');
    socket.resume();
  }
}

async function listen(req: Request): Promise<{ port: number }> {
  const impl = req.impl as Impl;
  const mode = req.mode as ServerMode;
  const bytes = Number(req.bytes ?? 0);
  const t = tuning(req);
  if (impl === 'wiretls') {
    const server = wiretlsCreateServer({
      cert: chainPem,
      key: keyPem,
      provider: provider(t.provider),
      ...wiretlsGroups(t),
      ...(t.aes128 ? { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] } : {}),
    });
    server.on('secureConnection', (socket) => onServerSocket(socket, mode, bytes));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return { port: (server.address() as AddressInfo).port };
  }
  const server = tls.createServer({
    cert: chainPem,
    key: keyPem,
    minVersion: 'TLSv1.3',
    ...nodeCurve(t),
    ...(t.aes128 ? { ciphersuites: 'TLS_AES_128_GCM_SHA256' } : {}),
  });
  server.on('secureConnection', (socket) => onServerSocket(socket, mode, bytes));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port };
}

/**
 * `openssl s_server` on a free port, the same chain and key; answers once it accepts. X25519
 * by default; `groups: 'p256'` for P-256 with AES-128-GCM only, and `www` to answer each
 * `GET /` with its status page (-www), for whole request/response connections.
 */
async function listenOpenssl(req: Request): Promise<{ port: number }> {
  const p256 = req.groups === 'p256';
  const tuningArgs = p256 ? ['-groups', 'P-256', '-ciphersuites', 'TLS_AES_128_GCM_SHA256'] : ['-groups', 'X25519'];
  const probe = netCreateServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const child = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      `${PKI_DIR}server-ecdsa-p256.pem`,
      '-cert_chain',
      `${PKI_DIR}intermediate.pem`,
      '-key',
      `${PKI_DIR}server-ecdsa-p256-key.pem`,
      '-tls1_3',
      ...tuningArgs,
      ...(req.www === true ? ['-www'] : ['-quiet']),
      '-naccept',
      '1000000',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  openssl.push(child);
  await new Promise<void>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (text.includes('ACCEPT')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${text}`)));
    setTimeout(resolve, 1500);
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { port };
}

/* ----------------------------------------------------------------------------------------- */
/* clients                                                                                   */
/* ----------------------------------------------------------------------------------------- */

/** One connection, resolved at secureConnect with the socket. */
function open(impl: Impl, port: number, t: Tuning): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let socket: Duplex;
    if (impl === 'wiretls') {
      socket = wiretlsConnect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: rootPem,
        provider: provider(t.provider),
        ...wiretlsGroups(t),
        ...(t.aes128 ? { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] } : {}),
      });
    } else {
      socket = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: rootPem,
        minVersion: 'TLSv1.3',
        ...nodeCurve(t),
        ...(t.aes128 ? { ciphersuites: 'TLS_AES_128_GCM_SHA256' } : {}),
      });
    }
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Full handshakes one after another for `ms`; each connection is dropped once it is up. */
async function handshakes(req: Request): Promise<{ count: number; ms: number; cpuMs: number }> {
  const impl = req.impl as Impl;
  const port = Number(req.port);
  const ms = Number(req.ms);
  const t = tuning(req);
  const cpu = process.cpuUsage();
  const start = performance.now();
  let count = 0;
  // Servers of ours send a byte once their handshake is done (see onServerSocket); openssl
  // s_server does not, so there the client's own secureConnect ends a handshake.
  const untilServerData = req.untilServerData === true;
  while (performance.now() - start < ms) {
    const socket = await open(impl, port, t);
    socket.on('error', () => undefined);
    if (untilServerData) await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    count++;
  }
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { count, ms: elapsed, cpuMs: (used.user + used.system) / 1000 };
}

/** The end of `openssl s_server -www`'s status page. */
const WWW_END = '</HTML>';

/**
 * Whole connections one after another for `ms` against `openssl s_server -www`: handshake,
 * `GET /`, the full answer read, the connection dropped. Counts the connections.
 */
async function requests(req: Request): Promise<{ count: number; ms: number; cpuMs: number }> {
  const impl = req.impl as Impl;
  const port = Number(req.port);
  const ms = Number(req.ms);
  const t = tuning(req);
  const cpu = process.cpuUsage();
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < ms) {
    const socket = await open(impl, port, t);
    await new Promise<void>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes(WWW_END)) resolve();
      });
      socket.on('error', reject);
      socket.on('end', () => (text.includes(WWW_END) ? resolve() : reject(new Error(`connection ended after ${text.length} bytes of the answer`))));
      socket.write('GET / HTTP/1.0\r\n\r\n');
    });
    socket.on('error', () => undefined);
    socket.destroy();
    count++;
  }
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { count, ms: elapsed, cpuMs: (used.user + used.system) / 1000 };
}

async function bulkReceive(req: Request): Promise<{ bytes: number; ms: number }> {
  const socket = await open(req.impl as Impl, Number(req.port), tuning(req));
  const start = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.on('end', resolve);
    socket.on('error', reject);
  });
  const ms = performance.now() - start;
  socket.destroy();
  return { bytes, ms };
}

async function bulkSend(req: Request): Promise<{ ok: true }> {
  const socket = await open(req.impl as Impl, Number(req.port), tuning(req));
  socket.on('error', () => undefined);
  socket.resume();
  await new Promise<void>((resolve) => writeAll(socket, Number(req.bytes), resolve));
  socket.end();
  return { ok: true };
}

const held: Duplex[] = [];

/** Opens `count` connections and keeps them, `concurrency` (default 50) handshakes in flight at a time. */
async function openMany(req: Request): Promise<{ opened: number }> {
  const count = Number(req.count);
  const concurrency = Number(req.concurrency ?? 50);
  const t = tuning(req);
  for (let i = 0; i < count; i += concurrency) {
    const batch = await Promise.all(Array.from({ length: Math.min(concurrency, count - i) }, () => open(req.impl as Impl, Number(req.port), t)));
    for (const socket of batch) {
      socket.on('error', () => undefined);
      held.push(socket);
    }
  }
  // Let post-handshake traffic (NewSessionTicket) arrive and settle.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { opened: held.length };
}

function closeAll(): { closed: number } {
  const n = held.length;
  for (const socket of held.splice(0)) socket.destroy();
  return { closed: n };
}

function memory(): { heapUsed: number; rss: number; maxRssBytes: number; external: number; arrayBuffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

/* ----------------------------------------------------------------------------------------- */
/* IPC                                                                                       */
/* ----------------------------------------------------------------------------------------- */

const handlers: Record<string, (req: Request) => unknown> = {
  listen,
  listenOpenssl,
  handshakes,
  requests,
  bulkReceive,
  bulkSend,
  openMany,
  closeAll,
  memory,
  cpu: () => {
    const u = process.cpuUsage();
    return { cpuMs: (u.user + u.system) / 1000 };
  },
  exit: () => {
    for (const s of servers) s.close();
    for (const c of openssl) c.kill();
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};

process.on('message', (req: Request) => {
  Promise.resolve()
    .then(() => {
      const handler = handlers[req.cmd];
      if (!handler) throw new Error(`unknown command ${req.cmd}`);
      return handler(req);
    })
    .then(
      (result) => process.send!({ id: req.id, result }),
      (error: unknown) => process.send!({ id: req.id, error: error instanceof Error ? error.message : String(error) }),
    );
});
process.on('disconnect', () => {
  for (const c of openssl) c.kill();
  process.exit(0);
});
process.send!({ event: 'ready' });
