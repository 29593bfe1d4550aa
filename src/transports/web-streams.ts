import type { ClientConfig, ServerConfig } from '../config.js';
import { ClientConnection, type Connection, ServerConnection } from '../connection.js';
import { TLSError } from '../errors.js';
import type { SessionInfo } from '../handshake-context.js';

/**
 * TLS over a Web Streams byte transport: what Deno.connect, Bun, Cloudflare Workers' connect()
 * and Node's Duplex.toWeb give, and what webSocketStreams() makes of a WebSocket. A thin loop
 * around the sans-I/O connection: transport bytes go to `receive`, 'send' bytes go to the
 * transport's writer, 'data' becomes the plaintext readable and the plaintext writable feeds
 * `write`. Nothing here knows TLS beyond the connection's events.
 */

/** A bidirectional byte transport. */
export interface ByteStreams {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

export interface TLSStreamOptions {
  /**
   * Plaintext bytes queued for the application before the transport is no longer read
   * (default 64 KiB). The queue can pass it by what one transport chunk decrypts to.
   */
  readableHighWaterMark?: number;
  /**
   * Aborts the connection without close_notify (AbortSignal.timeout() for a deadline): the
   * transport is closed at once and both streams and the handshake fail with a TLSError
   * (code TIMEOUT for a TimeoutError reason, CONNECTION_CLOSED otherwise).
   */
  signal?: AbortSignal;
}

/** A TLS connection over a byte transport, as Web Streams of plaintext. */
export interface TLSStreams<C extends Connection> {
  /**
   * Plaintext from the peer. Ends at the peer's close_notify; errors with a TLSError on any
   * failure, including a transport that closes without close_notify (truncation, RFC 8446 §6.1).
   * Cancelling it closes the connection as `close()` does.
   */
  readable: ReadableStream<Uint8Array>;
  /**
   * Plaintext to the peer; writes wait for the handshake and for the transport to take the
   * records. Closing it sends close_notify; the transport closes once the peer's close_notify
   * arrived too. Aborting it aborts the connection.
   */
  writable: WritableStream<Uint8Array>;
  /** Resolves when the handshake completes; rejects with the TLSError that ended it. */
  handshake: Promise<SessionInfo>;
  /** The engine, for what the streams do not show (session tickets, exporters, KeyUpdate). */
  connection: C;
  /**
   * Sends close_notify (unless already sent), closes the transport and ends both streams
   * without waiting for the peer's close_notify. Resolves once the transport is closed; never
   * rejects.
   */
  close(): Promise<void>;
}

const DEFAULT_READABLE_HIGH_WATER_MARK = 64 * 1024;
/** How long a failed connection waits for its alert to leave before it aborts the transport (ms). */
const FAILURE_FLUSH_MS = 2_000;

/** Starts a TLS client over `transport`. */
export function connectStreams(transport: ByteStreams, config: ClientConfig, options: TLSStreamOptions = {}): TLSStreams<ClientConnection> {
  const connection = new ClientConnection(config);
  const adapter = new StreamAdapter(transport, connection, options);
  connection.start();
  adapter.startReading();
  return adapter.api();
}

/** Serves TLS over `transport` (one accepted connection). */
export function acceptStreams(transport: ByteStreams, config: ServerConfig, options: TLSStreamOptions = {}): TLSStreams<ServerConnection> {
  const connection = new ServerConnection(config);
  const adapter = new StreamAdapter(transport, connection, options);
  adapter.startReading();
  return adapter.api();
}

function noop(): void {
  // Rejections this adapter reports elsewhere (or that cannot matter any more) are dropped here.
}

/** Bytes from a transport chunk; runtimes differ in what they hand out. */
function chunkBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TLSError('INVALID_ARGUMENT', `the transport produced a ${typeof chunk} chunk, not bytes`);
}

