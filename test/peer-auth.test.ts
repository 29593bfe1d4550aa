import { createPrivateKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ProtocolReason, TLSError } from '../src/errors.js';
import { finishedVerifyData } from '../src/keyschedule.js';
import { type AlertName, HandshakeType, SignatureScheme } from '../src/registry.js';
import type { CertificateVerify } from '../src/messages/types.js';
import { certificateVerifyContent, checkCertificateVerify, checkFinished } from '../src/peer-auth.js';
import { certificateSpki } from '../src/x509/spki.js';
import { serverChain, serverKey } from './helpers/fixtures.js';
import { testProvider } from './helpers/provider.js';

/**
 * The peer checks in isolation, with real signatures and MACs: each case differs from a valid
 * one in exactly one respect, so exactly one rule can refuse it.
 */

const provider = testProvider();
const S = SignatureScheme;
const TRANSCRIPT = new Uint8Array(32).fill(0x5a);

/** Refused with `alert`, and by the rule `reason`: another check with the same alert fails the test. */
async function expectRefusal(promise: Promise<unknown> | (() => unknown), alert: AlertName, reason: ProtocolReason): Promise<void> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${alert}`).toBeInstanceOf(TLSError);
  expect({ alert: (error as TLSError).alert, reason: (error as TLSError).reason }, (error as TLSError).message).toEqual({ alert, reason });
}

async function p256Verify(signer: 'server' | 'client' = 'server', transcript = TRANSCRIPT): Promise<CertificateVerify> {
  const key = await provider.importSigningKey(serverKey('ecdsa-p256'));
  const signature = await key.sign(S.ecdsa_secp256r1_sha256, certificateVerifyContent(signer, transcript));
  return { type: HandshakeType.certificate_verify, scheme: S.ecdsa_secp256r1_sha256, signature };
}

describe('checkCertificateVerify (RFC 8446 §4.4.3)', () => {
  const leaf = serverChain('ecdsa-p256')[0]!;

  it('accepts a valid signature with an offered scheme that fits the key (control)', async () => {
    await expect(checkCertificateVerify(provider, await p256Verify(), [S.ecdsa_secp256r1_sha256], leaf, 'server', TRANSCRIPT)).resolves.toBeUndefined();
  });

  it('a valid, fitting signature with a scheme that was not offered → illegal_parameter', async () => {
    await expectRefusal(
      checkCertificateVerify(provider, await p256Verify(), [S.ed25519, S.rsa_pss_rsae_sha256], leaf, 'server', TRANSCRIPT),
      'illegal_parameter',
      'unoffered_signature_scheme',
    );
  });

  it('a signature over another transcript → decrypt_error', async () => {
    await expectRefusal(
      checkCertificateVerify(provider, await p256Verify('server', new Uint8Array(32)), [S.ecdsa_secp256r1_sha256], leaf, 'server', TRANSCRIPT),
      'decrypt_error',
      'bad_certificate_verify_signature',
    );
  });

  it("the client's context string where the server's belongs → decrypt_error", async () => {
    await expectRefusal(
      checkCertificateVerify(provider, await p256Verify('client'), [S.ecdsa_secp256r1_sha256], leaf, 'server', TRANSCRIPT),
      'decrypt_error',
      'bad_certificate_verify_signature',
    );
  });

  it('a valid PKCS#1 v1.5 signature, even with rsa_pkcs1_sha256 configured as offered → illegal_parameter (§4.2.3)', async () => {
    const rsaLeaf = serverChain('rsa2048')[0]!;
    const privateKey = createPrivateKey({ key: Buffer.from(serverKey('rsa2048')), format: 'der', type: 'pkcs8' });
    const signature = new Uint8Array(sign('sha256', certificateVerifyContent('server', TRANSCRIPT), privateKey));
    const message: CertificateVerify = { type: HandshakeType.certificate_verify, scheme: S.rsa_pkcs1_sha256, signature };
    // The signature itself is good: the provider verifies PKCS#1 for certificates.
    expect(await provider.verify(S.rsa_pkcs1_sha256, certificateSpki(rsaLeaf), certificateVerifyContent('server', TRANSCRIPT), signature)).toBe(true);
    await expectRefusal(
      checkCertificateVerify(provider, message, [S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha256], rsaLeaf, 'server', TRANSCRIPT),
      'illegal_parameter',
      'unoffered_signature_scheme',
    );
  });
});

describe('checkFinished (RFC 8446 §4.4.4)', () => {
  const secret = new Uint8Array(32).fill(7);
  const good = finishedVerifyData(provider, 'sha256', secret, TRANSCRIPT);
  const finished = (verifyData: Uint8Array) => ({ type: HandshakeType.finished, verifyData }) as const;

  it('accepts the right verify_data (control)', () => {
    expect(() => checkFinished(provider, 'sha256', finished(good), secret, TRANSCRIPT)).not.toThrow();
  });

  it('verify_data of another transcript → decrypt_error', async () => {
    await expectRefusal(
      () => checkFinished(provider, 'sha256', finished(finishedVerifyData(provider, 'sha256', secret, new Uint8Array(32))), secret, TRANSCRIPT),
      'decrypt_error',
      'finished_mismatch',
    );
  });

  it('verify_data under another secret → decrypt_error', async () => {
    await expectRefusal(
      () => checkFinished(provider, 'sha256', finished(finishedVerifyData(provider, 'sha256', new Uint8Array(32), TRANSCRIPT)), secret, TRANSCRIPT),
      'decrypt_error',
      'finished_mismatch',
    );
  });

  it('the right verify_data with a byte more → decode_error', async () => {
    await expectRefusal(() => checkFinished(provider, 'sha256', finished(Uint8Array.of(...good, 0)), secret, TRANSCRIPT), 'decode_error', 'finished_wrong_length');
  });
});
