import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import type { ServerConnection } from '../../src/connection.js';
import type { SessionInfo } from '../../src/handshake-context.js';
import { HandshakeType, NamedGroup } from '../../src/registry.js';
import { type Spawned, stopAll } from '../helpers/processes.js';
import { type SocketPeer, listenServer } from '../helpers/socket.js';
import { GROUPS, KEY_KINDS, SUITES, escapeRegExp, line, serverConfig, startClient, startServer } from './openssl.js';

/**
 * The wiretls server against `openssl s_client -tls1_3` (OpenSSL 3.0) over TCP on 127.0.0.1:
 * every suite × group, every certificate key type (s_client verifies the chain against the
 * test root), HelloRetryRequest, ALPN, KeyUpdate and close_notify both ways, and a client
 * that offers a foreign ticket with 0-RTT data (which we must skip, RFC 8446 §4.2.10).
 */

const scratch = mkdtempSync(join(tmpdir(), 'wiretls-interop-'));

afterAll(() => {
  stopAll();
  rmSync(scratch, { recursive: true, force: true });
});

const TEST_TIMEOUT = 20_000;

interface Run {
  peer: SocketPeer<ServerConnection>;
  client: Spawned;
  info: SessionInfo;
}

/**
 * Starts a wiretls server, points s_client at it and waits until both sides report the
 * handshake (s_client verified the chain: "Verify return code: 0 (ok)").
 */
async function withClient(config: ServerConfig, clientArgs: readonly string[], body: (run: Run) => Promise<void>): Promise<void> {
  let client: Spawned | undefined;
  const server = await listenServer(config, () => client?.output() ?? '');
  try {
    client = startClient(server.port, clientArgs);
    const peer = await server.accept();
    const info = await peer.waitForHandshake();
    await client.waitFor(/Verify return code: 0 \(ok\)/);
    await body({ peer, client, info });
  } finally {
    client?.stop();
    await server.close();
  }
}

/** Data both ways: a line typed into s_client, and a line from us that s_client prints. */
async function exchange({ peer, client }: Run, size = 2000, seed = 1): Promise<void> {
  const up = line(size, seed);
  const down = line(size, seed + 1000);
  const before = peer.receivedText().length;
  client.process.stdin!.write(`${up}\n`);
  await peer.until('the line from s_client', () => peer.receivedText().length >= before + up.length + 1);
  const got = peer.receivedText().slice(before);
  if (got !== `${up}\n`) expect.fail(`s_client's line arrived changed: ${JSON.stringify(got.slice(0, 80))}…`);
  peer.connection.write(new TextEncoder().encode(`${down}\n`));
  await client.waitFor(new RegExp(`${escapeRegExp(down)}\\n`));
}

/** s_client's close_notify first (stdin EOF without -ign_eof), then ours. */
async function closeFromClient({ peer, client }: Run): Promise<void> {
  client.process.stdin!.end();
  await peer.waitForEnd();
  peer.close();
  expect(peer.errors).toEqual([]);
  expect(peer.connection.state).toBe('closed');
  expect(await client.exited).toBe(0);
}

function sentScheme(peer: SocketPeer): number | undefined {
  for (const e of peer.trace) if (e.kind === 'message' && e.direction === 'sent' && e.message.type === HandshakeType.certificate_verify) return e.message.scheme;
  return undefined;
}

describe.concurrent('openssl s_client → wiretls server: suite × group', () => {
  let seed = 1;
  for (const { suite, name: suiteName } of SUITES) {
    for (const { group, name: groupName, tempKey } of GROUPS) {
      const lineSeed = seed++;
      it(
        `${suiteName} with ${groupName}`,
        async () => {
          await withClient(await serverConfig('ecdsa-p256'), ['-ciphersuites', suiteName, '-groups', groupName], async (run) => {
            expect(run.info).toMatchObject({ version: 'TLSv1.3', cipherSuite: suite, group, helloRetry: false, serverName: 'localhost' });
            const out = run.client.output();
            expect(out).toContain(`Cipher is ${suiteName}`);
            expect(out).toContain(`Server Temp Key: ${tempKey}`);
            await exchange(run, 3000, lineSeed);
            await closeFromClient(run);
          });
        },
        TEST_TIMEOUT,
      );
    }
  }
});

