import { advertisedSignatureSchemes } from '../crypto/signature-schemes.js';
import { protocolError } from '../errors.js';
import { type HandshakeContext, type HandshakeState, expectType } from '../handshake-context.js';
import * as ext from '../messages/extensions.js';
import { ExtensionType, HandshakeType, extensionTypeName } from '../registry.js';
import type { CertificateRequest, RawExtension, ReceivedMessage } from '../messages/types.js';
import { type ChainVerdict, checkCertificateVerify, verifyPeerChain } from '../peer-auth.js';
import type { Transcript } from '../transcript.js';
import { bytesEqual } from '../wire/bytes.js';
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
export interface ClientIdentity {
  chain: readonly Uint8Array[];
  verdict: ChainVerdict;
  scheme: number;
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
    const { message, raw } = expectType(received, HandshakeType.certificate, this.name);
    if (!bytesEqual(message.context, this.context)) throw protocolError('illegal_parameter', 'client Certificate answers another request context');
    for (const entry of message.entries) {
      for (const { type } of entry.extensions) {
        if (ext.extensionAllowedIn(type, 'CT') === false) throw protocolError('illegal_parameter', `${extensionTypeName(type)} is not allowed in a CertificateEntry`);
        throw protocolError('unsupported_extension', `client sent ${extensionTypeName(type)} in its Certificate, which was not requested`);
      }
    }
    this.transcript.update(raw);
    if (message.entries.length === 0) {
      // RFC 8446 §4.4.2.4: with no certificate the server may go on, or abort with certificate_required.
      if (this.policy.mode === 'require') throw protocolError('certificate_required', 'the client sent no certificate, and one is required');
      return this.done(undefined);
    }
    const chain = message.entries.map((e) => e.data);
    const verdict = await verifyPeerChain(this.policy.verifier, chain, { peerRole: 'client' }, this.policy.rejectUnauthorized, this.ctx);
    this.ctx.trace({ kind: 'verified', what: 'client certificate chain', ok: verdict.authorized, ...(verdict.error ? { detail: verdict.error.message } : {}) });
    return new ExpectClientCertificateVerify(this.ctx, this.policy, this.transcript, chain, verdict, this.done);
  }
}

class ExpectClientCertificateVerify implements HandshakeState {
  readonly name = 'ExpectClientCertificateVerify';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly policy: ClientAuthPolicy,
    private readonly transcript: Transcript,
    private readonly chain: readonly Uint8Array[],
    private readonly verdict: ChainVerdict,
    private readonly done: (identity: ClientIdentity | undefined) => HandshakeState,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message, raw } = expectType(received, HandshakeType.certificate_verify, this.name);
    await checkCertificateVerify(this.ctx.provider, message, this.policy.schemes, this.chain[0]!, 'client', this.transcript.current());
    this.ctx.trace({ kind: 'verified', what: 'client CertificateVerify signature', ok: true });
    this.transcript.update(raw);
    return this.done({ chain: this.chain, verdict: this.verdict, scheme: message.scheme });
  }
}
