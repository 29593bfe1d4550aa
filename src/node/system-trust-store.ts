import { rootCertificates } from 'node:tls';
import { TrustStore } from '../x509/truststore.js';

let systemStore: TrustStore | undefined;

/**
 * Node's bundled Mozilla roots (node:tls rootCertificates), the trust anchors of connect() and
 * of the Node entry's X509Verifier when no `ca`/`trustStore` is given. One store per process,
 * decoded and indexed on its first lookup, each root parsed only when it is a candidate issuer.
 * Runtimes without node:tls have no such list: there the caller passes the anchors.
 */
export function systemTrustStore(): TrustStore {
  return (systemStore ??= TrustStore.fromPemOnDemand(() => rootCertificates, 'Mozilla roots bundled with Node (tls.rootCertificates)'));
}
