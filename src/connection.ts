import { startClientHandshake } from './client/start.js';
import { type ClientConfig, type CommonConfig, type ServerConfig, resolveCommon } from './config.js';
import { type CipherSuiteParams, type CryptoProvider, type MaybePromise, isPending } from './crypto/provider.js';
import { TLSError, alertReceived, asTLSError, decodeError, protocolError } from './errors.js';
import type { Epoch, HandshakeContext, HandshakeState, SessionInfo, SessionTicket, TraceEvent, TrafficSecrets } from './handshake-context.js';
import type { SecretName, SecretObserver } from './keyschedule.js';
import { decodeHandshake, encodeHandshake } from './messages/handshake.js';
import type { AssembledMessage } from './messages/reassembler.js';
import type { HandshakeMessage } from './messages/types.js';
import type { RecordBufferPool } from './record/buffer-pool.js';
import { InboundRecords, earlyDataSkipBudget } from './record/inbound.js';
import { OutboundRecords } from './record/outbound.js';
import { AlertDescription, ExtensionType, HandshakeType } from './registry.js';
import { ServerConnected } from './server/connected.js';
import { ExpectClientHello } from './server/states.js';
import { TrafficKeys } from './traffic-keys.js';
import type { Transcript } from './transcript.js';

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
  /** Server: post-handshake client authentication completed (see `session`). */
  authenticated: (info: SessionInfo) => void;
}

/** Per event: none, the one listener, or a list of them; see `on`. */
type Listeners = { [K in keyof ConnectionEvents]: ConnectionEvents[K] | ConnectionEvents[K][] | undefined };

/** Until a ClientHello names the connection; and for good when no key log wants the name. */
const UNKNOWN_CLIENT_RANDOM = new Uint8Array(32);

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

/**
 * What a connection is doing besides waiting for bytes. While a handshake step or the client's
 * first flight is pending (a signature, a WebCrypto key exchange), received records wait in
 * the deframer and writes in a queue, so nothing is read or sent under keys not yet installed.
 */
