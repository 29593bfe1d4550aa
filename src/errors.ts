import { AlertDescription, type AlertName, alertName, isAlertName } from './registry.js';

/**
 * Stable error codes. They are a public contract (the CLI's --json output and exit statuses
 * are built on them): add new ones, never rename.
 */
export type TLSErrorCode =
  /** We detected a protocol violation and sent the fatal alert named in `alert`. */
  | 'PROTOCOL_ERROR'
  /** The peer sent us a fatal alert (named in `alert`). */
  | 'ALERT_RECEIVED'
  | 'CERT_UNTRUSTED'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_HOSTNAME_MISMATCH'
  | 'CERT_BAD_SIGNATURE'
  | 'CERT_INVALID'
  | 'CERT_WEAK'
  /** The transport closed, or the connection was closed, before the operation could finish. */
  | 'CONNECTION_CLOSED'
  /** The caller asked for something impossible (bad option, write after close). */
  | 'INVALID_ARGUMENT'
  /** A bug or a crypto-provider failure: internal_error is sent. */
  | 'INTERNAL_ERROR'
  | 'CONNECT_FAILED'
  | 'TIMEOUT';

export interface TLSErrorOptions {
  /** The alert this error sends (or, for ALERT_RECEIVED, the one received). */
  alert?: AlertName;
  cause?: unknown;
}

export class TLSError extends Error {
  override readonly name = 'TLSError';
  readonly code: TLSErrorCode;
  readonly alert: AlertName | undefined;

  constructor(code: TLSErrorCode, message: string, options: TLSErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.alert = options.alert;
  }

  /** The alert description byte to put on the wire, when this error sends one. */
  get alertCode(): number | undefined {
    return this.alert === undefined ? undefined : AlertDescription[this.alert];
  }

  toJSON(): { code: TLSErrorCode; alert: AlertName | null; message: string } {
    return { code: this.code, alert: this.alert ?? null, message: this.message };
  }
}

/** A malformed message: lengths that overrun, values out of range, trailing bytes. */
export function decodeError(message: string): TLSError {
  return new TLSError('PROTOCOL_ERROR', message, { alert: 'decode_error' });
}

/** A well-formed message that breaks a protocol rule; `alert` is the RFC 8446 §6.2 choice. */
export function protocolError(alert: AlertName, message: string): TLSError {
  return new TLSError('PROTOCOL_ERROR', message, { alert });
}

export function alertReceived(description: number): TLSError {
  const name = alertName(description);
  const known = isAlertName(name) ? name : undefined;
  return new TLSError('ALERT_RECEIVED', `peer sent fatal alert ${name}`, { alert: known });
}

export function internalError(message: string, cause?: unknown): TLSError {
  return new TLSError('INTERNAL_ERROR', message, { alert: 'internal_error', cause });
}

/** Wraps anything thrown into a TLSError so no untyped exception leaves the engine. */
export function asTLSError(error: unknown): TLSError {
  if (error instanceof TLSError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return internalError(`internal failure: ${detail}`, error);
}
