import { startClientHandshake } from './client/start.js';
import { type ClientConfig, type CommonConfig, type ServerConfig, resolveCommon } from './config.js';
import { type ConnectionEvents, ConnectionContext, type ConnectionParts, connectionListeners, connectionParts, failParts } from './connection-context.js';
import type { MaybePromise } from './crypto/provider.js';
import { TLSError, alertReceived, asTLSError, decodeError, protocolError } from './errors.js';
import { EventDelivery } from './event-delivery.js';
import type { HandshakeContext, HandshakeState, SessionInfo } from './handshake-context.js';
import { HandshakeDriver } from './handshake-driver.js';
import { decodeHandshake } from './messages/handshake.js';
import type { AssembledMessage } from './messages/reassembler.js';
import type { HandshakeMessage } from './messages/types.js';
import type { RecordBufferPool } from './record/buffer-pool.js';
import { type InboundRecords, earlyDataSkipBudget } from './record/inbound.js';
import type { OutboundRecords } from './record/outbound.js';
import { AlertDescription, ExtensionType, HandshakeType } from './registry.js';
import { ServerConnected } from './server/connected.js';
import { ExpectClientHello } from './server/states.js';
import type { TrafficKeys } from './traffic-keys.js';

export type { ConnectionEvents } from './connection-context.js';

export type ConnectionState = 'handshaking' | 'connected' | 'closed';

/**
 * The sans-I/O TLS 1.3 connection: feed it transport bytes with `receive`, write application
 * data with `write`, and it calls `send` with bytes for the transport and reports what
 * happens through the other events. It orchestrates: records come in through
 * record/inbound.ts and go out through record/outbound.ts, each handshake message goes to
 * the client or server state machine (through handshake-driver.ts), and events go to the
 * application.
 */
export abstract class Connection {
  private readonly listeners = connectionListeners();
  private readonly inbound: InboundRecords;
  private readonly outbound: OutboundRecords;
  private readonly keys: TrafficKeys;
  /** Runs the state machine one step at a time; the subclasses set and read its state. */
  protected readonly driver = new HandshakeDriver({ stepDone: () => this.stepDone(), stepFailed: (error) => this.stepFailed(error) });
  /** transportClosed() was called: no more bytes will come. */
  private transportEnded = false;
  /** The peer sent close_notify: it will send nothing more. */
  private peerClosed = false;
  private failure: TLSError | undefined;
  /** What the state machine drives (see ConnectionContext). */
  private readonly parts: ConnectionParts;
  /** Events after each step, the session info the application was given, writes held until then. */
  private readonly delivery: EventDelivery;

  protected constructor(
    readonly role: 'client' | 'server',
    private readonly common: CommonConfig,
    earlyDataSkipLimit = 0,
  ) {
    const connection = this;
    this.parts = connectionParts(role, common, earlyDataSkipLimit, { listeners: this.listeners, alert: (content) => this.processAlert(content) });
    ({ inbound: this.inbound, outbound: this.outbound, keys: this.keys } = this.parts);
    this.delivery = new EventDelivery({
      listeners: this.listeners,
      outbound: this.outbound,
      get failed() {
        return connection.failure !== undefined;
      },
      fail: (error) => this.fail(error),
    });
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): this {
    this.listeners.add(event, listener);
    return this;
  }

  get state(): ConnectionState {
    if (this.failure || (this.outbound.closed && this.peerClosed)) return 'closed';
    return this.session ? 'connected' : 'handshaking';
  }

