/**
 * Profiles one hot path under `node --cpu-prof` and prints where the time goes, by category and
 * by function. Used to write down what dominates a handshake and a 16 KiB record.
 *
 *   npm run bench:profile -- client   wiretls client handshakes against a node:tls server (separate process)
 *   npm run bench:profile -- server   node:tls client handshakes against a wiretls server (the wiretls side is profiled)
 *   npm run bench:profile -- memory   in-memory handshakes (client and server in one process)
 *   npm run bench:profile -- record   16 KiB records, protect + unprotect
 *   npm run bench:profile -- send     a wiretls client sends --count MiB to a node:tls server
 *   npm run bench:profile -- receive  a wiretls client receives --count MiB from a node:tls server
 *   options: --provider node|noble|webcrypto (default node), --count N, --keep (leave the .cpuprofile),
 *            --group p256 (client: secp256r1 instead of X25519)
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { CipherSuite, ContentType, NamedGroup } from '../src/registry.js';
import { cipherSuiteParams } from '../src/crypto/suites.js';
import { RecordProtector } from '../src/record/protection.js';
import { ClientConnection, ServerConnection } from '../src/connection.js';
import { connect } from '../src/node/connect.js';
import { createServer } from '../src/node/server.js';
import { signatureCheckerFor } from '../src/node/provider.js';
import { X509Verifier } from '../src/x509/x509-verifier.js';
import { TrustStore } from '../src/x509/truststore.js';
import { loadCertificates, loadPrivateKey } from '../src/x509/pem.js';
import { pkiText } from './fixtures.js';
import { type ProviderName, providers } from './providers.js';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

const rootPem = pkiText('root.pem');
const chainPem = pkiText('server-ecdsa-p256-chain.pem');
const keyPem = pkiText('server-ecdsa-p256-key.pem');

/** Where a sampled function belongs. */
function category(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8 (program)';
  if (url.includes('/src/x509/')) return 'wiretls x509';
  if (url.includes('/src/crypto/')) return 'wiretls crypto provider (JS side)';
  if (url.includes('/src/record/')) return 'wiretls record layer';
  if (url.includes('/src/node/')) return 'wiretls node adapter';
  if (url.includes('/src/')) return 'wiretls engine (messages, state machines, key schedule)';
  if (url.includes('@noble')) return 'noble (pure JS crypto)';
  if (url.includes('node:internal/crypto') || url.includes('internal/crypto')) return 'node:crypto (JS glue)';
  if (/node:(net|stream|internal\/stream|internal\/streams|events|internal\/event_target|_tls|tls|internal\/tls)/.test(url) || url.includes('internal/streams'))
    return 'node net/streams/tls';
  if (url === '' && /^[a-z]/i.test(name)) return 'native (OpenSSL, syscalls: ' + name + ')';
  return 'other (module loading, timers, ...)';
}

