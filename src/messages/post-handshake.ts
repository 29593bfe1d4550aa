import { protocolError } from '../errors.js';
import type { Reader } from '../wire/reader.js';
import type { Writer } from '../wire/writer.js';
import { readExtensions, writeExtensions } from './codec.js';
import { HandshakeType, KeyUpdateRequest } from '../registry.js';
import type { KeyUpdate, NewSessionTicket } from './types.js';

/** Post-handshake messages: NewSessionTicket and KeyUpdate (RFC 8446 §4.6). */

const NONCE_MAX = 0xff;
const TICKET = [1, 0xffff] as const;
const NST_EXTENSIONS = [0, 0xfffe] as const;

export function decodeNewSessionTicket(r: Reader): NewSessionTicket {
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vector8(0, NONCE_MAX);
  const ticket = r.vector16(...TICKET);
  const extensions = readExtensions(r, ...NST_EXTENSIONS);
  return { type: HandshakeType.new_session_ticket, lifetime, ageAdd, nonce, ticket, extensions };
}

export function encodeNewSessionTicket(w: Writer, m: NewSessionTicket): void {
  w.u32(m.lifetime).u32(m.ageAdd);
  w.vector8(0, NONCE_MAX, m.nonce);
  w.vector16(...TICKET, m.ticket);
  writeExtensions(w, m.extensions, ...NST_EXTENSIONS);
}

export function decodeKeyUpdate(r: Reader): KeyUpdate {
  const requestUpdate = r.u8();
  // §4.6.3: "If an implementation receives any other value, it MUST terminate the connection
  // with an "illegal_parameter" alert."
  if (requestUpdate !== KeyUpdateRequest.update_not_requested && requestUpdate !== KeyUpdateRequest.update_requested) {
    throw protocolError('invalid_key_update_request', `KeyUpdate request_update ${requestUpdate} is neither 0 nor 1`);
  }
  return { type: HandshakeType.key_update, requestUpdate };
}

export function encodeKeyUpdate(w: Writer, m: KeyUpdate): void {
  w.u8(m.requestUpdate);
}
