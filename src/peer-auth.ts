import type { CryptoProvider, HashName } from './crypto/provider.js';
import { hashOutputLength } from './crypto/provider.js';
import { type PublicKeyInfo, parseSpki, publicKeyFitsScheme } from './crypto/keys.js';
import { TLSError, decodeError, protocolError } from './errors.js';
import { finishedVerifyData } from './keyschedule.js';
import * as ext from './messages/extensions.js';
import { SignatureScheme, extensionTypeName, isSignatureScheme, signatureSchemeName } from './registry.js';
import type { Certificate, CertificateVerify, Finished, ReceivedMessage } from './messages/types.js';
import type { Transcript } from './transcript.js';
import { bytesEqual, concatBytes, constantTimeEqual, utf8 } from './wire/bytes.js';
import { certificateSpki } from './x509/spki.js';
import type { ChainReport } from './x509/chain-report.js';
import type { CertificateVerifier, VerificationContext } from './x509/verifier.js';
import type { HandshakeContext } from './handshake-context.js';

/**
 * Receiving the peer's authentication, the same rules for both sides (RFC 8446 §4.4): its
 * Certificate, its CertificateVerify and its Finished. The client calls these for the server's
 * messages, the server for a client's (in the handshake and after it); each step checks the
 * message against what was asked for, adds it to the transcript and traces the verdict.
 */

/** Who sent the message being checked. */
export type Peer = 'server' | 'client';

/** What one side asked of the peer's Certificate (RFC 8446 §4.4.2). */
export interface CertificateExpectation {
  peer: Peer;
  /** certificate_request_context: empty from a server and in the handshake; the request's after it. */
  context: Uint8Array;
  verifier: CertificateVerifier | undefined;
  verification: VerificationContext;
  /** Whether a chain that fails verification ends the handshake (rejectUnauthorized). */
  reject: boolean;
  /** From a client: whether an empty Certificate ends the handshake (clientAuth 'require'). */
  required: boolean;
}

/** The peer's chain as sent (DER, leaf first) and what verification made of it. */
export interface PeerChain {
  chain: readonly Uint8Array[];
  verdict: ChainVerdict;
}

type PeerAuthContext = Pick<HandshakeContext, 'provider' | 'trace' | 'tracing'>;

/**
 * The peer's Certificate: checked, added to the transcript, its chain verified. Undefined for
 * an empty Certificate from a client that may go without one.
 */
export async function receiveCertificate(
  ctx: PeerAuthContext,
  received: ReceivedMessage<Certificate>,
  expected: CertificateExpectation,
  transcript: Transcript,
): Promise<PeerChain | undefined> {
  const { message, raw } = received;
  checkCertificateContext(message, expected);
  checkCertificateEntries(message, expected.peer);
  transcript.update(raw);
  if (message.entries.length === 0) {
    // RFC 8446 §4.4.2.4: an empty server Certificate is a decode_error; with no client
    // certificate the server may go on, or abort with certificate_required.
    if (expected.peer === 'server') throw decodeError('empty_certificate_list', 'server sent an empty Certificate');
    if (expected.required) throw protocolError('client_certificate_missing', 'the client sent no certificate, and one is required');
    return undefined;
  }
  const chain = message.entries.map((e) => e.data);
  const verdict = await verifyPeerChain(expected.verifier, chain, expected.verification, expected.reject, ctx);
  ctx.trace({ kind: 'verified', what: `${expected.peer} certificate chain`, ok: verdict.authorized, ...(verdict.error ? { detail: verdict.error.message } : {}) });
  return { chain, verdict };
}

/**
 * RFC 8446 §4.4.2: the certificate_request_context echoes the request's (§4.3.2); a server's
 * Certificate answers no request, so its context is empty.
 */
function checkCertificateContext(message: Certificate, expected: CertificateExpectation): void {
  if (bytesEqual(message.context, expected.context)) return;
  throw expected.peer === 'server'
    ? protocolError('request_context_mismatch', 'server Certificate has a request context')
    : protocolError('request_context_mismatch', 'client Certificate answers another request context');
}

/**
 * RFC 8446 §4.4.2: entry extensions answer extensions of the request. We request neither OCSP
 * stapling nor SCTs, so any is unsolicited; one with no place in a CertificateEntry at all is
 * illegal_parameter.
 */
