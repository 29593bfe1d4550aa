import type { ServerCertificate } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TLSError } from '../errors.js';
import { loadCertificates, loadPrivateKey } from '../x509/pem.js';
import { TrustStore } from '../x509/truststore.js';
import { systemTrustStore } from './system-trust-store.js';

/** node:tls accepts PEM as a string or Buffer, or an array of them. */
export type PemInput = string | Uint8Array | readonly (string | Uint8Array)[];

function asList(input: PemInput): (string | Uint8Array)[] {
  return Array.isArray(input) ? [...input] : [input as string | Uint8Array];
}

/** `ca` replaces the default Mozilla roots, as in node:tls. */
export function trustStoreFor(ca: PemInput | undefined): TrustStore | Promise<TrustStore> {
  if (ca === undefined) return systemTrustStore();
  return TrustStore.fromPem(asList(ca), 'ca option');
}

/**
 * Pairs each `cert` entry (a chain, leaf first) with the `key` at the same position, like
 * node:tls's arrays of cert/key, and imports the keys through the provider.
 */
export async function loadServerCertificates(
  provider: CryptoProvider,
  cert: PemInput | undefined,
  key: PemInput | undefined,
  sourceName = 'options',
): Promise<ServerCertificate[]> {
  if (cert === undefined || key === undefined) throw new TLSError('INVALID_ARGUMENT', `${sourceName}: both cert and key are required`);
  const certs = asList(cert);
  const keys = asList(key);
  if (certs.length !== keys.length) throw new TLSError('INVALID_ARGUMENT', `${sourceName}: ${certs.length} cert entries but ${keys.length} key entries`);
  return Promise.all(
    certs.map(async (pem, i) => ({
      chain: loadCertificates(pem, `${sourceName} cert[${i}]`),
      key: await provider.importSigningKey(loadPrivateKey(keys[i]!, `${sourceName} key[${i}]`)),
    })),
  );
}
