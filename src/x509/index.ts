/** The certificate layer: loading, trust anchors, path building and validation, identity. */
export type { CertificateVerifier, VerificationContext, VerificationResult } from './verifier.js';
export type { Candidate, CandidateVerdict, CertificateRef, ChainReport, ChainStep, PathFailure } from './chain-report.js';
export { certificateSpki } from './spki.js';
export { ParsedCertificate, parseCertificate } from './certificate.js';
export { describePublicKey } from './public-key.js';
export type { CertificateSummary, GeneralNameValue, PublicKeyInfo } from './types.js';
export { CertificateError, certificateAlert, type CertificateCheck, type CertificateErrorCode } from './certificate-error.js';
export { loadCertificates, loadPrivateKey, describePrivateKey, parsePem, encodePem, type PemBlock, type PrivateKeyDescription } from './pem.js';
export { TrustStore } from './truststore.js';
export { WebCryptoSignatureChecker, type SignatureChecker, type CertSignatureAlgorithm } from './signature.js';
export { checkIdentity, matchesDnsName } from './identity.js';
export { parseIpAddress, formatIpAddress } from './ip-address.js';
export { X509Verifier, type X509VerifierOptions, type X509VerificationResult, type VerificationOutcome } from './x509-verifier.js';
