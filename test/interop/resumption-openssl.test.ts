import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import type { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { SessionTicket } from '../../src/handshake-context.js';
import { HandshakeType, NamedGroup, PskKeyExchangeMode } from '../../src/registry.js';
import { AntiReplay } from '../../src/server/anti-replay.js';
import { StatelessTicketStore } from '../../src/server/tickets.js';
import { type Spawned, stopAll } from '../helpers/processes.js';
import { type SocketPeer, connectClient, listenServer } from '../helpers/socket.js';
import { SUITES, clientConfig, escapeRegExp, line, provider, serverConfig, startClient, startServer } from './openssl.js';

/**
 * Resumption and 0-RTT with OpenSSL 3.0 over TCP on 127.0.0.1 (RFC 8446 §2.2, §2.3, §4.2.10):
 * - the wiretls client takes a ticket from `openssl s_server -early_data` (the `session` event),
 *   resumes with it and sends 0-RTT data, which s_server prints as early data;
 * - `openssl s_client -sess_out` takes a ticket from the wiretls server (StatelessTicketStore,
 *   AntiReplay, maxEarlyDataSize), then `-sess_in -early_data` resumes ("Reused") and its early
 *   data arrives at the wiretls server before the handshake completes.
 * Every process is stopped by PID (Spawned.stop, stopAll) and every wait has a timeout.
 */

const scratch = mkdtempSync(join(tmpdir(), 'wiretls-resumption-'));

afterAll(() => {
  stopAll();
  rmSync(scratch, { recursive: true, force: true });
});

const TEST_TIMEOUT = 30_000;
const encoder = new TextEncoder();

/**
 * The tickets `peer` receives, and a wait for them (polled: the socket helper re-checks its
 * conditions on trace events, and a ticket's trace event comes before its 'session' event).
 */
function collectTickets(peer: SocketPeer<ClientConnection>): { tickets: SessionTicket[]; wait: (count: number) => Promise<void> } {
  const tickets: SessionTicket[] = [];
  peer.connection.on('session', (t) => tickets.push(t));
  const wait = async (count: number, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (tickets.length < count) {
      if (peer.errors.length > 0) throw peer.errors[0]!;
      if (Date.now() > deadline) throw new Error(`${tickets.length} of ${count} session tickets after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { tickets, wait };
}

/** Our close_notify; s_server answers with its own. */
async function closeClient(peer: SocketPeer<ClientConnection>): Promise<void> {
  peer.connection.close();
  await peer.waitForEnd();
  expect(peer.errors).toEqual([]);
}

/** A full handshake with s_server, returning the tickets it sent (s_server sends two). */
async function ticketsFromOpenSsl(port: number, server: Spawned, extra: Parameters<typeof clientConfig>[0] = {}, count = 2): Promise<SessionTicket[]> {
  const first = await connectClient(clientConfig(extra), port, { describe: server.output });
  const { tickets, wait } = collectTickets(first);
  const info = await first.waitForHandshake();
  expect(info).toMatchObject({ resumed: false, authorized: true });
  await wait(count);
  await closeClient(first);
  return tickets;
}

describe.concurrent('wiretls client → openssl s_server: resumption and 0-RTT', () => {
  for (const { suite, name } of SUITES) {
    it(
      `${name}: the session ticket resumes (no certificate), then 0-RTT data is accepted and printed by s_server`,
      async () => {
        // Three connections: a full handshake, a resumption, a resumption with 0-RTT.
        const server = await startServer('ecdsa-p256', ['-early_data', '-naccept', '3', '-ciphersuites', name]);
        try {
          const tickets = await ticketsFromOpenSsl(server.port, server.process, { cipherSuites: [suite] });
          expect(tickets.length).toBe(2);
          for (const t of tickets) expect(t).toMatchObject({ cipherSuite: suite, serverName: 'localhost', maxEarlyDataSize: 16384, authorized: true });

          // Resumption without early data: psk_dhe_ke, the server sends no Certificate.
          const resumed = await connectClient(clientConfig({ cipherSuites: [suite], session: tickets[0] }), server.port, { describe: server.process.output });
          const { wait } = collectTickets(resumed);
          const info = await resumed.waitForHandshake();
          expect(info).toMatchObject({ resumed: true, cipherSuite: suite, earlyData: 'not_offered', authorized: true, peerCertificates: [] });
          expect(info.group).toBe(NamedGroup.x25519);
          const received = resumed.trace.flatMap((e) => (e.kind === 'message' && e.direction === 'received' ? [e.message.type] : []));
          expect(received).not.toContain(HandshakeType.certificate);
          await wait(1);
          await closeClient(resumed);

          // OpenSSL's tickets are single use under its anti-replay: the second one carries 0-RTT.
          const early = `${line(200, suite)} early from wiretls`;
          const zeroRtt = await connectClient(clientConfig({ cipherSuites: [suite], session: tickets[1], earlyData: encoder.encode(`${early}\n`) }), server.port, {
            describe: server.process.output,
          });
          const zeroInfo = await zeroRtt.waitForHandshake();
          expect(zeroInfo).toMatchObject({ resumed: true, earlyData: 'accepted', cipherSuite: suite });
          await server.process.waitFor(/Early data received:/);
          await server.process.waitFor(new RegExp(escapeRegExp(early)));
          await server.process.waitFor(/End of early data/);
          // Ordinary data after the handshake, both ways.
          zeroRtt.connection.write(encoder.encode('after the handshake\n'));
          await server.process.waitFor(/after the handshake/);
          server.process.process.stdin!.write('from s_server\n');
          await zeroRtt.waitForText('from s_server');
          await closeClient(zeroRtt);
        } finally {
          server.process.stop();
        }
      },
      TEST_TIMEOUT,
    );
  }

  it(
    'psk_ke (RFC 8446 §4.2.9): a client listing only psk_ke resumes with s_server -allow_no_dhe_kex, no key share',
    async () => {
      const server = await startServer('ecdsa-p256', ['-naccept', '2', '-allow_no_dhe_kex']);
      try {
        const modes = { pskKeyExchangeModes: [PskKeyExchangeMode.psk_ke] };
        const tickets = await ticketsFromOpenSsl(server.port, server.process, modes, 1);
        const peer = await connectClient(clientConfig({ ...modes, session: tickets[0] }), server.port, { describe: server.process.output });
        const info = await peer.waitForHandshake();
        expect(info).toMatchObject({ resumed: true, group: undefined, helloRetry: false });
        await server.process.waitFor(/Reused session-id/);
        peer.connection.write(encoder.encode('psk_ke data\n'));
        await server.process.waitFor(/psk_ke data/);
        server.process.process.stdin!.write('from s_server\n');
        await peer.waitForText('from s_server');
        await closeClient(peer);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'HelloRetryRequest + PSK (s_server takes only P-384): the second ClientHello carries a recomputed binder and resumes',
    async () => {
      const server = await startServer('ecdsa-p256', ['-naccept', '2', '-groups', 'P-384']);
      try {
        const groups = { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] };
        const tickets = await ticketsFromOpenSsl(server.port, server.process, groups, 1);
        const peer = await connectClient(clientConfig({ ...groups, session: tickets[0] }), server.port, { describe: server.process.output });
        const info = await peer.waitForHandshake();
        expect(info).toMatchObject({ resumed: true, helloRetry: true, group: NamedGroup.secp384r1, earlyData: 'not_offered' });
        await server.process.waitFor(/Reused session-id/);
        await closeClient(peer);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'HelloRetryRequest with 0-RTT (s_server -early_data takes only P-384): early data rejected, sent again after the handshake',
    async () => {
      const server = await startServer('ecdsa-p256', ['-early_data', '-naccept', '2', '-groups', 'P-384']);
      try {
        const groups = { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] };
        const tickets = await ticketsFromOpenSsl(server.port, server.process, groups);
        const early = `${line(300, 99)} rejected early`;
        const peer = await connectClient(clientConfig({ ...groups, session: tickets[0], earlyData: encoder.encode(`${early}\n`) }), server.port, {
          describe: server.process.output,
        });
        const info = await peer.waitForHandshake();
        // OpenSSL's anti-replay spends a 0-RTT ticket on the first ClientHello, so after the
        // HelloRetryRequest it does not resume (OpenSSL's own s_client fares the same).
        expect(info).toMatchObject({ helloRetry: true, group: NamedGroup.secp384r1, earlyData: 'rejected', authorized: true });
        // Rejected data is the caller's to send again: it arrives once, as ordinary data.
        peer.connection.write(encoder.encode(`${early}\n`));
        await server.process.waitFor(new RegExp(escapeRegExp(early)));
        expect(server.process.output()).not.toMatch(/Early data received:/);
        expect(server.process.output().split(early).length - 1).toBe(1);
        await closeClient(peer);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );
});

// ---- openssl s_client → wiretls server ----------------------------------------------------

/** One server configuration for all connections: the ticket key and the anti-replay record are shared. */
async function resumingServer(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  return serverConfig('ecdsa-p256', {
    ticketStore: new StatelessTicketStore(provider),
    antiReplay: new AntiReplay(),
    maxEarlyDataSize: 16384,
    ...extra,
  });
}

async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(file) && statSync(file).size > 0)) {
    if (Date.now() > deadline) throw new Error(`${file} was not written within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // s_client may still be writing the PEM: wait for its last line.
  while (!readFileSync(file, 'utf8').includes('-----END SSL SESSION PARAMETERS-----')) {
    if (Date.now() > deadline) throw new Error(`${file} is incomplete after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** s_client -sess_out against our server: a full handshake, our tickets saved to `file`. */
async function sessionFromWiretls(port: number, accept: () => Promise<SocketPeer<ServerConnection>>, file: string, args: string[] = []): Promise<void> {
  const client = startClient(port, ['-sess_out', file, ...args]);
  try {
    const peer = await accept();
    const info = await peer.waitForHandshake();
    expect(info).toMatchObject({ resumed: false });
    await client.waitFor(/Verify return code: 0 \(ok\)/);
    // s_client writes -sess_out when a NewSessionTicket arrives (its stdout is buffered: poll).
    await waitForFile(file);
    client.process.stdin!.end();
    await peer.waitForEnd();
    peer.close();
    expect(await Promise.race([client.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))])).toBe(0);
  } finally {
    client.stop();
  }
}

describe.concurrent('openssl s_client → wiretls server: resumption and 0-RTT', () => {
  for (const { suite, name } of SUITES) {
    it(
      `${name}: -sess_out, then -sess_in -early_data: "Reused", early data accepted and delivered before the handshake completes`,
      async () => {
        const sessionFile = join(scratch, `session-${name}.pem`);
        const earlyFile = join(scratch, `early-${name}.txt`);
        const early = `${line(1000, suite)} 0-RTT from s_client`;
        writeFileSync(earlyFile, `${early}\n`);
        let client: Spawned | undefined;
        const server = await listenServer(await resumingServer(), () => client?.output() ?? '');
        try {
          await sessionFromWiretls(server.port, () => server.accept(), sessionFile, ['-ciphersuites', name]);

          client = startClient(server.port, ['-sess_in', sessionFile, '-early_data', earlyFile, '-ciphersuites', name]);
          const peer = await server.accept();
          let earlyBeforeHandshake = false;
          peer.connection.on('data', () => {
            if (peer.connection.session === undefined) earlyBeforeHandshake = true;
          });
          const info = await peer.waitForHandshake();
          expect(info).toMatchObject({ resumed: true, earlyData: 'accepted', cipherSuite: suite, serverName: 'localhost' });
          await peer.waitForText(`${early}\n`);
          expect(earlyBeforeHandshake, '0-RTT data arrived before the handshake completed').toBe(true);
          expect(peer.receivedText()).toBe(`${early}\n`);
          await client.waitFor(/Reused, TLSv1\.3, Cipher is /);
          await client.waitFor(/Early data was accepted/);
          expect(client.output()).toContain(`Cipher is ${name}`);
          // The session goes on: a line each way.
          client.process.stdin!.write('typed after the handshake\n');
          await peer.waitForText('typed after the handshake\n');
          peer.connection.write(encoder.encode('from wiretls\n'));
          await client.waitFor(/from wiretls/);
          client.process.stdin!.end();
          await peer.waitForEnd();
          peer.close();
          expect(peer.errors).toEqual([]);
        } finally {
          client?.stop();
          await server.close();
        }
      },
      TEST_TIMEOUT,
    );
  }

  it(
    'the wiretls server rejects the 0-RTT data (now maxEarlyDataSize 0): s_client reports it, the records are skipped, the session is reused',
    async () => {
      const sessionFile = join(scratch, 'session-reject.pem');
      const earlyFile = join(scratch, 'early-reject.txt');
      const early = `${line(5000, 4242)} not to be delivered`;
      writeFileSync(earlyFile, `${early}\n`);
      let client: Spawned | undefined;
      const base = await resumingServer();
      let connections = 0;
      // Same store: the first connection issues tickets allowing 0-RTT, the second refuses it.
      const server = await listenServer(
        () => (connections++ === 0 ? base : { ...base, maxEarlyDataSize: 0 }),
        () => client?.output() ?? '',
      );
      try {
        await sessionFromWiretls(server.port, () => server.accept(), sessionFile);
        client = startClient(server.port, ['-sess_in', sessionFile, '-early_data', earlyFile]);
        const peer = await server.accept();
        const info = await peer.waitForHandshake();
        expect(info).toMatchObject({ resumed: true, earlyData: 'rejected' });
        await client.waitFor(/Reused, TLSv1\.3/);
        await client.waitFor(/Early data was rejected/);
        client.process.stdin!.write('after rejection\n');
        await peer.waitForText('after rejection\n');
        expect(peer.receivedText()).toBe('after rejection\n');
        client.process.stdin!.end();
        await peer.waitForEnd();
        peer.close();
        expect(peer.errors).toEqual([]);
      } finally {
        client?.stop();
        await server.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'HelloRetryRequest (the wiretls server takes only P-384): s_client resumes with a recomputed binder, its 0-RTT is rejected',
    async () => {
      const sessionFile = join(scratch, 'session-hrr.pem');
      const earlyFile = join(scratch, 'early-hrr.txt');
      writeFileSync(earlyFile, 'dropped after the HelloRetryRequest\n');
      let client: Spawned | undefined;
      const server = await listenServer(await resumingServer({ groups: [NamedGroup.secp384r1] }), () => client?.output() ?? '');
      try {
        await sessionFromWiretls(server.port, () => server.accept(), sessionFile, ['-groups', 'P-384']);
        client = startClient(server.port, ['-sess_in', sessionFile, '-early_data', earlyFile, '-groups', 'X25519:P-384']);
        const peer = await server.accept();
        const info = await peer.waitForHandshake();
        expect(info).toMatchObject({ resumed: true, helloRetry: true, group: NamedGroup.secp384r1, earlyData: 'rejected' });
        await client.waitFor(/Reused, TLSv1\.3/);
        await client.waitFor(/Early data was rejected/);
        client.process.stdin!.write('after the retry\n');
        await peer.waitForText('after the retry\n');
        expect(peer.receivedText()).toBe('after the retry\n');
        client.process.stdin!.end();
        await peer.waitForEnd();
        peer.close();
        expect(peer.errors).toEqual([]);
      } finally {
        client?.stop();
        await server.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'one ticket used twice by s_client: two different ClientHellos, both resume with 0-RTT (ClientHello recording, not single-use tickets)',
    async () => {
      // RFC 8446 §8.2: the record refuses a ClientHello seen before (keyed by its binder); each
      // s_client run builds a new one. A byte-for-byte replay is refused: see the engine tests.
      const sessionFile = join(scratch, 'session-twice.pem');
      const earlyFile = join(scratch, 'early-twice.txt');
      writeFileSync(earlyFile, 'twice\n');
      let client: Spawned | undefined;
      const server = await listenServer(await resumingServer(), () => client?.output() ?? '');
      try {
        await sessionFromWiretls(server.port, () => server.accept(), sessionFile);
        for (let i = 0; i < 2; i++) {
          client = startClient(server.port, ['-sess_in', sessionFile, '-early_data', earlyFile]);
          const peer = await server.accept();
          const info = await peer.waitForHandshake();
          expect(info).toMatchObject({ resumed: true, earlyData: 'accepted' });
          await peer.waitForText('twice\n');
          expect(peer.receivedText()).toBe('twice\n');
          await client.waitFor(/Early data was accepted/);
          client.process.stdin!.end();
          await peer.waitForEnd();
          peer.close();
          client.stop();
        }
      } finally {
        client?.stop();
        await server.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'psk_ke (RFC 8446 §4.2.9): s_client -allow_no_dhe_kex resumes without (EC)DHE from a server listing psk_ke first',
    async () => {
      const sessionFile = join(scratch, 'session-psk-ke.pem');
      let client: Spawned | undefined;
      const server = await listenServer(await resumingServer({ pskKeyExchangeModes: [PskKeyExchangeMode.psk_ke, PskKeyExchangeMode.psk_dhe_ke] }), () => client?.output() ?? '');
      try {
        await sessionFromWiretls(server.port, () => server.accept(), sessionFile, ['-allow_no_dhe_kex']);
        client = startClient(server.port, ['-sess_in', sessionFile, '-allow_no_dhe_kex']);
        const peer = await server.accept();
        const info = await peer.waitForHandshake();
        expect(info).toMatchObject({ resumed: true, group: undefined });
        await client.waitFor(/Reused, TLSv1\.3/);
        client.process.stdin!.write('over psk_ke\n');
        await peer.waitForText('over psk_ke\n');
        client.process.stdin!.end();
        await peer.waitForEnd();
        peer.close();
        expect(peer.errors).toEqual([]);
      } finally {
        client?.stop();
        await server.close();
      }
    },
    TEST_TIMEOUT,
  );
});
