import { startClientHandshake } from './client/start.js';
import { type ClientConfig, type ServerConfig, resolveCommon } from './config.js';
import { type CipherSuiteParams, type CryptoProvider, type MaybePromise, isPending } from './crypto/provider.js';
import { TLSError, alertReceived, asTLSError, decodeError, protocolError } from './errors.js';
import type { Epoch, HandshakeContext, HandshakeState, SessionInfo, SessionTicket, TraceEvent, TrafficSecrets } from './handshake-context.js';
import { type DerivationObserver, type SecretName, type SecretObserver, exportKeyingMaterial, nextTrafficSecret, trafficKeys } from './keyschedule.js';
import { decodeHandshake, encodeHandshake } from './messages/handshake.js';
import { HandshakeReassembler } from './messages/reassembler.js';
import { AlertDescription, AlertLevel, ContentType, ExtensionType, HandshakeType, KeyUpdateRequest } from './registry.js';
import type { HandshakeMessage } from './messages/types.js';
import { type DeframedRecord, Deframer } from './record/deframer.js';
import type { RecordBufferPool } from './record/buffer-pool.js';
import { RecordProtector, type RecordProtectorOptions, keyUpdateThreshold } from './record/protection.js';
import { changeCipherSpecRecord, checkChangeCipherSpec, plaintextRecords } from './record/writer.js';
import { ServerConnected } from './server/connected.js';
import { ExpectClientHello } from './server/states.js';
import type { Transcript } from './transcript.js';
import { concatBytes, zeroize } from './wire/bytes.js';

/**
 * The sans-I/O TLS 1.3 connection: feed it transport bytes with `receive`, write application
 * data with `write`, and it calls `send` with bytes for the transport and reports what
 * happens through the other events. It owns the record layer and hands handshake messages to
 * the client or server state machine.
 */

export interface ConnectionEvents {
  /** Bytes for the transport, in order. */
  send: (bytes: Uint8Array) => void;
  /** The handshake completed; application data may flow both ways. */
  handshake: (info: SessionInfo) => void;
  /** Application data from the peer. */
  data: (bytes: Uint8Array) => void;
  /** The peer sent close_notify: it will send no more data (we still may). */
  end: () => void;
  /** A fatal error; the alert (if any) was sent and the connection is closed. */
  error: (error: TLSError) => void;
  /** The server issued a ticket (clients only). */
  session: (ticket: SessionTicket) => void;
  /** Structured trace of the handshake (for --trace). */
  trace: (event: TraceEvent) => void;
  /**
   * Server: post-handshake client authentication completed; `info` is the session info from
   * now on (a new object when a certificate was accepted; what 'handshake' gave stays as it was).
   */
  authenticated: (info: SessionInfo) => void;
}

/** Per event: none, the one listener, or a list of them; see `on`. */
type Listeners = { [K in keyof ConnectionEvents]: ConnectionEvents[K] | ConnectionEvents[K][] | undefined };

/** Until a ClientHello names the connection; and for good when no key log wants the name. */
const UNKNOWN_CLIENT_RANDOM = new Uint8Array(32);

/** Max bytes of plaintext we put in one record (RFC 8446 §5.1). */
const MAX_FRAGMENT = 16384;
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
function earlyDataSkipBudget(maxEarlyDataSize: number): number {
  return Math.max(MAX_SKIPPED_EARLY_DATA, maxEarlyDataSize + 256 * (Math.ceil(maxEarlyDataSize / MAX_FRAGMENT) + 1));
}

export type ConnectionState = 'handshaking' | 'connected' | 'closed';

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

