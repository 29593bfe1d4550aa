import { type CertificateErrorCode, type ProtocolReason, type TLSError, isCertificateErrorCode } from '../errors.js';

/** Exit statuses: a public contract other tools rely on. */
export const ExitStatus = {
  ok: 0,
  usage: 1,
  connectFailure: 2,
  tlsFailure: 3,
  certificateFailure: 4,
} as const;

/** The error codes `--json` reports; engine codes outside this list are folded in. */
export type CliErrorCode = CertificateErrorCode | 'ALERT_RECEIVED' | 'PROTOCOL_ERROR' | 'CONNECT_FAILED' | 'TIMEOUT';

export interface CliError {
  code: CliErrorCode;
  alert: string | null;
  /** The rule the peer broke, when our own check refused it (see PROTOCOL_REASONS); else null. */
  reason: ProtocolReason | null;
  message: string;
}

/** The one-line form of an error: `CODE (alert) [reason]: message`, the parts that exist. */
export function describeError(error: { code?: string; alert?: string | null; reason?: string | null; message: string }): string {
  return `${error.code ?? 'ERROR'}${error.alert ? ` (${error.alert})` : ''}${error.reason ? ` [${error.reason}]` : ''}: ${error.message}`;
}

/** Maps anything that ended a connection to the CLI's error object and exit status. */
export function classifyError(error: unknown): { error: CliError; status: number } {
  const e = error as Partial<Omit<TLSError, 'code'>> & { code?: string; message?: string };
  const message = e.message ?? String(error);
  const alert = e.alert ?? null;
  const reason = e.reason ?? null;
  if (isCertificateErrorCode(e.code)) return { error: { code: e.code, alert, reason: null, message }, status: ExitStatus.certificateFailure };
  switch (e.code) {
    case 'ALERT_RECEIVED':
      return { error: { code: 'ALERT_RECEIVED', alert, reason: null, message }, status: ExitStatus.tlsFailure };
    case 'TIMEOUT':
      return { error: { code: 'TIMEOUT', alert: null, reason: null, message }, status: ExitStatus.connectFailure };
    case 'CONNECT_FAILED':
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EADDRNOTAVAIL':
      return { error: { code: 'CONNECT_FAILED', alert: null, reason: null, message }, status: ExitStatus.connectFailure };
    default:
      // PROTOCOL_ERROR, and the engine's CONNECTION_CLOSED / INTERNAL_ERROR: the TLS session failed.
      return { error: { code: 'PROTOCOL_ERROR', alert, reason, message }, status: ExitStatus.tlsFailure };
  }
}
