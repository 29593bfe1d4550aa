import { Duplex } from 'node:stream';
import { type NetConnectOpts, Socket, connect as netConnect } from 'node:net';
import { type Connection, ServerConnection } from '../connection.js';
import { TLSError } from '../errors.js';
import type { SessionInfo } from '../handshake-context.js';
import { cipherSuiteName } from '../registry.js';
import { RecordBufferPool } from '../record/buffer-pool.js';
import { parseCertificate } from '../x509/certificate.js';
import { type PeerCertificate, toPeerCertificate } from './peer-certificate.js';
import { serializeSession } from './session.js';

/**
 * Outgoing record buffers shared by every socket in the process: a slot goes back as soon as
 * its TCP socket has written it, so a busy sender keeps reusing the same few warm buffers.
 */
const recordBuffers = new RecordBufferPool();

/** Stop reading the transport while this many received bytes wait to be processed. */
const INPUT_HIGH_WATER = 256 * 1024;

/**
 * Where TCP connections that TLSSocket.connectTcp opened read into: one buffer for the whole
 * process. libuv reads into it and the bytes are taken before the next read can happen (the
 * connection copies what it keeps), so every socket can share it. 64 KiB is libuv's read size.
 *
 * Measured on Node 20 receiving 1 GiB from node:tls over loopback: 2.8 s of CPU with a new
 * buffer per read (net.Socket's default) against 1.8-2.2 s through this one. The per-read
 * ArrayBuffers are external memory, and their churn made V8 run ~50 full collections per GiB.
 */
const sharedReadBuffer = Buffer.allocUnsafeSlow(64 * 1024);
/** The same memory as a plain Uint8Array, whose slice() copies (a Buffer's is a view). */
const sharedReadView = new Uint8Array(sharedReadBuffer.buffer, sharedReadBuffer.byteOffset, sharedReadBuffer.byteLength);

/**
 * A Duplex shaped like node:tls's TLSSocket for its common surface, over a wiretls
 * Connection and any Duplex transport (a net.Socket usually). Plaintext goes in and out of
 * this stream; records go to and from the transport. Back-pressure holds both ways: the
 * transport's drain gates our writes, and our reader's demand gates reading the transport.
 */
export class TLSSocket extends Duplex {
  readonly encrypted = true;
  authorized = false;
  authorizationError: Error | undefined = undefined;
  alpnProtocol: string | false = false;
  servername: string | undefined;
  private info: SessionInfo | undefined;
  private connection: Connection | undefined;
  private transportPaused = false;
  private corked = false;
  private readonly pendingWrites: { chunk: Buffer; callback: (error?: Error | null) => void }[] = [];
  /** requestClientCertificate() calls not answered yet; the client answers in order. */
  private readonly pendingAuthentications: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** The transport hands its reads to onBorrowedRead instead of emitting 'data' (see connectTcp). */
  private borrowedReads = false;
  /** Bytes a borrowed read brought before attach(), copied; the transport is paused meanwhile. */
  private readonly inputBeforeAttach: Uint8Array[] = [];

  /**
   * A TCP connection whose reads go straight to this socket's engine through one shared read
   * buffer, skipping the net.Socket's readable stream and its buffer per read.
   */
  static connectTcp(netOptions: NetConnectOpts, options: { allowHalfOpen?: boolean } = {}): TLSSocket {
    let socket: TLSSocket | undefined;
    const transport = netConnect({
      ...netOptions,
      onread: { buffer: sharedReadBuffer, callback: (length) => socket!.onBorrowedRead(sharedReadView.subarray(0, length)) },
    });
    socket = new TLSSocket(transport, options);
    socket.borrowedReads = true;
    return socket;
  }

