import type { ResumptionState, TicketStore } from '../config.js';
import type { CipherSuiteParams, CryptoProvider } from '../crypto/provider.js';
import { cipherSuiteParams } from '../crypto/suites.js';
import { protocolError } from '../errors.js';
import { KeySchedule, type SecretObserver, finishedVerifyData } from '../keyschedule.js';
import type * as ext from '../messages/extensions.js';
import { constantTimeEqual } from '../wire/bytes.js';

/**
 * The server's side of PSK resumption (RFC 8446 §4.2.11, §4.6.1): find the first offered
 * ticket we can open and use, then verify its binder. The caller has chosen the key exchange
 * mode (psk_ke or psk_dhe_ke) the PSK would be used with. A ticket we cannot use is not an error
 * (the handshake falls back to a full one); a binder that does not verify is (decrypt_error).
 */

export interface AcceptedPsk {
  identityIndex: number;
  state: ResumptionState;
  schedule: KeySchedule;
  /** The client's view of the ticket age (ms), de-obfuscated. */
  clientTicketAgeMs: number;
  binder: Uint8Array;
}

export interface PskOffer {
  offered: ext.OfferedPsks;
  modes: readonly number[];
  /** The wire length of the binders list, to truncate the ClientHello (RFC 8446 §4.2.11.2). */
  bindersLength: number;
}

export function acceptPsk(
  provider: CryptoProvider,
  store: TicketStore,
  offer: PskOffer,
  suite: CipherSuiteParams,
  serverName: string | undefined,
  now: number,
  /** Transcript hash of whatever precedes the ClientHello plus the ClientHello up to its binders. */
  binderTranscriptHash: Uint8Array,
  onSecret: SecretObserver | undefined,
): AcceptedPsk | undefined {
  for (const [index, identity] of offer.offered.identities.entries()) {
    const state = store.open(identity.identity);
    if (!state || !usable(state, suite, serverName, now)) continue;
    const schedule = new KeySchedule(provider, suite.hash, state.psk, onSecret);
    const binderKey = schedule.binderKey('resumption');
    const expected = finishedVerifyData(provider, suite.hash, binderKey, binderTranscriptHash);
    binderKey.fill(0);
    const binder = offer.offered.binders[index]!;
    // RFC 8446 §4.2.11: the binder of the PSK we select must verify, or the handshake ends.
    if (!constantTimeEqual(expected, binder)) throw protocolError('psk_binder_mismatch', 'PSK binder does not verify');
    return {
      identityIndex: index,
      state,
      schedule,
      clientTicketAgeMs: (identity.obfuscatedTicketAge - state.ageAdd) >>> 0,
      binder,
    };
  }
  return undefined;
}

function usable(state: ResumptionState, suite: CipherSuiteParams, serverName: string | undefined, now: number): boolean {
  // RFC 8446 §4.2.11: the PSK's hash must be the chosen suite's.
  if (cipherSuiteParams.get(state.cipherSuite)?.hash !== suite.hash) return false;
  if (now < state.issuedAt || now - state.issuedAt > state.lifetime * 1000) return false;
  // RFC 8446 §4.6.1: a ticket is for the server name it was issued under.
  return state.serverName === serverName;
}
