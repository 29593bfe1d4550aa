import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { SessionInfo } from '../../src/handshake-context.js';
import { SignatureScheme } from '../../src/registry.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { pemChain, pinnedLeafVerifier, pkcs8, pkiPath, serverChain, serverKey } from '../helpers/fixtures.js';
import { pipe, settle } from '../helpers/pipe.js';
import { testProvider } from '../helpers/provider.js';

/**
 * SessionInfo is handed to the application, which may keep it (issue 12 item 6): it never
 * changes afterwards. A post-handshake authentication (RFC 8446 §4.6.2) makes a new object,
 * which the 'authenticated' event carries and `session` returns from then on.
 */

const provider = testProvider();
const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem')), 'root.pem');
const clientChain = pemChain('client-ecdsa-p256-chain.pem');

async function connect(server: Partial<ServerConfig>, client: Partial<ClientConfig>) {
  const s = new ServerConnection({
    provider,
    certificates: [{ chain: serverChain('ecdsa-p256'), key: await provider.importSigningKey(serverKey('ecdsa-p256')) }],
    verifier: new X509Verifier({ trustStore }),
    ...server,
  });
  const c = new ClientConnection({
    provider,
    serverName: 'localhost',
    verifier: pinnedLeafVerifier(serverChain('ecdsa-p256')[0]!),
    certificate: { chain: clientChain, key: await provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem')) },
    ...client,
  });
  const held: { server?: SessionInfo; client?: SessionInfo } = {};
  s.on('handshake', (info) => (held.server = info));
  c.on('handshake', (info) => (held.client = info));
  const ends = pipe(c, s, { maxChunk: 200, seed: 5 });
  c.start();
  await settle(c, s);
  expect(ends.server.errors).toEqual([]);
  expect(ends.client.errors).toEqual([]);
  return { client: c, server: s, serverInfo: held.server!, clientInfo: held.client! };
}

/** A deep copy to compare with later: the chain's bytes copied, the rest taken as it is. */
function snapshot(info: SessionInfo): SessionInfo {
  return { ...info, peerCertificates: info.peerCertificates.map((c) => c.slice()) };
}

describe('SessionInfo is never changed in place', () => {
  it("the server's info from 'handshake' stays as it was after post-handshake authentication; 'authenticated' carries a new object with the client chain", async () => {
    const { client, server, serverInfo: held } = await connect({}, {});
    const before = snapshot(held);
    expect(held).toMatchObject({ authorized: false, peerCertificates: [], signatureScheme: undefined });
    expect(server.session).toBe(held);

    const events: SessionInfo[] = [];
    server.on('authenticated', (info) => events.push(info));
    server.requestClientCertificate();
    await settle(client, server);
    expect(events).toHaveLength(1);
    const after = events[0]!;

    // What the application held describes the handshake still, and cannot be changed.
    expect(held).toEqual(before);
    expect(Object.isFrozen(held)).toBe(true);
    expect(Object.isFrozen(held.peerCertificates)).toBe(true);
    expect(() => {
      // @ts-expect-error SessionInfo is readonly
      held.authorized = true;
    }).toThrow(TypeError);
    // The new info names the client and is what the connection reports from now on.
    expect(after).not.toBe(held);
    expect(Object.isFrozen(after)).toBe(true);
    expect(Object.isFrozen(after.peerCertificates)).toBe(true);
    expect(after).toMatchObject({ authorized: true, authorizationError: undefined, signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256 });
    expect(after.peerCertificates).toEqual(clientChain);
    expect(server.session).toBe(after);
    // Everything else carries over unchanged.
    expect({ ...after, peerCertificates: [], authorized: false, signatureScheme: undefined }).toEqual(before);
  });

  it('a second post-handshake authentication makes another object; the first one stays as it was', async () => {
    const { client, server } = await connect({}, {});
    const events: SessionInfo[] = [];
    server.on('authenticated', (info) => events.push(info));
    server.requestClientCertificate();
    await settle(client, server);
    const first = events[0]!;
    const firstBefore = snapshot(first);
    server.requestClientCertificate();
    await settle(client, server);
    expect(events).toHaveLength(2);
    expect(events[1]).not.toBe(first);
    expect(first).toEqual(firstBefore);
    expect(server.session).toBe(events[1]);
    expect(events[1]!.peerCertificates).toEqual(clientChain);
  });

  it('the info of a handshake with mutual TLS, and the client side, are frozen too', async () => {
    const { server, serverInfo, clientInfo } = await connect({ clientAuth: 'require' }, {});
    expect(serverInfo.peerCertificates).toEqual(clientChain);
    expect(serverInfo).toMatchObject({ authorized: true, signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256 });
    expect(server.session).toBe(serverInfo);
    for (const info of [serverInfo, clientInfo]) {
      expect(Object.isFrozen(info)).toBe(true);
      expect(Object.isFrozen(info.peerCertificates)).toBe(true);
    }
    expect(clientInfo.peerCertificates).toEqual(serverChain('ecdsa-p256'));
  });
});
