import type { ChainReport } from './chain-report.js';
import type { TLSError } from '../errors.js';

/**
 * The seam between the handshake and certificate validation. The state machines hand the
 * peer's chain (as sent, leaf first, DER) to a verifier and act on its verdict; whether a
 * failed verdict aborts the handshake is the connection's policy (rejectUnauthorized), so a
 * verifier reports rather than throws.
 */
export interface VerificationContext {
  /** Whose certificate is checked: 'server' when we are the client, 'client' for mutual TLS. */
  peerRole: 'server' | 'client';
  /** The name the client asked for (SNI / servername); checked against the leaf for servers. */
  serverName?: string;
  /** Validation time; defaults to now. */
  now?: Date;
  /**
   * Told how the verdict was reached (X509Verifier: every issuer considered and why it was
   * taken or refused, every path validated, the identity check), once, before verify resolves.
   * For explanations (wiretls explain); without it the verifier builds no report.
   */
  observe?: (report: ChainReport) => void;
}

export type VerificationResult = { ok: true } | { ok: false; error: TLSError };

export interface CertificateVerifier {
  verify(chain: readonly Uint8Array[], context: VerificationContext): Promise<VerificationResult>;
}
