import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ProtocolReason } from '../../src/errors.js';
import type { AlertName } from '../../src/registry.js';
import { hexToBytes } from '../../src/wire/bytes.js';

/** Asserts that `fn` throws a TLSError that sends `alert`, for the rule `reason` when given. */
export function expectAlert(fn: () => unknown, alert: AlertName, reason?: ProtocolReason): void {
  expect(fn).toThrowError(expect.objectContaining({ name: 'TLSError', alert, ...(reason === undefined ? {} : { reason }) }));
}

type Section = Record<string, string>;

interface Rfc8448Messages {
  section3_simple_1rtt: Section;
  section4_resumed_0rtt: Section;
  section5_hello_retry_request: Section;
}

const vectors = JSON.parse(readFileSync(new URL('../../test-vectors/messages/rfc8448.json', import.meta.url), 'utf8')) as Rfc8448Messages;

/** A whole handshake message (header included) from test-vectors/messages/rfc8448.json. */
export function rfc8448(section: keyof Rfc8448Messages, name: string): Uint8Array {
  const hex = vectors[section][name];
  if (hex === undefined) throw new Error(`no RFC 8448 vector ${section}.${name}`);
  return hexToBytes(hex);
}

const SECTIONS = ['section3_simple_1rtt', 'section4_resumed_0rtt', 'section5_hello_retry_request'] as const;

/** Every RFC 8448 message as [label, bytes]. */
export function allRfc8448(): [string, Uint8Array][] {
  return SECTIONS.flatMap((section) => Object.entries(vectors[section]).map(([name, hex]): [string, Uint8Array] => [`${section}.${name}`, hexToBytes(hex)]));
}

/** Splits a whole message into (type, body) as the reassembler would. */
export function split(raw: Uint8Array): [number, Uint8Array] {
  return [raw[0]!, raw.subarray(4)];
}

export const hex = hexToBytes;
