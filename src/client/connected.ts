import type { CipherSuiteParams } from '../crypto/provider.js';
import { protocolError } from '../errors.js';
import type { HandshakeContext, HandshakeState, SessionInfo } from '../handshake-context.js';
import { finishedVerifyData, resumptionPsk } from '../keyschedule.js';
import * as ext from '../messages/extensions.js';
import { ExtensionType, HandshakeType, extensionTypeName, handshakeTypeName } from '../registry.js';
import type { CertificateRequest, NewSessionTicket, ReceivedMessage } from '../messages/types.js';
import type { Transcript } from '../transcript.js';
import type { CertifiedKey } from '../config.js';
import { readCertificateRequest, sendClientCertificate } from './client-auth.js';

/** RFC 8446 §4.6.1: a ticket lifetime above seven days is a protocol error. */
const MAX_TICKET_LIFETIME = 7 * 24 * 3600;

/** After the handshake the server may send NewSessionTicket and KeyUpdate. */
export class ClientConnected implements HandshakeState {
  readonly name = 'ClientConnected';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly suite: CipherSuiteParams,
    private readonly resumptionMasterSecret: Uint8Array,
    private readonly info: SessionInfo,
    /** Post-handshake authentication: the handshake transcript and what we answer with. */
    private readonly postHandshake: { transcript: Transcript; certificate: CertifiedKey | undefined },
    /** ClientConfig.now: ticket ages are measured on the clock that will offer the ticket. */
    private readonly now: () => number = Date.now,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message, raw } = received;
    switch (message.type) {
      case HandshakeType.key_update:
        this.ctx.peerKeyUpdate(message.requestUpdate === 1);
        return this;
      case HandshakeType.new_session_ticket:
        this.acceptTicket(message);
        return this;
      case HandshakeType.certificate_request:
        await this.answerCertificateRequest(message, raw);
        return this;
      default:
        throw protocolError('unexpected_handshake_message', `${handshakeTypeName(message.type)} after the handshake`);
    }
  }

  /**
   * RFC 8446 §4.6.2: only if we offered post_handshake_auth. The answer's transcript is the
   * handshake's plus this request's messages; its Finished is keyed by our current
   * application traffic secret.
   */
  private async answerCertificateRequest(message: CertificateRequest, raw: Uint8Array): Promise<void> {
    const { certificate } = this.postHandshake;
    if (!certificate) throw protocolError('post_handshake_auth_not_offered', 'post-handshake CertificateRequest without post_handshake_auth');
    const request = readCertificateRequest(message, true);
    const transcript = this.postHandshake.transcript.fork();
    transcript.update(raw);
    await sendClientCertificate(this.ctx, certificate, request, transcript);
    const verifyData = finishedVerifyData(this.ctx.provider, this.suite.hash, this.ctx.applicationSecret('client'), transcript.current());
    this.ctx.sendMessage({ type: HandshakeType.finished, verifyData }, transcript);
  }

  private acceptTicket(message: NewSessionTicket): void {
    if (message.lifetime > MAX_TICKET_LIFETIME) throw protocolError('ticket_lifetime_too_long', 'ticket lifetime exceeds seven days');
    let maxEarlyDataSize = 0;
    for (const { type, data } of message.extensions) {
      if (type === ExtensionType.early_data) maxEarlyDataSize = ext.parseEarlyDataNewSessionTicket(data);
      else if (ext.extensionAllowedIn(type, 'NST') === false) {
        throw protocolError('extension_not_allowed', `${extensionTypeName(type)} is not allowed in NewSessionTicket`);
      }
      // Unknown extensions in NewSessionTicket are ignored (RFC 8446 §4.6.1).
    }
    // A zero lifetime means "do not cache" (RFC 8446 §4.6.1).
    if (message.lifetime === 0) return;
    this.ctx.sessionTicket({
      ticket: message.ticket.slice(),
      psk: resumptionPsk(this.ctx.provider, this.suite.hash, this.resumptionMasterSecret, message.nonce),
      cipherSuite: this.suite.suite,
      serverName: this.info.serverName,
      alpnProtocol: this.info.alpnProtocol,
      lifetime: message.lifetime,
      ageAdd: message.ageAdd,
      receivedAt: this.now(),
      maxEarlyDataSize,
      authorized: this.info.authorized,
    });
  }
}
