import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CertificateVerifier } from '../../src/x509/verifier.js';
import { bytesEqual } from '../../src/wire/bytes.js';

/** Reads the committed test PKI (test-vectors/pki); node:crypto parses the PEM here only. */
export const PKI_DIR = fileURLToPath(new URL('../../test-vectors/pki/', import.meta.url));

export const SERVER_KEY_KINDS = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa2048', 'rsapss2048', 'ed25519', 'ed448'] as const;
export type ServerKeyKind = (typeof SERVER_KEY_KINDS)[number];

export function pkiPath(name: string): string {
  return PKI_DIR + name;
}

export function pemChain(file: string): Uint8Array[] {
  const text = readFileSync(pkiPath(file), 'utf8');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((pem) => new Uint8Array(new X509Certificate(pem).raw));
}

export function pkcs8(file: string): Uint8Array {
  return new Uint8Array(createPrivateKey(readFileSync(pkiPath(file))).export({ type: 'pkcs8', format: 'der' }));
}

export function serverChain(kind: ServerKeyKind): Uint8Array[] {
  return pemChain(`server-${kind}-chain.pem`);
}

export function serverKey(kind: ServerKeyKind): Uint8Array {
  return pkcs8(`server-${kind}-key.pem`);
}

/**
 * A verifier for engine tests that are not about X.509: it accepts exactly the expected leaf.
 * (Chain validation has its own tests in test/x509.)
 */
export function pinnedLeafVerifier(leaf: Uint8Array): CertificateVerifier {
  return {
    async verify(chain) {
      if (chain[0] && bytesEqual(chain[0], leaf)) return { ok: true };
      const { TLSError } = await import('../../src/errors.js');
      return { ok: false, error: new TLSError('CERT_UNTRUSTED', 'unexpected leaf certificate', { alert: 'bad_certificate' }) };
    },
  };
}
