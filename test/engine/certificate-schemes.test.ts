import { createPrivateKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ServerCertificate } from '../../src/config.js';
import * as ext from '../../src/messages/extensions.js';
import { ExtensionType, HandshakeType, SignatureScheme } from '../../src/registry.js';
import type { RawExtension } from '../../src/messages/types.js';
import { pinnedLeafVerifier, serverChain, serverKey } from '../helpers/fixtures.js';
import { mutate } from '../helpers/mitm.js';
import { expectAbort, provider, scenario } from '../helpers/negative.js';

/**
 * RFC 8446 §4.2.3: rsa_pkcs1_* apply to signatures in certificates only. They are listed where
 * our signature_algorithms governs certificates too (ClientHello, CertificateRequest), so strict
 * peers send and accept the PKCS#1-signed chains public CAs issue; a CertificateVerify that
 * uses them is still refused.
 */

const S = SignatureScheme;
const PKCS1 = [S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512];

const listed = (extensions: readonly RawExtension[]): number[] => ext.parseSignatureAlgorithms(extensions.find((e) => e.type === ExtensionType.signature_algorithms)!.data);

describe('rsa_pkcs1_* listed for certificates', { timeout: 15_000 }, () => {
  it('ClientHello on the wire: our CertificateVerify schemes, then rsa_pkcs1_sha256/384/512', async () => {
    let wire: number[] = [];
    const schemes = [S.ed25519, S.rsa_pss_rsae_sha256];
    const s = await scenario({
      client: { signatureSchemes: schemes },
      edits: [
        mutate('client', HandshakeType.client_hello, (ch) => {
          wire = listed(ch.extensions);
          return false;
        }),
      ],
    });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(wire).toEqual([...schemes, ...PKCS1]);
  });

  it('CertificateRequest on the wire: the server policy schemes, then rsa_pkcs1_sha256/384/512', async () => {
    let wire: number[] = [];
    const schemes = [S.ed25519, S.ecdsa_secp256r1_sha256];
    const s = await scenario({
      server: { clientAuth: 'optional', signatureSchemes: schemes },
      edits: [
        mutate('server', HandshakeType.certificate_request, (cr) => {
          wire = listed(cr.extensions);
          return false;
        }),
      ],
    });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(wire).toEqual([...schemes, ...PKCS1]);
  });

  it('a configured list that already names them is sent as it is', async () => {
    let wire: number[] = [];
    const schemes = [S.ed25519, S.rsa_pkcs1_sha384, S.rsa_pss_rsae_sha256, S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha512];
    await scenario({
      client: { signatureSchemes: schemes },
      edits: [
        mutate('client', HandshakeType.client_hello, (ch) => {
          wire = listed(ch.extensions);
          return false;
        }),
      ],
    });
    expect(wire).toEqual(schemes);
  });
});

describe('a PKCS#1 v1.5 CertificateVerify is still refused (§4.4.3)', { timeout: 15_000 }, () => {
  it('client: a server that really signs rsa_pkcs1_sha256 with its RSA key → illegal_parameter', async () => {
    const privateKey = createPrivateKey({ key: Buffer.from(serverKey('rsa2048')), format: 'der', type: 'pkcs8' });
    // A valid PKCS#1 v1.5 signature over the right content: only the scheme rule stands in the way.
    const certificate: ServerCertificate = {
      chain: serverChain('rsa2048'),
      key: { schemes: [S.rsa_pkcs1_sha256], sign: async (_scheme, content) => new Uint8Array(sign('sha256', content, privateKey)) },
    };
    const s = await scenario({
      server: { certificates: [certificate], signatureSchemes: [S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha256] },
      client: { verifier: pinnedLeafVerifier(certificate.chain[0]!) },
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_signature_scheme');
    expect(s.client.error!.message).toContain('rsa_pkcs1_sha256');
  });

  it('control: the same server signing rsa_pss_rsae_sha256 completes', async () => {
    const chain = serverChain('rsa2048');
    const s = await scenario({
      server: { certificates: [{ chain, key: await provider.importSigningKey(serverKey('rsa2048')) }] },
      client: { verifier: pinnedLeafVerifier(chain[0]!) },
    });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.client.session?.signatureScheme).toBe(S.rsa_pss_rsae_sha256);
  });
});
