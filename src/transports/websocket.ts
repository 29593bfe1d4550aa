import { TLSError } from '../errors.js';
import type { ByteStreams } from './web-streams.js';

/**
 * A WebSocket as a byte transport ({readable, writable}), for TLS through a relay such as
 * `wiretls relay`: every binary message is a chunk of the byte stream, each way (RFC 6455
 * frames carry the TLS records; message boundaries mean nothing).
 */

/**
 * What this adapter needs of a WebSocket: the browser's, Deno's, Bun's, Node 22's global one,
 * Cloudflare's and the `ws` package's all have it. `pause`/`resume` (ws) are used when present
 * to stop reading while the application is behind; the WHATWG WebSocket cannot be paused, so
 * there a slow reader leaves messages queued in the readable.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: WebSocketEvent) => void): void;
  removeEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: WebSocketEvent) => void): void;
  pause?(): void;
  resume?(): void;
}

/**
 * The event fields read here, on every implementation's events (MessageEvent.data,
 * CloseEvent.code and reason, ErrorEvent.message and error); each is checked where it is read.
 */
export interface WebSocketEvent {
  readonly type: string;
  readonly data?: unknown;
  readonly code?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
  readonly error?: unknown;
}

export interface WebSocketStreamOptions {
  /** Bytes the socket may have queued for sending before writes wait (default 1 MiB). */
  writableHighWaterMark?: number;
  /** Received bytes queued in the readable before a pausable socket is paused (default 64 KiB). */
  readableHighWaterMark?: number;
}

/** WHATWG readyState values. */
const CONNECTING = 0;
const OPEN = 1;

/** RFC 6455 §7.4.1: normal closure; 1005: the peer closed without a status code. */
const NORMAL_CLOSURE = 1000;
const NO_STATUS = 1005;
/** Browsers let a script close only with 1000 or 3000-4999 (WHATWG close()). */
const ABORTED = 4000;

const DEFAULT_WRITABLE_HIGH_WATER_MARK = 1 << 20;
const DEFAULT_READABLE_HIGH_WATER_MARK = 64 * 1024;
/** How long an error event waits for the close event that should follow it (ms). */
const ERROR_CLOSE_WAIT_MS = 1_000;
/** bufferedAmount has no event when it drops: how often a blocked write looks again (ms). */
const DRAIN_POLL_MS = 5;

export function webSocketStreams(ws: WebSocketLike, options: WebSocketStreamOptions = {}): ByteStreams {
  return new WebSocketStreams(ws, options).streams();
}

/**
 * The two streams' shared state: one socket, one ending. Whatever ends it first (the peer's
 * close, an error, a text frame, the application's cancel or abort) ends both streams, once,
 * and takes this adapter's listeners off the socket.
 */
