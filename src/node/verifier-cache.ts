import type { CryptoProvider } from '../crypto/provider.js';
import type { TrustStore } from '../x509/truststore.js';
import { X509Verifier } from '../x509/x509-verifier.js';
import { type PemInput, trustStoreFor } from './credentials.js';
import { signatureCheckerFor } from './provider.js';

/**
 * Distinct `ca` values remembered per provider. Clients usually dial with one or two; the bound
 * only keeps a program that builds a new CA per connection from growing without limit.
 */
const MAX_ENTRIES = 32;

interface Entry {
  readonly trustStore: TrustStore | Promise<TrustStore>;
  readonly verifier: X509Verifier;
}

const entries = new WeakMap<CryptoProvider, Map<string, Entry>>();

/** The same `ca` as text, whether given as a string, a Buffer or a list of either. */
function caKey(ca: PemInput | undefined): string {
  if (ca === undefined) return 'system';
  const list = Array.isArray(ca) ? ca : [ca as string | Uint8Array];
  return list.map((pem) => (typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString('latin1'))).join('\0');
}

/**
 * The certificate verifier for connections that trust `ca`, shared by every connection with
 * the same `ca` and provider: the trust store is parsed and indexed once, and the verifier's
 * cache of parsed peer certificates (the server's chain comes back on every connection) is
 * reused. Verification itself, every signature and check, still runs per handshake. Bad `ca`
 * PEM throws here, as node:tls's connect() does.
 */
export function sharedVerifier(provider: CryptoProvider, ca: PemInput | undefined): Entry {
  let byCa = entries.get(provider);
  if (!byCa) entries.set(provider, (byCa = new Map()));
  const key = caKey(ca);
  let entry = byCa.get(key);
  if (entry) {
    // Most recently used last, so the oldest is the first to go.
    byCa.delete(key);
  } else {
    const trustStore = trustStoreFor(ca);
    const signatureChecker = signatureCheckerFor(provider);
    entry = { trustStore, verifier: new X509Verifier({ trustStore, ...(signatureChecker ? { signatureChecker } : {}) }) };
    if (byCa.size >= MAX_ENTRIES) byCa.delete(byCa.keys().next().value!);
  }
  byCa.set(key, entry);
  return entry;
}
