import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { UsageError, flagSet, flagValue, flagValues, integerFlag, parseArgs } from './args.js';
import { Bridge, type BridgeRecord, CloseCode } from './relay-bridge.js';
import { AllowList } from './relay-destination.js';
import { ExitStatus } from './output.js';

/**
 * `wiretls relay`: a WebSocket-to-TCP relay, so that a page (which has no TCP) can run TLS
 * with wiretls to a server through it. The relay sees only TLS records: it forwards bytes and
 * never holds a key. It forwards only to --allow'ed destinations (see relay-destination.ts).
 */

const FLAGS = {
  listen: { value: true },
  allow: { value: true, repeat: true },
  'idle-timeout': { value: true },
  json: {},
} as const;

export const RELAY_USAGE = `usage: wiretls relay --allow HOST:PORT[,HOST:PORT...] [--listen HOST:PORT] [--idle-timeout SECONDS] [--json]
       WebSocket-to-TCP relay for TLS from browsers: a client opens ws://LISTEN/?to=HOST:PORT and its
       binary messages are the TCP byte stream. Only the --allow'ed HOST:PORT pairs (exact spelling)
       are reachable; ?to= may be omitted when there is one. --listen defaults to 127.0.0.1:8080
       (port 0: any free port); --idle-timeout to 300 seconds; --json logs JSON objects.`;

const DEFAULT_LISTEN = '127.0.0.1:8080';
const DEFAULT_IDLE_TIMEOUT_S = 300;
/** Largest WebSocket message accepted (a TLS record is at most 16 KiB + 256). */
const MAX_MESSAGE = 1 << 20;
/** Bytes queued toward a client before its destination socket is paused. */
const HIGH_WATER_MARK = 256 * 1024;
/** After SIGTERM, how long closing handshakes may take before sockets are cut (ms). */
const SHUTDOWN_GRACE_MS = 2_000;

export interface RelayIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the relay should stop (SIGINT/SIGTERM in the real CLI). */
  stopSignal: Promise<unknown>;
}

/** --listen HOST:PORT; unlike a destination, port 0 (any free port) is allowed. */
function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`--listen: expected HOST:PORT, got "${text}"`);
  return { host: match[1] ?? match[2]!, port };
}

function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function relayCommand(argv: readonly string[], io: RelayIo): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
  const allow = new AllowList(flagValues(args, 'allow'));
  const listen = parseListen(flagValue(args, 'listen') ?? DEFAULT_LISTEN);
  const idleTimeoutMs = (integerFlag(args, 'idle-timeout', 1, 86_400) ?? DEFAULT_IDLE_TIMEOUT_S) * 1000;
  const json = flagSet(args, 'json');
  const log = (event: string, fields: Record<string, string | number>, text: string): void => {
    io.stdout.write(json ? `${JSON.stringify({ event, ...fields })}\n` : `${text}\n`);
  };

  const server = new WebSocketServer({ host: listen.host, port: listen.port, maxPayload: MAX_MESSAGE, perMessageDeflate: false });
  const bridges = new Set<Bridge>();
  const logEnd = (record: BridgeRecord): void => {
    log(
      'connection',
      { ...record },
      `${record.peer} -> ${record.to}: ${record.bytesUp} bytes up, ${record.bytesDown} bytes down, ${(record.durationMs / 1000).toFixed(3)} s, ${record.reason}`,
    );
  };

  server.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    const peer = formatAddress(request.socket.remoteAddress ?? '?', request.socket.remotePort ?? 0);
    const to = new URL(request.url ?? '/', 'http://relay').searchParams.getAll('to');
    const decision = allow.decide(to);
    if (!decision.allowed) {
      // Quoted as JSON: the requested text is the client's, and must not forge log lines.
      const requested = to.length > 0 ? to.map((t) => JSON.stringify(t)).join(', ') : '(none)';
      log('refused', { peer, to: to.join(','), reason: decision.reason }, `${peer} refused ${requested}: ${decision.reason}`);
      ws.close(CloseCode.policyViolation, 'destination not allowed');
      return;
    }
    const bridge = new Bridge(ws, decision.destination, peer, {
      idleTimeoutMs,
      highWaterMark: HIGH_WATER_MARK,
      onEnd: (record) => {
        bridges.delete(bridge);
        logEnd(record);
      },
    });
    bridges.add(bridge);
  });

  const listening = await new Promise<AddressInfo | Error>((resolve) => {
    server.once('listening', () => resolve(server.address() as AddressInfo));
    server.once('error', (error) => resolve(error));
  });
  if (listening instanceof Error) {
    io.stderr.write(`wiretls: cannot listen on ${formatAddress(listen.host, listen.port)}: ${listening.message}\n`);
    return ExitStatus.connectFailure;
  }
  server.on('error', (error) => io.stderr.write(`wiretls: relay error: ${error.message}\n`));
  const address = formatAddress(listening.address, listening.port);
  log('listening', { message: `listening on ${address}`, address, allow: allow.list().join(',') }, `listening on ${address}`);

  await io.stopSignal;
  for (const bridge of bridges) bridge.end('relay shutting down', CloseCode.goingAway, 'relay shutting down');
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(() => {
      // Clients that do not finish the closing handshake are cut.
      for (const client of server.clients) client.terminate();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    const check = setInterval(() => {
      if (bridges.size > 0) return;
      clearInterval(check);
      clearTimeout(deadline);
      resolve();
    }, 20);
    deadline.unref();
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return ExitStatus.ok;
}
