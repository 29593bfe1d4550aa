/** The certificate layer: loading, trust anchors, path building and validation, identity. */
export type { CertificateVerifier, VerificationContext, VerificationResult } from './verifier.js';
export type { Candidate, CandidateVerdict, CertificateRef, ChainReport, ChainStep, PathFailure } from './chain-report.js';
export { certificateSpki } from './spki.js';
export {
  ParsedCertificate,
  parseCertificate,
  describePublicKey,
  type CertificateSummary,
  type GeneralNameValue,
  type PublicKeyInfo,
} from './certificate.js';
export { CertificateError, certificateAlert, type CertificateCheck, type CertificateErrorCode } from './certificate-error.js';
export { loadCertificates, loadPrivateKey, describePrivateKey, parsePem, encodePem, type PemBlock, type PrivateKeyDescription } from './pem.js';
export { TrustStore } from './truststore.js';
export { WebCryptoSignatureChecker, type SignatureChecker, type CertSignatureAlgorithm } from './signature.js';
export { checkIdentity, matchesDnsName, parseIpAddress, formatIpAddress } from './identity.js';
export { X509Verifier, type X509VerifierOptions, type X509VerificationResult, type VerificationOutcome } from './x509-verifier.js';
