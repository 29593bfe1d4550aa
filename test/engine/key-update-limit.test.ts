import { describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import type { TraceEvent } from '../../src/handshake-context.js';
import { CipherSuite, HandshakeType } from '../../src/registry.js';
import { pinnedLeafVerifier, serverChain, serverKey } from '../helpers/fixtures.js';
import { joined, pipe, settle } from '../helpers/pipe.js';
import { testProvider } from '../helpers/provider.js';

/**
 * RFC 8446 §5.5: a key may protect only so many records; past `keyUpdateAfterRecords` (or the
 * AEAD's own limit) the connection sends a KeyUpdate by itself before the next record.
 */

const provider: CryptoProvider = testProvider();

function keyUpdatesSent(trace: readonly TraceEvent[]): number[] {
  return trace.flatMap((e) => (e.kind === 'message' && e.direction === 'sent' && e.message.type === HandshakeType.key_update ? [e.message.requestUpdate] : []));
}

async function connected(clientExtra: Partial<ClientConfig>, serverExtra: Partial<ServerConfig>) {
  const client = new ClientConnection({ provider, serverName: 'localhost', verifier: pinnedLeafVerifier(serverChain('ecdsa-p256')[0]!), ...clientExtra });
  const server = new ServerConnection({
    provider,
    certificates: [{ chain: serverChain('ecdsa-p256'), key: await provider.importSigningKey(serverKey('ecdsa-p256')) }],
    ...serverExtra,
  });
  const trace = { client: [] as TraceEvent[], server: [] as TraceEvent[] };
  client.on('trace', (e) => trace.client.push(e));
  server.on('trace', (e) => trace.server.push(e));
  const ends = pipe(client, server, { maxChunk: 3000, seed: 5 });
  client.start();
  await settle(client, server);
  expect(ends.client.errors).toEqual([]);
  return { client, server, ends, trace };
}

describe('automatic KeyUpdate at the key usage limit (keyUpdateAfterRecords)', () => {
  for (const suite of [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256]) {
    it(`updates every 4 records and data keeps flowing both ways (suite 0x${suite.toString(16)})`, async () => {
      const { client, server, ends, trace } = await connected({ keyUpdateAfterRecords: 4, cipherSuites: [suite] }, { keyUpdateAfterRecords: 4 });
      // 100 one-record writes up, a 300 KB burst (19 full records) down, interleaved.
      const up: Uint8Array[] = [];
      for (let i = 0; i < 100; i++) {
        const chunk = provider.random(100 + i);
        up.push(chunk);
        client.write(chunk);
        if (i % 10 === 0) await settle(client, server);
      }
      const down = provider.random(300_000);
      server.write(down);
      await settle(client, server);
      expect(ends.client.errors).toEqual([]);
      expect(ends.server.errors).toEqual([]);
      expect(joined(ends.server.received)).toEqual(joined(up));
      expect(joined(ends.client.received)).toEqual(down);
      // Each key seals 4 data records, then the KeyUpdate that retires it (§4.6.3: under the
      // old key). 100 data records take 25 keys, so 24 updates, none asking the peer for one;
      // the server's 19 full records take 5 keys.
      expect(keyUpdatesSent(trace.client)).toEqual(new Array(24).fill(0));
      expect(keyUpdatesSent(trace.server)).toEqual(new Array(4).fill(0));
      // Both sides still agree on everything derived from the session.
      expect(client.exportKeyingMaterial(32, 'EXPERIMENTAL limit')).toEqual(server.exportKeyingMaterial(32, 'EXPERIMENTAL limit'));
    });
  }

  it('keyUpdateAfterRecords: 1 updates before every data record after the first', async () => {
    const { client, server, ends, trace } = await connected({ keyUpdateAfterRecords: 1 }, {});
    for (let i = 0; i < 10; i++) client.write(Uint8Array.of(i));
    await settle(client, server);
    expect(joined(ends.server.received)).toEqual(Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    expect(keyUpdatesSent(trace.client).length).toBe(9);
    expect(keyUpdatesSent(trace.server)).toEqual([]);
  });

  it('by default, ordinary traffic sends no KeyUpdate', async () => {
    const { client, server, ends, trace } = await connected({}, {});
    client.write(provider.random(200_000));
    server.write(provider.random(200_000));
    await settle(client, server);
    expect(ends.server.received.length).toBeGreaterThan(0);
    expect(keyUpdatesSent(trace.client)).toEqual([]);
    expect(keyUpdatesSent(trace.server)).toEqual([]);
  });

  it('refuses a threshold that is not a positive integer', () => {
    for (const keyUpdateAfterRecords of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new ClientConnection({ provider, keyUpdateAfterRecords })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
