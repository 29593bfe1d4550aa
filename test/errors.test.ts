import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type DecodeReason, PROTOCOL_REASONS, type ProtocolReason, TLSError, decodeError, isProtocolReason, protocolError } from '../src/errors.js';
import { AlertDescription, type AlertName } from '../src/registry.js';
import { CertificateError } from '../src/x509/certificate-error.js';

/**
 * TLSError's reason: one name per protocol rule, mapped to its alert in PROTOCOL_REASONS, so
 * the alert follows from the rule and a program (or a negative test) can tell apart two
 * failures that send the same alert.
 */

const reasons = Object.keys(PROTOCOL_REASONS) as ProtocolReason[];

/** Every reason src/ throws, read from its text: protocolError/decodeError('…', or reason: '…'. */
function reasonsThrownInSource(): Set<string> {
  const root = new URL('../src/', import.meta.url);
  const used = new Set<string>();
  for (const path of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!path.endsWith('.ts') || path === 'errors.ts') continue;
    const text = readFileSync(new URL(path, root), 'utf8');
    for (const m of text.matchAll(/(?:(?:protocolError|decodeError)\(\s*|\breason: )'([a-z0-9_]+)'/g)) used.add(m[1]!);
  }
  return used;
}

describe('PROTOCOL_REASONS', () => {
  it('maps every reason to a real alert, and names no reason like an alert', () => {
    expect(reasons.length).toBeGreaterThan(50);
    for (const reason of reasons) {
      expect(AlertDescription[PROTOCOL_REASONS[reason]], reason).toBeTypeOf('number');
      // A reason is never an alert's name, so logs and JSON cannot confuse the two.
      expect(Object.hasOwn(AlertDescription, reason), `${reason} is also an alert name`).toBe(false);
      expect(reason).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    }
    expectTypeOf<Extract<ProtocolReason, AlertName>>().toBeNever();
  });

  it('isProtocolReason knows exactly the table, not inherited names', () => {
    for (const reason of reasons) expect(isProtocolReason(reason)).toBe(true);
    for (const other of ['illegal_parameter', 'decode_error', 'toString', 'constructor', '__proto__', '']) expect(isProtocolReason(other), other).toBe(false);
  });

  it('every reason is thrown somewhere in src/: the table holds no dead rule', () => {
    const used = reasonsThrownInSource();
    const unused = reasons.filter((reason) => !used.has(reason));
    expect(unused, 'reasons in PROTOCOL_REASONS that src/ never throws').toEqual([]);
    // The scan itself finds what it should: a reason thrown in each layer.
    for (const reason of ['length_overrun', 'record_decrypt_failed', 'invalid_key_share', 'downgrade_detected', 'finished_mismatch']) expect(used.has(reason), reason).toBe(true);
  });

  it('the decode reasons are exactly those that send decode_error', () => {
    expectTypeOf<'trailing_bytes'>().toExtend<DecodeReason>();
    expectTypeOf<'cookie_not_sent'>().not.toExtend<DecodeReason>();
    for (const reason of reasons) {
      const error = protocolError(reason, 'x');
      expect(error.alert === 'decode_error', reason).toBe(PROTOCOL_REASONS[reason] === 'decode_error');
    }
  });
});

describe('TLSError.reason', () => {
  it('protocolError(reason, …) derives the alert from the table and keeps the code', () => {
    const error = protocolError('cookie_not_sent', 'cookie that was never sent');
    expect(error).toBeInstanceOf(TLSError);
    expect({ code: error.code, alert: error.alert, reason: error.reason, message: error.message }).toEqual({
      code: 'PROTOCOL_ERROR',
      alert: 'illegal_parameter',
      reason: 'cookie_not_sent',
      message: 'cookie that was never sent',
    });
    expect(error.alertCode).toBe(AlertDescription.illegal_parameter);
    expect(protocolError('finished_mismatch', 'f').alert).toBe('decrypt_error');
    expect(protocolError('record_too_long', 'r').alert).toBe('record_overflow');
  });

  it('two rules that send the same alert are told apart by reason', () => {
    const cookie = protocolError('cookie_not_sent', 'a');
    const suite = protocolError('unoffered_cipher_suite', 'a');
    expect(cookie.alert).toBe(suite.alert);
    expect(cookie.code).toBe(suite.code);
    expect(cookie.reason).not.toBe(suite.reason);
    expect(cookie.toJSON()).not.toEqual(suite.toJSON());
  });

  it('decodeError(reason, …) sends decode_error with the reason', () => {
    const error = decodeError('trailing_bytes', 'ServerHello: 3 unexpected trailing bytes');
    expect({ code: error.code, alert: error.alert, reason: error.reason }).toEqual({ code: 'PROTOCOL_ERROR', alert: 'decode_error', reason: 'trailing_bytes' });
    // @ts-expect-error a decode error takes only the reasons that send decode_error
    decodeError('cookie_not_sent', 'x');
  });

  it('a reason, when given to the constructor, decides the alert', () => {
    const error = new TLSError('PROTOCOL_ERROR', 'm', { reason: 'no_common_group' });
    expect(error.alert).toBe('handshake_failure');
    // @ts-expect-error a reason and an alert never come together: they could disagree
    void new TLSError('PROTOCOL_ERROR', 'm', { reason: 'no_common_group', alert: 'decode_error' });
  });

  it('toJSON has reason, null when there is none', () => {
    expect(protocolError('trailing_bytes', 'm').toJSON()).toEqual({ code: 'PROTOCOL_ERROR', alert: 'decode_error', reason: 'trailing_bytes', message: 'm' });
    expect(Object.keys(protocolError('trailing_bytes', 'm').toJSON())).toEqual(['code', 'alert', 'reason', 'message']);
    expect(new TLSError('TIMEOUT', 't').toJSON()).toEqual({ code: 'TIMEOUT', alert: null, reason: null, message: 't' });
    expect(JSON.parse(JSON.stringify(protocolError('psk_binder_mismatch', 'b')))).toMatchObject({ alert: 'decrypt_error', reason: 'psk_binder_mismatch' });
    const certificate = new CertificateError('CERT_EXPIRED', 'validity', 'expired', { depth: 0 });
    expect(certificate.toJSON()).toMatchObject({ code: 'CERT_EXPIRED', alert: 'certificate_expired', reason: null, check: 'validity', depth: 0 });
  });
});
