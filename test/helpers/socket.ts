import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { ClientConnection, type Connection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { TLSError } from '../../src/errors.js';
import type { SessionInfo, TraceEvent } from '../../src/handshake-context.js';

/**
 * Joins a sans-I/O Connection to a real net.Socket for interop tests: the connection's bytes
 * go to socket.write, the socket's bytes to receive(), and the end of the socket (FIN, reset,
 * error) to transportClosed(). Everything the connection reports is collected, and every wait
 * has a timeout, so a silent peer fails the test instead of hanging it.
 */
export interface SocketPeer<C extends Connection = Connection> {
  readonly connection: C;
  readonly socket: Socket;
  /** Resolves on 'handshake'; rejects with the connection's error if it fails first. */
  readonly handshake: Promise<SessionInfo>;
  /** Like `handshake`, with a timeout that reports the state and the peer's output. */
  waitForHandshake(timeoutMs?: number): Promise<SessionInfo>;
  /** Application data received so far, joined. */
  received(): Uint8Array;
  receivedText(): string;
  readonly errors: TLSError[];
  readonly trace: TraceEvent[];
  /** The peer's close_notify arrived. */
  readonly ended: boolean;
  /** The TCP socket has closed. */
  readonly socketClosed: boolean;
  /** Socket-level errors (ECONNRESET...), for diagnostics. */
  readonly socketErrors: Error[];
  /** Resolves when `predicate` holds (checked after every event); rejects after timeoutMs. */
  until(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Waits until the received text contains `text`. */
  waitForText(text: string, timeoutMs?: number): Promise<void>;
  /** Waits for the peer's close_notify. */
  waitForEnd(timeoutMs?: number): Promise<void>;
  /** Waits for a connection error and returns it. */
  waitForError(timeoutMs?: number): Promise<TLSError>;
  /** Waits until the TCP socket has closed. */
  waitForSocketClose(timeoutMs?: number): Promise<void>;
  /** Sends close_notify; ends the TCP socket too once the peer's close_notify has arrived. */
  close(): void;
  /** Tears the socket down (no TLS close). */
  destroy(): void;
}

const DEFAULT_WAIT_MS = 10_000;

export function attach<C extends Connection>(connection: C, socket: Socket, describe: () => string = () => ''): SocketPeer<C> {
  const chunks: Uint8Array[] = [];
  let receivedLength = 0;
  const errors: TLSError[] = [];
  const trace: TraceEvent[] = [];
  const socketErrors: Error[] = [];
  let ended = false;
  let socketClosed = false;
  const waiters = new Set<() => void>();
  const changed = (): void => {
    for (const check of [...waiters]) check();
  };

  connection.on('send', (bytes) => {
    if (!socket.destroyed && socket.writable) socket.write(bytes);
  });
  connection.on('data', (bytes) => {
    chunks.push(bytes.slice());
    receivedLength += bytes.length;
    changed();
  });
  connection.on('end', () => {
    ended = true;
    // Both close_notify sent and received: nothing more will cross this socket.
    if (connection.state === 'closed' && !socket.destroyed) socket.end();
    changed();
  });
  connection.on('error', (error) => {
    errors.push(error);
    // The alert (if any) was already written; let it drain, then close our side.
    if (!socket.destroyed) socket.end();
    changed();
  });
  connection.on('trace', (event) => {
    trace.push(event);
    changed();
  });
  connection.on('handshake', () => changed());

  // A plain Uint8Array view: Buffer's slice() shares memory where Uint8Array's copies.
  socket.on('data', (data: Buffer) => connection.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
  // A FIN, a reset or any socket error ends the transport: before close_notify that is an
  // error the connection reports (CONNECTION_CLOSED), never a silent hang.
  socket.on('end', () => connection.transportClosed());
  socket.on('error', (error) => {
    socketErrors.push(error);
    connection.transportClosed();
    changed();
  });
  socket.on('close', () => {
    socketClosed = true;
    connection.transportClosed();
    changed();
  });

  const handshake = new Promise<SessionInfo>((resolve, reject) => {
    connection.on('handshake', resolve);
    connection.on('error', reject);
  });
  // Tests that expect a failure look at waitForError; do not report the rejection twice.
  handshake.catch(() => undefined);

  const until = (what: string, predicate: () => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        const extra = describe();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; state ${connection.state}, errors [${errors.map((e) => `${e.code}: ${e.message}`).join('; ')}], ` +
              `socket errors [${socketErrors.map((e) => e.message).join('; ')}], received ${JSON.stringify(text().slice(0, 200))}${extra ? `\npeer output:\n${extra}` : ''}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const joined = (): Uint8Array => {
    if (chunks.length !== 1) {
      const out = new Uint8Array(receivedLength);
      let offset = 0;
      for (const c of chunks) {
        out.set(c, offset);
        offset += c.length;
      }
      chunks.splice(0, chunks.length, out);
    }
    return chunks[0] ?? new Uint8Array(0);
  };
  const text = (): string => new TextDecoder().decode(joined());

  return {
    connection,
    socket,
    handshake,
    received: joined,
    receivedText: text,
    errors,
    trace,
    get ended() {
      return ended;
    },
    get socketClosed() {
      return socketClosed;
    },
    socketErrors,
    until,
    waitForText: (wanted, timeoutMs) => until(`data containing ${JSON.stringify(wanted.slice(0, 60))}`, () => text().includes(wanted), timeoutMs),
    waitForHandshake: async (timeoutMs) => {
      await until('the handshake', () => connection.session !== undefined || errors.length > 0, timeoutMs);
      if (!connection.session) throw errors[0]!;
      return connection.session;
    },
    waitForEnd: (timeoutMs) => until('close_notify', () => ended, timeoutMs),
    waitForError: async (timeoutMs) => {
      await until('a connection error', () => errors.length > 0, timeoutMs);
      return errors[0]!;
    },
    waitForSocketClose: (timeoutMs) => until('the socket to close', () => socketClosed, timeoutMs),
    close: () => {
      connection.close();
      if (connection.state === 'closed' && !socket.destroyed) socket.end();
    },
    destroy: () => socket.destroy(),
  };
}

/** Connects a wiretls client to 127.0.0.1:port and sends the ClientHello. */
export async function connectClient(
  config: ClientConfig,
  port: number,
  options: { describe?: () => string; timeoutMs?: number; beforeStart?: (socket: Socket) => void | Promise<void> } = {},
): Promise<SocketPeer<ClientConnection>> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP connect to 127.0.0.1:${port} timed out`));
    }, options.timeoutMs ?? DEFAULT_WAIT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const connection = new ClientConnection(config);
  const peer = attach(connection, socket, options.describe);
  await options.beforeStart?.(socket);
  connection.start();
  return peer;
}

export interface WiretlsServer {
  port: number;
  /** The next accepted connection (each accepted socket gets its own ServerConnection). */
  accept(timeoutMs?: number): Promise<SocketPeer<ServerConnection>>;
  /** Stops listening and destroys every accepted socket. */
  close(): Promise<void>;
}

/** A wiretls server on 127.0.0.1, an ephemeral port. */
export async function listenServer(config: ServerConfig | (() => ServerConfig), describe?: () => string): Promise<WiretlsServer> {
  const accepted: (SocketPeer<ServerConnection> | Error)[] = [];
  const pending: ((peer: SocketPeer<ServerConnection> | Error) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let peer: SocketPeer<ServerConnection> | Error;
    try {
      peer = attach(new ServerConnection(typeof config === 'function' ? config() : config), socket, describe);
    } catch (error) {
      // A bad configuration: fail the test through accept(), not as an uncaught exception.
      socket.destroy();
      peer = error instanceof Error ? error : new Error(String(error));
    }
    const waiter = pending.shift();
    if (waiter) waiter(peer);
    else accepted.push(peer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    accept(timeoutMs = DEFAULT_WAIT_MS) {
      const ready = accepted.shift();
      if (ready) return ready instanceof Error ? Promise.reject(ready) : Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = pending.indexOf(deliver);
          if (index >= 0) pending.splice(index, 1);
          reject(new Error(`no TCP connection within ${timeoutMs} ms${describe ? `\npeer output:\n${describe()}` : ''}`));
        }, timeoutMs);
        const deliver = (peer: SocketPeer<ServerConnection> | Error): void => {
          clearTimeout(timer);
          if (peer instanceof Error) reject(peer);
          else resolve(peer);
        };
        pending.push(deliver);
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