type Work = 'idle' | 'handshake_step' | 'first_flight' | 'first_flight_then_close';

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
  private readonly inbound: InboundRecords;
  private readonly outbound: OutboundRecords;
  private readonly keys: TrafficKeys;
  private handshakeState: HandshakeState | undefined;
  private work: Work = 'idle';
  /** transportClosed() was called: no more bytes will come. */
  private transportEnded = false;
  /** The peer sent close_notify: it will send nothing more. */
  private peerClosed = false;
  private idleWaiters: (() => void)[] = [];
  private queuedWrites: Uint8Array[] = [];
  private sessionInfo: SessionInfo | undefined;
  private failure: TLSError | undefined;
  /** Names this connection in key logs (kept only for one); known once a ClientHello was sent or received. */
  private clientRandom = UNKNOWN_CLIENT_RANDOM;

  protected constructor(
    readonly role: 'client' | 'server',
    private readonly common: CommonConfig,
    earlyDataSkipLimit = 0,
  ) {
    const listeners = this.listeners;
    const trace = (event: TraceEvent): void => this.emit('trace', event);
    this.keys = new TrafficKeys(common.provider, role, { onKeyDerivation: common.onKeyDerivation, keyUpdateAfterRecords: common.keyUpdateAfterRecords });
    this.inbound = new InboundRecords(
      { maxHandshakeMessageSize: common.maxHandshakeMessageSize, earlyDataSkipLimit },
      { alert: (content) => this.processAlert(content), data: (content) => this.emit('data', content) },
      {
        get tracing() {
          return listeners.trace !== undefined;
        },
        trace,
      },
    );
    this.outbound = new OutboundRecords(role, {
      get tracing() {
        return listeners.trace !== undefined;
      },
      trace,
      send: (record) => this.emit('send', record),
      nextKey: () => this.keys.nextWriter(),
    });
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
    if (this.failure || (this.outbound.closed && this.peerClosed)) return 'closed';
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
    return this.inbound.bufferedBytes;
  }

  /** Resolves once every received byte has been processed (handshake steps may be async). */
  idle(): Promise<void> {
    if (this.work === 'idle') return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- input ---------------------------------------------------------------------------

  /** Feeds bytes from the transport, in any chunking. */
  receive(bytes: Uint8Array): void {
    if (this.failure || this.peerClosed) return;
    try {
      this.inbound.push(bytes);
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
    this.inbound.detachQueued(bytes);
  }

  /**
   * The transport closed. Before close_notify that is a truncation attack or a crash, which
   * the application must not mistake for a clean end (RFC 8446 §6.1).
   */
  transportClosed(): void {
    if (this.failure || this.peerClosed) return;
    // Records that arrived before the end are read first (an alert or close_notify among them
    // says why the peer left), after any handshake step still running; see checkTransportEnd.
    this.transportEnded = true;
    this.pump();
  }

  private checkTransportEnd(): void {
    if (!this.transportEnded || this.work !== 'idle' || this.failure || this.peerClosed) return;
    const where = this.sessionInfo ? 'without close_notify' : 'during the handshake';
    const cut = this.inbound.partialRecordBytes;
    const truncated = cut > 0 ? ` (${cut} bytes of a record cut off)` : '';
    this.fail(transportClosedError(`transport closed ${where}${truncated}`), false);
  }

  /** Reads what was received, one handshake message at a time; stops while a step is pending. */
  private pump(): void {
    if (this.work !== 'idle') return;
    try {
      for (;;) {
        if (this.failure || this.peerClosed) break;
        const message = this.inbound.next();
        if (!message) break;
        this.dispatchHandshake(message);
        if (this.work !== 'idle') return;
      }
    } catch (error) {
      this.fail(error);
    }
    this.outbound.flush();
    this.checkTransportEnd();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.work !== 'idle') return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
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
      this.peerClosed = true;
      this.inbound.stop();
      this.emit('end');
      return;
    }
    // RFC 8446 §6: user_canceled is a warning that a close_notify follows; every other alert
    // is fatal whatever level it claims.
    if (description === AlertDescription.user_canceled) return;
    this.fail(alertReceived(description), false);
  }

  /** Hands one decoded message to the current state; the connection is busy until it answers. */
  private dispatchHandshake({ type, body, raw }: AssembledMessage): void {
    const state = this.handshakeState;
    if (!state) throw protocolError('unexpected_message', 'handshake message before the handshake started');
    const message = decodeHandshake(type, body);
    // Traced once, here, before any state judges it: the trace of a failed handshake shows the
    // message that failed it, then the failure.
    if (this.listeners.trace !== undefined) this.emit('trace', { kind: 'message', direction: 'received', message, raw });
    if (message.type === HandshakeType.client_hello) {
      if (this.common.onSecret) this.clientRandom = message.random.slice();
      if (this.role === 'server') this.inbound.clientHelloReceived(message.extensions.some((e) => e.type === ExtensionType.early_data));
    }
    this.inbound.handshakeStarted();
    this.work = 'handshake_step';
    this.inbound.handshakeStepStarted();
    state.handle({ message, raw }).then(
      (next) => {
        this.handshakeState = next;
        this.work = 'idle';
        try {
          this.inbound.handshakeStepEnded();
        } catch (error) {
          this.fail(error);
        }
        this.pump();
      },
      (error: unknown) => this.stepFailed(error),
    );
  }

  private stepFailed(error: unknown): void {
    this.work = 'idle';
    try {
      this.fail(error);
    } finally {
      this.notifyIdle();
    }
  }

  // ---- output --------------------------------------------------------------------------

  /** Queues application data; before the handshake completes it is held until then. */
  write(data: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (this.outbound.closed || this.work === 'first_flight_then_close') throw new TLSError('CONNECTION_CLOSED', 'write after close');
    if (!this.sessionInfo) {
      this.queuedWrites.push(data.slice());
      return;
    }
    this.outbound.sendData(data);
  }

  /** Sends close_notify: we will write no more. Reading goes on until the peer closes. */
  close(): void {
    if (this.failure || this.outbound.closed) return;
    // The ClientHello is still being made (asynchronous key generation): close after it.
    if (this.work === 'first_flight' || this.work === 'first_flight_then_close') {
      this.work = 'first_flight_then_close';
      return;
    }
    this.outbound.close();
  }

  /**
   * Builds protected records in `pool`'s buffers from now on. Each buffer a 'send' listener
   * gets is then lent: the transport gives it back with `pool.release(bytes)` once it has
   * written it, and must not read it after that. Plaintext records stay ordinary allocations.
   * Applies to sending keys installed from then on: call it before the handshake starts.
   */
  useRecordBuffers(pool: RecordBufferPool): void {
    this.keys.allocate = (length) => pool.acquire(length);
  }

  /** Sends KeyUpdate and moves to our next sending key (RFC 8446 §4.6.3). */
  updateKeys(requestPeerUpdate = false): void {
    if (!this.keys.isEstablished || this.failure || this.outbound.closed) throw new TLSError('INVALID_ARGUMENT', 'KeyUpdate needs an open, established connection');
    this.outbound.sendKeyUpdate(requestPeerUpdate);
  }

  /** RFC 8446 §7.5 / RFC 5705 keying material exporter. */
  exportKeyingMaterial(length: number, label: string, context: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (!this.keys.isEstablished) throw new TLSError('INVALID_ARGUMENT', 'keying material is available after the handshake');
    if (this.failure) throw new TLSError('INVALID_ARGUMENT', 'the connection failed; its secrets are gone');
    return this.keys.exportKeyingMaterial(length, label, context);
  }

  // ---- failure -------------------------------------------------------------------------

  private fail(error: unknown, sendAlert = true): void {
    if (this.failure) return;
    const tlsError = asTLSError(error);
    this.failure = tlsError;
    // After our close_notify the peer expects nothing more from us, an alert included.
    if (sendAlert && !this.outbound.closed && tlsError.code !== 'ALERT_RECEIVED' && tlsError.alert !== undefined) {
      try {
        this.outbound.sendAlert(AlertDescription[tlsError.alert]);
      } catch {
        // The alert is a courtesy; the error below is what matters.
      }
    }
    this.queuedWrites = [];
    this.outbound.dispose();
    this.inbound.dispose();
    this.keys.forget();
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
      this.provider = connection.common.provider;
    }

    /** A new observer for each key schedule that asks (one per handshake); none is kept. */
    get onSecret(): SecretObserver {
      const connection = this.connection;
      const { onSecret, onKeyDerivation } = connection.common;
      const observer = (name: SecretName, secret: Uint8Array): void => {
        connection.emit('trace', { kind: 'secret', name });
        onSecret?.(name, secret, connection.clientRandom);
      };
      return onKeyDerivation ? Object.assign(observer, { derivation: onKeyDerivation }) : observer;
    }

    sendMessage(message: HandshakeMessage, transcript: Transcript | undefined, encoded?: Uint8Array): Uint8Array {
      const connection = this.connection;
      const raw = encoded ?? encodeHandshake(message);
      if (message.type === HandshakeType.client_hello && connection.common.onSecret) connection.clientRandom = message.random.slice();
      transcript?.update(raw);
      connection.emit('trace', { kind: 'message', direction: 'sent', message, raw });
      connection.outbound.queueHandshake(raw);
      return raw;
    }

    flush(): void {
      this.connection.outbound.flush();
    }

    sendChangeCipherSpec(): void {
      this.connection.outbound.sendChangeCipherSpec();
    }

    installReadKeys(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void {
      const { inbound, keys } = this.connection;
      inbound.installKeys(keys.reader(suite, secret, inbound.plaintextLimit), epoch);
      this.connection.emit('trace', { kind: 'keys', direction: 'read', epoch });
    }

    installWriteKeys(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void {
      const { outbound, keys } = this.connection;
      // What was queued goes out under the old keys before the new ones are derived, so a
      // trace reader (explain) sees the records in the order of the keys that protect them.
      outbound.flush();
      outbound.installKeys(keys.writer(suite, secret, epoch));
      this.connection.emit('trace', { kind: 'keys', direction: 'write', epoch });
    }

    clearWriteKeys(): void {
      this.connection.outbound.clearKeys();
    }

    sendEarlyData(data: Uint8Array): void {
      this.connection.outbound.flush();
      this.connection.outbound.sendData(data);
    }

    acceptEarlyData(maxBytes: number): void {
      this.connection.inbound.acceptEarlyData(maxBytes);
    }

    setPeerRecordSizeLimit(limit: number): void {
      const { outbound, inbound, common } = this.connection;
      // RFC 8449 §4: both sides sent the extension, so ours now binds the peer too.
      outbound.limitRecordSize(limit);
      if (common.recordSizeLimit !== undefined) inbound.limitRecordSize(common.recordSizeLimit);
    }

    complete(info: SessionInfo, secrets: TrafficSecrets): void {
      const connection = this.connection;
      connection.keys.established(secrets);
      connection.sessionInfo = info;
      connection.outbound.flush();
      connection.emit('handshake', info);
      const queued = connection.queuedWrites;
      connection.queuedWrites = [];
      for (const data of queued) connection.outbound.sendData(data);
    }

    trace(event: TraceEvent): void {
      this.connection.emit('trace', event);
    }

    get tracing(): boolean {
      return this.connection.listeners.trace !== undefined;
    }

    peerKeyUpdate(updateRequested: boolean): void {
      const { inbound, outbound, keys } = this.connection;
      inbound.installKeys(keys.nextReader(inbound.plaintextLimit), 'application');
      outbound.peerUpdated(updateRequested);
    }

    sessionTicket(ticket: SessionTicket): void {
      this.connection.emit('session', ticket);
    }

    applicationSecret(side: 'client' | 'server'): Uint8Array {
      return this.connection.keys.applicationSecret(side);
    }

    peerAuthenticated(): void {
      this.connection.emit('authenticated', this.connection.sessionInfo!);
    }
  };

  protected currentState(): HandshakeState | undefined {
    return this.handshakeState;
  }

  protected setHandshakeState(state: HandshakeState): void {
    this.handshakeState = state;
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
    this.work = 'first_flight';
    pending.then(
      (state) => {
        const closeNow = this.work === 'first_flight_then_close';
        this.work = 'idle';
        if (this.failure) {
          this.notifyIdle();
          return;
        }
        this.enterFirstState(state);
        if (closeNow) this.close();
        this.pump();
      },
      (error: unknown) => this.stepFailed(error),
    );
  }

  private enterFirstState(state: HandshakeState): void {
    this.outbound.flush();
    this.outbound.firstFlightSent();
    this.inbound.handshakeStarted();
    this.handshakeState = state;
  }

  protected flush(): void {
    this.outbound.flush();
  }
}

export class ClientConnection extends Connection {
  private started = false;

  constructor(private readonly config: ClientConfig) {
    super('client', config);
    resolveCommon(config);
  }

  /** Sends the ClientHello. Call once, after attaching listeners. */
  start(): void {
    if (this.started) throw new TLSError('INVALID_ARGUMENT', 'start() was already called');
    this.started = true;
    this.startHandshake(() => startClientHandshake(this.handshakeContext(), this.config));
  }
}

export class ServerConnection extends Connection {
  constructor(config: ServerConfig) {
    super('server', config, earlyDataSkipBudget(config.maxEarlyDataSize ?? 0));
    const resolved = resolveCommon(config);
    if (config.certificates.length === 0) throw new TLSError('INVALID_ARGUMENT', 'a server needs at least one certificate');
    this.setHandshakeState(new ExpectClientHello(this.handshakeContext(), { config, ...resolved }));
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
