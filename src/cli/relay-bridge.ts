import { type Socket, connect } from 'node:net';
import type { WebSocket } from 'ws';
import type { Destination } from './relay-destination.js';

/**
 * One relayed connection: a WebSocket from a browser (binary messages) joined to a TCP
 * connection to an allowed destination. Each direction stops reading its source while the
 * other side's send queue is full, so a slow end costs the relay a bounded amount of memory.
 */

/** What the per-connection log line reports. */
export interface BridgeRecord {
  peer: string;
  to: string;
  /** Bytes from the WebSocket client to the destination. */
  bytesUp: number;
  /** Bytes from the destination to the WebSocket client. */
  bytesDown: number;
  durationMs: number;
  /** Why it ended: the first cause seen. */
  reason: string;
}

export interface BridgeOptions {
  /** Ends a connection with no traffic either way for this long (ms). */
  idleTimeoutMs: number;
  /** The WebSocket's bufferedAmount above which the TCP socket is paused. */
  highWaterMark: number;
  onEnd: (record: BridgeRecord) => void;
}

/** RFC 6455 §7.4.1 status codes. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policyViolation: 1008,
  internalError: 1011,
} as const;

/** After the client left, how long the destination gets to take what is still queued (ms). */
const LINGER_MS = 2_000;

export class Bridge {
  private readonly socket: Socket;
  private readonly started = performance.now();
  private bytesUp = 0;
  private bytesDown = 0;
  private reason: string | undefined;
  private connected = false;
  /** The TCP socket's buffer is full: the WebSocket is paused until 'drain'. */
  private tcpBlocked = false;
  private wsClosed = false;
  private tcpClosed = false;
  private readonly idleTimer: NodeJS.Timeout;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly destination: Destination,
    private readonly peer: string,
    private readonly options: BridgeOptions,
  ) {
    // Nothing is read from the client until the destination answers: what it sends meanwhile
    // waits in the kernel, not here.
    ws.pause();
    this.idleTimer = setTimeout(() => this.end('idle timeout', CloseCode.goingAway, 'idle timeout'), options.idleTimeoutMs);
    this.socket = connect({ host: destination.host, port: destination.port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.connected = true;
      this.touch();
      if (!this.tcpBlocked) ws.resume();
    });
    this.socket.on('data', (chunk: Buffer) => this.fromDestination(chunk));
    this.socket.on('drain', () => {
      this.tcpBlocked = false;
      if (this.connected && !this.wsClosed) ws.resume();
    });
    this.socket.on('end', () => this.end('destination closed', CloseCode.normal, ''));
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      const what = this.connected ? 'destination error' : 'cannot connect to destination';
      this.end(`${what}: ${error.code ?? error.message}`, CloseCode.internalError, `${what}${error.code ? `: ${error.code}` : ''}`);
    });
    this.socket.on('close', () => {
      this.tcpClosed = true;
      clearTimeout(this.lingerTimer);
      // The destination is gone (or we destroyed it): the client must not wait for more.
      this.end('destination closed', CloseCode.normal, '');
      this.finishIfDone();
    });

    ws.on('message', (data: Buffer, isBinary: boolean) => this.fromClient(data, isBinary));
    ws.on('close', (code: number) => {
      this.wsClosed = true;
      this.reason ??= `client closed (${code})`;
      this.closeTcpGently();
      this.finishIfDone();
    });
    ws.on('error', (error: Error) => {
      this.reason ??= `client error: ${error.message}`;
      this.socket.destroy();
    });
  }

  /** Ends the connection for `reason` (SIGTERM, idle timeout). */
  end(reason: string, code: number, closeReason: string): void {
    this.reason ??= reason;
    if (!this.wsClosed) {
      // The closing handshake needs the client's Close frame read (RFC 6455 §7.1.2).
      this.ws.resume();
      this.ws.close(code, closeReason);
    }
    if (code !== CloseCode.normal) this.socket.destroy();
    else this.closeTcpGently();
  }

  private fromClient(data: Buffer, isBinary: boolean): void {
    // TLS records travel in binary messages; text means a confused or hostile client.
    if (!isBinary) {
      this.end('text message from the client', CloseCode.unsupportedData, 'binary messages only');
      return;
    }
    this.bytesUp += data.length;
    this.touch();
    if (!this.socket.write(data)) {
      this.tcpBlocked = true;
      this.ws.pause();
    }
  }

  private fromDestination(chunk: Buffer): void {
    this.bytesDown += chunk.length;
    this.touch();
    this.ws.send(chunk, { binary: true }, () => {
      if (this.socket.isPaused() && this.ws.bufferedAmount < this.options.highWaterMark) this.socket.resume();
    });
    if (this.ws.bufferedAmount >= this.options.highWaterMark) this.socket.pause();
  }

  private touch(): void {
    this.idleTimer.refresh();
  }

  /** Our end of TCP: FIN after what is queued, and no waiting for ever for the destination's. */
  private closeTcpGently(): void {
    if (this.tcpClosed || this.lingerTimer) return;
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), LINGER_MS);
  }

  private finishIfDone(): void {
    if (!this.wsClosed || !this.tcpClosed) return;
    clearTimeout(this.idleTimer);
    clearTimeout(this.lingerTimer);
    this.options.onEnd({
      peer: this.peer,
      to: this.destination.text,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      durationMs: Math.round(performance.now() - this.started),
      reason: this.reason ?? 'closed',
    });
  }
}
