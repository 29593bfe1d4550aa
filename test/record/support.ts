import { expect } from 'vitest';
import { type ProtocolReason, TLSError, type TLSErrorCode, isProtocolReason } from '../../src/errors.js';
import type { AlertName } from '../../src/registry.js';

/** A small deterministic generator (LCG) so random chunkings are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function expectedFailure(alert: AlertName, codeOrReason: TLSErrorCode | ProtocolReason | undefined): { code: TLSErrorCode; reason?: ProtocolReason } {
  if (codeOrReason === undefined) return { code: alert === 'internal_error' ? 'INTERNAL_ERROR' : 'PROTOCOL_ERROR' };
  return isProtocolReason(codeOrReason) ? { code: 'PROTOCOL_ERROR', reason: codeOrReason } : { code: codeOrReason };
}

/**
 * Runs `fn` and returns the TLSError it throws, checking the alert it names and its code, or,
 * for a protocol error, the rule (reason) that fired.
 */
export function expectAlert(fn: () => unknown, alert: AlertName, codeOrReason?: TLSErrorCode | ProtocolReason): TLSError {
  const { code, reason } = expectedFailure(alert, codeOrReason);
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected a TLSError with alert ${alert}`).toBeInstanceOf(TLSError);
  const error = thrown as TLSError;
  expect(error.alert).toBe(alert);
  expect(error.code).toBe(code);
  if (reason !== undefined) expect(error.reason, error.message).toBe(reason);
  return error;
}

export function filled(length: number, seed = 7): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A raw record header || body, for feeding the deframer hand-made (even invalid) records. */
export function rawRecord(type: number, body: Uint8Array, version = 0x0303, length = body.length): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  out[1] = version >>> 8;
  out[2] = version & 0xff;
  out[3] = length >>> 8;
  out[4] = length & 0xff;
  out.set(body, 5);
  return out;
}

/** Byte equality that stays fast for 16 KiB records (deep equality walks them element by element). */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected), 'bytes differ').toBe(true);
}
