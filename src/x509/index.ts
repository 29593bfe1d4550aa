/**
 * The certificate layer's public face, as the engine entry publishes it: the verifier, trust
 * anchors and PEM loading. Everything else is imported from its own module.
 */
export { loadCertificates, loadPrivateKey } from './pem.js';
export { TrustStore } from './truststore.js';
export { X509Verifier, type X509VerifierOptions } from './x509-verifier.js';
