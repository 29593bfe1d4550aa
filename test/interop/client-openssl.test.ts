import { type Socket, createConnection, createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { HandshakeType, NamedGroup } from '../../src/registry.js';
import type { TraceEvent } from '../../src/handshake-context.js';
import { stopAll } from '../helpers/processes.js';
import { type SocketPeer, connectClient } from '../helpers/socket.js';
import type { ClientConnection } from '../../src/connection.js';
import { GROUPS, KEY_KINDS, SUITES, clientConfig, escapeRegExp, line, reversed, startServer } from './openssl.js';

/**
 * The wiretls client against `openssl s_server -tls1_3` (OpenSSL 3.0) over TCP on 127.0.0.1:
 * every suite × group, every server key type with its intermediate, HelloRetryRequest, ALPN,
 * KeyUpdate both ways, close_notify both ways, and servers that vanish mid-handshake.
 */

afterAll(stopAll);

const TEST_TIMEOUT = 20_000;

function keyUpdatesReceived(trace: TraceEvent[]): number[] {
  return trace.flatMap((e) => (e.kind === 'message' && e.direction === 'received' && e.message.type === HandshakeType.key_update ? [e.message.requestUpdate] : []));
}

function keyUpdatesSent(trace: TraceEvent[]): number[] {
  return trace.flatMap((e) => (e.kind === 'message' && e.direction === 'sent' && e.message.type === HandshakeType.key_update ? [e.message.requestUpdate] : []));
}

/** Sends a line to s_server -rev and checks it comes back reversed. */
async function echo(client: SocketPeer<ClientConnection>, text: string): Promise<void> {
  const before = client.receivedText().length;
  client.connection.write(new TextEncoder().encode(`${text}\n`));
  const expected = `${reversed(text)}\n`;
  await client.until(`the reversed line (${text.length} bytes)`, () => client.receivedText().length >= before + expected.length);
  const got = client.receivedText().slice(before);
  // Compare without dumping kilobytes of text into the report.
  if (got !== expected) expect.fail(`echo mismatch (${got.length} bytes back for ${expected.length}): ${JSON.stringify(got.slice(0, 80))}…`);
}

/** Our close_notify first; s_server answers with its own and closes. */
async function closeFromClient(client: SocketPeer<ClientConnection>): Promise<void> {
  client.connection.close();
  await client.waitForEnd();
  expect(client.errors).toEqual([]);
  expect(client.connection.state).toBe('closed');
}

describe.concurrent('wiretls client → openssl s_server: suite × group', () => {
  let seed = 1;
  for (const { suite, name: suiteName } of SUITES) {
    for (const { group, name: groupName } of GROUPS) {
      const lineSeed = seed++;
      it(
        `${suiteName} with ${groupName}`,
        async () => {
          const server = await startServer('ecdsa-p256', ['-rev', '-ciphersuites', suiteName, '-groups', groupName]);
          try {
            const client = await connectClient(clientConfig({ groups: [group] }), server.port, { describe: server.process.output });
            const info = await client.waitForHandshake();
            expect(info).toMatchObject({ version: 'TLSv1.3', cipherSuite: suite, group, helloRetry: false, authorized: true });
            await server.process.waitFor(new RegExp(`Ciphersuite: ${suiteName}`));
            await echo(client, line(3000, lineSeed));
            await echo(client, 'hello s_server');
            await closeFromClient(client);
          } finally {
            server.process.stop();
          }
        },
        TEST_TIMEOUT,
      );
    }
  }
});

describe.concurrent('wiretls client → openssl s_server: server certificate key types (leaf + intermediate)', () => {
  for (const { kind, scheme } of KEY_KINDS) {
    it(
      `${kind} signs with scheme 0x${scheme.toString(16)} and the chain validates to the root`,
      async () => {
        const server = await startServer(kind, ['-rev']);
        try {
          const client = await connectClient(clientConfig(), server.port, { describe: server.process.output });
          const info = await client.waitForHandshake();
          expect(info).toMatchObject({ signatureScheme: scheme, authorized: true });
          // The intermediate came on the wire after the leaf (the verifier only trusts the root).
          expect(info.peerCertificates.length).toBe(2);
          await echo(client, `${kind} ok`);
          await closeFromClient(client);
        } finally {
          server.process.stop();
        }
      },
      TEST_TIMEOUT,
    );
  }
});

describe.concurrent('wiretls client → openssl s_server: negotiation and lifecycle', () => {
  it(
    'HelloRetryRequest: s_server takes only P-384, our first share is X25519',
    async () => {
      const server = await startServer('ecdsa-p256', ['-rev', '-groups', 'P-384']);
      try {
        const client = await connectClient(clientConfig({ groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] }), server.port, {
          describe: server.process.output,
        });
        const info = await client.waitForHandshake();
        expect(info).toMatchObject({ helloRetry: true, group: NamedGroup.secp384r1 });
        const retries = client.trace.filter((e) => e.kind === 'message' && e.direction === 'received' && e.message.type === HandshakeType.server_hello);
        expect(retries.length).toBe(2);
        await echo(client, 'after a retry');
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'HelloRetryRequest in compatibility mode (change_cipher_spec records both ways)',
    async () => {
      const server = await startServer('ed25519', ['-rev', '-groups', 'P-256']);
      try {
        const client = await connectClient(clientConfig({ groups: [NamedGroup.x25519, NamedGroup.secp256r1], compatibilityMode: true }), server.port, {
          describe: server.process.output,
        });
        expect(await client.waitForHandshake()).toMatchObject({ helloRetry: true, group: NamedGroup.secp256r1 });
        await echo(client, 'compat');
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'ALPN: s_server picks from our list',
    async () => {
      const server = await startServer('ecdsa-p256', ['-rev', '-alpn', 'h2,http/1.1']);
      try {
        const client = await connectClient(clientConfig({ alpnProtocols: ['http/1.1', 'h2'] }), server.port, { describe: server.process.output });
        const info = await client.waitForHandshake();
        // OpenSSL's server takes its own preference order.
        expect(info.alpnProtocol).toBe('h2');
        await echo(client, 'alpn');
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'ALPN: no protocol in common is a no_application_protocol alert from s_server',
    async () => {
      const server = await startServer('ecdsa-p256', ['-rev', '-alpn', 'h2']);
      try {
        const client = await connectClient(clientConfig({ alpnProtocols: ['spdy/3'] }), server.port, { describe: server.process.output });
        const error = await client.waitForError();
        expect(error.code).toBe('ALERT_RECEIVED');
        expect(error.alert).toBe('no_application_protocol');
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'KeyUpdate from the client, with and without update_requested',
    async () => {
      // Not -rev: its loop sleeps a second whenever a read yields no data (a KeyUpdate does).
      const server = await startServer('ecdsa-p256');
      try {
        const client = await connectClient(clientConfig(), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        const stdin = server.process.process.stdin!;
        const roundTrip = async (tag: string, size = 200): Promise<void> => {
          const up = `${line(size, tag.length)}-${tag}-up`;
          client.connection.write(new TextEncoder().encode(`${up}\n`));
          await server.process.waitFor(new RegExp(escapeRegExp(up)));
          stdin.write(`x${tag}-down\n`);
          await client.waitForText(`x${tag}-down\n`);
        };
        await roundTrip('before');
        client.connection.updateKeys(true);
        await roundTrip('after-requested');
        // s_server answered update_requested with its own KeyUpdate (we read with its new key).
        expect(keyUpdatesReceived(client.trace)).toEqual([0]);
        client.connection.updateKeys(false);
        await roundTrip('after-alone');
        client.connection.updateKeys(false);
        client.connection.updateKeys(false);
        await roundTrip('after-two-more', 12_000);
        expect(keyUpdatesReceived(client.trace)).toEqual([0]);
        expect(keyUpdatesSent(client.trace)).toEqual([1, 0, 0, 0]);
        expect(client.errors).toEqual([]);
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'automatic KeyUpdate at keyUpdateAfterRecords (RFC 8446 §5.5): s_server reads every record across ten key changes',
    async () => {
      const server = await startServer('ecdsa-p256');
      try {
        const client = await connectClient(clientConfig({ keyUpdateAfterRecords: 3 }), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        // One record per write: 30 records under 10 keys, 9 updates sent by the engine itself.
        for (let i = 0; i < 30; i++) client.connection.write(new TextEncoder().encode(`auto-${i}-${line(300, 8)}\n`));
        await server.process.waitFor(/auto-29-/);
        for (let i = 0; i < 30; i++) expect(server.process.output()).toContain(`auto-${i}-`);
        expect(keyUpdatesSent(client.trace)).toEqual(new Array(9).fill(0));
        server.process.process.stdin!.write('xserver after the updates\n');
        await client.waitForText('xserver after the updates\n');
        expect(client.errors).toEqual([]);
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "KeyUpdate from the server: s_server's 'k' and 'K' commands",
    async () => {
      const server = await startServer('ecdsa-p256');
      try {
        const client = await connectClient(clientConfig(), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        const stdin = server.process.process.stdin!;
        client.connection.write(new TextEncoder().encode('xclient before\n'));
        await server.process.waitFor(/xclient before/);
        stdin.write('xserver before\n');
        await client.waitForText('xserver before\n');

        expect(keyUpdatesSent(client.trace)).toEqual([]);
        stdin.write('k\n');
        await client.until('KeyUpdate (update_not_requested)', () => keyUpdatesReceived(client.trace).length === 1);
        expect(keyUpdatesReceived(client.trace)).toEqual([0]);
        stdin.write('xserver after k\n');
        await client.waitForText('xserver after k\n');
        expect(keyUpdatesSent(client.trace)).toEqual([]);

        stdin.write('K\n');
        await client.until('KeyUpdate (update_requested)', () => keyUpdatesReceived(client.trace).length === 2);
        expect(keyUpdatesReceived(client.trace)).toEqual([0, 1]);
        stdin.write('xserver after K\n');
        await client.waitForText('xserver after K\n');
        // We answered with our own KeyUpdate; s_server reads our data under the new key.
        expect(keyUpdatesSent(client.trace)).toEqual([0]);
        client.connection.write(new TextEncoder().encode('xclient after K\n'));
        await server.process.waitFor(/xclient after K/);
        expect(client.errors).toEqual([]);
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    's_server -max_send_frag 512 and two NewSessionTickets; no compatibility mode',
    async () => {
      const server = await startServer('ecdsa-p256', ['-max_send_frag', '512', '-num_tickets', '2']);
      try {
        const client = await connectClient(clientConfig({ compatibilityMode: false }), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        const tickets = (): number => client.trace.filter((e) => e.kind === 'message' && e.direction === 'received' && e.message.type === HandshakeType.new_session_ticket).length;
        await client.until('two NewSessionTickets', () => tickets() === 2);
        // 64 KB from s_server's stdin arrives in records of at most 512 bytes; all of it, in order.
        const down = Array.from({ length: 64 }, (_, i) => line(1000, 100 + i)).join('\n') + '\n';
        server.process.process.stdin!.write(down);
        await client.until('64 KB from s_server', () => client.received().length >= down.length);
        if (client.receivedText() !== down) expect.fail('the 64 KB from s_server arrived changed');
        // 64 KB the other way: we cut it into 16 KB records, s_server prints it.
        const up = Array.from({ length: 64 }, (_, i) => line(1000, 200 + i)).join('\n') + '\n';
        client.connection.write(new TextEncoder().encode(up));
        const last = up.slice(-1001, -1);
        await server.process.waitFor(new RegExp(escapeRegExp(last)));
        expect(server.process.output().includes(up), 's_server printed our 64 KB').toBe(true);
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'close_notify from the server first (s_server -rev "CLOSE" line), then ours',
    async () => {
      const server = await startServer('ecdsa-p256', ['-rev']);
      try {
        const client = await connectClient(clientConfig(), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        await echo(client, 'about to close');
        client.connection.write(new TextEncoder().encode('CLOSE\n'));
        await client.waitForEnd();
        expect(client.errors).toEqual([]);
        // We may still write after the peer's close_notify; then we close too.
        client.connection.write(new TextEncoder().encode('xlast words\n'));
        client.close();
        expect(client.connection.state).toBe('closed');
        await client.waitForSocketClose();
        expect(client.errors).toEqual([]);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'close_notify from us first: s_server answers and the socket closes cleanly',
    async () => {
      const server = await startServer('ecdsa-p256', ['-rev']);
      try {
        const client = await connectClient(clientConfig(), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        await echo(client, 'bye');
        await closeFromClient(client);
        await client.waitForSocketClose();
        expect(client.errors).toEqual([]);
        expect(() => client.connection.write(new Uint8Array([1]))).toThrow(/write after close/);
        expect(await server.process.exited).toBe(0);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );
});

/** A plain TCP server for misbehaving peers; returns its port and a closer. */
async function rawServer(onSocket: (socket: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe.concurrent('wiretls client: the server goes away mid-handshake → CONNECTION_CLOSED, never a hang', () => {
  it(
    'TCP FIN right after our ClientHello',
    async () => {
      const raw = await rawServer((socket) => socket.once('data', () => socket.end()));
      try {
        const client = await connectClient(clientConfig(), raw.port);
        const error = await client.waitForError(5_000);
        expect(error.code).toBe('CONNECTION_CLOSED');
        expect(client.connection.state).toBe('closed');
      } finally {
        await raw.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'TCP reset right after our ClientHello',
    async () => {
      const raw = await rawServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
      try {
        const client = await connectClient(clientConfig(), raw.port);
        const error = await client.waitForError(5_000);
        expect(error.code).toBe('CONNECTION_CLOSED');
      } finally {
        await raw.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    "TCP reset in the middle of s_server's first flight (relayed, cut after 100 bytes)",
    async () => {
      const server = await startServer('ecdsa-p256', ['-rev']);
      // A relay that passes our ClientHello to s_server and only 100 bytes of its answer.
      const raw = await rawServer((socket) => {
        const upstream = createConnection({ host: '127.0.0.1', port: server.port });
        upstream.on('error', () => undefined);
        socket.on('data', (d) => upstream.write(d));
        let relayed = 0;
        upstream.on('data', (d: Buffer) => {
          const room = 100 - relayed;
          if (room <= 0) return;
          socket.write(d.subarray(0, room));
          relayed += Math.min(room, d.length);
          if (relayed >= 100) {
            upstream.destroy();
            // Let the partial flight reach the client, then reset.
            setTimeout(() => socket.resetAndDestroy(), 20);
          }
        });
      });
      try {
        const client = await connectClient(clientConfig(), raw.port, { describe: server.process.output });
        const error = await client.waitForError(5_000);
        expect(error.code).toBe('CONNECTION_CLOSED');
        expect(error.message).toMatch(/during the handshake/);
        expect(client.connection.session).toBeUndefined();
      } finally {
        await raw.close();
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    's_server killed (SIGKILL) after accepting our TCP connection, before it answered',
    async () => {
      const server = await startServer('ecdsa-p256', ['-rev']);
      const pid = server.process.process.pid!;
      try {
        // Freeze it so the connection is queued but the ClientHello unanswered, then kill it.
        process.kill(pid, 'SIGSTOP');
        const client = await connectClient(clientConfig(), server.port, {
          describe: server.process.output,
        });
        await new Promise((r) => setTimeout(r, 50));
        process.kill(pid, 'SIGKILL');
        const error = await client.waitForError(5_000);
        expect(error.code).toBe('CONNECTION_CLOSED');
        expect(client.connection.state).toBe('closed');
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );
});
