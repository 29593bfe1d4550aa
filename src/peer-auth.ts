import type { CryptoProvider, HashName } from './crypto/provider.js';
import { hashOutputLength } from './crypto/provider.js';
import { type PublicKeyInfo, parseSpki, publicKeyFitsScheme } from './crypto/keys.js';
import { TLSError, decodeError, protocolError } from './errors.js';
import { finishedVerifyData } from './keyschedule.js';
import { SignatureScheme, isSignatureScheme, signatureSchemeName } from './registry.js';
import type { CertificateVerify, Finished } from './messages/types.js';
import { concatBytes, constantTimeEqual, utf8 } from './wire/bytes.js';
import { certificateSpki } from './x509/spki.js';
import type { ChainReport } from './x509/chain-report.js';
import type { CertificateVerifier, VerificationContext } from './x509/verifier.js';
import type { HandshakeContext } from './handshake-context.js';

/**
 * Checks shared by both sides: the peer's chain, its CertificateVerify and its Finished.
 */

const SIGNATURE_PAD = new Uint8Array(64).fill(0x20);
const TLS13_CERTIFICATE_VERIFY_SCHEMES: ReadonlySet<number> = new Set([
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
  SignatureScheme.ed25519,
  SignatureScheme.ed448,
]);
const SERVER_CONTEXT = utf8('TLS 1.3, server CertificateVerify');
const CLIENT_CONTEXT = utf8('TLS 1.3, client CertificateVerify');

/** The signed content (RFC 8446 §4.4.3): 64 spaces, a context string, 0, the transcript hash. */
export function certificateVerifyContent(signer: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE_PAD, signer === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT, new Uint8Array([0]), transcriptHash);
}

export async function checkCertificateVerify(
  provider: CryptoProvider,
  message: CertificateVerify,
  offeredSchemes: readonly number[],
  leafCertificate: Uint8Array,
  signer: 'server' | 'client',
  transcriptHash: Uint8Array,
): Promise<void> {
  // RFC 8446 §4.4.3: the scheme must be one we offered in signature_algorithms, and never
  // PKCS#1 v1.5 or SHA-1, which TLS 1.3 allows only in certificates (§4.2.3).
  if (!offeredSchemes.includes(message.scheme) || !TLS13_CERTIFICATE_VERIFY_SCHEMES.has(message.scheme)) {
    throw protocolError('illegal_parameter', `CertificateVerify uses ${signatureSchemeName(message.scheme)}, which was not offered`);
  }
  // §4.2.3 ties a scheme to a key: ECDSA schemes name the curve, rsa_pss_rsae_* need an
  // rsaEncryption key and rsa_pss_pss_* an RSASSA-PSS one (within its parameters). A scheme
  // the certificate's key cannot produce is a wrong parameter, not a bad signature; only a
  // signature that fails to verify is decrypt_error.
  const spki = certificateSpki(leafCertificate);
  if (!publicKeyFitsScheme(peerKey(spki), message.scheme)) {
    throw protocolError('illegal_parameter', `CertificateVerify uses ${signatureSchemeName(message.scheme)}, which the certificate's key cannot sign with`);
  }
  const content = certificateVerifyContent(signer, transcriptHash);
  const ok = isSignatureScheme(message.scheme) && (await provider.verify(message.scheme, spki, content, message.signature));
  if (!ok) throw protocolError('decrypt_error', `${signer} CertificateVerify signature (${signatureSchemeName(message.scheme)}) does not verify`);
}

/** The leaf's key; one we cannot use is a certificate we cannot use (RFC 8446 §6.2). */
function peerKey(spki: Uint8Array): PublicKeyInfo {
  try {
    return parseSpki(spki);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TLSError('CERT_INVALID', `peer certificate key cannot be used: ${detail}`, { alert: 'unsupported_certificate', cause: error });
  }
}

/** Compares the peer's Finished in constant time (RFC 8446 §4.4.4). */
export function checkFinished(provider: CryptoProvider, hash: HashName, message: Finished, peerHandshakeSecret: Uint8Array, transcriptHash: Uint8Array): void {
  if (message.verifyData.length !== hashOutputLength[hash]) throw decodeError('Finished has the wrong length');
  const expected = finishedVerifyData(provider, hash, peerHandshakeSecret, transcriptHash);
  if (!constantTimeEqual(expected, message.verifyData)) throw protocolError('decrypt_error', 'peer Finished does not verify');
}

export interface ChainVerdict {
  authorized: boolean;
  error: TLSError | undefined;
}

/**
 * Runs the configured verifier. With no verifier the chain is unauthenticated: that is a
 * failure like any other, which `reject` turns into a fatal alert. When the trace is listened
 * to, the verifier's report of how it decided is traced before the verdict is acted on.
 */
export async function verifyPeerChain(
  verifier: CertificateVerifier | undefined,
  chain: readonly Uint8Array[],
  context: VerificationContext,
  reject: boolean,
  ctx: Pick<HandshakeContext, 'trace' | 'tracing'>,
): Promise<ChainVerdict> {
  let report: ChainReport | undefined;
  const asked: VerificationContext = ctx.tracing ? { ...context, observe: (r) => void (report = r) } : context;
  const result = verifier
    ? await verifier.verify(chain, asked)
    : { ok: false as const, error: new TLSError('CERT_UNTRUSTED', 'no certificate verifier is configured', { alert: 'certificate_unknown' }) };
  if (report) ctx.trace({ kind: 'chain', report });
  if (result.ok) return { authorized: true, error: undefined };
  if (reject) throw result.error;
  return { authorized: false, error: result.error };
}
