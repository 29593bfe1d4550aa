import { resolveCommon, type ClientConfig } from '../config.js';
import { type KeyShareSecret, type MaybePromise, isPending } from '../crypto/provider.js';
import type { HandshakeContext, HandshakeState } from '../handshake-context.js';
import { KeySchedule } from '../keyschedule.js';
import { Transcript } from '../transcript.js';
import { type ClientOffer, buildClientHello, initialKeyShares, makeOffer } from './client-hello.js';
import { bindPsk } from './psk.js';
import { ExpectServerHello, type PskAttempt } from './states.js';

/**
 * The client's first flight (RFC 8446 §2, §2.3): ClientHello, offering a ticket when it has
 * one (binder over the truncated ClientHello), and 0-RTT data under the early keys when the
 * ticket allows it. Pending only when the provider's key generation is (WebCrypto); the
 * connection holds incoming bytes and writes until it resolves.
 */
export function startClientHandshake(ctx: HandshakeContext, config: ClientConfig): MaybePromise<HandshakeState> {
  const offer = makeOffer(config, resolveCommon(config));
  const shares = initialKeyShares(offer);
  return isPending(shares) ? shares.then((ready) => sendFirstFlight(ctx, offer, ready)) : sendFirstFlight(ctx, offer, shares);
}

function sendFirstFlight(ctx: HandshakeContext, offer: ClientOffer, shares: KeyShareSecret[]): HandshakeState {
  const provider = ctx.provider;
  const hello = buildClientHello(offer, shares);
  const transcript = new Transcript(provider);

  let psk: PskAttempt | undefined;
  if (offer.resumption) {
    const { ticket, suite } = offer.resumption;
    const schedule = new KeySchedule(provider, suite.hash, ticket.psk, ctx.onSecret);
    const hashOf = (bytes: Uint8Array): Uint8Array => {
      const h = provider.hash(suite.hash);
      h.update(bytes);
      return h.digest();
    };
    bindPsk(provider, hello, schedule, hashOf);
    psk = { resumption: offer.resumption, schedule, earlyData: offer.earlyData !== undefined };
    const raw = ctx.sendMessage(hello, transcript);
    if (offer.earlyData !== undefined) {
      // Appendix D.4: in compatibility mode the change_cipher_spec goes before early data.
      if (offer.legacySessionId.length > 0) ctx.sendChangeCipherSpec();
      const earlySecret = schedule.clientEarlyTrafficSecret(hashOf(raw));
      ctx.installWriteKeys(suite, earlySecret, 'early');
      earlySecret.fill(0);
      ctx.sendEarlyData(offer.earlyData);
    }
  } else {
    ctx.sendMessage(hello, transcript);
  }
  const sentChangeCipherSpec = psk?.earlyData === true && offer.legacySessionId.length > 0;
  return new ExpectServerHello(ctx, offer, shares, transcript, psk, undefined, sentChangeCipherSpec);
}