function summarize(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const time = new Map<number, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    time.set(id, (time.get(id) ?? 0) + dt);
    total += dt;
    if (byId.get(id)!.callFrame.functionName === '(idle)') idle += dt;
  });
  const busy = total - idle;
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, dt] of time) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    let cat = category(url, functionName);
    if (cat.startsWith('native')) cat = 'native (OpenSSL via node:crypto, syscalls)';
    categories.set(cat, (categories.get(cat) ?? 0) + dt);
    const key = `${functionName || '(anonymous)'}  ${url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + dt);
  }
  const pct = (v: number) => `${((v / busy) * 100).toFixed(1).padStart(5)}%`;
  process.stdout.write(`busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled (idle excluded from the shares)\n\nby category (self time):\n`);
  for (const [cat, v] of [...categories].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${pct(v)}  ${cat}\n`);
  process.stdout.write(`\ntop ${top} functions (self time):\n`);
  for (const [fn, v] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(v)}  ${fn}\n`);
}

/* ----------------------------------------------------------------------------------------- */
/* scenarios (run in the profiled child)                                                     */
/* ----------------------------------------------------------------------------------------- */

async function scenario(name: string, providerName: ProviderName, count: number): Promise<void> {
  const provider = providers[providerName]();
  const started = performance.now();
  if (name === 'record') {
    const params = cipherSuiteParams.get(providerName === 'noble' ? CipherSuite.TLS_CHACHA20_POLY1305_SHA256 : CipherSuite.TLS_AES_128_GCM_SHA256)!;
    const key = randomBytes(params.keyLength);
    const iv = randomBytes(12);
    const writer = new RecordProtector(provider.aead(params.aead, key), iv);
    const reader = new RecordProtector(provider.aead(params.aead, key), iv);
    const content = randomBytes(16384);
    for (let i = 0; i < count; i++) {
      const record = writer.protect(ContentType.application_data, content);
      reader.unprotect(record.subarray(0, 5), record.subarray(5));
    }
  } else if (name === 'memory') {
    const key = await provider.importSigningKey(loadPrivateKey(keyPem, 'key'));
    const signatureChecker = signatureCheckerFor(provider);
    const verifier = new X509Verifier({ trustStore: TrustStore.fromPem(rootPem, 'root.pem'), ...(signatureChecker ? { signatureChecker } : {}) });
    const chain = loadCertificates(chainPem, 'chain');
    for (let i = 0; i < count; i++) {
      const client = new ClientConnection({ provider, serverName: 'localhost', verifier, groups: [NamedGroup.x25519] });
      const server = new ServerConnection({ provider, certificates: [{ chain, key }], groups: [NamedGroup.x25519] });
      await new Promise<void>((resolve, reject) => {
        let done = 0;
        for (const [from, to] of [
          [client, server],
          [server, client],
        ] as const) {
          from.on('send', (bytes) => queueMicrotask(() => to.receive(bytes)));
          from.on('error', reject);
          from.on('handshake', () => ++done === 2 && resolve());
        }
        client.start();
      });
    }
  } else if (name === 'client') {
    const port = Number(process.env.WIRETLS_PROFILE_PORT);
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => {
        const group = process.env.WIRETLS_PROFILE_GROUP === 'p256' ? NamedGroup.secp256r1 : NamedGroup.x25519;
        const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: rootPem, provider, groups: [group] });
        socket.once('secureConnect', () => {
          socket.on('error', () => undefined);
          socket.destroy();
          resolve();
        });
        socket.once('error', reject);
      });
    }
  } else if (name === 'send' || name === 'receive') {
    // count MiB over one connection to / from a node:tls peer, AES-128-GCM.
    const port = Number(process.env.WIRETLS_PROFILE_PORT);
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: rootPem, provider, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    if (name === 'send') {
      for (let i = 0; i < count * 16; i++) if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
      await new Promise<void>((resolve) => socket.end(resolve));
    } else {
      socket.write(Buffer.from(String(count)));
      let received = 0;
      await new Promise<void>((resolve) => {
        socket.on('data', (data: Buffer) => {
          received += data.length;
          if (received >= count * 2 ** 20) resolve();
        });
      });
      socket.destroy();
    }
  } else if (name === 'server') {
    const server = createServer({ cert: chainPem, key: keyPem, provider, groups: [NamedGroup.x25519] }, (socket) => {
      socket.on('error', () => undefined);
      socket.resume();
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    process.send!({ port });
    await new Promise<void>((resolve) => process.once('message', () => resolve()));
    server.close();
  }
  process.stderr.write(`${name}: ${count} in ${(performance.now() - started).toFixed(0)} ms\n`);
}

/** A node:tls server or client loop in a plain (unprofiled) child, the peer of the profiled one. */
async function nodePeer(role: 'server' | 'client', count: number): Promise<void> {
  if (role === 'server') {
    const server = tls.createServer({ cert: chainPem, key: keyPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519:P-256' }, (socket) => {
      socket.on('error', () => undefined);
      // A client that sends a number first wants that many MiB back (the 'receive' scenario).
      socket.once('data', (first: Buffer) => {
        const mib = /^\d+$/.test(first.toString()) ? Number(first.toString()) : 0;
        const chunk = Buffer.alloc(64 * 1024, 0x62);
        let left = mib * 16;
        const pump = (): void => {
          while (left > 0) {
            left--;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
        };
        pump();
        socket.resume();
      });
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.send!({ port: (server.address() as AddressInfo).port });
    await new Promise<void>((resolve) => process.once('message', () => resolve()));
    server.close();
    return;
  }
  const port = Number(process.env.WIRETLS_PROFILE_PORT);
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: rootPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' });
      socket.once('secureConnect', () => {
        socket.on('error', () => undefined);
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
  }
}

/* ----------------------------------------------------------------------------------------- */
/* driver                                                                                    */
/* ----------------------------------------------------------------------------------------- */

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--run') return scenario(argv[1]!, argv[2] as ProviderName, Number(argv[3]));
  if (argv[0] === '--node-peer') return nodePeer(argv[1] as 'server' | 'client', Number(argv[2]));
  const name = argv[0] ?? 'client';
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const providerName = (get('--provider') ?? 'node') as ProviderName;
  const defaults: Record<string, [number, number]> = { record: [50000, 2000], send: [1024, 64], receive: [1024, 64] };
  const count = Number(get('--count') ?? (defaults[name] ?? [3000, 300])[providerName === 'noble' ? 1 : 0]);
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'wiretls-profile-'));
  const profiled = (env: Record<string, string> = {}) =>
    fork(self, ['--run', name, providerName, String(count)], { execArgv: ['--cpu-prof', '--cpu-prof-dir', dir], env: { ...process.env, ...env } });
  const exited = (child: ReturnType<typeof fork>) => new Promise<void>((resolve) => child.on('exit', () => resolve()));
  if (name === 'client' || name === 'send' || name === 'receive') {
    const peer = fork(self, ['--node-peer', 'server', '0']);
    const { port } = await new Promise<{ port: number }>((resolve) => peer.once('message', (m) => resolve(m as { port: number })));
    await exited(profiled({ WIRETLS_PROFILE_PORT: String(port), WIRETLS_PROFILE_GROUP: get('--group') ?? 'x25519' }));
    peer.send('stop');
    await exited(peer);
  } else if (name === 'server') {
    const child = profiled();
    const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
    const peer = fork(self, ['--node-peer', 'client', String(count)], { env: { ...process.env, WIRETLS_PROFILE_PORT: String(port) } });
    await exited(peer);
    child.send('stop');
    await exited(child);
  } else {
    await exited(profiled());
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  process.stdout.write(`profile of "${name}" (${count} iterations, provider ${providerName})\n`);
  summarize(join(dir, file), Number(get('--top') ?? 25));
  if (argv.includes('--keep')) process.stdout.write(`\nprofile kept in ${join(dir, file)}\n`);
  else rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
