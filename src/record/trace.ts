import type { KeyUpdate } from '../messages/types.js';

/** Which keys protect records in one direction. */
export type Epoch = 'plaintext' | 'early' | 'handshake' | 'application';

/**
 * One record exactly as on the wire (lent for the call), traced before it is judged.
 * Protected records carry their sequence number under their key, and the inner plaintext
 * when it was sealed or opened (content type and content, padding removed); a received
 * one that did not open has no `inner`.
 */
export interface RecordTraceEvent {
  kind: 'record';
  direction: 'sent' | 'received';
  bytes: Uint8Array;
  sequence?: number;
  inner?: { type: number; content: Uint8Array };
}

/** A KeyUpdate the record layer sends on its own (RFC 8446 §5.5), not through a handshake state. */
export interface KeyUpdateTraceEvent {
  kind: 'message';
  direction: 'sent';
  message: KeyUpdate;
  raw: Uint8Array;
}

/**
 * Where the record layer reports what it reads and writes (the connection's 'trace' event).
 * `tracing` says whether anyone listens: with no listener the record path does no extra work.
 */
export interface RecordTracer {
  readonly tracing: boolean;
  trace(event: RecordTraceEvent | KeyUpdateTraceEvent): void;
}
