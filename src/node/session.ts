import { TLSError } from '../errors.js';
import type { SessionTicket } from '../handshake-context.js';

/**
 * A session ticket as the opaque Buffer node:tls users pass around (`session` event and
 * option). JSON with base64 fields: versioned, self-describing and easy to inspect; it holds
 * the resumption PSK, so it is as secret as a key.
 */
const FORMAT = 'wiretls-session-1';

export function serializeSession(ticket: SessionTicket): Buffer {
  return Buffer.from(
    JSON.stringify({
      format: FORMAT,
      ticket: Buffer.from(ticket.ticket).toString('base64'),
      psk: Buffer.from(ticket.psk).toString('base64'),
      cipherSuite: ticket.cipherSuite,
      serverName: ticket.serverName ?? null,
      alpnProtocol: ticket.alpnProtocol ?? null,
      lifetime: ticket.lifetime,
      ageAdd: ticket.ageAdd,
      receivedAt: ticket.receivedAt,
      maxEarlyDataSize: ticket.maxEarlyDataSize,
      authorized: ticket.authorized,
    }),
  );
}

export function deserializeSession(data: Uint8Array): SessionTicket {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new TLSError('INVALID_ARGUMENT', 'session data is not a wiretls session');
  }
  const number = (key: string): number => {
    const v = parsed[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TLSError('INVALID_ARGUMENT', `session data lacks ${key}`);
    return v;
  };
  const bytes = (key: string): Uint8Array => {
    const v = parsed[key];
    if (typeof v !== 'string') throw new TLSError('INVALID_ARGUMENT', `session data lacks ${key}`);
    return new Uint8Array(Buffer.from(v, 'base64'));
  };
  const text = (key: string): string | undefined => (typeof parsed[key] === 'string' ? (parsed[key] as string) : undefined);
  if (parsed.format !== FORMAT) throw new TLSError('INVALID_ARGUMENT', 'session data has an unknown format');
  return {
    ticket: bytes('ticket'),
    psk: bytes('psk'),
    cipherSuite: number('cipherSuite'),
    serverName: text('serverName'),
    alpnProtocol: text('alpnProtocol'),
    lifetime: number('lifetime'),
    ageAdd: number('ageAdd'),
    receivedAt: number('receivedAt'),
    maxEarlyDataSize: number('maxEarlyDataSize'),
    // A resumed session inherits this verdict; anything but an explicit true is unverified.
    authorized: parsed.authorized === true,
  };
}
