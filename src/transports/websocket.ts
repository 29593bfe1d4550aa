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
  const writableHighWaterMark = options.writableHighWaterMark ?? DEFAULT_WRITABLE_HIGH_WATER_MARK;
  ws.binaryType = 'arraybuffer';
  let readController!: ReadableStreamDefaultController<Uint8Array>;
  let writeController!: WritableStreamDefaultController;
  let readableDone = false;
  let failure: TLSError | undefined;
  let closed = false;
  let paused = false;
  let isOpen = ws.readyState === OPEN;

  const opened = new Promise<void>((resolve, reject) => {
    if (ws.readyState === OPEN) resolve();
    else if (ws.readyState !== CONNECTING) reject(new TLSError('CONNECT_FAILED', 'the WebSocket is already closing or closed'));
    else {
      const onOpen = (): void => {
        ws.removeEventListener('open', onOpen);
        isOpen = true;
        resolve();
      };
      ws.addEventListener('open', onOpen);
    }
  });
  opened.catch((error: TLSError) => fail(error));
  /** Settles when the stream has ended or failed (see fail and end). */
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));

  function fail(error: TLSError): void {
    clearTimeout(errorTimer);
    if (closed) return;
    closed = true;
    failure = error;
    settle();
    detach();
    if (!readableDone) {
      readableDone = true;
      readController.error(error);
    }
    writeController.error(error);
  }

  function end(): void {
    if (closed) return;
    closed = true;
    settle();
    detach();
    if (!readableDone) {
      readableDone = true;
      readController.close();
    }
    writeController.error(new TLSError('CONNECTION_CLOSED', 'the WebSocket is closed'));
  }

  const onMessage = (event: WebSocketEvent): void => {
    if (readableDone) return;
    const data = event.data;
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      // A text frame (or a Blob where binaryType was not honoured) is not part of the stream.
      ws.close(ABORTED, 'binary frames only');
      fail(new TLSError('CONNECTION_CLOSED', `the WebSocket peer sent a ${typeof data === 'string' ? 'text' : 'non-binary'} message; the byte stream takes binary messages only`));
      return;
    }
    readController.enqueue(bytes);
    if ((readController.desiredSize ?? 0) <= 0 && ws.pause && ws.resume && !paused) {
      paused = true;
      ws.pause();
    }
  };
  /** An error event, kept for the close event that follows it (WHATWG: error, then close). */
  let socketError: TLSError | undefined;
  let errorTimer: ReturnType<typeof setTimeout> | undefined;
  const onClose = (event: WebSocketEvent): void => {
    clearTimeout(errorTimer);
    const code = typeof event.code === 'number' ? event.code : NO_STATUS;
    if (socketError === undefined && (code === NORMAL_CLOSURE || code === NO_STATUS)) end();
    else {
      // The close code and reason say more than an error event (a relay's 1008 refusal can
      // race with our ClientHello and surface as a write error first).
      const reason = typeof event.reason === 'string' && event.reason ? `: ${event.reason}` : '';
      const detail = socketError ? ` (${socketError.message})` : '';
      fail(new TLSError(isOpen ? 'CONNECTION_CLOSED' : 'CONNECT_FAILED', `the WebSocket closed with code ${code}${reason}${detail}`, { cause: socketError }));
    }
  };
  const onError = (event: WebSocketEvent): void => {
    const detail = typeof event.message === 'string' && event.message ? `: ${event.message}` : '';
    socketError ??= new TLSError(isOpen ? 'CONNECTION_CLOSED' : 'CONNECT_FAILED', `the WebSocket failed${detail}`, { cause: event.error });
    // A close event should follow at once; should one never come, the error stands alone.
    const error = socketError;
    errorTimer ??= setTimeout(() => fail(error), ERROR_CLOSE_WAIT_MS);
  };
  ws.addEventListener('message', onMessage);
  ws.addEventListener('close', onClose);
  ws.addEventListener('error', onError);
  function detach(): void {
    ws.removeEventListener('message', onMessage);
    ws.removeEventListener('close', onClose);
    ws.removeEventListener('error', onError);
  }

  function closeSocket(code: number, reason?: string): void {
    if (ws.readyState === CONNECTING || ws.readyState === OPEN) ws.close(code, reason);
  }

  const readable = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        readController = controller;
      },
      pull() {
        if (paused) {
          paused = false;
          ws.resume?.();
        }
      },
      cancel() {
        readableDone = true;
        closeSocket(NORMAL_CLOSURE);
        end();
      },
    },
    { highWaterMark: options.readableHighWaterMark ?? DEFAULT_READABLE_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );

  /**
   * Why writing is over. A socket the peer is closing is CLOSING before its close event fires:
   * that event's code and reason (a relay's 1008 refusal) explain more than "closed", so they
   * are waited for, briefly.
   */
  async function closedError(): Promise<TLSError> {
    if (!closed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, ERROR_CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
    }
    return failure ?? new TLSError('CONNECTION_CLOSED', 'the WebSocket is closed');
  }

  /** Resolves once the socket's send queue is below the high-water mark (WHATWG has no event for it). */
  async function drained(): Promise<void> {
    while (ws.bufferedAmount > writableHighWaterMark) {
      if (closed) throw failure ?? new TLSError('CONNECTION_CLOSED', 'the WebSocket is closed');
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  const writable = new WritableStream<Uint8Array>({
    start(controller) {
      writeController = controller;
    },
    async write(chunk) {
      await opened;
      // A closing browser WebSocket drops sends silently: say so instead.
      if (closed || ws.readyState !== OPEN) throw await closedError();
      ws.send(chunk);
      await drained();
    },
    async close() {
      await opened.catch(noop);
      // The WebSocket has no half-close: ending the writable ends the socket.
      closeSocket(NORMAL_CLOSURE);
    },
    abort(reason) {
      closeSocket(ABORTED, 'aborted');
      fail(reason instanceof TLSError ? reason : new TLSError('CONNECTION_CLOSED', 'the byte stream was aborted', { cause: reason }));
    },
  });
  return { readable, writable };
}

function noop(): void {
  // A failure already reported to both streams.
}
