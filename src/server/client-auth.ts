import { advertisedSignatureSchemes } from '../crypto/signature-schemes.js';
import { type HandshakeContext, type HandshakeState, type SessionInfo, expectType, frozenSessionInfo } from '../handshake-context.js';
import * as ext from '../messages/extensions.js';
import { ExtensionType, HandshakeType } from '../registry.js';
import type { CertificateRequest, RawExtension, ReceivedMessage } from '../messages/types.js';
import { type PeerChain, receiveCertificate, receiveCertificateVerify } from '../peer-auth.js';
import type { Transcript } from '../transcript.js';
import type { CertificateVerifier } from '../x509/verifier.js';

/**
 * Client authentication on the server (RFC 8446 §4.3.2, §4.4.2, §4.4.3): the request, the
 * client's Certificate (possibly empty) and its CertificateVerify.
 */

export interface ClientAuthPolicy {
  mode: 'optional' | 'require';
  schemes: readonly number[];
  certificateAuthorities: readonly Uint8Array[];
  verifier: CertificateVerifier | undefined;
  rejectUnauthorized: boolean;
}

/** What the exchange established, for the session info. */
export interface ClientIdentity extends PeerChain {
  scheme: number;
}

/**
 * The session info with the client identity an authentication established, as a new object:
 * the application may hold the old one (RFC 8446 §4.6.2 authenticates after the handshake).
 * An empty answer establishes nothing, and the info stays as it was.
 */
export function withClientIdentity(info: SessionInfo, identity: ClientIdentity | undefined): SessionInfo {
  if (!identity) return info;
  return frozenSessionInfo({
    ...info,
    peerCertificates: identity.chain,
    authorized: identity.verdict.authorized,
    authorizationError: identity.verdict.error,
    signatureScheme: identity.scheme,
  });
}

export function certificateRequest(policy: ClientAuthPolicy, context: Uint8Array): CertificateRequest {
  const extensions: RawExtension[] = [{ type: ExtensionType.signature_algorithms, data: ext.buildSignatureAlgorithms(advertisedSignatureSchemes(policy.schemes)) }];
  if (policy.certificateAuthorities.length > 0) {
    extensions.push({ type: ExtensionType.certificate_authorities, data: ext.buildCertificateAuthorities(policy.certificateAuthorities) });
  }
  return { type: HandshakeType.certificate_request, context, extensions };
}

/**
 * Expects the client's Certificate for `context`; `done` receives the identity (undefined for
 * an empty Certificate under 'optional') and returns the state that follows.
 */
export class ExpectClientCertificate implements HandshakeState {
  readonly name = 'ExpectClientCertificate';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly policy: ClientAuthPolicy,
    private readonly context: Uint8Array,
    private readonly transcript: Transcript,
    private readonly done: (identity: ClientIdentity | undefined) => HandshakeState,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const certificate = expectType(received, HandshakeType.certificate, this.name);
    const { policy } = this;
    const peer = await receiveCertificate(
      this.ctx,
      certificate,
      {
        peer: 'client',
        context: this.context,
        verifier: policy.verifier,
        verification: { peerRole: 'client' },
        reject: policy.rejectUnauthorized,
        required: policy.mode === 'require',
      },
      this.transcript,
    );
    if (!peer) return this.done(undefined);
    return new ExpectClientCertificateVerify(this.ctx, this.policy, this.transcript, peer, this.done);
  }
}

class ExpectClientCertificateVerify implements HandshakeState {
  readonly name = 'ExpectClientCertificateVerify';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly policy: ClientAuthPolicy,
    private readonly transcript: Transcript,
    private readonly peer: PeerChain,
    private readonly done: (identity: ClientIdentity | undefined) => HandshakeState,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const verify = expectType(received, HandshakeType.certificate_verify, this.name);
    const scheme = await receiveCertificateVerify(this.ctx, verify, 'client', this.policy.schemes, this.peer.chain[0]!, this.transcript);
    return this.done({ ...this.peer, scheme });
  }
}
