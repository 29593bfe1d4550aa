import type { CipherSuiteParams, CryptoProvider } from './crypto/provider.js';
import { protocolError, type TLSError } from './errors.js';
import { handshakeTypeName } from './registry.js';
import type { HandshakeMessage, ReceivedMessage } from './messages/types.js';
import type { SecretName, SecretObserver } from './keyschedule.js';
import type { Epoch, RecordTraceEvent } from './record/trace.js';
import type { Transcript } from './transcript.js';
import type { ChainReport } from './x509/chain-report.js';

/**
 * What the client and server state machines share with the connection that drives them.
 * A state is a type: it holds exactly what its step needs, `handle` checks the message,
 * performs the step and returns the next state, or throws a TLSError carrying the alert.
 */
export interface HandshakeState {
  /** For traces and errors: the state's name, e.g. "ExpectServerHello". */
  readonly name: string;
  handle(received: ReceivedMessage): Promise<HandshakeState>;
}

export type { Epoch } from './record/trace.js';

/**
 * What a handshake established. The application may keep it: it never changes. A later
 * post-handshake authentication makes a new one, reported by the connection's
 * 'authenticated' event (see frozenSessionInfo).
 */
export interface SessionInfo {
  readonly version: 'TLSv1.3';
  readonly cipherSuite: number;
  /** The (EC)DHE group; undefined for psk_ke resumption. */
  readonly group: number | undefined;
  /** The scheme of the peer's CertificateVerify; undefined when it sent none. */
  readonly signatureScheme: number | undefined;
  readonly alpnProtocol: string | undefined;
  readonly serverName: string | undefined;
  readonly helloRetry: boolean;
  readonly resumed: boolean;
  readonly earlyData: 'accepted' | 'rejected' | 'not_offered';
  /** The peer's chain as sent, leaf first (DER). */
  readonly peerCertificates: readonly Uint8Array[];
  /** Whether the peer's chain passed verification. */
  readonly authorized: boolean;
  readonly authorizationError: TLSError | undefined;
}

/**
 * Session info as the state machines hand it out: frozen, with its own frozen copy of the
 * chain list, so that info the application holds from 'handshake' still describes that
 * handshake after a post-handshake authentication (which makes a new object).
 */
export function frozenSessionInfo(info: SessionInfo): SessionInfo {
  return Object.freeze({ ...info, peerCertificates: Object.freeze([...info.peerCertificates]) });
}

/** Structured trace events; the CLI's --trace formats them, nothing listens by default. */
export type TraceEvent =
  /**
   * A handshake message: sent when a state (or the record layer, for KeyUpdate) queues it;
   * received once, right after it was decoded and before any state checked it.
   */
  | { kind: 'message'; direction: 'sent' | 'received'; message: HandshakeMessage; raw: Uint8Array }
  /**
   * A received handshake message that does not decode (its codec refused it): its bytes, traced
   * before the failure it causes, so that a trace still shows what caused the failure.
   */
  | { kind: 'undecodable'; direction: 'received'; type: number; raw: Uint8Array }
  | { kind: 'keys'; direction: 'read' | 'write'; epoch: Epoch }
  /** A secret was derived; the name only; values go to the key log alone. */
  | { kind: 'secret'; name: SecretName }
  | { kind: 'verified'; what: string; ok: boolean; detail?: string }
  /** One record exactly as on the wire, traced before it is judged: see RecordTraceEvent. */
  | RecordTraceEvent
  /** The connection failed: the reason, after the alert (if any) was sent. */
  | { kind: 'failed'; error: TLSError }
  /**
   * How the certificate verifier reached its verdict on the peer's chain (issuers considered,
   * paths validated, identity), traced before the verdict is acted on; only when someone
   * listens to the trace, and only from a verifier that reports (X509Verifier).
   */
  | { kind: 'chain'; report: ChainReport };