  constructor(
    readonly transport: Duplex,
    options: { allowHalfOpen?: boolean } = {},
  ) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false });
    // A transport failure before the TCP connection was up is CONNECT_FAILED. 'connect' is
    // passed on as node:tls's TLSSocket does (http's req.setTimeout waits for it).
    let transportUp = !(transport as Partial<Socket>).connecting;
    // A net.Socket that is connected already (every socket a server accepts) will not announce
    // it again: a listener would only sit on the connection for its whole life. A socket not
    // connected yet, or another kind of transport, may still emit one.
    if ((transport as Partial<Socket>).pending !== false) {
      transport.once('connect', () => {
        transportUp = true;
        this.rememberPeer();
        this.emit('connect');
      });
    }
    this.rememberPeer();
    transport.on('error', (error: Error) => this.destroy(transportError(error, transportUp)));
    transport.on('close', () => this.onTransportClose());
  }

  /**
   * The transport is gone. A close before close_notify is a truncation the engine reports as
   * an error ('error' → destroy), possibly only after an asynchronous handshake step still
   * running (records queued behind it are read first, close_notify among them). A clean
   * close ends the socket once the reader has taken the data, as net.Socket does.
   */
  private onTransportClose(): void {
    const connection = this.connection;
    if (!connection) {
      if (!this.destroyed) this.destroy(new TLSError('CONNECTION_CLOSED', 'transport closed before the handshake started'));
      return;
    }
    connection.transportClosed();
    void connection.idle().then(() => {
      if (this.destroyed || connection.error) return;
      if (this.readableEnded) this.destroy();
      else this.once('end', () => this.destroy());
    });
  }

  /** Starts the TLS session over the transport; `connection` is fully configured. */
  attach(connection: Connection): void {
    this.connection = connection;
    // Only a TCP socket is known to be done with a chunk when its write callback runs (the
    // kernel has a copy); other transports may still hold the very bytes, so their records
    // are never reused.
    const pooled = this.transport instanceof Socket;
    if (pooled) connection.useRecordBuffers(recordBuffers);
    connection.on('send', (bytes) => {
      if (this.transport.destroyed) return;
      // Everything the engine sends in one turn (ServerHello, change_cipher_spec and the
      // encrypted flight; a run of records) leaves in one writev, not one syscall per record.
      if (!this.corked) {
        this.corked = true;
        this.transport.cork();
        process.nextTick(() => {
          if (!this.corked) return;
          this.corked = false;
          this.transport.uncork();
        });
      }
      this.transport.write(bytes, pooled ? () => recordBuffers.release(bytes) : undefined);
    });
    connection.on('handshake', (info) => this.onHandshake(info));
    connection.on('data', (bytes) => {
      if (!this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) this.pauseTransport();
    });
    // read(0) as net.Socket does at EOF: with nothing buffered, 'end' fires now even if
    // nobody reads, so a closed connection reaches 'close'.
    connection.on('end', () => {
      this.push(null);
      this.read(0);
    });
    connection.on('error', (error) => this.destroy(error));
    connection.on('session', (ticket) => this.emit('session', serializeSession(ticket)));
    connection.on('authenticated', (info) => this.onAuthenticated(info));
    if (this.borrowedReads) {
      for (const chunk of this.inputBeforeAttach.splice(0)) this.receive(connection, chunk, false);
      this.resumeTransport();
    } else {
      this.transport.on('data', (chunk: Buffer) => this.receive(connection, chunk, false));
    }
    this.transport.on('end', () => connection.transportClosed());
    for (const { chunk, callback } of this.pendingWrites.splice(0)) this._write(chunk, 'buffer' as BufferEncoding, callback);
  }

  private receive(connection: Connection, chunk: Uint8Array, borrowed: boolean): void {
    if (borrowed) connection.receiveBorrowed(chunk);
    else connection.receive(chunk);
    if (connection.bufferedBytes > INPUT_HIGH_WATER) {
      this.pauseTransport();
      void connection.idle().then(() => this.resumeTransport());
    }
  }

  /**
   * A read into the shared buffer: `chunk` is only valid during this call. Anything arriving
   * before attach() (a TLS server never speaks first, but a hostile one might) is copied, and
   * reading stops until then.
   */
  private onBorrowedRead(chunk: Uint8Array): boolean {
    const connection = this.connection;
    if (connection) {
      this.receive(connection, chunk, true);
      return true;
    }
    this.inputBeforeAttach.push(new Uint8Array(chunk));
    this.transportPaused = true;
    return false;
  }

  private onHandshake(info: SessionInfo): void {
    this.onSessionInfo(info);
    this.emit('secure');
    this.emit('secureConnect');
  }

  /** node:tls's fields, from what the engine negotiated (again after post-handshake authentication). */
  private onSessionInfo(info: SessionInfo): void {
    this.info = info;
    this.authorized = info.authorized;
    this.authorizationError = info.authorizationError;
    this.alpnProtocol = info.alpnProtocol ?? false;
    this.servername = info.serverName;
  }

  /**
   * A post-handshake authentication finished: the session info now names the client (or still
   * nobody). It is a new object: what getSessionInfo() returned before stays as it was.
   */
  private onAuthenticated(info: SessionInfo): void {
    this.onSessionInfo(info);
    this.pendingAuthentications.shift()?.resolve();
    this.emit('authenticated', info);
  }

  private pauseTransport(): void {
    if (this.transportPaused) return;
    this.transportPaused = true;
    this.transport.pause();
  }

  private resumeTransport(): void {
    if (!this.transportPaused || this.readableLength > this.readableHighWaterMark) return;
    this.transportPaused = false;
    this.transport.resume();
  }

  /**
   * The stream wants data: resume whatever is buffered. Not through resumeTransport's check:
   * Readable.read() calls _read before it takes the chunk it returns, so readableLength can
   * still be above the mark here (a 16 KiB and a 4 KiB chunk buffered), and a _read that
   * pushes nothing is not called again until something is pushed: the connection would stall.
   */
  override _read(): void {
    if (!this.transportPaused) return;
    this.transportPaused = false;
    this.transport.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const connection = this.connection;
    if (!connection) {
      this.pendingWrites.push({ chunk, callback });
      return;
    }
    try {
      connection.write(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    // The transport's own buffer is the queue: wait for it to drain before taking more.
    if ((this.transport as Partial<Socket>).writableNeedDrain) this.transport.once('drain', () => callback());
    else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    // end() right after connect(): the engine holds writes until the handshake is done, and
    // a close_notify now would overtake them. 'secure' fires inside the engine's completion
    // before it flushes those writes, so close on the next tick. (A failed handshake
    // destroys us instead.)
    if (!this.info) {
      this.once('secure', () => process.nextTick(() => this._final(callback)));
      return;
    }
    this.connection!.close();
    this.transport.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const reason = error ?? new TLSError('CONNECTION_CLOSED', 'the connection closed before the client answered the certificate request');
    for (const { reject } of this.pendingAuthentications.splice(0)) reject(reason);
    // What the engine sent last (a fatal alert, usually) must leave before the transport goes.
    if (this.corked) {
      this.corked = false;
      this.transport.uncork();
    }
    this.transport.destroy();
    callback(error);
  }

  // ---- node:tls's TLSSocket surface ----------------------------------------------------

  getProtocol(): string | null {
    return this.info ? 'TLSv1.3' : null;
  }

  getCipher(): { name: string; standardName: string; version: string } | undefined {
    if (!this.info) return undefined;
    const name = cipherSuiteName(this.info.cipherSuite);
    return { name, standardName: name, version: 'TLSv1.3' };
  }

  /** What was negotiated, in wiretls's own terms (group, signature scheme, HRR, resumption). */
  getSessionInfo(): SessionInfo | undefined {
    return this.info;
  }

  getPeerCertificate(detailed = false): PeerCertificate | Record<string, never> {
    const chain = this.info?.peerCertificates ?? [];
    const summaries = [];
    for (const der of chain) {
      try {
        summaries.push(parseCertificate(der).summary);
      } catch {
        break; // keep what parses; the handshake already judged the chain
      }
    }
    return toPeerCertificate(summaries, detailed);
  }

  isSessionReused(): boolean {
    return this.info?.resumed ?? false;
  }

  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer {
    if (!this.connection) throw new TLSError('INVALID_ARGUMENT', 'not connected');
    return Buffer.from(this.connection.exportKeyingMaterial(length, label, context ?? new Uint8Array(0)));
  }

  /**
   * Server side: asks the client for a certificate now, after the handshake (TLS 1.3
   * post-handshake authentication, RFC 8446 §4.6.2; node:tls has no way to do this). Resolves
   * once the client has answered, with `authorized`, `authorizationError` and
   * getPeerCertificate() describing what it sent (an empty answer leaves it unauthenticated),
   * and emits 'authenticated' with the new getSessionInfo(). Throws INVALID_ARGUMENT on a client socket, before the
   * handshake, or when the client did not offer post_handshake_auth; rejects if the
   * connection ends first. The client's bad answer fails the connection like in the handshake.
   */
  requestClientCertificate(): Promise<void> {
    const connection = this.connection;
    if (!(connection instanceof ServerConnection)) throw new TLSError('INVALID_ARGUMENT', 'only a server asks for a client certificate');
    connection.requestClientCertificate();
    return new Promise((resolve, reject) => this.pendingAuthentications.push({ resolve, reject }));
  }

  /** Sends KeyUpdate; with `requestPeer` the peer updates its sending keys too. */
  updateKeys(requestPeer = false): void {
    if (!this.connection) throw new TLSError('INVALID_ARGUMENT', 'not connected');
    this.connection.updateKeys(requestPeer);
  }

  // net.Socket pass-throughs that HTTP clients call.
  setNoDelay(noDelay?: boolean): this {
    (this.transport as Partial<Socket>).setNoDelay?.(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    (this.transport as Partial<Socket>).setKeepAlive?.(enable, initialDelay);
    return this;
  }

  setTimeout(timeout: number, callback?: () => void): this {
    const socket = this.transport as Partial<Socket>;
    if (socket.setTimeout) {
      socket.setTimeout(timeout);
      socket.removeAllListeners?.('timeout');
      if (timeout > 0) socket.on?.('timeout', () => this.emit('timeout'));
    }
    if (callback) this.once('timeout', callback);
    return this;
  }

  ref(): this {
    (this.transport as Partial<Socket>).ref?.();
    return this;
  }

  unref(): this {
    (this.transport as Partial<Socket>).unref?.();
    return this;
  }

  address(): ReturnType<Socket['address']> | Record<string, never> {
    return (this.transport as Partial<Socket>).address?.() ?? {};
  }

  /**
   * The peer as it was while connected: a net.Socket forgets it once destroyed, and a failed
   * handshake ('tlsClientError') is reported after that, when a log most needs to say who it was.
   */
  private rememberPeer(): void {
    const t = this.transport as Partial<Socket>;
    if (t.remoteAddress !== undefined) this.peer = { address: t.remoteAddress, port: t.remotePort, family: t.remoteFamily };
  }

  private peer: { address?: string | undefined; port?: number | undefined; family?: string | undefined } = {};

  get remoteAddress(): string | undefined {
    return (this.transport as Partial<Socket>).remoteAddress ?? this.peer.address;
  }

  get remotePort(): number | undefined {
    return (this.transport as Partial<Socket>).remotePort ?? this.peer.port;
  }

  get remoteFamily(): string | undefined {
    return (this.transport as Partial<Socket>).remoteFamily ?? this.peer.family;
  }

  get localAddress(): string | undefined {
    return (this.transport as Partial<Socket>).localAddress;
  }

  get localPort(): number | undefined {
    return (this.transport as Partial<Socket>).localPort;
  }

  /** Like net.Socket's: the TCP connection is being set up (the handshake is 'secureConnect'). */
  get connecting(): boolean {
    return (this.transport as Partial<Socket>).connecting ?? false;
  }
}

/**
 * Transport failures as TLSErrors with the engine's stable codes: before the TCP connection
 * is up it is CONNECT_FAILED (refused, unreachable), afterwards the session was cut off
 * (CONNECTION_CLOSED, e.g. a reset). The system error stays as `cause` (its code, errno).
 */
function transportError(error: Error, connected: boolean): TLSError {
  if (error instanceof TLSError) return error;
  return connected ? new TLSError('CONNECTION_CLOSED', `transport failed: ${error.message}`, { cause: error }) : new TLSError('CONNECT_FAILED', error.message, { cause: error });
}
