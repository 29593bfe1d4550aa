import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier, type X509VerifierOptions } from '../../src/x509/x509-verifier.js';
import { pemChain, pkiPath } from '../helpers/fixtures.js';
import { scenario } from '../helpers/negative.js';
import { certificateOf, clientCertificateOf } from '../helpers/peers.js';

/**
 * The peer's chain through a whole handshake with the real X509Verifier and the test PKI: each
 * server (or client) is genuine and misbehaves in one respect only, so the certificate check
 * named is the one that ends the handshake, on the side that runs it, by default.
 */

const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem'), 'utf8'), 'root.pem');
const verifier = (extra: Partial<X509VerifierOptions> = {}) => new X509Verifier({ trustStore, ...extra });

async function serverPresents(chain: Uint8Array[], client: { serverName?: string; verifier?: X509Verifier } = {}) {
  const certificate = { ...(await certificateOf('ed25519')), chain };
  return scenario({ server: { certificates: [certificate] }, client: { verifier: verifier(), ...client } });
}

/** The client failed on the server's chain with `code`; the server got its alert. */
function expectClientRefused(s: Awaited<ReturnType<typeof scenario>>, code: string): void {
  expect(s.client.error, 'the client refused the chain').toBeDefined();
  expect(s.client.error!.code, s.client.error!.message).toBe(code);
  expect(s.client.session).toBeUndefined();
  expect(s.server.error?.code).toBe('ALERT_RECEIVED');
  expect(s.server.error?.alert).toBe(s.client.error!.alert);
}

const ED25519_CHAIN = pemChain('server-ed25519-chain.pem');

describe('client: the server chain, checked by default (rejectUnauthorized)', { timeout: 20_000 }, () => {
  it('control: leaf + intermediate to the test root, for localhost', async () => {
    const s = await serverPresents(ED25519_CHAIN);
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.client.session?.authorized).toBe(true);
  });

  it('a chain that does not lead to a trusted root (intermediate missing) → CERT_UNTRUSTED', async () => {
    expectClientRefused(await serverPresents([ED25519_CHAIN[0]!]), 'CERT_UNTRUSTED');
  });

  it('a leaf whose signature is not the issuer’s (a byte of the signature changed before it was sent) → CERT_BAD_SIGNATURE', async () => {
    const leaf = ED25519_CHAIN[0]!.slice();
    leaf[leaf.length - 3]! ^= 0x01;
    expectClientRefused(await serverPresents([leaf, ED25519_CHAIN[1]!]), 'CERT_BAD_SIGNATURE');
  });

  it('validated after notAfter → CERT_EXPIRED', async () => {
    expectClientRefused(await serverPresents(ED25519_CHAIN, { verifier: verifier({ now: new Date('2126-01-01T00:00:00Z') }) }), 'CERT_EXPIRED');
  });

  it('validated before notBefore → CERT_NOT_YET_VALID', async () => {
    expectClientRefused(await serverPresents(ED25519_CHAIN, { verifier: verifier({ now: new Date('2024-06-01T00:00:00Z') }) }), 'CERT_NOT_YET_VALID');
  });

  it('a DNS name the certificate does not carry → CERT_HOSTNAME_MISMATCH', async () => {
    expectClientRefused(await serverPresents(ED25519_CHAIN, { serverName: 'other.wiretls.test' }), 'CERT_HOSTNAME_MISMATCH');
  });

  it('an IP address the certificate does not carry → CERT_HOSTNAME_MISMATCH (its 127.0.0.1 is accepted: control)', async () => {
    const ok = await serverPresents(ED25519_CHAIN, { serverName: '127.0.0.1' });
    expect(ok.client.error ?? ok.server.error).toBeUndefined();
    expectClientRefused(await serverPresents(ED25519_CHAIN, { serverName: '127.0.0.2' }), 'CERT_HOSTNAME_MISMATCH');
  });

  it('a certificate for clients only (extendedKeyUsage clientAuth) → CERT_INVALID', async () => {
    const client = await clientCertificateOf();
    const s = await scenario({ server: { certificates: [client] }, client: { verifier: verifier(), serverName: 'client.wiretls.test' } });
    expectClientRefused(s, 'CERT_INVALID');
  });
});

describe('server: the client chain, checked by default (rejectUnauthorized)', { timeout: 20_000 }, () => {
  it('control: the client certificate to the test root', async () => {
    const s = await scenario({ client: { certificate: await clientCertificateOf() }, server: { clientAuth: 'require', verifier: verifier() } });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.server.session?.authorized).toBe(true);
  });

  it('a client chain that does not lead to a trusted root → the server aborts with CERT_UNTRUSTED', async () => {
    const certificate = { ...(await clientCertificateOf()), chain: pemChain('client-ecdsa-p256-chain.pem').slice(0, 1) };
    const s = await scenario({ client: { certificate }, server: { clientAuth: 'require', verifier: verifier() } });
    expect(s.server.error?.code, s.server.error?.message).toBe('CERT_UNTRUSTED');
    expect(s.server.session).toBeUndefined();
    expect(s.client.error?.code).toBe('ALERT_RECEIVED');
  });
});
