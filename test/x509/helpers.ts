import { expect } from 'vitest';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier, type X509VerificationResult, type X509VerifierOptions } from '../../src/x509/x509-verifier.js';
import type { VerificationContext } from '../../src/x509/verifier.js';
import { CertificateError, type CertificateCheck, type CertificateErrorCode } from '../../src/x509/certificate-error.js';
import { NOW, type TestCert } from './pki.js';

export type ChainItem = TestCert | Uint8Array;
const der = (c: ChainItem) => (c instanceof Uint8Array ? c : c.der);

/** Verifies `chain` (as a peer would send it) against `anchors`, at NOW, as a server cert for localhost. */
export async function verifyChain(
  chain: ChainItem[],
  anchors: ChainItem[],
  context: Partial<VerificationContext> = {},
  options: Partial<X509VerifierOptions> = {},
): Promise<X509VerificationResult> {
  const verifier = new X509Verifier({ trustStore: TrustStore.fromCertificates(anchors.map(der)), now: NOW, ...options });
  return verifier.verify(chain.map(der), { peerRole: 'server', serverName: 'localhost', ...context });
}

export function expectOk(result: X509VerificationResult): void {
  expect(result.ok ? 'ok' : `${result.error.code}: ${result.error.message}`).toBe('ok');
}

/** Asserts the verdict and returns the error for further checks. The alert is the one the RFC 8446 mapping says. */
export function expectFailure(result: X509VerificationResult, code: CertificateErrorCode, check?: CertificateCheck, messagePart?: string | RegExp): CertificateError {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  const error = result.error as CertificateError;
  expect(error).toBeInstanceOf(CertificateError);
  expect({ code: error.code, check: check ?? error.check }).toEqual({ code, check: error.check });
  if (messagePart) expect(error.message).toMatch(messagePart);
  return error;
}
