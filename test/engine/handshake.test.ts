import { describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { StatelessTicketStore } from '../../src/server/tickets.js';
import { SERVER_KEY_KINDS, type ServerKeyKind, pinnedLeafVerifier, serverChain, serverKey } from '../helpers/fixtures.js';
import { joined, pipe, settle } from '../helpers/pipe.js';
import { testProvider } from '../helpers/provider.js';

/**
 * In-memory client↔server handshakes over every group, suite and certificate key type, with
 * bytes delivered in random-sized chunks, then data both ways, KeyUpdate and close.
 */

const provider: CryptoProvider = testProvider();

const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1, NamedGroup.x448, NamedGroup.X25519MLKEM768];
const SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256];

const EXPECTED_SCHEME: Record<ServerKeyKind, number> = {
  'ecdsa-p256': SignatureScheme.ecdsa_secp256r1_sha256,
  'ecdsa-p384': SignatureScheme.ecdsa_secp384r1_sha384,
  'ecdsa-p521': SignatureScheme.ecdsa_secp521r1_sha512,
  rsa2048: SignatureScheme.rsa_pss_rsae_sha256,
  rsapss2048: SignatureScheme.rsa_pss_pss_sha256,
  ed25519: SignatureScheme.ed25519,
  ed448: SignatureScheme.ed448,
};

async function serverConfig(kind: ServerKeyKind, extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  return {
    provider,
    certificates: [{ chain: serverChain(kind), key: await provider.importSigningKey(serverKey(kind)) }],
    ...extra,
  };
}

function clientConfig(kind: ServerKeyKind, extra: Partial<ClientConfig> = {}): ClientConfig {
  return { provider, serverName: 'localhost', verifier: pinnedLeafVerifier(serverChain(kind)[0]!), ...extra };
}

async function run(client: ClientConnection, server: ServerConnection, maxChunk: number, seed: number, borrowed = false) {
  const ends = pipe(client, server, { maxChunk, seed, borrowed });
  client.start();
  await settle(client, server);
  return ends;
}

async function exchangeAndClose(client: ClientConnection, server: ServerConnection, ends: Awaited<ReturnType<typeof run>>) {
  const up = provider.random(40_000);
  const down = provider.random(25_000);
  client.write(up);
  server.write(down);
  await settle(client, server);
  expect(joined(ends.server.received)).toEqual(up);
  expect(joined(ends.client.received)).toEqual(down);

  // KeyUpdate both ways, the second asking the peer to update too.
  client.updateKeys(false);
  server.updateKeys(true);
  await settle(client, server);
  client.write(new Uint8Array([1, 2, 3]));
  server.write(new Uint8Array([4, 5]));
  await settle(client, server);
  expect(joined(ends.server.received).subarray(-3)).toEqual(new Uint8Array([1, 2, 3]));
  expect(joined(ends.client.received).subarray(-2)).toEqual(new Uint8Array([4, 5]));

  client.close();
  server.close();
  await settle(client, server);
  expect(ends.client.ended && ends.server.ended).toBe(true);
  expect(ends.client.errors).toEqual([]);
  expect(ends.server.errors).toEqual([]);
  expect(client.state).toBe('closed');
  expect(server.state).toBe('closed');
}

