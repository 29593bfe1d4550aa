import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as netCreateServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interopPeer, interopRequired } from '../helpers/interop-peer.js';
import { CipherSuite, HandshakeType, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { connect } from '../../src/node/connect.js';
import { type Server, createServer } from '../../src/node/server.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { pkiPath } from '../helpers/fixtures.js';
import { type Spawned, start, stopAll } from '../helpers/processes.js';
import { ROOT_PEM, closeServer, listen, readUntil, serverPem, waitEvent } from '../node/support.js';

/**
 * GnuTLS 3.7 (gnutls-bin from Debian) against wiretls through the Node API, over 127.0.0.1:
 * the wiretls client against `gnutls-serv --echo` for every suite and group they share, three
 * certificate key types, a HelloRetryRequest, resumption and KeyUpdate; `gnutls-cli` against
 * the wiretls server with verification, resumption (-r), a client certificate and its own
 * KeyUpdates. gnutls-serv has no listen-address option: it listens on every interface for
 * the length of a test, and is only ever dialled on 127.0.0.1. Skipped without GnuTLS, except
 * under CI (WIRETLS_REQUIRE_INTEROP=1), where a missing GnuTLS fails them.
 */

const TLS13_ONLY = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';
const TEST_TIMEOUT = 20_000;
const hasGnutls = start('gnutls-cli', ['--version']).exited.then((code) => code === 0);
const servers: Server[] = [];
const sockets: TLSSocket[] = [];

afterAll(async () => {
  stopAll();
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map(closeServer));
});

async function freePort(): Promise<number> {
  const probe = netCreateServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** gnutls-serv echoing every line, with the `kind` server chain; resolves once it listens. */
function gnutlsServer(kind: 'ecdsa-p256' | 'rsa2048' | 'ed25519', priority = TLS13_ONLY): Promise<{ port: number; process: Spawned }> {
  return gnutlsServerWith(['--priority', priority], kind);
}

async function gnutlsServerWith(args: readonly string[], kind = 'ecdsa-p256'): Promise<{ port: number; process: Spawned }> {
  const port = await freePort();
  const process = start('gnutls-serv', [
    '--port',
    String(port),
    '--echo',
    ...(args.includes('--priority') ? [] : ['--priority', TLS13_ONLY]),
    ...args,
    '--x509certfile',
    pkiPath(`server-${kind}-chain.pem`),
    '--x509keyfile',
    pkiPath(`server-${kind}-key.pem`),
  ]);
  // "…done" comes once the socket listens; the line before it is printed first.
  await process.waitFor(/Echo Server listening on IPv4 [^\n]*\.\.\.done/);
  return { port, process };
}

/** A wiretls client through its handshake; rejects with its error. */
async function wiretlsClient(port: number, extra: Parameters<typeof connect>[0] = {}): Promise<TLSSocket> {
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ...extra });
  sockets.push(socket);
  await waitEvent(socket, 'secureConnect');
  // Once a test is done with it, gnutls-serv may reset it (when stopped, say); waits in the
  // tests still see errors, through their own listeners.
  socket.on('error', () => undefined);
  return socket;
}

/** A line to gnutls-serv's echo, and back. */
async function echo(socket: TLSSocket, text: string): Promise<void> {
  socket.write(`${text}\n`);
  expect(await readUntil(socket, (got) => got.includes('\n'))).toBe(`${text}\n`);
}

const SUITES = [
  [CipherSuite.TLS_AES_128_GCM_SHA256, 'AES-128-GCM'],
  [CipherSuite.TLS_AES_256_GCM_SHA384, 'AES-256-GCM'],
  [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 'CHACHA20-POLY1305'],
] as const;

const GROUPS = [
  [NamedGroup.x25519, 'X25519'],
  [NamedGroup.secp256r1, 'SECP256R1'],
  [NamedGroup.secp384r1, 'SECP384R1'],
  [NamedGroup.secp521r1, 'SECP521R1'],
  [NamedGroup.x448, 'X448'],
] as const;

