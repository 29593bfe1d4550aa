import { TLSError, protocolError } from '../errors.js';
import type { HandshakeContext, HandshakeState, SessionInfo } from '../handshake-context.js';
import { HandshakeType, handshakeTypeName } from '../registry.js';
import type { ReceivedMessage } from '../messages/types.js';
import { checkFinished } from '../peer-auth.js';
import type { Transcript } from '../transcript.js';
import { type ClientAuthPolicy, type ClientIdentity, ExpectClientCertificate, certificateRequest } from './client-auth.js';

/**
 * What post-handshake client authentication needs from the handshake (RFC 8446 §4.6.2); kept
 * only for clients that offered post_handshake_auth, so an idle connection holds no more.
 */
export interface PostHandshakeAuth {
  policy: ClientAuthPolicy;
  /** Hash state through the client Finished: every request's messages are hashed after it. */
  transcript: Transcript;
  info: SessionInfo;
  /** Outstanding requests by context; the client answers them in order. */
  pending: { context: Uint8Array; transcript: Transcript }[];
}

/**
 * After the handshake a client may send KeyUpdate, and answer our post-handshake
 * CertificateRequests with Certificate, CertificateVerify and Finished.
 */
export class ServerConnected implements HandshakeState {
  readonly name = 'ServerConnected';

  constructor(
    private readonly ctx: HandshakeContext,
    /** Undefined when the client did not offer post_handshake_auth. */
    private readonly postHandshake: PostHandshakeAuth | undefined,
  ) {}

  requestCertificate(): void {
    if (!this.postHandshake) throw new TLSError('INVALID_ARGUMENT', 'the client did not offer post-handshake authentication');
    const context = this.ctx.provider.random(16);
    const transcript = this.postHandshake.transcript.fork();
    this.ctx.sendMessage(certificateRequest(this.postHandshake.policy, context), transcript);
    this.postHandshake.pending.push({ context, transcript });
  }

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message } = received;
    if (message.type === HandshakeType.key_update) {
      this.ctx.peerKeyUpdate(message.requestUpdate === 1);
      return this;
    }
    const auth = this.postHandshake;
    const request = auth?.pending[0];
    if (message.type === HandshakeType.certificate && auth && request) {
      auth.pending.shift();
      const expect = new ExpectClientCertificate(
        this.ctx,
        auth.policy,
        request.context,
        request.transcript,
        (identity) => new ExpectPostHandshakeFinished(this.ctx, request.transcript, identity, this),
      );
      return expect.handle(received);
    }
    throw protocolError('unexpected_message', `${handshakeTypeName(message.type)} after the handshake`);
  }

  /** Records the outcome of a post-handshake authentication in the session info. */
  authenticated(identity: ClientIdentity | undefined): void {
    const info = this.postHandshake?.info;
    if (info && identity) {
      info.peerCertificates = identity.chain;
      info.authorized = identity.verdict.authorized;
      info.authorizationError = identity.verdict.error;
      info.signatureScheme = identity.scheme;
    }
    this.ctx.peerAuthenticated();
  }
}

class ExpectPostHandshakeFinished implements HandshakeState {
  readonly name = 'ExpectPostHandshakeFinished';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly transcript: Transcript,
    private readonly identity: ClientIdentity | undefined,
    private readonly connected: ServerConnected,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    if (received.message.type !== HandshakeType.finished) {
      throw protocolError('unexpected_message', `${handshakeTypeName(received.message.type)} instead of the post-handshake Finished`);
    }
    // RFC 8446 §4.4: after the handshake, Finished is keyed by the current application secret.
    checkFinished(this.ctx.provider, this.transcript.hash!, received.message, this.ctx.applicationSecret('client'), this.transcript.current());
    this.connected.authenticated(this.identity);
    return this.connected;
  }
}
