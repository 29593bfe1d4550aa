import { TLSError, protocolError } from '../errors.js';
import type { HandshakeContext, HandshakeState, SessionInfo } from '../handshake-context.js';
import { HandshakeType, handshakeTypeName } from '../registry.js';
import type { ReceivedMessage } from '../messages/types.js';
import { receiveFinished } from '../peer-auth.js';
import type { Transcript } from '../transcript.js';
import { type ClientAuthPolicy, type ClientIdentity, ExpectClientCertificate, certificateRequest, withClientIdentity } from './client-auth.js';

/**
 * What post-handshake client authentication needs from the handshake (RFC 8446 §4.6.2); kept
 * only for clients that offered post_handshake_auth, so an idle connection holds no more.
 */
export interface PostHandshakeAuth {
  policy: ClientAuthPolicy;
  /** Hash state through the client Finished: every request's messages are hashed after it. */
  transcript: Transcript;
  /** The session info now; each accepted client certificate replaces it with a new object. */
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
        (identity) => new ExpectPostHandshakeFinished(this.ctx, request.transcript, () => this.authenticated(auth, identity), this),
      );
      return expect.handle(received);
    }
    throw protocolError('unexpected_handshake_message', `${handshakeTypeName(message.type)} after the handshake`);
  }

  /**
   * The outcome of a post-handshake authentication: new session info when a certificate was
   * accepted (the application may hold the old one, which stays as it was), then the event.
   */
  private authenticated(auth: PostHandshakeAuth, identity: ClientIdentity | undefined): void {
    auth.info = withClientIdentity(auth.info, identity);
    this.ctx.peerAuthenticated(auth.info);
  }
}

class ExpectPostHandshakeFinished implements HandshakeState {
  readonly name = 'ExpectPostHandshakeFinished';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly transcript: Transcript,
    /** Reports the authentication once the Finished proves the answer is whole. */
    private readonly authenticated: () => void,
    private readonly connected: ServerConnected,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message, raw } = received;
    if (message.type !== HandshakeType.finished) {
      throw protocolError('unexpected_handshake_message', `${handshakeTypeName(message.type)} instead of the post-handshake Finished`);
    }
    // RFC 8446 §4.4: after the handshake, Finished is keyed by the current application secret.
    receiveFinished(this.ctx, { message, raw }, 'client', this.transcript.hash!, this.ctx.applicationSecret('client'), this.transcript);
    this.authenticated();
    return this.connected;
  }
}
