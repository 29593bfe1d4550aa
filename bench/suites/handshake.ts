import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, type Connection, ServerConnection } from '../../src/connection.js';
import { type AeadCipher, type CryptoProvider, type HashContext, type KeyExchangeAlgorithm, type KeyShareSecret, type SigningKey, isPending } from '../../src/crypto/provider.js';
import { NamedGroup } from '../../src/registry.js';
import { bytesEqual } from '../../src/wire/bytes.js';
import type { CertificateVerifier } from '../../src/x509/verifier.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { loadCertificates, loadPrivateKey } from '../../src/x509/pem.js';
import { signatureCheckerFor } from '../../src/node/provider.js';
import { Peer } from '../control.js';
import { pkiText } from '../fixtures.js';
import { type Options, type Report, makeRow, median } from '../harness.js';
import { type ProviderName, providers } from '../providers.js';

const rootPem = pkiText('root.pem');
const chainPem = pkiText('server-ecdsa-p256-chain.pem');
const keyPem = pkiText('server-ecdsa-p256-key.pem');

/* ----------------------------------------------------------------------------------------- */
/* in memory                                                                                 */
/* ----------------------------------------------------------------------------------------- */

/** Two connected in-memory Duplex ends (Node 20 has no stream.duplexPair). */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  for (let i = 0; i < 2; i++) {
    const index = i;
    ends.push(
      new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          ends[1 - index]!.push(chunk);
          callback();
        },
        final(callback) {
          ends[1 - index]!.push(null);
          callback();
        },
      }),
    );
  }
  return [ends[0]!, ends[1]!];
}