describe.concurrent('openssl s_client → wiretls server: certificate key types (leaf + intermediate)', () => {
  for (const { kind, scheme, openssl } of KEY_KINDS) {
    it(
      `${kind}: CertificateVerify 0x${scheme.toString(16)}, s_client verifies the chain`,
      async () => {
        await withClient(await serverConfig(kind), [], async (run) => {
          expect(sentScheme(run.peer)).toBe(scheme);
          expect(run.client.output()).toContain(`Peer signature type: ${openssl}`);
          // s_client printed both certificates we sent: leaf (0) and intermediate (1).
          expect(run.client.output()).toMatch(/ 1 s:CN = wiretls test intermediate CA/);
          await exchange(run, 500, scheme);
          await closeFromClient(run);
        });
      },
      TEST_TIMEOUT,
    );
  }
});

describe.concurrent('openssl s_client → wiretls server: negotiation and lifecycle', () => {
  it(
    'HelloRetryRequest: s_client -groups X25519:P-256 (share for X25519), we take only P-256',
    async () => {
      const config = await serverConfig('ecdsa-p256', { groups: [NamedGroup.secp256r1] });
      await withClient(config, ['-groups', 'X25519:P-256'], async (run) => {
        expect(run.info).toMatchObject({ helloRetry: true, group: NamedGroup.secp256r1 });
        const hellos = run.peer.trace.filter((e) => e.kind === 'message' && e.direction === 'received' && e.message.type === HandshakeType.client_hello);
        expect(hellos.length).toBe(2);
        expect(run.client.output()).toContain('Server Temp Key: ECDH, prime256v1, 256 bits');
        await exchange(run);
        await closeFromClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    'HelloRetryRequest with a cookie: s_client -groups P-521:X448, we take only X448',
    async () => {
      const config = await serverConfig('ed25519', { groups: [NamedGroup.x448], helloRetryCookie: () => new Uint8Array([7, 7, 7, 7, 7, 7]) });
      await withClient(config, ['-groups', 'P-521:X448'], async (run) => {
        expect(run.info).toMatchObject({ helloRetry: true, group: NamedGroup.x448 });
        expect(run.client.output()).toContain('Server Temp Key: X448, 448 bits');
        await exchange(run);
        await closeFromClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    'ALPN: we pick h2 from s_client -alpn http/1.1,h2',
    async () => {
      const config = await serverConfig('ecdsa-p256', { alpnProtocols: ['h2', 'http/1.1'] });
      await withClient(config, ['-alpn', 'http/1.1,h2'], async (run) => {
        expect(run.info.alpnProtocol).toBe('h2');
        expect(run.client.output()).toContain('ALPN protocol: h2');
        await exchange(run);
        await closeFromClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    's_client -no_middlebox, -sigalgs rsa_pss_rsae_sha384 and -maxfraglen 512 (which we ignore)',
    async () => {
      await withClient(await serverConfig('rsa2048'), ['-no_middlebox', '-sigalgs', 'rsa_pss_rsae_sha384', '-maxfraglen', '512'], async (run) => {
        expect(sentScheme(run.peer)).toBe(0x0805);
        expect(run.client.output()).toContain('Peer signing digest: SHA384');
        // We did not echo max_fragment_length, so full-size records are fine: send 40 KB.
        const down = line(40_000, 9);
        run.peer.connection.write(new TextEncoder().encode(`${down}\n`));
        await run.client.waitFor(new RegExp(escapeRegExp(down.slice(-200))));
        expect(run.client.output().includes(down), 's_client printed our 40 KB line').toBe(true);
        await exchange(run);
        await closeFromClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    'close_notify from us first: s_client -ign_eof prints "closed" and answers',
    async () => {
      await withClient(await serverConfig('ecdsa-p384'), ['-ign_eof'], async (run) => {
        await exchange(run);
        run.peer.connection.close();
        await run.peer.waitForEnd();
        expect(run.peer.errors).toEqual([]);
        expect(run.peer.connection.state).toBe('closed');
        expect(await run.client.exited).toBe(0);
        expect(run.client.output()).toMatch(/closed/);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    'KeyUpdate from us (update_requested) and from s_client ("k"/"K" commands)',
    async () => {
      await withClient(await serverConfig('ecdsa-p256'), [], async (run) => {
        const { peer, client } = run;
        await exchange(run, 100, 1);
        // Ours, asking s_client to update too: it answers with its own KeyUpdate.
        peer.connection.updateKeys(true);
        await exchange(run, 100, 2);
        const received = (): number[] =>
          peer.trace.flatMap((e) => (e.kind === 'message' && e.direction === 'received' && e.message.type === HandshakeType.key_update ? [e.message.requestUpdate] : []));
        expect(received()).toEqual([0]);
        // s_client's own: "k" (no response asked), then "K" (we must answer).
        client.process.stdin!.write('k\n');
        await peer.until('KeyUpdate from s_client', () => received().length === 2);
        await exchange(run, 100, 3);
        client.process.stdin!.write('K\n');
        await peer.until('KeyUpdate (update_requested) from s_client', () => received().length === 3);
        expect(received()).toEqual([0, 0, 1]);
        await exchange(run, 100, 4);
        await closeFromClient(run);
      });
    },
    TEST_TIMEOUT,
  );
});

let ticket: Promise<string> | undefined;

/**
 * A TLS 1.3 session (ticket, max_early_data 16384) that s_client got from an OpenSSL server
 * run with -early_data: offered to us, it makes s_client send a PSK and 0-RTT data.
 */
function openSslTicket(): Promise<string> {
  ticket ??= (async () => {
    const file = join(scratch, 'session.pem');
    const server = await startServer('ecdsa-p256', ['-early_data']);
    const client = startClient(server.port, ['-sess_out', file]);
    try {
      // s_client writes the file when a ticket arrives (its stdout is buffered: poll the file).
      await client.waitFor(/Verify return code: 0/);
      for (let i = 0; i < 250 && !(existsSync(file) && statSync(file).size > 0); i++) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(file), 's_client wrote -sess_out').toBe(true);
      await new Promise((r) => setTimeout(r, 50));
      return file;
    } finally {
      client.stop();
      server.process.stop();
    }
  })();
  return ticket;
}

describe.concurrent('openssl s_client → wiretls server: rejected 0-RTT (RFC 8446 §4.2.10)', () => {
  const early = line(10_000, 77);

  it(
    "s_client offers another server's ticket with early data: full handshake, the 0-RTT record is skipped",
    async () => {
      const session = await openSslTicket();
      const earlyFile = join(scratch, 'early-1.txt');
      writeFileSync(earlyFile, `${early}\n`);
      await withClient(await serverConfig('ecdsa-p256'), ['-sess_in', session, '-early_data', earlyFile], async (run) => {
        expect(run.info).toMatchObject({ resumed: false, earlyData: 'rejected', helloRetry: false });
        expect(run.client.output()).toContain('Early data was rejected');
        await exchange(run);
        expect(run.peer.receivedText().includes(early.slice(0, 50)), 'no 0-RTT data delivered').toBe(false);
        await closeFromClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    'the same after a HelloRetryRequest: 0-RTT records before the second ClientHello are dropped',
    async () => {
      const session = await openSslTicket();
      const earlyFile = join(scratch, 'early-2.txt');
      writeFileSync(earlyFile, `${early}\n`);
      const config = await serverConfig('ecdsa-p256', { groups: [NamedGroup.secp256r1] });
      await withClient(config, ['-sess_in', session, '-early_data', earlyFile, '-groups', 'X25519:P-256'], async (run) => {
        expect(run.info).toMatchObject({ resumed: false, helloRetry: true, group: NamedGroup.secp256r1 });
        expect(run.client.output()).toContain('Early data was rejected');
        await exchange(run);
        expect(run.peer.receivedText().includes(early.slice(0, 50)), 'no 0-RTT data delivered').toBe(false);
        await closeFromClient(run);
      });
    },
    TEST_TIMEOUT,
  );
});
