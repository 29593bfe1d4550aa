import { TLSError, protocolError } from '../errors.js';
import { type AssembledMessage, HandshakeReassembler } from '../messages/reassembler.js';
import { ContentType } from '../registry.js';
import { concatBytes } from '../wire/bytes.js';
import { checkChangeCipherSpec } from './change-cipher-spec.js';
import { type DeframedRecord, Deframer } from './deframer.js';
import { MAX_INNER_PLAINTEXT_LENGTH, MAX_PLAINTEXT_LENGTH } from './framing.js';
import type { RecordProtector } from './protection.js';
import type { Epoch, RecordTracer } from './trace.js';

/**
 * The receiving half of the record layer: transport bytes in, whole handshake messages out
 * (through `next`), alerts and application data handed to the connection as they come. It
 * knows which keys the peer writes under, what may arrive when, and what is dropped unread.
 */

/**
 * Ciphertext bytes of rejected 0-RTT data a server skips before giving up: a client may send
 * what its ticket allowed (16384 is the common max_early_data_size), plus record overhead
 * (OpenSSL allows the same margin). A server that allows more skips more: see
 * earlyDataSkipBudget.
 */
const MAX_SKIPPED_EARLY_DATA = 16384 + 256;

/**
 * RFC 8446 §4.2.10: rejected early data is skipped "up to the configured max_early_data_size",
 * counted here as ciphertext: the allowance plus 256 bytes of record overhead per full record.
 */
export function earlyDataSkipBudget(maxEarlyDataSize: number): number {
  return Math.max(MAX_SKIPPED_EARLY_DATA, maxEarlyDataSize + 256 * (Math.ceil(maxEarlyDataSize / MAX_PLAINTEXT_LENGTH) + 1));
}

/**
 * A peer that goes away is an event, not a place in our code, and a common one (clients drop
 * connections without close_notify all the time): its error carries no stack trace, which
 * saves capturing one, and formatting it when a stream's destroy() reads error.stack.
 */
