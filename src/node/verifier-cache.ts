import type { CryptoProvider } from '../crypto/provider.js';
import type { TrustStore } from '../x509/truststore.js';
import { X509Verifier, type X509VerifierOptions } from '../x509/x509-verifier.js';
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
 * An X509Verifier on `trustStore` checking signatures the way `provider` does best (see
 * signatureCheckerFor), with the caller's other options (an identity hook, say).
 */
export function verifierOn(
  provider: CryptoProvider,
  trustStore: TrustStore | Promise<TrustStore>,
  options: Omit<X509VerifierOptions, 'trustStore' | 'signatureChecker'> = {},
): X509Verifier {
  const signatureChecker = signatureCheckerFor(provider);
  return new X509Verifier({ ...options, trustStore, ...(signatureChecker ? { signatureChecker } : {}) });
}

/**
 * The certificate verifier for connections that trust `ca`, shared by every connection with
 * the same `ca` and provider (clients and servers alike: the context says whose chain it is): the trust store is parsed and indexed once, and the verifier's
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
    entry = { trustStore, verifier: verifierOn(provider, trustStore) };
    if (byCa.size >= MAX_ENTRIES) byCa.delete(byCa.keys().next().value!);
  }
  byCa.set(key, entry);
  return entry;
}