describe('in-memory handshakes', () => {
  let seed = 7;
  for (const group of GROUPS) {
    for (const suite of SUITES) {
      it(`group 0x${group.toString(16)} × suite 0x${suite.toString(16)}`, async () => {
        const client = new ClientConnection(clientConfig('ecdsa-p256', { groups: [group], cipherSuites: [suite] }));
        const server = new ServerConnection(await serverConfig('ecdsa-p256'));
        const ends = await run(client, server, 97, seed++);
        expect(ends.client.errors).toEqual([]);
        expect(client.session).toMatchObject({ cipherSuite: suite, group, helloRetry: false, authorized: true });
        expect(server.session).toMatchObject({ cipherSuite: suite, group, serverName: 'localhost' });
        await exchangeAndClose(client, server, ends);
      });
    }
  }

  for (const kind of SERVER_KEY_KINDS) {
    it(`certificate key ${kind} signs with its scheme`, async () => {
      const client = new ClientConnection(clientConfig(kind));
      const server = new ServerConnection(await serverConfig(kind));
      const ends = await run(client, server, 1 + (seed % 50), seed++);
      expect(ends.client.errors).toEqual([]);
      expect(client.session?.signatureScheme).toBe(EXPECTED_SCHEME[kind]);
      await exchangeAndClose(client, server, ends);
    });
  }

  it('delivers every byte one at a time', async () => {
    const client = new ClientConnection(clientConfig('ed25519'));
    const server = new ServerConnection(await serverConfig('ed25519'));
    const ends = await run(client, server, 1, 3);
    expect(client.session?.cipherSuite).toBeDefined();
    await exchangeAndClose(client, server, ends);
  });

  it('HelloRetryRequest when the client guessed a share the server does not take', async () => {
    const client = new ClientConnection(clientConfig('ecdsa-p256', { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] }));
    const server = new ServerConnection(await serverConfig('ecdsa-p256', { groups: [NamedGroup.secp384r1] }));
    const ends = await run(client, server, 200, 11);
    expect(ends.client.errors).toEqual([]);
    expect(client.session).toMatchObject({ helloRetry: true, group: NamedGroup.secp384r1 });
    expect(server.session).toMatchObject({ helloRetry: true, group: NamedGroup.secp384r1 });
    await exchangeAndClose(client, server, ends);
  });

  it('HelloRetryRequest with a cookie, in compatibility mode', async () => {
    const client = new ClientConnection(clientConfig('ecdsa-p256', { groups: [NamedGroup.x25519, NamedGroup.secp256r1], compatibilityMode: true }));
    const server = new ServerConnection(await serverConfig('ecdsa-p256', { groups: [NamedGroup.secp256r1], helloRetryCookie: () => new Uint8Array([1, 2, 3, 4]) }));
    const ends = await run(client, server, 64, 5);
    expect(ends.client.errors).toEqual([]);
    expect(client.session?.helloRetry).toBe(true);
    await exchangeAndClose(client, server, ends);
  });

  it('negotiates ALPN by server preference and record_size_limit', async () => {
    const client = new ClientConnection(clientConfig('ecdsa-p256', { alpnProtocols: ['http/1.1', 'h2'], recordSizeLimit: 1024 }));
    const server = new ServerConnection(await serverConfig('ecdsa-p256', { alpnProtocols: ['h2', 'http/1.1'], recordSizeLimit: 2048 }));
    const ends = await run(client, server, 300, 13);
    expect(client.session?.alpnProtocol).toBe('h2');
    expect(server.session?.alpnProtocol).toBe('h2');
    server.write(new Uint8Array(5000));
    await settle(client, server);
    // The client allowed 1024 bytes of inner plaintext: 1023 content + type, 16-byte tag, 5-byte header.
    const records = ends.server.wire.slice(-5);
    for (const record of records) expect(record.length).toBeLessThanOrEqual(1024 + 16 + 5);
    expect(joined(ends.client.received).length).toBe(5000);
  });

  it('exports the same keying material on both sides', async () => {
    const client = new ClientConnection(clientConfig('ecdsa-p256'));
    const server = new ServerConnection(await serverConfig('ecdsa-p256'));
    await run(client, server, 500, 17);
    const a = client.exportKeyingMaterial(32, 'EXPERIMENTAL test', new Uint8Array([1]));
    const b = server.exportKeyingMaterial(32, 'EXPERIMENTAL test', new Uint8Array([1]));
    expect(a).toEqual(b);
    expect(client.exportKeyingMaterial(32, 'EXPERIMENTAL other')).not.toEqual(a);
  });

  it('wipes a traffic secret once a KeyUpdate replaced it, and all of them when the connection fails', async () => {
    // The observer gets the engine's own arrays (a key log formats them at once), so it sees them wiped.
    const seen = new Map<string, Uint8Array>();
    const client = new ClientConnection(clientConfig('ecdsa-p256', { onSecret: (name, secret) => void seen.set(name, secret) }));
    const server = new ServerConnection(await serverConfig('ecdsa-p256'));
    const ends = await run(client, server, 500, 23);
    const zero = (name: string): boolean => seen.get(name)!.every((b) => b === 0);
    expect(zero('CLIENT_TRAFFIC_SECRET_0') || zero('SERVER_TRAFFIC_SECRET_0') || zero('EXPORTER_SECRET')).toBe(false);

    client.updateKeys(true); // ours now, the server's once its answering update arrives
    await settle(client, server);
    expect(zero('CLIENT_TRAFFIC_SECRET_0')).toBe(true);
    expect(zero('SERVER_TRAFFIC_SECRET_0')).toBe(true);
    expect(zero('EXPORTER_SECRET')).toBe(false);
    client.write(new TextEncoder().encode('after the update'));
    await settle(client, server);
    expect(new TextDecoder().decode(joined(ends.server.received))).toBe('after the update');

    client.receive(Uint8Array.of(0x17, 0x03, 0x03, 0x00, 0x20, ...new Uint8Array(32))); // a record that does not authenticate
    expect(client.error?.alert).toBe('bad_record_mac');
    expect(zero('EXPORTER_SECRET')).toBe(true);
    expect(() => client.exportKeyingMaterial(32, 'EXPERIMENTAL test')).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('input lent for one call (receiveBorrowed)', () => {
  // The pipe overwrites each chunk right after the call, as a transport reading every chunk
  // into one buffer does: a view kept anywhere (hello fields, queued records, partial records)
  // would break the handshake or the data. Data sent right behind a KeyUpdate queues while the
  // client handles the update; small chunks split records and headers.
  for (const maxChunk of [Infinity, 4000, 1]) {
    it(`full handshake, tickets, data, KeyUpdate and close in chunks of up to ${maxChunk} bytes`, async () => {
      const client = new ClientConnection(clientConfig('ecdsa-p256'));
      const server = new ServerConnection(await serverConfig('ecdsa-p256', { ticketStore: new StatelessTicketStore(provider) }));
      const tickets: unknown[] = [];
      client.on('session', (ticket) => tickets.push(ticket));
      const ends = await run(client, server, maxChunk, 21, true);
      expect(ends.client.errors).toEqual([]);
      expect(ends.server.errors).toEqual([]);
      expect(client.session?.authorized).toBe(true);
      expect(tickets.length).toBe(2);
      // Data right behind a KeyUpdate arrives while the client is still handling the update.
      const burst = provider.random(50_000);
      server.updateKeys(false);
      server.write(burst);
      await settle(client, server);
      expect(ends.client.errors).toEqual([]);
      expect(joined(ends.client.received.splice(0))).toEqual(burst);
      await exchangeAndClose(client, server, ends);
    });
  }
});
