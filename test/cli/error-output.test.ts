import { describe, expect, it } from 'vitest';
import { ExitStatus, classifyError, describeError } from '../../src/cli/output.js';
import { formatTraceEvent } from '../../src/cli/trace.js';
import { TLSError, alertReceived, protocolError } from '../../src/errors.js';
import { AlertDescription } from '../../src/registry.js';
import { CertificateError } from '../../src/x509/certificate-error.js';

/** The CLI's error object and lines carry the rule a protocol error names (error.reason). */
describe('CLI error output', () => {
  it('--json: a protocol error has code, alert, reason and message, in that order', () => {
    const { error, status } = classifyError(protocolError('unoffered_cipher_suite', 'server chose cipher suite 0x1303, which was not offered'));
    expect(status).toBe(ExitStatus.tlsFailure);
    expect(error).toEqual({
      code: 'PROTOCOL_ERROR',
      alert: 'illegal_parameter',
      reason: 'unoffered_cipher_suite',
      message: 'server chose cipher suite 0x1303, which was not offered',
    });
    expect(Object.keys(error)).toEqual(['code', 'alert', 'reason', 'message']);
  });

  it('--json: errors that are not our protocol checks have reason null', () => {
    expect(classifyError(alertReceived(AlertDescription.handshake_failure)).error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'handshake_failure', reason: null });
    const certificate = classifyError(new CertificateError('CERT_EXPIRED', 'validity', 'expired'));
    expect(certificate).toMatchObject({ status: ExitStatus.certificateFailure, error: { code: 'CERT_EXPIRED', reason: null } });
    expect(classifyError(new TLSError('INTERNAL_ERROR', 'bug', { alert: 'internal_error' })).error).toMatchObject({ code: 'PROTOCOL_ERROR', reason: null });
    expect(classifyError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).error).toMatchObject({ code: 'CONNECT_FAILED', reason: null });
  });

  it('the one-line form names the rule after the alert, and leaves out what is absent', () => {
    expect(describeError(protocolError('cookie_not_sent', 'cookie that was never sent'))).toBe('PROTOCOL_ERROR (illegal_parameter) [cookie_not_sent]: cookie that was never sent');
    expect(describeError(alertReceived(AlertDescription.decode_error))).toBe('ALERT_RECEIVED (decode_error): peer sent fatal alert decode_error');
    expect(describeError(new Error('plain'))).toBe('ERROR: plain');
  });

  it('--trace prints a failure with its rule', () => {
    const line = formatTraceEvent({ kind: 'failed', error: protocolError('duplicate_extension', 'duplicate supported_versions extension') }, 'client');
    expect(line).toBe('  ✗   PROTOCOL_ERROR (illegal_parameter) [duplicate_extension]: duplicate supported_versions extension');
  });
});