export abstract class Connection {
  private readonly listeners: Listeners = {
    send: undefined,
    handshake: undefined,
    data: undefined,
    end: undefined,
    error: undefined,
    session: undefined,
    trace: undefined,
    authenticated: undefined,
  };
  private readonly deframer = new Deframer();
  private readonly reassembler: HandshakeReassembler;
  private handshakeState: HandshakeState | undefined;
  private reader: RecordProtector | undefined;
  private writer: RecordProtector | undefined;
  /** Where the writer builds records; see useRecordBuffers. */
  private allocateRecord: ((length: number) => Uint8Array) | undefined;
  private readEpoch: Epoch = 'plaintext';
  private readKeysChanged = false;
  /**
   * Whether an unprotected alert is still believable although we read with keys: until the
   * peer's first record authenticates, it may not have keys yet (a client rejecting our
   * ServerHello can only answer in the clear).
   */
  private plaintextAlertsAllowed = true;
  /** transportClosed() was called: no more bytes will come. */
  private transportEnded = false;
  /** Handshake bytes waiting to be framed, so a flight shares records (RFC 8448 shows this). */
  private pendingHandshake: Uint8Array[] = [];
  private pendingHandshakeLength = 0;
  private maxSendFragment = MAX_FRAGMENT;
  /** The largest TLSInnerPlaintext we accept: ours once record_size_limit was agreed. */
  private receiveLimit = MAX_FRAGMENT + 1;
  private busy = false;
  /** Client: start() is waiting for its ClientHello's key shares (see startHandshake). */
  private firstFlightPending = false;
  private closeAfterFirstFlight = false;
  private idleWaiters: (() => void)[] = [];
  private queuedWrites: Uint8Array[] = [];
  private secrets: TrafficSecrets | undefined;
  private sessionInfo: SessionInfo | undefined;
  private failure: TLSError | undefined;
  private receivedCloseNotify = false;
  private sentCloseNotify = false;
  private peerFinished = false;
  /** change_cipher_spec records dropped so far; a flood of them is refused (see checkChangeCipherSpec). */
  private droppedChangeCipherSpecs = 0;
  private handshakeStarted = false;
  /** An update we sent and the peer has not yet answered: do not answer its request twice. */
  private keyUpdatePending = false;
  /**
   * Server only: what is left of the rejected 0-RTT data we may still skip (RFC 8446 §4.2.10).
   * A ClientHello offering early data arms this; accepting the early data disarms it.
   */
  private earlyDataToSkip = 0;
  /** Server only: what a ClientHello offering early data arms earlyDataToSkip with. */
  private earlyDataSkipLimit = MAX_SKIPPED_EARLY_DATA;
  /** Server only: 0-RTT bytes still allowed after we accepted early data. */
  private earlyDataAllowed = 0;
  /** Names this connection in key logs (kept only for one); known once a ClientHello was sent or received. */
  private clientRandom = UNKNOWN_CLIENT_RANDOM;

  protected constructor(
    readonly role: 'client' | 'server',
    maxHandshakeMessageSize: number | undefined,
    private readonly ownRecordSizeLimit: number | undefined,
    private readonly onSecret: ((name: SecretName, secret: Uint8Array, clientRandom: Uint8Array) => void) | undefined,
    private readonly keyUpdateAfterRecords: number | undefined,
    /** Sees every key schedule step with its values (wiretls explain); see KeyDerivation. */
    private readonly onKeyDerivation?: DerivationObserver,
  ) {
    this.reassembler = new HandshakeReassembler(maxHandshakeMessageSize);
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): this {
    // As EventEmitter does, a lone listener is kept as itself, and a list is replaced by one of
    // exactly its listeners rather than grown: a connection lives long with the one listener
    // per event it gets at the start, and push would give each list room for 17.
    const current = this.listeners[event];
    this.listeners[event] = (current === undefined ? listener : Array.isArray(current) ? [...current, listener] : [current, listener]) as Listeners[K];
    return this;
  }

  private emit<K extends keyof ConnectionEvents>(event: K, ...args: Parameters<ConnectionEvents[K]>): void {
    type Listener = (...a: Parameters<ConnectionEvents[K]>) => void;
    const current = this.listeners[event] as Listener | Listener[] | undefined;
    if (current === undefined) return;
    if (Array.isArray(current)) for (const listener of current) listener(...args);
    else current(...args);
  }

  get state(): ConnectionState {
    if (this.failure || (this.sentCloseNotify && this.receivedCloseNotify)) return 'closed';
    return this.sessionInfo ? 'connected' : 'handshaking';
  }

  /** What was negotiated; undefined until the handshake completes. */
  get session(): SessionInfo | undefined {
    return this.sessionInfo;
  }

  get error(): TLSError | undefined {
    return this.failure;
  }

  /** Bytes received but not yet processed: a transport should stop reading while this is large. */
  get bufferedBytes(): number {
    return this.deframer.bufferedBytes;
  }

