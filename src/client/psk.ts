import type { CipherSuiteParams, CryptoProvider } from '../crypto/provider.js';
import { cipherSuiteParams } from '../crypto/suites.js';
import type { SessionTicket } from '../handshake-context.js';
import { type KeySchedule, finishedVerifyData } from '../keyschedule.js';
import * as ext from '../messages/extensions.js';
import { encodeHandshake } from '../messages/handshake.js';
import { ExtensionType } from '../registry.js';
import type { ClientHello } from '../messages/types.js';

/**
 * The client's side of PSK resumption (RFC 8446 §4.2.11): which ticket to offer, the
 * obfuscated ticket age, and the binder over the ClientHello truncated before the binders.
 */

export interface Resumption {
  ticket: SessionTicket;
  suite: CipherSuiteParams;
}

/** A ticket is offered only while valid, for the same server name, with a suite we still offer. */
export function usableTicket(ticket: SessionTicket | undefined, serverName: string | undefined, offeredSuites: readonly number[], now: number): Resumption | undefined {
  if (!ticket) return undefined;
  const suite = cipherSuiteParams.get(ticket.cipherSuite);
  if (!suite || !offeredSuites.includes(ticket.cipherSuite)) return undefined;
  if (ticket.serverName !== serverName) return undefined;
  if (now < ticket.receivedAt || now - ticket.receivedAt > ticket.lifetime * 1000) return undefined;
  return { ticket, suite };
}

/** The pre_shared_key extension with a zero binder of the right length, to be filled by `bindPsk`. */
export function pskExtensionPlaceholder(resumption: Resumption, now: number): Uint8Array {
  const { ticket, suite } = resumption;
  // RFC 8446 §4.2.11.1: the age in milliseconds plus ticket_age_add, modulo 2^32.
  const obfuscatedTicketAge = (now - ticket.receivedAt + ticket.ageAdd) >>> 0;
  return ext.buildPreSharedKeyClientHello({
    identities: [{ identity: ticket.ticket, obfuscatedTicketAge }],
    binders: [new Uint8Array(suite.hash === 'sha384' ? 48 : 32)],
  });
}

/**
 * Computes the binder over the ClientHello up to (not including) the binders list and puts it
 * in place. `transcriptHash` hashes whatever precedes that prefix in the transcript (nothing
 * for a first ClientHello; message_hash and the HelloRetryRequest for a second).
 */
export function bindPsk(provider: CryptoProvider, hello: ClientHello, schedule: KeySchedule, transcriptHash: (truncatedHello: Uint8Array) => Uint8Array): void {
  const index = hello.extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  const offered = ext.parsePreSharedKeyClientHello(hello.extensions[index]!.data);
  const raw = encodeHandshake(hello);
  const truncated = raw.subarray(0, raw.length - ext.pskBindersLength(offered.binders));
  const binderKey = schedule.binderKey('resumption');
  const binder = finishedVerifyData(provider, schedule.hash, binderKey, transcriptHash(truncated));
  binderKey.fill(0);
  hello.extensions[index] = {
    type: ExtensionType.pre_shared_key,
    data: ext.buildPreSharedKeyClientHello({ identities: offered.identities, binders: [binder] }),
  };
}