describe('wiretls client → gnutls-serv', async () => {
  const { skip } = interopPeer('gnutls-cli', await hasGnutls, 'Debian package gnutls-bin');

  it.skipIf(skip)(
    'every suite × group: the session gnutls-serv describes is the one we negotiated, and data echoes',
    async () => {
      const server = await gnutlsServer('ecdsa-p256');
      for (const [suite, cipherName] of SUITES) {
        for (const [group, groupName] of GROUPS) {
          const socket = await wiretlsClient(server.port, { cipherSuites: [suite], groups: [group] });
          const info = socket.getSessionInfo()!;
          expect({ suite: info.cipherSuite, group: info.group, scheme: info.signatureScheme }).toEqual({ suite, group, scheme: SignatureScheme.ecdsa_secp256r1_sha256 });
          await echo(socket, `${cipherName} over ${groupName}`);
          await server.process.waitFor(new RegExp(`\\(ECDHE-${groupName}\\)-\\(ECDSA-SECP256R1-SHA256\\)-\\(${cipherName}\\)`));
          socket.end();
        }
      }
    },
    60_000,
  );

  it.skipIf(skip)(
    'RSA (PSS) and Ed25519 server certificates, chains verified',
    async () => {
      for (const [kind, scheme] of [
        ['rsa2048', SignatureScheme.rsa_pss_rsae_sha256],
        ['ed25519', SignatureScheme.ed25519],
      ] as const) {
        const server = await gnutlsServer(kind);
        const socket = await wiretlsClient(server.port);
        expect(socket.authorized).toBe(true);
        expect(socket.getSessionInfo()!.signatureScheme).toBe(scheme);
        await echo(socket, `signed with ${kind}`);
        socket.end();
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    'a HelloRetryRequest when our only key share is for a group gnutls-serv does not take',
    async () => {
      const server = await gnutlsServer('ecdsa-p256', `${TLS13_ONLY}:-GROUP-ALL:+GROUP-SECP384R1`);
      const socket = await wiretlsClient(server.port, { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] });
      expect(socket.getSessionInfo()).toMatchObject({ helloRetry: true, group: NamedGroup.secp384r1 });
      await echo(socket, 'after a retry');
      socket.end();
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    "resumes with gnutls-serv's ticket, and KeyUpdate both ways keeps the data flowing",
    async () => {
      const server = await gnutlsServer('ecdsa-p256');
      const first = await wiretlsClient(server.port);
      const [session] = await waitEvent<[Buffer]>(first, 'session');
      first.end();
      const second = await wiretlsClient(server.port, { session });
      expect(second.isSessionReused()).toBe(true);
      await echo(second, 'resumed');
      second.updateKeys(true);
      await echo(second, 'after our KeyUpdate, and gnutls-serv answering one');
      second.end();
    },
    TEST_TIMEOUT,
  );
});

describe('0-RTT with GnuTLS', async () => {
  const skip = !(await hasGnutls) && !interopRequired;

  it.skipIf(skip)(
    'wiretls client → gnutls-serv --earlydata: the early data is accepted, and data flows after EndOfEarlyData',
    async () => {
      const early = await gnutlsServerWith(['--earlydata', '--maxearlydata', '16384']);
      const first = await wiretlsClient(early.port);
      const [session] = await waitEvent<[Buffer]>(first, 'session');
      first.end();
      const socket = await wiretlsClient(early.port, { session, earlyData: new TextEncoder().encode('sent before the handshake ended\n') });
      expect(socket.getSessionInfo()).toMatchObject({ resumed: true, earlyData: 'accepted' });
      // gnutls-serv reads 0-RTT data without printing or echoing it; what follows must flow.
      await echo(socket, 'and after it');
      socket.end();
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    'gnutls-cli -r --earlydata → wiretls server with maxEarlyDataSize: accepted, delivered, echoed',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wiretls-gnutls-'));
      try {
        const file = join(dir, 'early.txt');
        writeFileSync(file, 'zero round trips\n');
        const { server, port } = await wiretlsEchoServer({ maxEarlyDataSize: 4096 });
        const sessions: TLSSocket[] = [];
        server.on('secureConnection', (socket: TLSSocket) => sessions.push(socket));
        const client = gnutlsClient(port, ['-r', '--earlydata', file]);
        await client.waitFor(/This is a resumed session/);
        await client.waitFor(/zero round trips\n/);
        expect(sessions.at(-1)!.getSessionInfo()).toMatchObject({ resumed: true, earlyData: 'accepted' });
        client.process.stdin!.end();
        expect(await client.exited).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT,
  );
});

/** gnutls-cli at a wiretls echo server, verifying it against the test root as "localhost". */
function gnutlsClient(port: number, args: readonly string[] = []): Spawned {
  return start('gnutls-cli', [
    '--port',
    String(port),
    '--x509cafile',
    pkiPath('root.pem'),
    '--sni-hostname',
    'localhost',
    '--verify-hostname',
    'localhost',
    '--priority',
    TLS13_ONLY,
    ...args,
    '127.0.0.1',
  ]);
}

async function wiretlsEchoServer(options: Parameters<typeof createServer>[0] = {}): Promise<{ server: Server; port: number }> {
  const server = createServer({ ...serverPem('ecdsa-p256'), ...options }, (socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
  });
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  return { server, port: await listen(server) };
}

describe('gnutls-cli → wiretls server', async () => {
  const skip = !(await hasGnutls) && !interopRequired;

  it.skipIf(skip)(
    'gnutls-cli verifies our chain, data echoes, and its close ends the session cleanly',
    async () => {
      const { port } = await wiretlsEchoServer();
      const client = gnutlsClient(port);
      await client.waitFor(/- Handshake was completed/);
      // The suite is the provider's first choice: AES-128-GCM natively, ChaCha20-Poly1305 on noble.
      expect(client.output()).toMatch(/\(TLS1\.3-X\.509\)-\(ECDHE-X25519\)-\(ECDSA-SECP256R1-SHA256\)-\((AES-128-GCM|CHACHA20-POLY1305)\)/);
      // gnutls-cli prints what it receives (its piped input is not echoed): our echo.
      client.process.stdin!.write('hello from gnutls-cli\n');
      await client.waitFor(/Simple Client Mode:[\s\S]*hello from gnutls-cli\n/);
      client.process.stdin!.end();
      expect(await client.exited).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    'gnutls-cli -r resumes with our ticket',
    async () => {
      const { port } = await wiretlsEchoServer();
      const client = gnutlsClient(port, ['-r']);
      await client.waitFor(/This is a resumed session/);
      client.process.stdin!.end();
      expect(await client.exited).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    'a client certificate from gnutls-cli is verified against ca (requestCert)',
    async () => {
      const { server, port } = await wiretlsEchoServer({ requestCert: true, ca: ROOT_PEM });
      const accepted = waitEvent<[TLSSocket]>(server, 'secureConnection');
      const client = gnutlsClient(port, ['--x509certfile', pkiPath('client-ecdsa-p256-chain.pem'), '--x509keyfile', pkiPath('client-ecdsa-p256-key.pem')]);
      const [socket] = await accepted;
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerCertificate()).toMatchObject({ subject: { CN: 'wiretls test client (ECDSA P-256)' } });
      await client.waitFor(/- Handshake was completed/);
      client.process.stdin!.end();
      expect(await client.exited).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    "gnutls-cli's KeyUpdates (^rekey^ asks us to update too, ^rekey1^ updates its keys alone) keep the data flowing",
    async () => {
      const updates: { direction: string; request: number }[] = [];
      const { port } = await wiretlsEchoServer({
        onTrace: (_socket, event) => {
          if (event.kind === 'message' && event.message.type === HandshakeType.key_update) updates.push({ direction: event.direction, request: event.message.requestUpdate });
        },
      });
      const client = gnutlsClient(port, ['--inline-commands']);
      await client.waitFor(/- Handshake was completed/);
      for (const [command, text] of [
        ['^rekey^', 'after rekey'],
        ['^rekey1^', 'after rekey1'],
      ] as const) {
        client.process.stdin!.write(`${command}\n`);
        client.process.stdin!.write(`${text}\n`);
        await client.waitFor(new RegExp(`Simple Client Mode:[\\s\\S]*${text}\\n`));
      }
      // Theirs with update_requested, ours answering it, then theirs alone.
      expect(updates).toEqual([
        { direction: 'received', request: 1 },
        { direction: 'sent', request: 0 },
        { direction: 'received', request: 0 },
      ]);
      client.process.stdin!.end();
      expect(await client.exited).toBe(0);
    },
    TEST_TIMEOUT,
  );
});
