import { protocolError } from '../errors.js';
import type { HandshakeContext, HandshakeState } from '../handshake-context.js';
import { HandshakeType, handshakeTypeName } from '../messages/registry.js';
import type { ReceivedMessage } from '../messages/types.js';

/** After the handshake a client may only send KeyUpdate (post-handshake auth aside). */
export class ServerConnected implements HandshakeState {
  readonly name = 'ServerConnected';

  constructor(
    private readonly ctx: HandshakeContext,
    /** Kept for issuing session tickets. */
    readonly resumptionMasterSecret: Uint8Array,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message, raw } = received;
    this.ctx.trace({ kind: 'message', direction: 'received', message, raw });
    if (message.type === HandshakeType.key_update) {
      this.ctx.peerKeyUpdate(message.requestUpdate === 1);
      return this;
    }
    throw protocolError('unexpected_message', `${handshakeTypeName(message.type)} after the handshake`);
  }
}