export interface HandshakeContext {
  readonly provider: CryptoProvider;
  /** Sees every traffic secret as it is derived (key log, trace). */
  readonly onSecret: SecretObserver | undefined;
  /**
   * Encodes and queues a handshake message under the current write keys; adds it to `transcript`.
   * `encoded` is its encoding when the caller has it already (a message every connection sends
   * the same, such as a server's Certificate).
   */
  sendMessage(message: HandshakeMessage, transcript: Transcript | undefined, encoded?: Uint8Array): Uint8Array;
  /** Queues the middlebox-compatibility change_cipher_spec record (RFC 8446 Appendix D.4). */
  sendChangeCipherSpec(): void;
  /**
   * Sends the handshake messages queued so far now, rather than once the input that caused
   * them is processed (which may be a turn later, after a transport has written what the
   * application sent meanwhile).
   */
  flush(): void;
  installReadKeys(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void;
  installWriteKeys(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void;
  /** Back to unprotected writing: a second ClientHello after 0-RTT goes in the clear. */
  clearWriteKeys(): void;
  /** Client 0-RTT: application data under the early keys just installed. */
  sendEarlyData(data: Uint8Array): void;
  /**
   * Server: 0-RTT was accepted; application data under the early read keys, up to `maxBytes`
   * (RFC 8446 §4.2.10), is delivered until EndOfEarlyData.
   */
  acceptEarlyData(maxBytes: number): void;
  /** The peer's RFC 8449 limit on our records' inner plaintext. */
  setPeerRecordSizeLimit(limit: number): void;
  /**
   * The handshake is done: application data may flow; `secrets` serve KeyUpdate and exporters.
   * The application hears of it once the step is over. `afterwards` is the state's own next
   * step, run once 'handshake' has been delivered (`open`: whether we may still send, not so
   * after a close() or a failure in the listener), so what the listener writes goes first.
   */
  complete(info: SessionInfo, secrets: TrafficSecrets, afterwards?: (open: boolean) => void): void;
  trace(event: TraceEvent): void;
  /** Whether anyone listens to the trace: events that cost work to build are made only then. */
  readonly tracing: boolean;
  /** The peer moved to its next traffic secret; answer if it asked us to (RFC 8446 §4.6.3). */
  peerKeyUpdate(updateRequested: boolean): void;
  /** A ticket the server issued, ready to resume with; reported once the step is over. */
  sessionTicket(ticket: SessionTicket): void;
  /** The current (post-KeyUpdate) application traffic secret of one side. */
  applicationSecret(side: 'client' | 'server'): Uint8Array;
  /**
   * Post-handshake authentication of the client finished: `info` is the session info from now
   * on (a new object when a certificate was accepted; the one before stays as it was),
   * reported once the step is over.
   */
  peerAuthenticated(info: SessionInfo): void;
}

/** A NewSessionTicket the client holds, with the PSK it stands for (RFC 8446 §4.6.1). */
export interface SessionTicket {
  ticket: Uint8Array;
  psk: Uint8Array;
  cipherSuite: number;
  serverName: string | undefined;
  alpnProtocol: string | undefined;
  /** Seconds the ticket may be used for, as the server said (at most 7 days). */
  lifetime: number;
  ageAdd: number;
  /** When it was received (ms since the epoch), for the obfuscated ticket age. */
  receivedAt: number;
  /** From the early_data extension; 0 when 0-RTT is not allowed. */
  maxEarlyDataSize: number;
  /** Whether the session it came from authenticated the server; a resumption inherits it. */
  authorized: boolean;
}

export interface TrafficSecrets {
  suite: CipherSuiteParams;
  clientApplication: Uint8Array;
  serverApplication: Uint8Array;
  exporter: Uint8Array;
}

/** The state machine decides whether a message is allowed here; anything else is unexpected. */
export function expectType<T extends HandshakeMessage['type']>(received: ReceivedMessage, type: T, state: string): ReceivedMessage<Extract<HandshakeMessage, { type: T }>> {
  if (received.message.type !== type) {
    throw protocolError('unexpected_handshake_message', `${state}: received ${handshakeTypeName(received.message.type)}, expected ${handshakeTypeName(type)}`);
  }
  return received as ReceivedMessage<Extract<HandshakeMessage, { type: T }>>;
}
