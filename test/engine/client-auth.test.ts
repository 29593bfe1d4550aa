import { describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { readFileSync } from 'node:fs';
import { pemChain, pinnedLeafVerifier, pkcs8, pkiPath, serverChain, serverKey } from '../helpers/fixtures.js';
import { pipe, settle } from '../helpers/pipe.js';
import { testProvider } from '../helpers/provider.js';

/** Mutual TLS in memory: the server's policy none / optional / require, and what the client sends. */

const provider = testProvider();
const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem')), 'root.pem');

async function connect(server: Partial<ServerConfig>, client: Partial<ClientConfig>) {
  const s = new ServerConnection({
    provider,
    certificates: [{ chain: serverChain('ecdsa-p256'), key: await provider.importSigningKey(serverKey('ecdsa-p256')) }],
    verifier: new X509Verifier({ trustStore }),
    ...server,
  });
  const c = new ClientConnection({ provider, serverName: 'localhost', verifier: pinnedLeafVerifier(serverChain('ecdsa-p256')[0]!), ...client });
  const ends = pipe(c, s, { maxChunk: 200, seed: 3 });
  c.start();
  await settle(c, s);
  return { client: c, server: s, ends };
}

const clientCertificate = async () => ({ chain: pemChain('client-ecdsa-p256-chain.pem'), key: await provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem')) });

describe('client certificates', () => {
  it('require: a valid client chain is verified (clientAuth) and reported on the server', async () => {
    const { client, server } = await connect({ clientAuth: 'require' }, { certificate: await clientCertificate() });
    expect(client.error).toBeUndefined();
    expect(server.session).toMatchObject({ authorized: true });
    expect(server.session!.peerCertificates).toHaveLength(2);
  });

  it('require: no certificate → certificate_required', async () => {
    const { client, server } = await connect({ clientAuth: 'require' }, {});
    expect(server.error).toMatchObject({ code: 'PROTOCOL_ERROR', alert: 'certificate_required', reason: 'client_certificate_missing' });
    expect(client.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'certificate_required' });
  });

  it('optional: no certificate is accepted, unauthenticated', async () => {
    const { client, server } = await connect({ clientAuth: 'optional' }, {});
    expect(client.error).toBeUndefined();
    expect(server.session).toMatchObject({ authorized: false, peerCertificates: [] });
  });

  it('a client certificate that does not validate ends the handshake with its certificate alert', async () => {
    // A verifier that trusts nothing: the client's chain cannot validate.
    const { client, server } = await connect(
      { clientAuth: 'optional', verifier: new X509Verifier({ trustStore: TrustStore.fromCertificates([]) }) },
      { certificate: await clientCertificate() },
    );
    expect(server.error).toMatchObject({ code: 'CERT_UNTRUSTED', alert: 'unknown_ca' });
    expect(client.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'unknown_ca' });
  });

  it('rejectUnauthorized: false on the server reports the failure and goes on', async () => {
    const { client, server } = await connect(
      { clientAuth: 'require', rejectUnauthorized: false, verifier: new X509Verifier({ trustStore: TrustStore.fromCertificates([]) }) },
      { certificate: await clientCertificate() },
    );
    expect(client.error).toBeUndefined();
    expect(server.session).toMatchObject({ authorized: false });
    expect(server.session!.authorizationError).toMatchObject({ code: 'CERT_UNTRUSTED' });
  });

  it('none: no CertificateRequest, the client certificate is not sent', async () => {
    const { ends, server } = await connect({}, { certificate: await clientCertificate() });
    expect(server.session).toMatchObject({ authorized: false, peerCertificates: [] });
    expect(ends.client.errors).toEqual([]);
  });

  it('post-handshake authentication: the server asks after the handshake, data flows on', async () => {
    const { client, server, ends } = await connect({}, { certificate: await clientCertificate() });
    const authenticated: unknown[] = [];
    server.on('authenticated', (info) => authenticated.push(info));
    expect(server.session).toMatchObject({ authorized: false, peerCertificates: [] });
    server.requestClientCertificate();
    client.write(new Uint8Array([1, 2, 3]));
    await settle(client, server);
    expect(ends.server.errors).toEqual([]);
    expect(authenticated).toHaveLength(1);
    expect(server.session).toMatchObject({ authorized: true });
    expect(server.session!.peerCertificates).toHaveLength(2);
    expect(ends.server.received.at(-1)).toEqual(new Uint8Array([1, 2, 3]));
    // A second request after a KeyUpdate: the Finished key follows the new secret.
    client.updateKeys(true);
    await settle(client, server);
    server.requestClientCertificate();
    await settle(client, server);
    expect(authenticated).toHaveLength(2);
    expect(ends.client.errors).toEqual([]);
  });

  it('post-handshake authentication needs the client to have offered it', async () => {
    const { server } = await connect({}, {});
    expect(() => server.requestClientCertificate()).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