function checkCertificateEntries(message: Certificate, peer: Peer): void {
  for (const entry of message.entries) {
    for (const { type } of entry.extensions) {
      if (ext.extensionAllowedIn(type, 'CT') === false) throw protocolError('extension_not_allowed', `${extensionTypeName(type)} is not allowed in a CertificateEntry`);
      throw peer === 'server'
        ? protocolError('unsolicited_extension', `server sent ${extensionTypeName(type)}, which the client did not offer`)
        : protocolError('unsolicited_extension', `client sent ${extensionTypeName(type)} in its Certificate, which was not requested`);
    }
  }
}

/**
 * The peer's CertificateVerify over the transcript through its Certificate, signed by the
 * leaf's key with a scheme we offered; then it joins the transcript. Returns the scheme.
 */
export async function receiveCertificateVerify(
  ctx: PeerAuthContext,
  received: ReceivedMessage<CertificateVerify>,
  peer: Peer,
  offeredSchemes: readonly number[],
  leafCertificate: Uint8Array,
  transcript: Transcript,
): Promise<number> {
  const { message, raw } = received;
  await checkCertificateVerify(ctx.provider, message, offeredSchemes, leafCertificate, peer, transcript.current());
  ctx.trace({ kind: 'verified', what: `${peer} CertificateVerify signature`, ok: true });
  transcript.update(raw);
  return message.scheme;
}

/**
 * The peer's Finished, keyed by its handshake traffic secret (after the handshake: its current
 * application traffic secret, §4.4), over the transcript so far; then it joins the transcript.
 */
export function receiveFinished(ctx: PeerAuthContext, received: ReceivedMessage<Finished>, peer: Peer, hash: HashName, peerSecret: Uint8Array, transcript: Transcript): void {
  const { message, raw } = received;
  checkFinished(ctx.provider, hash, message, peerSecret, transcript.current());
  ctx.trace({ kind: 'verified', what: `${peer} Finished`, ok: true });
  transcript.update(raw);
}

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
export function certificateVerifyContent(signer: Peer, transcriptHash: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE_PAD, signer === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT, new Uint8Array([0]), transcriptHash);
}

export async function checkCertificateVerify(
  provider: CryptoProvider,
  message: CertificateVerify,
  offeredSchemes: readonly number[],
  leafCertificate: Uint8Array,
  signer: Peer,
  transcriptHash: Uint8Array,
): Promise<void> {
  // RFC 8446 §4.4.3: the scheme must be one we offered in signature_algorithms, and never
  // PKCS#1 v1.5 or SHA-1, which TLS 1.3 allows only in certificates (§4.2.3).
  if (!offeredSchemes.includes(message.scheme) || !TLS13_CERTIFICATE_VERIFY_SCHEMES.has(message.scheme)) {
    throw protocolError('unoffered_signature_scheme', `CertificateVerify uses ${signatureSchemeName(message.scheme)}, which was not offered`);
  }
  // §4.2.3 ties a scheme to a key: ECDSA schemes name the curve, rsa_pss_rsae_* need an
  // rsaEncryption key and rsa_pss_pss_* an RSASSA-PSS one (within its parameters). A scheme
  // the certificate's key cannot produce is a wrong parameter, not a bad signature; only a
  // signature that fails to verify is decrypt_error.
  const spki = certificateSpki(leafCertificate);
  if (!publicKeyFitsScheme(peerKey(spki), message.scheme)) {
    throw protocolError('signature_scheme_key_mismatch', `CertificateVerify uses ${signatureSchemeName(message.scheme)}, which the certificate's key cannot sign with`);
  }
  const content = certificateVerifyContent(signer, transcriptHash);
  const ok = isSignatureScheme(message.scheme) && (await provider.verify(message.scheme, spki, content, message.signature));
  if (!ok) throw protocolError('bad_certificate_verify_signature', `${signer} CertificateVerify signature (${signatureSchemeName(message.scheme)}) does not verify`);
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
  if (message.verifyData.length !== hashOutputLength[hash]) throw decodeError('finished_wrong_length', 'Finished has the wrong length');
  const expected = finishedVerifyData(provider, hash, peerHandshakeSecret, transcriptHash);
  if (!constantTimeEqual(expected, message.verifyData)) throw protocolError('finished_mismatch', 'peer Finished does not verify');
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
async function verifyPeerChain(
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