function transportClosedError(message: string): TLSError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new TLSError('CONNECTION_CLOSED', message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** What the connection does with the records that are not handshake messages. */
export interface InboundHandler {
  /** The content of an alert record (not yet checked). */
  alert(content: Uint8Array): void;
  /** Application data, never empty. */
  data(content: Uint8Array): void;
}

/**
 * RFC 8446 §5 and Appendix D.4: an unprotected change_cipher_spec is dropped between the first
 * ClientHello and the peer's Finished, and unexpected before and after.
 */
type ChangeCipherSpecWindow = 'not_yet_open' | 'open' | 'closed';

export interface InboundOptions {
  maxHandshakeMessageSize: number | undefined;
  /** Server: how much rejected 0-RTT data to skip (see earlyDataSkipBudget). */
  earlyDataSkipLimit: number;
}

export class InboundRecords {
  private readonly deframer = new Deframer();
  private readonly reassembler: HandshakeReassembler;
  private protector: RecordProtector | undefined;
  private epoch: Epoch = 'plaintext';
  /** Read keys changed since handshakeStepStarted (see handshakeStepEnded). */
  private keysChangedInStep = false;
  /**
   * Whether an unprotected alert is still believable although we read with keys: until the
   * peer's first record authenticates, it may not have keys yet (a client rejecting our
   * ServerHello can only answer in the clear).
   */
  private plaintextAlertsAllowed = true;
  private changeCipherSpec: ChangeCipherSpecWindow = 'not_yet_open';
  /** change_cipher_spec records dropped so far; a flood of them is refused (see checkChangeCipherSpec). */
  private droppedChangeCipherSpecs = 0;
  /**
   * Server only: what is left of the rejected 0-RTT data we may still skip (RFC 8446 §4.2.10).
   * A ClientHello offering early data arms this; accepting the early data disarms it.
   */
  private earlyDataToSkip = 0;
  /** Server only: 0-RTT bytes still allowed after we accepted early data. */
  private earlyDataAllowed = 0;
  /** The largest TLSInnerPlaintext we accept: ours once record_size_limit was agreed. */
  private innerPlaintextLimit = MAX_INNER_PLAINTEXT_LENGTH;
  /** After close_notify or a failure: nothing more is read. */
  private stopped = false;

  constructor(
    private readonly options: InboundOptions,
    private readonly handler: InboundHandler,
    private readonly tracer: RecordTracer,
  ) {
    this.reassembler = new HandshakeReassembler(options.maxHandshakeMessageSize);
  }

  /** Bytes from the transport, in any chunking; a bad record header throws once reached. */
  push(bytes: Uint8Array): void {
    this.deframer.push(bytes);
  }

  /** See Deframer.detachQueued: `lent` is about to be reused by the transport. */
  detachQueued(lent: Uint8Array): void {
    this.deframer.detachQueued(lent);
  }

  get bufferedBytes(): number {
    return this.deframer.bufferedBytes;
  }

  /**
   * Reads records until a handshake message is complete and returns it, or returns undefined
   * once the records received so far are used up (or reading stopped). Alerts and application
   * data met on the way go to the handler.
   */
  next(): AssembledMessage | undefined {
    for (;;) {
      if (this.stopped) return undefined;
      const message = this.reassembler.next();
      if (message) return message;
      const record = this.deframer.next();
      if (!record) return undefined;
      this.read(record);
    }
  }

  /** Forgets what is buffered and reads nothing more (RFC 8446 §6.1: after close_notify). */
  stop(): void {
    this.stopped = true;
    this.deframer.discard();
  }

  /** stop(), and the read key goes too: the connection failed. */
  dispose(): void {
    this.stop();
    this.protector?.dispose();
  }

  /** The first ClientHello was sent or received: change_cipher_spec may come from now on. */
  handshakeStarted(): void {
    if (this.changeCipherSpec === 'not_yet_open') this.changeCipherSpec = 'open';
  }

  /** Server: a ClientHello arrived; when it offers early data, that much may be skipped unread. */
  clientHelloReceived(offersEarlyData: boolean): void {
    // A second ClientHello with early_data is rejected by the state machine.
    this.earlyDataToSkip = offersEarlyData ? this.options.earlyDataSkipLimit : 0;
  }

  /** Server: 0-RTT was accepted; up to `maxBytes` of it is delivered (RFC 8446 §4.2.10). */
  acceptEarlyData(maxBytes: number): void {
    this.earlyDataToSkip = 0;
    this.earlyDataAllowed = maxBytes;
  }

  /** RFC 8449 §4: both sides sent record_size_limit, so ours binds the peer's records. */
  limitRecordSize(ownLimit: number): void {
    this.innerPlaintextLimit = Math.min(MAX_INNER_PLAINTEXT_LENGTH, ownLimit);
  }

  /** For the next read key: the largest TLSInnerPlaintext it may open. */
  get plaintextLimit(): number {
    return this.innerPlaintextLimit;
  }

  /** The peer writes under new keys from its next record on. */
  installKeys(protector: RecordProtector, epoch: Epoch): void {
    this.protector?.dispose();
    this.protector = protector;
    this.epoch = epoch;
    this.keysChangedInStep = true;
    // Application keys are installed after the peer's Finished: the window has passed.
    if (epoch === 'application') this.changeCipherSpec = 'closed';
  }

  /**
   * The transport closed before close_notify: a truncation attack or a crash, which the
   * application must not mistake for a clean end (RFC 8446 §6.1). `established`: whether the
   * handshake had completed.
   */
  endOfInput(established: boolean): TLSError {
    const where = established ? 'without close_notify' : 'during the handshake';
    const cut = this.deframer.partialRecordBytes;
    const truncated = cut > 0 ? ` (${cut} bytes of a record cut off)` : '';
    return transportClosedError(`transport closed ${where}${truncated}`);
  }

  /** A handshake state starts on a message; see handshakeStepEnded. */
  handshakeStepStarted(): void {
    this.keysChangedInStep = false;
  }

  /** RFC 8446 §5.1: a handshake message must not span a key change. */
  handshakeStepEnded(): void {
    if (this.keysChangedInStep && this.reassembler.hasPartial) {
      throw protocolError('handshake_spans_key_change', 'handshake message spans a key change');
    }
  }

  private read(record: DeframedRecord): void {
    const { type, fragment } = record;
    if (!this.protector || type !== ContentType.application_data) this.traceRecord(record);
    if (type === ContentType.change_cipher_spec) {
      // RFC 8446 §5: one byte 0x01, between the first ClientHello and the peer's Finished,
      // is dropped; any other change_cipher_spec is unexpected.
      if (this.changeCipherSpec !== 'open') throw protocolError('unexpected_change_cipher_spec', 'change_cipher_spec outside the handshake');
      checkChangeCipherSpec(fragment, this.droppedChangeCipherSpecs++);
      return;
    }
    if (this.protector) {
      // RFC 8446 §6: alerts go out under the sender's current keys. A client that rejects the
      // ServerHello never derives handshake keys, so its alert arrives in the clear while we
      // already read with keys; refusing it would turn its alert into our unexpected_message.
      // Accepted only until the peer's first protected record (as OpenSSL does).
      if (type === ContentType.alert && this.plaintextAlertsAllowed) {
        this.handler.alert(fragment);
        return;
      }
      if (type !== ContentType.application_data) throw protocolError('unprotected_record', 'unprotected record after keys were installed');
      const opened = this.unprotect(this.protector, record);
      if (opened) this.deliver(opened.type, opened.content);
      return;
    }
    if (type === ContentType.application_data) {
      // RFC 8446 §4.2.10: after a HelloRetryRequest, 0-RTT records before the second
      // ClientHello are dropped unread.
      if (this.skipEarlyData(fragment.length)) return;
      throw protocolError('application_data_before_handshake', 'application data before the handshake');
    }
    this.deliver(type, fragment);
  }

  /** Opens a protected record; undefined when it was rejected 0-RTT data, skipped. */
  private unprotect(protector: RecordProtector, record: DeframedRecord): { type: number; content: Uint8Array } | undefined {
    // Read only for a trace: with no listener the record path does no extra work.
    const sequence = this.tracer.tracing ? protector.recordsProtected : undefined;
    let opened: { type: number; content: Uint8Array };
    try {
      opened = protector.unprotect(record.header, record.fragment);
      if (sequence !== undefined) this.traceRecord(record, sequence, opened);
    } catch (error) {
      if (sequence !== undefined) this.traceRecord(record, sequence);
      // RFC 8446 §4.2.10: rejected 0-RTT records fail under the handshake keys and are
      // dropped; the first record that deprotects starts the client's real flight. Past
      // the allowance it is more early data than the server allowed: unexpected_message.
      if (error instanceof TLSError && error.alert === 'bad_record_mac' && this.epoch === 'handshake' && this.earlyDataToSkip > 0) {
        if (this.skipEarlyData(record.fragment.length)) return undefined;
        throw protocolError('too_much_early_data', 'more rejected 0-RTT data than max_early_data_size');
      }
      throw error;
    }
    // The plaintext is a new array: the ciphertext's buffer can serve the next record.
    this.deframer.recycle(record);
    this.earlyDataToSkip = 0;
    this.plaintextAlertsAllowed = false;
    return opened;
  }

  /** A record's content by its (inner) content type. */
  private deliver(contentType: number, content: Uint8Array): void {
    switch (contentType) {
      case ContentType.handshake:
        if (content.length === 0) throw protocolError('empty_record', 'empty handshake record');
        this.reassembler.push(content);
        return;
      case ContentType.alert:
        this.handler.alert(content);
        return;
      case ContentType.application_data:
        if (this.epoch === 'early') this.countEarlyData(content.length);
        else if (this.epoch !== 'application') throw protocolError('application_data_under_handshake_keys', 'application data under handshake keys');
        // RFC 8446 §5.1: "if a handshake message is split over two or more records, there MUST
        // NOT be any other records between them".
        if (this.reassembler.hasPartial) throw protocolError('interleaved_application_data', 'application data inside a fragmented handshake message');
        if (content.length > 0) this.handler.data(content);
        return;
      default:
        throw protocolError('invalid_inner_content_type', `unexpected content type ${contentType} in a protected record`);
    }
  }

  /** RFC 8446 §4.2.10: more 0-RTT data than we allowed is unexpected_message. */
  private countEarlyData(length: number): void {
    if (length > this.earlyDataAllowed) throw protocolError('too_much_early_data', 'more 0-RTT data than max_early_data_size');
    this.earlyDataAllowed -= length;
  }

  private skipEarlyData(length: number): boolean {
    if (this.earlyDataToSkip === 0 || this.earlyDataToSkip < length) return false;
    this.earlyDataToSkip -= length;
    return true;
  }

  /** A received record for the trace (before it is judged); see RecordTraceEvent. */
  private traceRecord(record: DeframedRecord, sequence?: number, inner?: { type: number; content: Uint8Array }): void {
    if (!this.tracer.tracing) return;
    const bytes = concatBytes(record.header, record.fragment);
    this.tracer.trace({ kind: 'record', direction: 'received', bytes, ...(sequence === undefined ? {} : { sequence }), ...(inner ? { inner } : {}) });
  }
}