const serverContext = tls.createSecureContext({ cert: chainPem, key: keyPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' });
const clientContext = tls.createSecureContext({ ca: rootPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' });

/** node:tls client and server in one process over an in-memory pipe; contexts made once. */
function nodeInMemoryHandshake(): Promise<void> {
  const [a, b] = duplexPair();
  return new Promise((resolve, reject) => {
    let done = 0;
    const finish = (): void => {
      if (++done === 2) {
        client.destroy();
        server.destroy();
        resolve();
      }
    };
    const server = new tls.TLSSocket(b, { isServer: true, secureContext: serverContext });
    server.once('secure', finish);
    server.on('error', reject);
    const client = tls.connect({ socket: a, servername: 'localhost', secureContext: clientContext });
    client.once('secureConnect', finish);
    client.on('error', reject);
  });
}

/** Connects two sans-I/O connections; bytes are delivered in a microtask, as a transport would. */
function wiretlsInMemoryHandshake(clientConfig: ClientConfig, serverConfig: ServerConfig): Promise<void> {
  const client = new ClientConnection(clientConfig);
  const server = new ServerConnection(serverConfig);
  return new Promise((resolve, reject) => {
    let done = 0;
    const finish = (): void => {
      if (++done === 2) resolve();
    };
    const link = (from: Connection, to: Connection): void => {
      from.on('send', (bytes) => queueMicrotask(() => to.receive(bytes)));
      from.on('error', reject);
      from.on('handshake', finish);
    };
    link(client, server);
    link(server, client);
    client.start();
  });
}

/** A provider that adds up the time spent inside its primitives (for the noble target). */
function timedProvider(base: CryptoProvider, clock: { ms: number }): CryptoProvider {
  const time = <T>(fn: () => T): T => {
    const start = performance.now();
    try {
      return fn();
    } finally {
      clock.ms += performance.now() - start;
    }
  };
  // Both providers do their signature arithmetic synchronously inside the call (noble's RSA
  // aside, unused here); timing until the promise settles would also count whatever other
  // microtasks ran meanwhile, so only the call itself is timed.
  const timeAsync = <T>(fn: () => Promise<T>): Promise<T> => time(fn);
  const wrapHash = (ctx: HashContext): HashContext => ({
    update: (d) => time(() => ctx.update(d)),
    digest: () => time(() => ctx.digest()),
    fork: () => wrapHash(time(() => ctx.fork())),
  });
  const wrapShare = (share: KeyShareSecret): KeyShareSecret => ({
    group: share.group,
    publicKey: share.publicKey,
    complete: (peer) => time(() => share.complete(peer)),
  });
  return {
    ...base,
    random: (n) => time(() => base.random(n)),
    hash: (name) => wrapHash(time(() => base.hash(name))),
    hmac: (...args) => time(() => base.hmac(...args)),
    hkdfExtract: (...args) => time(() => base.hkdfExtract(...args)),
    hkdfExpand: (...args) => time(() => base.hkdfExpand(...args)),
    aead: (name, key) => {
      const cipher: AeadCipher = time(() => base.aead(name, key));
      return {
        tagLength: cipher.tagLength,
        seal: (...args) => time(() => cipher.seal(...args)),
        open: (...args) => time(() => cipher.open(...args)),
        dispose: () => cipher.dispose(),
      };
    },
    keyExchange: (group) => {
      const kx = base.keyExchange(group);
      if (!kx) return undefined;
      const wrapped: KeyExchangeAlgorithm = {
        group: kx.group,
        generate: () => {
          const share = time(() => kx.generate());
          return isPending(share) ? share.then(wrapShare) : wrapShare(share);
        },
        respond: (peer) => time(() => kx.respond(peer)),
      };
      return wrapped;
    },
    verify: (...args) => timeAsync(() => base.verify(...args)),
  };
}

function timedKey(key: SigningKey, clock: { ms: number }): SigningKey {
  return {
    schemes: key.schemes,
    sign: (scheme, message) => {
      const start = performance.now();
      try {
        return key.sign(scheme, message);
      } finally {
        clock.ms += performance.now() - start;
      }
    },
  };
}

function pinnedLeaf(leaf: Uint8Array): CertificateVerifier {
  return { verify: async (chain) => (chain[0] && bytesEqual(chain[0], leaf) ? { ok: true } : { ok: false, error: new Error('unexpected leaf') as never }) };
}

async function rateOf(op: () => Promise<void>, ms: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    await op();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

export async function inMemoryHandshakeSuite(report: Report, options: Options): Promise<void> {
  report.section('In-memory full handshakes (no sockets; X25519, ECDSA P-256 leaf, 3-certificate chain verified; handshakes/s)');
  const chain = loadCertificates(chainPem, 'chain');
  const pkcs8 = loadPrivateKey(keyPem, 'key');
  const slice = options.quick ? 400 : 1000;
  for (const providerName of ['node', 'webcrypto', 'noble'] as ProviderName[]) {
    const provider = providers[providerName]();
    const key = await provider.importSigningKey(pkcs8);
    // As the node API sets it up: the provider's verify() for certificate signatures when native.
    const signatureChecker = signatureCheckerFor(provider);
    const verifier = new X509Verifier({ trustStore: TrustStore.fromPem(rootPem, 'root.pem'), ...(signatureChecker ? { signatureChecker } : {}) });
    const clientConfig: ClientConfig = { provider, serverName: 'localhost', verifier, groups: [NamedGroup.x25519] };
    const serverConfig: ServerConfig = { provider, certificates: [{ chain, key }], groups: [NamedGroup.x25519] };
    if (report.wants(`in-memory handshakes ${providerName}`)) {
      const ours = () => wiretlsInMemoryHandshake(clientConfig, serverConfig);
      await rateOf(ours, slice / 2);
      await rateOf(nodeInMemoryHandshake, slice / 2);
      const a: number[] = [];
      const b: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        if (round % 2 === 0) {
          a.push(await rateOf(ours, slice));
          b.push(await rateOf(nodeInMemoryHandshake, slice));
        } else {
          b.push(await rateOf(nodeInMemoryHandshake, slice));
          a.push(await rateOf(ours, slice));
        }
      }
      report.add(makeRow({ name: 'in-memory handshakes, client + server in one process', unit: 'hs/s', provider: providerName, baselineName: 'node:tls in-memory' }, a, b));
    }
    if (report.wants(`handshake primitives ${providerName}`)) {
      // Where a handshake's time goes: everything inside the provider, against the wall clock,
      // with a pinned-leaf verifier so the X.509 code (not a provider primitive) is left out.
      const clock = { ms: 0 };
      const timed = timedProvider(provider, clock);
      const pinnedClient: ClientConfig = { provider: timed, serverName: 'localhost', verifier: pinnedLeaf(chain[0]!), groups: [NamedGroup.x25519] };
      const timedServer: ServerConfig = { provider: timed, certificates: [{ chain, key: timedKey(key, clock) }], groups: [NamedGroup.x25519] };
      const walls: number[] = [];
      const primitives: number[] = [];
      const n = providerName === 'noble' ? 20 : providerName === 'webcrypto' ? 50 : 200;
      for (let i = 0; i < 5; i++) await wiretlsInMemoryHandshake(pinnedClient, timedServer);
      for (let round = 0; round < options.rounds; round++) {
        clock.ms = 0;
        const start = performance.now();
        for (let i = 0; i < n; i++) await wiretlsInMemoryHandshake(pinnedClient, timedServer);
        walls.push((performance.now() - start) / n);
        primitives.push(clock.ms / n);
      }
      report.add(
        makeRow(
          {
            name: 'handshake wall time vs its provider primitives (client+server)',
            unit: 'ms/hs',
            provider: providerName,
            baselineName: 'sum of primitives',
            better: 'lower',
            note: `engine overhead ${(median(walls) / median(primitives)).toFixed(2)}× the primitives`,
          },
          walls,
          primitives,
        ),
      );
    }
  }
}

/* ----------------------------------------------------------------------------------------- */
/* over 127.0.0.1, client and server in separate processes                                    */
/* ----------------------------------------------------------------------------------------- */

interface Combo {
  label: string;
  client: 'wiretls' | 'node';
  server: 'wiretls' | 'node' | 'openssl';
  provider: ProviderName;
  groups: 'x25519' | 'default';
}

const COMBOS: Combo[] = [
  { label: 'node:tls → node:tls', client: 'node', server: 'node', provider: 'node', groups: 'x25519' },
  { label: 'wiretls → wiretls', client: 'wiretls', server: 'wiretls', provider: 'node', groups: 'x25519' },
  { label: 'wiretls → node:tls', client: 'wiretls', server: 'node', provider: 'node', groups: 'x25519' },
  { label: 'node:tls → wiretls', client: 'node', server: 'wiretls', provider: 'node', groups: 'x25519' },
  { label: 'node:tls → openssl s_server', client: 'node', server: 'openssl', provider: 'node', groups: 'x25519' },
  { label: 'wiretls → openssl s_server', client: 'wiretls', server: 'openssl', provider: 'node', groups: 'x25519' },
  { label: 'wiretls → wiretls, X25519MLKEM768', client: 'wiretls', server: 'wiretls', provider: 'node', groups: 'default' },
  { label: 'wiretls → node:tls, default groups (hybrid + X25519 shares)', client: 'wiretls', server: 'node', provider: 'node', groups: 'default' },
  { label: 'wiretls → wiretls, noble provider', client: 'wiretls', server: 'wiretls', provider: 'noble', groups: 'x25519' },
];

interface Sample {
  hs: number;
  clientMs: number;
  serverMs: number;
}

export async function handshakeSuite(report: Report, options: Options): Promise<void> {
  report.section(
    "Full handshakes over 127.0.0.1, one at a time, new connection each (client and server in separate processes; X25519, ECDSA P-256 leaf, chain verified). Each ends when the server's first byte arrives, so the server has read the client Finished and sent its tickets; against openssl s_server, at secureConnect",
  );
  const combos = COMBOS.filter((c) => report.wants(`handshakes ${c.label}`));
  if (combos.length === 0) return;
  const client = new Peer('client');
  const server = new Peer('server');
  const window = options.quick ? 500 : 1500;
  try {
    const ports = new Map<string, number>();
    const serverKey = (c: Combo): string => `${c.server}/${c.provider}/${c.groups}`;
    for (const c of combos) {
      const id = serverKey(c);
      if (ports.has(id)) continue;
      const { port } =
        c.server === 'openssl'
          ? await server.call<{ port: number }>('listenOpenssl')
          : await server.call<{ port: number }>('listen', { impl: c.server, mode: 'handshake', provider: c.provider, groups: c.groups });
      ports.set(id, port);
    }
    const samples = new Map<string, Sample[]>(combos.map((c) => [c.label, []]));
    const run = async (c: Combo, ms: number): Promise<Sample> => {
      const before = await server.call<{ cpuMs: number }>('cpu');
      const r = await client.call<{ count: number; ms: number; cpuMs: number }>('handshakes', {
        impl: c.client,
        port: ports.get(serverKey(c)),
        ms,
        provider: c.provider,
        groups: c.groups,
        untilServerData: c.server !== 'openssl',
      });
      const after = await server.call<{ cpuMs: number }>('cpu');
      return { hs: (r.count * 1000) / r.ms, clientMs: r.cpuMs / r.count, serverMs: c.server === 'openssl' ? NaN : (after.cpuMs - before.cpuMs) / r.count };
    };
    for (const c of combos) await run(c, window / 3); // warm-up
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? combos : [...combos].reverse();
      for (const c of order) samples.get(c.label)!.push(await run(c, window));
    }
    const hs = (label: string) => samples.get(label)?.map((s) => s.hs) ?? null;
    const base = hs('node:tls → node:tls');
    for (const c of combos) {
      if (c.label === 'node:tls → node:tls') continue;
      const baseline = c.server === 'openssl' ? hs('node:tls → openssl s_server') : base;
      if (c.label === 'node:tls → openssl s_server') continue;
      report.add(
        makeRow(
          {
            name: `handshakes/s ${c.label}`,
            unit: 'hs/s',
            provider: c.provider,
            baselineName: c.server === 'openssl' ? 'node:tls → openssl' : 'node:tls → node:tls',
          },
          hs(c.label),
          baseline,
        ),
      );
    }
    // CPU per handshake on each side, against the same peer (node:tls), from the process's cpuUsage.
    const get = (label: string, side: 'clientMs' | 'serverMs') => samples.get(label)?.map((s) => s[side]) ?? null;
    if (samples.has('wiretls → node:tls')) {
      report.add(
        makeRow(
          { name: 'client CPU per handshake (server: node:tls)', unit: 'ms', provider: 'node', baselineName: 'node:tls client', better: 'lower' },
          get('wiretls → node:tls', 'clientMs'),
          get('node:tls → node:tls', 'clientMs'),
        ),
      );
    }
    if (samples.has('node:tls → wiretls')) {
      report.add(
        makeRow(
          { name: 'server CPU per handshake (client: node:tls)', unit: 'ms', provider: 'node', baselineName: 'node:tls server', better: 'lower' },
          get('node:tls → wiretls', 'serverMs'),
          get('node:tls → node:tls', 'serverMs'),
        ),
      );
    }
    if (samples.has('wiretls → openssl s_server')) {
      const perConnection = (label: string) => samples.get(label)?.map((s) => 1000 / s.hs) ?? null;
      report.add(
        makeRow(
          { name: 'time per connection, client → openssl s_server', unit: 'ms', provider: 'node', baselineName: 'node:tls client', better: 'lower' },
          perConnection('wiretls → openssl s_server'),
          perConnection('node:tls → openssl s_server'),
        ),
      );
    }
  } finally {
    await Promise.all([client.close(), server.close()]);
  }
}