  /** What was negotiated; undefined until the handshake completes ('handshake' is delivered). */
  get session(): SessionInfo | undefined {
    return this.delivery.session;
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
    return this.driver.idle();
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
    if (!this.session) {
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
    if (!this.transportEnded || this.driver.busy || this.failure || this.peerClosed) return;
    this.fail(this.inbound.endOfInput(this.session !== undefined), false);
  }

  /** Reads what was received, one handshake message at a time; stops while a step is pending. */
  private pump(): void {
    if (this.driver.busy) return;
    try {
      for (;;) {
        if (this.failure || this.peerClosed) break;
        const message = this.inbound.next();
        if (!message) break;
        this.dispatchHandshake(message);
        if (this.driver.busy) return;
      }
    } catch (error) {
      this.fail(error);
    }
    this.outbound.flush();
    this.checkTransportEnd();
    this.driver.notifyIdle();
  }

  private processAlert(content: Uint8Array): void {
    if (content.length !== 2) throw decodeError('malformed_alert', 'alert record must hold exactly one alert');
    const description = content[1]!;
    if (description === AlertDescription.close_notify) {
      // RFC 8446 §6.1: the peer will send nothing more. Before our handshake completed that
      // means it never will: a failure to report, not an end of data to wait past (the later
      // transportClosed would be ignored and the handshake would hang).
      if (!this.session) {
        this.fail(new TLSError('CONNECTION_CLOSED', 'peer sent close_notify during the handshake'), false);
        return;
      }
      this.peerClosed = true;
      this.inbound.stop();
      this.listeners.emit('end');
      return;
    }
    // RFC 8446 §6: user_canceled is a warning that a close_notify follows; every other alert
    // is fatal whatever level it claims.
    if (description === AlertDescription.user_canceled) return;
    this.fail(alertReceived(description), false);
  }

  /** Hands one decoded message to the current state; the connection is busy until it answers. */
  private dispatchHandshake({ type, body, raw }: AssembledMessage): void {
    const state = this.driver.state;
    if (!state) throw protocolError('unexpected_handshake_message', 'handshake message before the handshake started');
    // Traced once, here, before any state judges it: the trace of a failed handshake shows the
    // message that failed it (as bytes, when it does not even decode), then the failure.
    const tracing = this.listeners.has('trace');
    let message: HandshakeMessage;
    try {
      message = decodeHandshake(type, body);
    } catch (error) {
      if (tracing) this.listeners.emit('trace', { kind: 'undecodable', direction: 'received', type, raw });
      throw error;
    }
    if (tracing) this.listeners.emit('trace', { kind: 'message', direction: 'received', message, raw });
    if (message.type === HandshakeType.client_hello) {
      if (this.common.onSecret) this.parts.clientRandom = message.random.slice();
      if (this.role === 'server') this.inbound.clientHelloReceived(message.extensions.some((e) => e.type === ExtensionType.early_data));
    }
    this.inbound.handshakeStarted();
    this.inbound.handshakeStepStarted();
    this.driver.handle(state, { message, raw });
  }

  /** The next state is in place: what the step did reaches the application now, then the next message. */
  private stepDone(): void {
    try {
      this.inbound.handshakeStepEnded();
    } catch (error) {
      this.fail(error);
    }
    const events = this.parts.events.splice(0);
    try {
      this.delivery.deliver(events);
    } finally {
      this.driver.eventsDelivered();
    }
    this.pump();
  }

  private stepFailed(error: unknown): void {
    try {
      this.fail(error);
    } finally {
      this.driver.notifyIdle();
    }
  }

  // ---- output --------------------------------------------------------------------------

  /** Sends application data; before the handshake completes it is held until then. */
  write(data: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (this.outbound.closed || this.driver.closeDeferred) throw new TLSError('CONNECTION_CLOSED', 'write after close');
    this.delivery.write(data);
  }

  /** Sends close_notify: we will write no more. Reading goes on until the peer closes. */
  close(): void {
    if (this.failure || this.outbound.closed) return;
    // The ClientHello is still being made (asynchronous key generation): close after it.
    if (this.driver.closeAfterFirstFlight()) return;
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
    failParts(this.parts, tlsError, sendAlert);
    this.delivery.drop(this.parts.events.splice(0));
    this.listeners.emit('trace', { kind: 'failed', error: tlsError });
    this.listeners.emit('error', tlsError);
  }

  // ---- the state machines' view --------------------------------------------------------

  protected handshakeContext(): HandshakeContext {
    return new ConnectionContext(this.parts);
  }

  /**
   * Client: sends the first flight the state machine built and enters its first state. When the
   * flight is still pending (a provider whose key generation is asynchronous, as WebCrypto's
   * is), the connection is busy until it goes out: received bytes wait in the deframer, writes
   * in EventDelivery and a close() until after the ClientHello, so nothing overtakes it.
   */
  protected startHandshake(first: () => MaybePromise<HandshakeState>): void {
    this.driver.start(first, (state, closeNow) => this.enterFirstState(state, closeNow));
  }

  private enterFirstState(state: HandshakeState, closeNow: boolean): void {
    if (this.failure) {
      this.driver.notifyIdle();
      return;
    }
    this.outbound.flush();
    this.outbound.firstFlightSent();
    this.inbound.handshakeStarted();
    this.driver.state = state;
    if (closeNow) this.close();
    this.pump();
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
    this.driver.state = new ExpectClientHello(this.handshakeContext(), { config, ...resolved });
  }

  /**
   * Asks the client for a certificate now (post-handshake authentication, RFC 8446 §4.6.2);
   * the 'authenticated' event reports the result. The client must have offered it.
   */
  requestClientCertificate(): void {
    const state = this.driver.state;
    if (!(state instanceof ServerConnected) || this.error) throw new TLSError('INVALID_ARGUMENT', 'client authentication needs an established connection');
    state.requestCertificate();
    this.flush();
  }
}