  /** Resolves once every received byte has been processed (handshake steps may be async). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- input ---------------------------------------------------------------------------

  /** Feeds bytes from the transport, in any chunking. */
  receive(bytes: Uint8Array): void {
    if (this.failure || this.receivedCloseNotify) return;
    try {
      this.deframer.push(bytes);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.pump();
  }

  /**
   * receive() for bytes that are only lent for this call: a transport that reads every chunk
   * into the same buffer. What must outlive the call is copied. Before the handshake is done
   * that is the whole chunk, because the handshake keeps parts of the plaintext hello messages;
   * afterwards every record is protected and decrypts into new memory, so only records still
   * queued behind a handshake step in progress (a NewSessionTicket, say) need copies.
   */
  receiveBorrowed(bytes: Uint8Array): void {
    if (!this.sessionInfo) {
      // A copy whatever `bytes` is: on a Buffer, slice() would be another view.
      this.receive(new Uint8Array(bytes));
      return;
    }
    this.receive(bytes);
    this.deframer.detachQueued(bytes);
  }

  /**
   * The transport closed. Before close_notify that is a truncation attack or a crash, which
   * the application must not mistake for a clean end (RFC 8446 §6.1).
   */
  transportClosed(): void {
    if (this.failure || this.receivedCloseNotify) return;
    // Records that arrived before the end are read first (an alert or close_notify among them
    // says why the peer left), after any handshake step still running; see checkTransportEnd.
    this.transportEnded = true;
    this.pump();
  }

  private checkTransportEnd(): void {
    if (!this.transportEnded || this.busy || this.failure || this.receivedCloseNotify) return;
    const where = this.sessionInfo ? 'without close_notify' : 'during the handshake';
    const truncated = this.deframer.partialRecordBytes > 0 ? ` (${this.deframer.partialRecordBytes} bytes of a record cut off)` : '';
    this.fail(transportClosedError(`transport closed ${where}${truncated}`), false);
  }

  private pump(): void {
    if (this.busy) return;
    try {
      for (;;) {
        if (this.failure || this.receivedCloseNotify) break;
        const message = this.reassembler.next();
        if (message) {
          this.dispatchHandshake(message.type, message.body, message.raw);
          if (this.busy) return;
          continue;
        }
        const record = this.deframer.next();
        if (!record) break;
        this.processRecord(record);
      }
    } catch (error) {
      this.fail(error);
    }
    this.flushHandshake();
    this.checkTransportEnd();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** A received record for the trace (before it is judged); see TraceEvent 'record'. */
  private traceRecord(record: DeframedRecord, sequence?: number, inner?: { type: number; content: Uint8Array }): void {
    if (this.listeners.trace === undefined) return;
    const bytes = concatBytes(record.header, record.fragment);
    this.emit('trace', { kind: 'record', direction: 'received', bytes, ...(sequence === undefined ? {} : { sequence }), ...(inner ? { inner } : {}) });
  }

  private processRecord(record: DeframedRecord): void {
    const { type, fragment, header } = record;
    if (!this.reader || type !== ContentType.application_data) this.traceRecord(record);
    if (type === ContentType.change_cipher_spec) {
      // RFC 8446 §5: one byte 0x01, between the first ClientHello and the peer's Finished,
      // is dropped; any other change_cipher_spec is unexpected.
      if (!this.handshakeStarted || this.peerFinished) throw protocolError('unexpected_message', 'change_cipher_spec outside the handshake');
      checkChangeCipherSpec(fragment, this.droppedChangeCipherSpecs++);
      return;
    }
    let contentType = type;
    let content = fragment;
    if (this.reader) {
      // RFC 8446 §6: alerts go out under the sender's current keys. A client that rejects the
      // ServerHello never derives handshake keys, so its alert arrives in the clear while we
      // already read with keys; refusing it would turn its alert into our unexpected_message.
      // Accepted only until the peer's first protected record (as OpenSSL does).
      if (type === ContentType.alert && this.plaintextAlertsAllowed) {
        this.processAlert(fragment);
        return;
      }
      if (type !== ContentType.application_data) throw protocolError('unexpected_message', 'unprotected record after keys were installed');
      // Read only for a trace: with no listener the record path does no extra work.
      const sequence = this.listeners.trace === undefined ? undefined : this.reader.recordsProtected;
      try {
        ({ type: contentType, content } = this.reader.unprotect(header, fragment));
        if (sequence !== undefined) this.traceRecord(record, sequence, { type: contentType, content });
      } catch (error) {
        if (sequence !== undefined) this.traceRecord(record, sequence);
        // RFC 8446 §4.2.10: rejected 0-RTT records fail under the handshake keys and are
        // dropped; the first record that deprotects starts the client's real flight. Past
        // the allowance it is more early data than the server allowed: unexpected_message.
        if (error instanceof TLSError && error.alert === 'bad_record_mac' && this.readEpoch === 'handshake' && this.earlyDataToSkip > 0) {
          if (this.skipEarlyData(fragment.length)) return;
          throw protocolError('unexpected_message', 'more rejected 0-RTT data than max_early_data_size');
        }
        throw error;
      }
      // The plaintext is a new array: the ciphertext's buffer can serve the next record.
      this.deframer.recycle(record);
      this.earlyDataToSkip = 0;
      this.plaintextAlertsAllowed = false;
    } else if (type === ContentType.application_data) {
      // RFC 8446 §4.2.10: after a HelloRetryRequest, 0-RTT records before the second
      // ClientHello are dropped unread.
      if (this.skipEarlyData(fragment.length)) return;
      throw protocolError('unexpected_message', 'application data before the handshake');
    }

    switch (contentType) {
      case ContentType.handshake:
        if (content.length === 0) throw protocolError('unexpected_message', 'empty handshake record');
        this.reassembler.push(content);
        return;
      case ContentType.alert:
        this.processAlert(content);
        return;
      case ContentType.application_data:
        if (this.readEpoch === 'early') this.countEarlyData(content.length);
        else if (this.readEpoch !== 'application') throw protocolError('unexpected_message', 'application data under handshake keys');
        // RFC 8446 §5.1: "if a handshake message is split over two or more records, there MUST
        // NOT be any other records between them".
        if (this.reassembler.hasPartial) throw protocolError('unexpected_message', 'application data inside a fragmented handshake message');
        if (content.length > 0) this.emit('data', content);
        return;
      default:
        throw protocolError('unexpected_message', `unexpected content type ${contentType} in a protected record`);
    }
  }

  /** RFC 8446 §4.2.10: more 0-RTT data than we allowed is unexpected_message. */
  private countEarlyData(length: number): void {
    if (length > this.earlyDataAllowed) throw protocolError('unexpected_message', 'more 0-RTT data than max_early_data_size');
    this.earlyDataAllowed -= length;
  }

  private skipEarlyData(length: number): boolean {
    if (this.earlyDataToSkip === 0 || this.earlyDataToSkip < length) return false;
    this.earlyDataToSkip -= length;
    return true;
  }

  private processAlert(content: Uint8Array): void {
    if (content.length !== 2) throw decodeError('alert record must hold exactly one alert');
    const description = content[1]!;
    if (description === AlertDescription.close_notify) {
      // RFC 8446 §6.1: the peer will send nothing more. Before our handshake completed that
      // means it never will: a failure to report, not an end of data to wait past (the later
      // transportClosed would be ignored and the handshake would hang).
      if (!this.sessionInfo) {
        this.fail(new TLSError('CONNECTION_CLOSED', 'peer sent close_notify during the handshake'), false);
        return;
      }
      this.receivedCloseNotify = true;
      this.deframer.discard();
      this.emit('end');
      return;
    }
    // RFC 8446 §6: user_canceled is a warning that a close_notify follows; every other alert
    // is fatal whatever level it claims.
    if (description === AlertDescription.user_canceled) return;
    this.fail(alertReceived(description), false);
  }

  private dispatchHandshake(type: number, body: Uint8Array, raw: Uint8Array): void {
    const state = this.handshakeState;
    if (!state) throw protocolError('unexpected_message', 'handshake message before the handshake started');
    const message = decodeHandshake(type, body);
    if (message.type === HandshakeType.client_hello) {
      if (this.onSecret) this.clientRandom = message.random.slice();
      // A second ClientHello with early_data is rejected by the state machine.
      if (this.role === 'server') this.earlyDataToSkip = message.extensions.some((e) => e.type === ExtensionType.early_data) ? this.earlyDataSkipLimit : 0;
    }
    this.handshakeStarted = true;
    this.busy = true;
    this.readKeysChanged = false;
    state.handle({ message, raw }).then(
      (next) => {
        this.handshakeState = next;
        this.busy = false;
        // RFC 8446 §5.1: a handshake message must not span a key change.
        if (this.readKeysChanged && this.reassembler.hasPartial) {
          this.fail(protocolError('unexpected_message', 'handshake message spans a key change'));
        }
        this.pump();
      },
      (error: unknown) => {
        this.busy = false;
        try {
          this.fail(error);
        } finally {
          this.notifyIdle();
        }
      },
    );
  }

  // ---- output --------------------------------------------------------------------------

  /** Queues application data; before the handshake completes it is held until then. */
  write(data: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (this.sentCloseNotify || this.closeAfterFirstFlight) throw new TLSError('CONNECTION_CLOSED', 'write after close');
    if (!this.sessionInfo) {
      this.queuedWrites.push(data.slice());
      return;
    }
    this.sendProtected(ContentType.application_data, data);
  }

  /** Sends close_notify: we will write no more. Reading goes on until the peer closes. */
  close(): void {
    if (this.failure || this.sentCloseNotify) return;
    // The ClientHello is still being made (asynchronous key generation): close after it.
    if (this.firstFlightPending) {
      this.closeAfterFirstFlight = true;
      return;
    }
    this.sentCloseNotify = true;
    this.sendAlert(AlertDescription.close_notify);
  }

  /**
   * Builds protected records in `pool`'s buffers from now on. Each buffer a 'send' listener
   * gets is then lent: the transport gives it back with `pool.release(bytes)` once it has
   * written it, and must not read it after that. Plaintext records stay ordinary allocations.
   * Applies to sending keys installed from then on: call it before the handshake starts.
   */
  useRecordBuffers(pool: RecordBufferPool): void {
    this.allocateRecord = (length) => pool.acquire(length);
  }

  /** Sends KeyUpdate and moves to our next sending key (RFC 8446 §4.6.3). */
  updateKeys(requestPeerUpdate = false): void {
    if (!this.secrets || this.failure || this.sentCloseNotify) throw new TLSError('INVALID_ARGUMENT', 'KeyUpdate needs an open, established connection');
    this.sendKeyUpdate(requestPeerUpdate);
  }

  /** RFC 8446 §7.5 / RFC 5705 keying material exporter. */
  exportKeyingMaterial(length: number, label: string, context: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (!this.secrets) throw new TLSError('INVALID_ARGUMENT', 'keying material is available after the handshake');
    if (this.failure) throw new TLSError('INVALID_ARGUMENT', 'the connection failed; its secrets are gone');
    return exportKeyingMaterial(this.provider(), this.secrets.suite.hash, this.secrets.exporter, label, context, length);
  }

  protected abstract provider(): CryptoProvider;

  private sendKeyUpdate(requestPeerUpdate: boolean): void {
    const secrets = this.secrets!;
    const request = requestPeerUpdate ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested;
    const message = { type: HandshakeType.key_update, requestUpdate: request } as const;
    const raw = encodeHandshake(message);
    // Not sent through a handshake state, so traced here: --trace shows both sides' updates.
    this.emit('trace', { kind: 'message', direction: 'sent', message, raw });
    this.queueHandshake(raw);
    this.flushHandshake();
    const mine = this.role === 'client' ? 'clientApplication' : 'serverApplication';
    const previous = secrets[mine];
    secrets[mine] = this.nextSecret(secrets.suite.hash, previous, 'write');
    zeroize(previous);
    this.setWriter(secrets.suite, secrets[mine], 'application');
    if (requestPeerUpdate) this.keyUpdatePending = true;
  }

  private sendProtected(type: number, data: Uint8Array): void {
    const max = this.maxSendFragment;
    for (let offset = 0; offset < data.length || (offset === 0 && data.length === 0); offset += max) {
      // RFC 8446 §5.5: past the key's usage limit, a new key before the next record. Only
      // application traffic keys arm the limit, and the KeyUpdate itself (a handshake record)
      // still goes under the old key, as §4.6.3 requires.
      if (type === ContentType.application_data && this.writer!.keyUpdateDue) this.sendKeyUpdate(false);
      this.sendRecord(type, data.subarray(offset, offset + max));
      if (data.length === 0) break;
    }
  }

  /** Protects one record and sends it; the trace sees it first, while its buffer is ours. */
  private sendRecord(type: number, content: Uint8Array): void {
    const writer = this.writer!;
    if (this.listeners.trace === undefined) {
      this.emit('send', writer.protect(type, content));
      return;
    }
    const sequence = writer.recordsProtected;
    const record = writer.protect(type, content);
    this.emit('trace', { kind: 'record', direction: 'sent', bytes: record, sequence, inner: { type, content } });
    this.emit('send', record);
  }

  /** Sends an unprotected record (hellos, change_cipher_spec, alerts before keys). */
  private sendPlaintext(record: Uint8Array): void {
    if (this.listeners.trace !== undefined) this.emit('trace', { kind: 'record', direction: 'sent', bytes: record });
    this.emit('send', record);
  }

  private sendAlert(description: number): void {
    this.flushHandshake();
    const body = new Uint8Array([
      description === AlertDescription.close_notify || description === AlertDescription.user_canceled ? AlertLevel.warning : AlertLevel.fatal,
      description,
    ]);
    if (this.writer) this.sendRecord(ContentType.alert, body);
    else for (const record of plaintextRecords(ContentType.alert, body, MAX_FRAGMENT)) this.sendPlaintext(record);
  }

  private queueHandshake(raw: Uint8Array): void {
    this.pendingHandshake.push(raw);
    this.pendingHandshakeLength += raw.length;
  }

  private flushHandshake(): void {
    if (this.pendingHandshakeLength === 0) return;
    const data = this.pendingHandshake.length === 1 ? this.pendingHandshake[0]! : concatBytes(...this.pendingHandshake);
    this.pendingHandshake = [];
    this.pendingHandshakeLength = 0;
    // RFC 8446 §6.1: nothing follows our close_notify (sendAlert flushed what came before it).
    // What was queued since, such as the tickets of a server closed on 'handshake', is dropped.
    if (this.sentCloseNotify) return;
    if (this.writer) this.sendProtected(ContentType.handshake, data);
    else {
      // RFC 8446 §5.1: the first ClientHello may carry legacy_record_version 0x0301.
      const version = this.role === 'client' && !this.handshakeStarted ? 0x0301 : 0x0303;
      for (const record of plaintextRecords(ContentType.handshake, data, MAX_FRAGMENT, version)) this.sendPlaintext(record);
    }
  }

  /** RFC 8446 §7.3, for the derivation observer: which key and IV a traffic secret gave. */
  private traceTrafficKeys(direction: 'read' | 'write', secret: Uint8Array, key: Uint8Array, iv: Uint8Array): void {
    const observe = this.onKeyDerivation;
    if (!observe) return;
    observe({ output: `${direction}_key`, operation: 'HKDF-Expand-Label', secret, label: 'key', context: new Uint8Array(0), value: key });
    observe({ output: `${direction}_iv`, operation: 'HKDF-Expand-Label', secret, label: 'iv', context: new Uint8Array(0), value: iv });
  }

  /** application_traffic_secret_N+1 (RFC 8446 §7.2), through the derivation observer if any. */
  private nextSecret(hash: CipherSuiteParams['hash'], previous: Uint8Array, direction: 'read' | 'write'): Uint8Array {
    const next = nextTrafficSecret(this.provider(), hash, previous);
    this.onKeyDerivation?.({
      output: `${direction}_traffic_update`,
      operation: 'HKDF-Expand-Label',
      secret: previous,
      label: 'traffic upd',
      context: new Uint8Array(0),
      value: next,
    });
    return next;
  }

  private setWriter(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void {
    const { key, iv } = trafficKeys(this.provider(), suite, secret);
    this.traceTrafficKeys('write', secret, key, iv);
    this.writer?.dispose();
    const options: RecordProtectorOptions = {};
    if (this.allocateRecord) options.allocate = this.allocateRecord;
    // Handshake and early keys protect a bounded number of records; only application keys
    // live long enough to reach a usage limit.
    if (epoch === 'application') options.keyUpdateThreshold = Math.min(this.keyUpdateAfterRecords ?? Number.POSITIVE_INFINITY, keyUpdateThreshold(suite.aead));
    this.writer = new RecordProtector(this.provider().aead(suite.aead, key), iv, options);
    key.fill(0);
  }

  private setReader(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void {
    const { key, iv } = trafficKeys(this.provider(), suite, secret);
    this.traceTrafficKeys('read', secret, key, iv);
    this.reader?.dispose();
    this.reader = new RecordProtector(this.provider().aead(suite.aead, key), iv, { innerPlaintextLimit: this.receiveLimit });
    key.fill(0);
    this.readEpoch = epoch;
    this.readKeysChanged = true;
  }

  // ---- failure -------------------------------------------------------------------------

  private fail(error: unknown, sendAlert = true): void {
    if (this.failure) return;
    const tlsError = asTLSError(error);
    this.failure = tlsError;
    // After our close_notify the peer expects nothing more from us, an alert included.
    if (sendAlert && !this.sentCloseNotify && tlsError.code !== 'ALERT_RECEIVED' && tlsError.alertCode !== undefined) {
      try {
        this.sendAlert(tlsError.alertCode);
      } catch {
        // The alert is a courtesy; the error below is what matters.
      }
    }
    this.pendingHandshake = [];
    this.queuedWrites = [];
    this.deframer.discard();
    this.reader?.dispose();
    this.writer?.dispose();
    // A failed connection exports nothing and updates no key: its secrets can go.
    if (this.secrets) zeroize(this.secrets.clientApplication, this.secrets.serverApplication, this.secrets.exporter);
    this.emit('trace', { kind: 'failed', error: tlsError });
    this.emit('error', tlsError);
  }

  // ---- the state machines' view --------------------------------------------------------

  protected handshakeContext(): HandshakeContext {
    return new Connection.Context(this);
  }

  /**
   * The state machines' view of a connection. A class, not an object of closures: the states
   * of an established connection keep it for KeyUpdate and post-handshake authentication, and
   * this way that costs one small object per connection, not a closure per method.
   */
  private static readonly Context = class implements HandshakeContext {
    readonly provider: CryptoProvider;

    constructor(private readonly connection: Connection) {
      this.provider = connection.provider();
    }

    /** A new observer for each key schedule that asks (one per handshake); none is kept. */
    get onSecret(): SecretObserver {
      const connection = this.connection;
      const observer = (name: SecretName, secret: Uint8Array): void => {
        connection.emit('trace', { kind: 'secret', name });
        connection.onSecret?.(name, secret, connection.clientRandom);
      };
      return connection.onKeyDerivation ? Object.assign(observer, { derivation: connection.onKeyDerivation }) : observer;
    }

    sendMessage(message: HandshakeMessage, transcript: Transcript | undefined, encoded?: Uint8Array): Uint8Array {
      const connection = this.connection;
      const raw = encoded ?? encodeHandshake(message);
      if (message.type === HandshakeType.client_hello && connection.onSecret) connection.clientRandom = message.random.slice();
      transcript?.update(raw);
      connection.emit('trace', { kind: 'message', direction: 'sent', message, raw });
      connection.queueHandshake(raw);
      return raw;
    }

    flush(): void {
      this.connection.flushHandshake();
    }

    sendChangeCipherSpec(): void {
      this.connection.flushHandshake();
      this.connection.sendPlaintext(changeCipherSpecRecord());
    }

    installReadKeys(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void {
      this.connection.setReader(suite, secret, epoch);
      this.connection.emit('trace', { kind: 'keys', direction: 'read', epoch });
      if (epoch === 'application') this.connection.peerFinished = true;
    }

    installWriteKeys(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void {
      this.connection.flushHandshake();
      this.connection.setWriter(suite, secret, epoch);
      this.connection.emit('trace', { kind: 'keys', direction: 'write', epoch });
    }

    clearWriteKeys(): void {
      this.connection.flushHandshake();
      this.connection.writer?.dispose();
      this.connection.writer = undefined;
    }

    sendEarlyData(data: Uint8Array): void {
      this.connection.flushHandshake();
      this.connection.sendProtected(ContentType.application_data, data);
    }

    acceptEarlyData(maxBytes: number): void {
      this.connection.earlyDataToSkip = 0;
      this.connection.earlyDataAllowed = maxBytes;
    }

    setPeerRecordSizeLimit(limit: number): void {
      const connection = this.connection;
      // RFC 8449 §4: in TLS 1.3 the limit counts the content type byte. Both sides sent the
      // extension, so ours now binds the peer too.
      connection.maxSendFragment = Math.min(MAX_FRAGMENT, limit - 1);
      if (connection.ownRecordSizeLimit !== undefined) connection.receiveLimit = Math.min(MAX_FRAGMENT + 1, connection.ownRecordSizeLimit);
    }

    complete(info: SessionInfo, secrets: TrafficSecrets): void {
      const connection = this.connection;
      connection.secrets = secrets;
      connection.sessionInfo = info;
      connection.flushHandshake();
      connection.emit('handshake', info);
      const queued = connection.queuedWrites;
      connection.queuedWrites = [];
      for (const data of queued) connection.sendProtected(ContentType.application_data, data);
    }

    trace(event: TraceEvent): void {
      this.connection.emit('trace', event);
    }

    get tracing(): boolean {
      return this.connection.listeners.trace !== undefined;
    }

    peerKeyUpdate(updateRequested: boolean): void {
      const connection = this.connection;
      const secrets = connection.secrets!;
      const theirs = connection.role === 'client' ? 'serverApplication' : 'clientApplication';
      const previous = secrets[theirs];
      secrets[theirs] = connection.nextSecret(secrets.suite.hash, previous, 'read');
      zeroize(previous);
      connection.setReader(secrets.suite, secrets[theirs], 'application');
      if (connection.keyUpdatePending) connection.keyUpdatePending = false;
      else if (updateRequested && !connection.sentCloseNotify) connection.sendKeyUpdate(false);
    }

    sessionTicket(ticket: SessionTicket): void {
      this.connection.emit('session', ticket);
    }

    applicationSecret(side: 'client' | 'server'): Uint8Array {
      return this.connection.secrets![side === 'client' ? 'clientApplication' : 'serverApplication'];
    }

    peerAuthenticated(info: SessionInfo): void {
      this.connection.sessionInfo = info;
      this.connection.emit('authenticated', info);
    }
  };

  protected currentState(): HandshakeState | undefined {
    return this.handshakeState;
  }

  protected setHandshakeState(state: HandshakeState): void {
    this.handshakeState = state;
  }

  /** Server: how much rejected 0-RTT data to skip (see earlyDataSkipBudget). */
  protected setEarlyDataSkipLimit(bytes: number): void {
    this.earlyDataSkipLimit = bytes;
  }

  /**
   * Client: sends the first flight the state machine built and enters its first state. When the
   * flight is still pending (a provider whose key generation is asynchronous, as WebCrypto's
   * is), the connection is busy until it goes out: received bytes wait in the deframer, writes
   * in queuedWrites and a close() until after the ClientHello, so nothing overtakes it.
   */
  protected startHandshake(first: () => MaybePromise<HandshakeState>): void {
    let pending: Promise<HandshakeState>;
    try {
      const state = first();
      if (!isPending(state)) {
        this.enterFirstState(state);
        return;
      }
      pending = state;
    } catch (error) {
      this.fail(error);
      return;
    }
    this.busy = true;
    this.firstFlightPending = true;
    pending.then(
      (state) => {
        this.busy = false;
        this.firstFlightPending = false;
        if (this.failure) {
          this.notifyIdle();
          return;
        }
        this.enterFirstState(state);
        if (this.closeAfterFirstFlight) this.close();
        this.pump();
      },
      (error: unknown) => {
        this.busy = false;
        this.firstFlightPending = false;
        try {
          this.fail(error);
        } finally {
          this.notifyIdle();
        }
      },
    );
  }

  private enterFirstState(state: HandshakeState): void {
    this.flushHandshake();
    this.handshakeStarted = true;
    this.handshakeState = state;
  }

  protected flush(): void {
    this.flushHandshake();
  }
}

export class ClientConnection extends Connection {
  private started = false;

  constructor(private readonly config: ClientConfig) {
    super('client', config.maxHandshakeMessageSize, config.recordSizeLimit, config.onSecret, config.keyUpdateAfterRecords, config.onKeyDerivation);
    resolveCommon(config);
  }

  protected provider(): CryptoProvider {
    return this.config.provider;
  }

  /** Sends the ClientHello. Call once, after attaching listeners. */
  start(): void {
    if (this.started) throw new TLSError('INVALID_ARGUMENT', 'start() was already called');
    this.started = true;
    this.startHandshake(() => startClientHandshake(this.handshakeContext(), this.config));
  }
}

export class ServerConnection extends Connection {
  constructor(private readonly config: ServerConfig) {
    super('server', config.maxHandshakeMessageSize, config.recordSizeLimit, config.onSecret, config.keyUpdateAfterRecords, config.onKeyDerivation);
    const resolved = resolveCommon(config);
    if (config.certificates.length === 0) throw new TLSError('INVALID_ARGUMENT', 'a server needs at least one certificate');
    this.setEarlyDataSkipLimit(earlyDataSkipBudget(config.maxEarlyDataSize ?? 0));
    this.setHandshakeState(new ExpectClientHello(this.handshakeContext(), { config, ...resolved }));
  }

  protected provider(): CryptoProvider {
    return this.config.provider;
  }

  /**
   * Asks the client for a certificate now (post-handshake authentication, RFC 8446 §4.6.2);
   * the 'authenticated' event reports the result. The client must have offered it.
   */
  requestClientCertificate(): void {
    const state = this.currentState();
    if (!(state instanceof ServerConnected) || this.error) throw new TLSError('INVALID_ARGUMENT', 'client authentication needs an established connection');
    state.requestCertificate();
    this.flush();
  }
}