class WebSocketStreams {
  private readonly writableHighWaterMark: number;
  private readController!: ReadableStreamDefaultController<Uint8Array>;
  private writeController!: WritableStreamDefaultController;
  private readableDone = false;
  private failure: TLSError | undefined;
  private closed = false;
  private paused = false;
  private isOpen: boolean;
  private readonly opened: Promise<void>;
  /** Settles when the stream has ended or failed (see fail and end). */
  private settle!: () => void;
  private readonly settled = new Promise<void>((resolve) => (this.settle = resolve));
  /** An error event, kept for the close event that follows it (WHATWG: error, then close). */
  private socketError: TLSError | undefined;
  private errorTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ws: WebSocketLike,
    private readonly options: WebSocketStreamOptions,
  ) {
    this.writableHighWaterMark = options.writableHighWaterMark ?? DEFAULT_WRITABLE_HIGH_WATER_MARK;
    ws.binaryType = 'arraybuffer';
    this.isOpen = ws.readyState === OPEN;
    this.opened = new Promise<void>((resolve, reject) => {
      if (ws.readyState === OPEN) resolve();
      else if (ws.readyState !== CONNECTING) reject(new TLSError('CONNECT_FAILED', 'the WebSocket is already closing or closed'));
      else {
        const onOpen = (): void => {
          ws.removeEventListener('open', onOpen);
          this.isOpen = true;
          resolve();
        };
        ws.addEventListener('open', onOpen);
      }
    });
    this.opened.catch((error: TLSError) => this.fail(error));
    ws.addEventListener('message', this.onMessage);
    ws.addEventListener('close', this.onClose);
    ws.addEventListener('error', this.onError);
  }

  streams(): ByteStreams {
    return { readable: this.readable(), writable: this.writable() };
  }

  private fail(error: TLSError): void {
    clearTimeout(this.errorTimer);
    if (this.closed) return;
    this.closed = true;
    this.failure = error;
    this.settle();
    this.detach();
    if (!this.readableDone) {
      this.readableDone = true;
      this.readController.error(error);
    }
    this.writeController.error(error);
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.settle();
    this.detach();
    if (!this.readableDone) {
      this.readableDone = true;
      this.readController.close();
    }
    this.writeController.error(new TLSError('CONNECTION_CLOSED', 'the WebSocket is closed'));
  }

  private readonly onMessage = (event: WebSocketEvent): void => {
    if (this.readableDone) return;
    const data = event.data;
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      // A text frame (or a Blob where binaryType was not honoured) is not part of the stream.
      this.ws.close(ABORTED, 'binary frames only');
      this.fail(
        new TLSError('CONNECTION_CLOSED', `the WebSocket peer sent a ${typeof data === 'string' ? 'text' : 'non-binary'} message; the byte stream takes binary messages only`),
      );
      return;
    }
    this.readController.enqueue(bytes);
    if ((this.readController.desiredSize ?? 0) <= 0 && this.ws.pause && this.ws.resume && !this.paused) {
      this.paused = true;
      this.ws.pause();
    }
  };

  private readonly onClose = (event: WebSocketEvent): void => {
    clearTimeout(this.errorTimer);
    const code = typeof event.code === 'number' ? event.code : NO_STATUS;
    if (this.socketError === undefined && (code === NORMAL_CLOSURE || code === NO_STATUS)) this.end();
    else {
      // The close code and reason say more than an error event (a relay's 1008 refusal can
      // race with our ClientHello and surface as a write error first).
      const reason = typeof event.reason === 'string' && event.reason ? `: ${event.reason}` : '';
      const detail = this.socketError ? ` (${this.socketError.message})` : '';
      this.fail(new TLSError(this.isOpen ? 'CONNECTION_CLOSED' : 'CONNECT_FAILED', `the WebSocket closed with code ${code}${reason}${detail}`, { cause: this.socketError }));
    }
  };

  private readonly onError = (event: WebSocketEvent): void => {
    const detail = typeof event.message === 'string' && event.message ? `: ${event.message}` : '';
    this.socketError ??= new TLSError(this.isOpen ? 'CONNECTION_CLOSED' : 'CONNECT_FAILED', `the WebSocket failed${detail}`, { cause: event.error });
    // A close event should follow at once; should one never come, the error stands alone.
    const error = this.socketError;
    this.errorTimer ??= setTimeout(() => this.fail(error), ERROR_CLOSE_WAIT_MS);
  };

  private detach(): void {
    this.ws.removeEventListener('message', this.onMessage);
    this.ws.removeEventListener('close', this.onClose);
    this.ws.removeEventListener('error', this.onError);
  }

  private closeSocket(code: number, reason?: string): void {
    if (this.ws.readyState === CONNECTING || this.ws.readyState === OPEN) this.ws.close(code, reason);
  }

  private readable(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.readController = controller;
        },
        pull: () => {
          if (this.paused) {
            this.paused = false;
            this.ws.resume?.();
          }
        },
        cancel: () => {
          this.readableDone = true;
          this.closeSocket(NORMAL_CLOSURE);
          this.end();
        },
      },
      { highWaterMark: this.options.readableHighWaterMark ?? DEFAULT_READABLE_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
    );
  }

  /**
   * Why writing is over. A socket the peer is closing is CLOSING before its close event fires:
   * that event's code and reason (a relay's 1008 refusal) explain more than "closed", so they
   * are waited for, briefly.
   */
  private async closedError(): Promise<TLSError> {
    if (!this.closed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.settled, new Promise((resolve) => (timer = setTimeout(resolve, ERROR_CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
    }
    return this.failure ?? new TLSError('CONNECTION_CLOSED', 'the WebSocket is closed');
  }

  /** Resolves once the socket's send queue is below the high-water mark (WHATWG has no event for it). */
  private async drained(): Promise<void> {
    while (this.ws.bufferedAmount > this.writableHighWaterMark) {
      if (this.closed) throw this.failure ?? new TLSError('CONNECTION_CLOSED', 'the WebSocket is closed');
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  private writable(): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({
      start: (controller) => {
        this.writeController = controller;
      },
      write: async (chunk) => {
        await this.opened;
        // A closing browser WebSocket drops sends silently: say so instead.
        if (this.closed || this.ws.readyState !== OPEN) throw await this.closedError();
        this.ws.send(chunk);
        await this.drained();
      },
      close: async () => {
        await this.opened.catch(noop);
        // The WebSocket has no half-close: ending the writable ends the socket.
        this.closeSocket(NORMAL_CLOSURE);
      },
      abort: (reason) => {
        this.closeSocket(ABORTED, 'aborted');
        this.fail(reason instanceof TLSError ? reason : new TLSError('CONNECTION_CLOSED', 'the byte stream was aborted', { cause: reason }));
      },
    });
  }
}

function noop(): void {
  // A failure already reported to both streams.
}
