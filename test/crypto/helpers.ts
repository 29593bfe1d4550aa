import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { AlertName } from '../../src/registry.js';
import type { ProtocolReason } from '../../src/errors.js';
import { hexToBytes } from '../../src/wire/bytes.js';

/** A JSON file from test-vectors/crypto/. */
export function vectors<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../../test-vectors/crypto/${file}`, import.meta.url), 'utf8')) as T;
}

export const hex = hexToBytes;

/** Asserts that `fn` throws a TLSError that sends `alert`, for the rule `reason` when given. */
export function expectAlert(fn: () => unknown, alert: AlertName, reason?: ProtocolReason): void {
  expect(fn).toThrowError(expect.objectContaining({ name: 'TLSError', alert, ...(reason === undefined ? {} : { reason }) }));
}

/** Asserts that `fn` throws a TLSError with `code` and a message matching `pattern`. */
export async function expectCode(fn: () => Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  await expect(fn()).rejects.toThrowError(expect.objectContaining({ name: 'TLSError', code, ...(pattern ? { message: expect.stringMatching(pattern) } : {}) }));
}

/** A deterministic random source: a counter stream, distinct per seed. */
export function counterRandom(seed = 1): (length: number) => Uint8Array {
  let counter = seed * 1_000_003;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = (counter++ * 131 + 7) & 0xff;
    return out;
  };
}

/** PEM → DER for the fixtures in test-vectors/pki/. */
export function pemFixture(name: string): Uint8Array {
  const text = readFileSync(new URL(`../../test-vectors/pki/${name}`, import.meta.url), 'utf8');
  const body = text.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/**
 * Asserts that `fn` fails with a TLSError that sends `alert`, whether it throws or returns a
 * rejected promise: key exchange is synchronous in the noble and native providers and
 * asynchronous in the webcrypto one, and the conformance suite holds all three to one verdict.
 */
export async function expectAlertSoon(fn: () => unknown, alert: AlertName, reason?: ProtocolReason): Promise<void> {
  await expect((async () => fn())()).rejects.toThrowError(expect.objectContaining({ name: 'TLSError', alert, ...(reason === undefined ? {} : { reason }) }));
}
