import { describe, it } from 'vitest';
import type { CertifiedKey } from '../../src/config.js';
import { HandshakeType, SignatureScheme } from '../../src/registry.js';
import { pinnedLeafVerifier, pkcs8, type ServerKeyKind } from '../helpers/fixtures.js';
import { mutate } from '../helpers/mitm.js';
import { expectAbort, provider, scenario } from '../helpers/negative.js';
import { type Misbehaviour, certificateOf, clientCertificateOf, signingKey } from '../helpers/peers.js';

/**
 * CertificateVerify's scheme, both directions (RFC 8446 §4.2.3, §4.4.3): one the receiver did
 * not offer, or one the certificate's key cannot sign with, is illegal_parameter; only a
 * signature that does not verify is decrypt_error. The misbehaving peers sign for real, so the
 * transcript is consistent and nothing but the scheme check can object.
 */

const S = SignatureScheme;

/** A server whose `kind` certificate misbehaves as `m` says, and a client that trusts its leaf. */
async function serverSigning(kind: ServerKeyKind, m: Misbehaviour) {
  const certificate = await certificateOf(kind, m);
  return scenario({ server: { certificates: [certificate] }, client: { verifier: pinnedLeafVerifier(certificate.chain[0]!) } });
}

/** A client presenting a `kind` certificate that misbehaves as `m` says, to a server that requires one. */
async function clientSigning(kind: ServerKeyKind, m: Misbehaviour) {
  const certificate: CertifiedKey = await certificateOf(kind, m);
  return scenario({ client: { certificate }, server: { clientAuth: 'require', verifier: pinnedLeafVerifier(certificate.chain[0]!) } });
}

/** Key, the scheme it claims, the scheme it really signs with. */
const MISFITS: [string, ServerKeyKind, SignatureScheme, SignatureScheme][] = [
  ['ecdsa_secp384r1_sha384 from a P-256 key', 'ecdsa-p256', S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256],
  // The same RSA-PSS arithmetic: only the key's OID tells them apart, so the signature verifies.
  ['rsa_pss_pss_sha256 from an rsaEncryption key', 'rsa2048', S.rsa_pss_pss_sha256, S.rsa_pss_rsae_sha256],
  ['rsa_pss_rsae_sha256 from an RSASSA-PSS key', 'rsapss2048', S.rsa_pss_rsae_sha256, S.rsa_pss_pss_sha256],
  ['ecdsa_secp256r1_sha256 from an Ed25519 key', 'ed25519', S.ecdsa_secp256r1_sha256, S.ed25519],
];

describe('a scheme that does not fit the certificate key → illegal_parameter', { timeout: 20_000 }, () => {
  for (const [what, kind, claims, signsAs] of MISFITS) {
    it(`client: the server's CertificateVerify uses ${what}`, async () => {
      expectAbort(await serverSigning(kind, { claims, signsAs }), 'client', 'illegal_parameter', 'signature_scheme_key_mismatch');
    });

    it(`server: the client's CertificateVerify uses ${what}`, async () => {
      expectAbort(await clientSigning(kind, { claims, signsAs }), 'server', 'illegal_parameter', 'signature_scheme_key_mismatch');
    });
  }
});

describe('a scheme that was not offered → illegal_parameter', { timeout: 20_000 }, () => {
  it("client: the server's CertificateVerify names a scheme outside signature_algorithms", async () => {
    const s = await scenario({
      client: { signatureSchemes: [S.ed25519, S.ecdsa_secp256r1_sha256] },
      edits: [mutate('server', HandshakeType.certificate_verify, (cv) => void (cv.scheme = S.rsa_pss_rsae_sha256))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_signature_scheme');
  });

  it("server: the client's CertificateVerify names a scheme outside the CertificateRequest's", async () => {
    const certificate = await certificateOf('ecdsa-p256');
    const s = await scenario({
      client: { certificate },
      server: { clientAuth: 'require', verifier: pinnedLeafVerifier(certificate.chain[0]!), signatureSchemes: [S.ecdsa_secp256r1_sha256, S.ed25519] },
      edits: [mutate('client', HandshakeType.certificate_verify, (cv) => void (cv.scheme = S.ecdsa_secp384r1_sha384))],
    });
    expectAbort(s, 'server', 'illegal_parameter', 'unoffered_signature_scheme');
  });

  it("server: the client's CertificateVerify uses rsa_pkcs1_sha256 (certificates only, §4.2.3)", async () => {
    const certificate = await certificateOf('rsa2048', { claims: S.rsa_pss_rsae_sha256 });
    const s = await scenario({
      client: { certificate },
      server: { clientAuth: 'require', verifier: pinnedLeafVerifier(certificate.chain[0]!) },
      edits: [mutate('client', HandshakeType.certificate_verify, (cv) => void (cv.scheme = S.rsa_pkcs1_sha256))],
    });
    expectAbort(s, 'server', 'illegal_parameter', 'unoffered_signature_scheme');
  });
});

describe('only a signature that does not verify → decrypt_error', { timeout: 20_000 }, () => {
  it('client: a fitting scheme, but the server key signs other content', async () => {
    expectAbort(await serverSigning('rsa2048', { content: (c) => c.map((b) => b ^ 1) }), 'client', 'decrypt_error', 'bad_certificate_verify_signature');
  });

  it("client: the right content and scheme, signed by another P-256 key than the certificate's", async () => {
    const otherKey = await provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem'));
    expectAbort(await serverSigning('ecdsa-p256', { signer: otherKey }), 'client', 'decrypt_error', 'bad_certificate_verify_signature');
  });

  it("server: the right content and scheme, signed by another P-256 key than the client certificate's", async () => {
    const certificate = await clientCertificateOf({ signer: await signingKey('ecdsa-p256') });
    const s = await scenario({ client: { certificate }, server: { clientAuth: 'require', verifier: pinnedLeafVerifier(certificate.chain[0]!) } });
    expectAbort(s, 'server', 'decrypt_error', 'bad_certificate_verify_signature');
  });

  it('server: a fitting scheme, but the client key signs other content', async () => {
    expectAbort(await clientSigning('ecdsa-p384', { content: (c) => c.map((b) => b ^ 1) }), 'server', 'decrypt_error', 'bad_certificate_verify_signature');
  });
});
