import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The committed test PKI (test-vectors/pki). Paths are resolved from the repository root, so
 * they work both from bench/ sources and from the compiled dist-bench/bench/.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
export const ROOT_DIR = here.includes('/dist-bench/') ? here.slice(0, here.indexOf('/dist-bench/') + 1) : fileURLToPath(new URL('../', import.meta.url));
export const PKI_DIR = `${ROOT_DIR}test-vectors/pki/`;

export function pkiText(file: string): string {
  return readFileSync(PKI_DIR + file, 'utf8');
}

export function fixtureKeyPem(fixture: string): string {
  return pkiText(`${fixture}-key.pem`);
}

/** PEM → DER of the first block. */
export function derOf(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export function spkiOfCertificate(fixture: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pkiText(`${fixture}.pem`)).publicKey.export({ type: 'spki', format: 'der' }));
}