/** Resolves with false after `ms`: the losing side of a race against a flush. */
function delay(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function abortError(reason: unknown): TLSError {
  if (reason instanceof TLSError) return reason;
  const timeout = reason instanceof Error && reason.name === 'TimeoutError';
  return new TLSError(timeout ? 'TIMEOUT' : 'CONNECTION_CLOSED', timeout ? 'the connection timed out' : `the connection was aborted: ${describe(reason)}`, { cause: reason });
}

class StreamAdapter<C extends Connection> {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly handshake: Promise<SessionInfo>;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readController!: ReadableStreamDefaultController<Uint8Array>;
  private writeController!: WritableStreamDefaultController;
  private settleHandshake!: { resolve: (info: SessionInfo) => void; reject: (error: TLSError) => void };
  private handshakeSettled = false;
  /** The plaintext readable was closed, errored or cancelled: enqueue nothing more. */
  private readableDone = false;
  /** The application closed the writable: our close_notify is out. */
  private writableDone = false;
  /** The peer's close_notify arrived: nothing more will be read. */
  private peerEnded = false;
  /** Why the transport failed, to explain the engine's "transport closed" error. */
  private transportError: unknown;
  /** Set once the connection is over: the transport is closing or closed. */
  private finished: Promise<void> | undefined;
  /** The read loop waits here while the application's queue is full. */
  private wakeReader: (() => void) | undefined;
  private readonly removeAbortListener: () => void;

  constructor(
    transport: ByteStreams,
    private readonly connection: C,
    options: TLSStreamOptions,
  ) {
    if (transport.readable.locked || transport.writable.locked) throw new TLSError('INVALID_ARGUMENT', 'the transport streams are locked by another reader or writer');
    this.reader = transport.readable.getReader();
    this.writer = transport.writable.getWriter();
    // Nobody may await the handshake (a stream user learns of failures from the streams).
    this.handshake = new Promise<SessionInfo>((resolve, reject) => (this.settleHandshake = { resolve, reject }));
    this.handshake.catch(noop);

    const highWaterMark = options.readableHighWaterMark ?? DEFAULT_READABLE_HIGH_WATER_MARK;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.readController = controller;
        },
        pull: () => this.wake(),
        cancel: () => {
          this.readableDone = true;
          return this.close();
        },
      },
      { highWaterMark, size: (chunk) => chunk.byteLength },
    );
    this.writable = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.writeController = controller;
      },
      write: (chunk) => this.write(chunk),
      close: () => this.closeWriting(),
      abort: (reason) => this.abort(reason),
    });

    connection.on('send', (bytes) => {
      if (this.finished) return;
      this.writer.write(bytes).catch((error: unknown) => this.transportFailed(error));
    });
    connection.on('handshake', (info) => {
      this.handshakeSettled = true;
      this.settleHandshake.resolve(info);
    });
    connection.on('data', (bytes) => {
      if (!this.readableDone) this.readController.enqueue(bytes);
    });
    connection.on('end', () => {
      this.peerEnded = true;
      if (!this.readableDone) {
        this.readableDone = true;
        this.readController.close();
      }
      if (this.writableDone) void this.shutdown(undefined);
    });
    connection.on('error', (error) => void this.shutdown(this.explain(error)));

    const signal = options.signal;
    if (signal) {
      const onAbort = (): void => void this.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.removeAbortListener = () => signal.removeEventListener('abort', onAbort);
      if (signal.aborted) queueMicrotask(onAbort);
    } else this.removeAbortListener = noop;
  }

  api(): TLSStreams<C> {
    return { readable: this.readable, writable: this.writable, handshake: this.handshake, connection: this.connection, close: () => this.close() };
  }

  startReading(): void {
    void this.readLoop();
  }

  /**
   * Reads the transport only while the application's plaintext queue has room, and lets each
   * chunk's handshake step finish before the next: what this holds is bounded by the
   * readable's high-water mark plus one transport chunk.
   */
  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        while (!this.finished && (this.readController.desiredSize ?? 0) <= 0 && !this.readableDone) {
          await new Promise<void>((resolve) => (this.wakeReader = resolve));
        }
        if (this.finished) return;
        const { done, value } = await this.reader.read();
        if (this.finished) return;
        if (done) {
          this.connection.transportClosed();
          return;
        }
        this.connection.receive(chunkBytes(value));
        await this.connection.idle();
        // After close_notify the engine reads nothing (RFC 8446 §6.1); the transport is closed
        // once our side is done too.
        if (this.peerEnded || this.connection.error) return;
      }
    } catch (error) {
      if (this.finished) return;
      this.transportError = error;
      // Records already received are still read (an alert among them says why the peer left).
      this.connection.transportClosed();
    }
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  private async write(chunk: Uint8Array): Promise<void> {
    await this.handshake;
    if (this.finished) throw this.connection.error ?? new TLSError('CONNECTION_CLOSED', 'the connection is closed');
    this.connection.write(chunkBytes(chunk));
    await this.transportReady();
  }

  /** The application closed the writable: close_notify, and the end if the peer already sent its own. */
  private async closeWriting(): Promise<void> {
    await this.handshake;
    this.writableDone = true;
    this.connection.close();
    await this.transportReady();
    if (this.peerEnded) await this.shutdown(undefined);
  }

  private async transportReady(): Promise<void> {
    try {
      await this.writer.ready;
    } catch (error) {
      this.transportFailed(error);
      throw this.connection.error ?? this.explain(new TLSError('CONNECTION_CLOSED', 'the transport failed'));
    }
  }

  /** A failed transport write: the engine ends the connection as for a closed transport. */
  private transportFailed(error: unknown): void {
    if (this.finished) return;
    this.transportError ??= error;
    this.connection.transportClosed();
    // While a handshake step runs the engine reports the end after it; the transport is gone now.
    if (!this.finished) void this.shutdown(this.explain(new TLSError('CONNECTION_CLOSED', 'the transport failed')));
  }

  /** The engine's "transport closed" error, with the transport's own reason when it gave one. */
  private explain(error: TLSError): TLSError {
    if (error.code !== 'CONNECTION_CLOSED' || this.transportError === undefined) return error;
    return new TLSError('CONNECTION_CLOSED', `${error.message}: ${describe(this.transportError)}`, { cause: this.transportError });
  }

  async close(): Promise<void> {
    if (!this.finished && !this.connection.error) {
      try {
        this.connection.close();
      } catch {
        // close() only throws for a failed connection, which the error event already handled.
      }
    }
    return this.shutdown(undefined);
  }

  private abort(reason: unknown): Promise<void> {
    if (this.finished) return this.finished;
    const error = abortError(reason);
    // The engine learns the transport is gone; its own error event is then a no-op here.
    this.finished = this.settle(error).then(() => this.cut(error));
    this.connection.transportClosed();
    return this.finished;
  }

  /**
   * Drops the transport without flushing. The abort is not awaited: a WritableStream aborts
   * only after its write in flight settles, which a peer that does not read can hold up for
   * ever; cancelling the readable ends a socket (Node's toWeb destroys it), which ends that write.
   */
  private async cut(error: TLSError | undefined): Promise<void> {
    this.writer.abort(error).catch(noop);
    await this.reader.cancel(error).catch(noop);
  }

  /**
   * Ends the connection for the application (`error` undefined: cleanly) and closes the
   * transport, writing first what is queued (close_notify or the alert that ended it).
   */
  private shutdown(error: TLSError | undefined): Promise<void> {
    if (this.finished) return this.finished;
    this.finished = this.settle(error).then(async () => {
      const closed = this.writer.close().then(
        () => true,
        () => true,
      );
      // After a failure the alert is a courtesy: a peer that does not read (its window full)
      // must not hold the transport open for ever, so it gets a grace period, then an abort.
      const flushed = error ? await Promise.race([closed, delay(FAILURE_FLUSH_MS)]) : await closed;
      if (flushed) await this.reader.cancel().catch(noop);
      else await this.cut(error);
    });
    return this.finished;
  }

  private settle(error: TLSError | undefined): Promise<void> {
    this.removeAbortListener();
    if (!this.handshakeSettled) {
      this.handshakeSettled = true;
      this.settleHandshake.reject(error ?? new TLSError('CONNECTION_CLOSED', 'closed before the handshake completed'));
    }
    if (!this.readableDone) {
      this.readableDone = true;
      if (error) this.readController.error(error);
      else this.readController.close();
    }
    if (!this.writableDone) {
      this.writableDone = true;
      this.writeController.error(error ?? new TLSError('CONNECTION_CLOSED', 'the connection is closed'));
    }
    this.wake();
    return Promise.resolve();
  }
}
