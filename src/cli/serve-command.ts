import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { TLSError } from '../errors.js';
import { cipherSuiteName, namedGroupName } from '../registry.js';
import { createServer, type Server } from '../node/server.js';
import type { TLSSocket } from '../node/tls-socket.js';
import { parseCertificate } from '../x509/certificate.js';
import { type ParsedArgs, UsageError, flagList, flagSet, flagValue, flagValues, integerFlag, parseArgs } from './args.js';
import { readCaFile, readInputFile } from './files.js';
import { cipherSuiteByName, groupByName, signatureSchemeByName } from './names.js';
import { EXPLAIN_FLAGS, ExplainSession, type ExplainTarget, explainTarget } from './explain-output.js';
import { describeError } from './output.js';
import { formatTraceEvent } from './trace.js';

const FLAGS = {
  host: { value: true },
  port: { value: true },
  cert: { value: true, repeat: true },
  key: { value: true, repeat: true },
  ca: { value: true },
  'verify-client': { value: true },
  groups: { value: true },
  ciphers: { value: true },
  sigalgs: { value: true },
  alpn: { value: true },
  www: {},
  echo: {},
  tickets: { value: true },
  'early-data': {},
  keylog: { value: true },
  trace: {},
  ...EXPLAIN_FLAGS,
} as const;

/** max_early_data_size announced in tickets with --early-data. */
const EARLY_DATA_LIMIT = 16_384;

export const SERVE_USAGE = `usage: wiretls serve --cert FILE --key FILE [--cert FILE --key FILE ...] [--host HOST] [--port PORT]
       [--ca FILE --verify-client optional|require] [--groups LIST] [--ciphers LIST] [--sigalgs LIST]
       [--alpn LIST] [--www | --echo] [--tickets N] [--early-data] [--keylog FILE] [--trace]
       [--explain DIR [--explain-redact]]
       --www answers any GET with a page naming the session; GET /keyupdate first sends a KeyUpdate
       (update_requested), GET /client-cert first asks for a client certificate after the
       handshake (the client must offer post_handshake_auth; --ca FILE: roots it must chain to)`;

export interface ServeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the server should stop (SIGINT/SIGTERM in the real CLI). */
  stopSignal: Promise<unknown>;
}

/** `wiretls serve`: prints `listening on HOST:PORT` once ready; stops with close_notify to all. */
export async function serveCommand(argv: readonly string[], io: ServeIo): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
  const host = flagValue(args, 'host') ?? '127.0.0.1';
  const port = integerFlag(args, 'port', 0, 65535) ?? 0;
  const www = flagSet(args, 'www');
  if (www && flagSet(args, 'echo')) throw new UsageError('--www and --echo exclude each other');
  const tickets = integerFlag(args, 'tickets', 0, 16) ?? 2;
  const trace = flagSet(args, 'trace');
  const keylog = flagValue(args, 'keylog');
  if (keylog) writeFileSync(keylog, '', { flag: 'a' });
  const explainTo = explainTarget(args);
  const explained = explainTo ? explainPerConnection(explainTo, io) : undefined;

  const server = createServer({
    ...credentials(args),
    ...clientAuthentication(args, www),
    ...protocolOptions(args),
    tickets,
    // 0-RTT needs tickets that allow it; 16 KiB is what OpenSSL and most servers announce.
    ...(flagSet(args, 'early-data') ? { maxEarlyDataSize: EARLY_DATA_LIMIT } : {}),
    ...(trace || explained
      ? {
          onTrace: (socket: TLSSocket, event) => {
            explained?.(socket).recorder.trace(event);
            const line = trace ? formatTraceEvent(event, 'server') : undefined;
            if (line !== undefined) io.stdout.write(`[${peerName(socket)}] ${line.replace(/\n/g, `\n[${peerName(socket)}] `)}\n`);
          },
        }
      : {}),
    ...(explained ? { onKeyDerivation: (socket: TLSSocket, step) => explained(socket).recorder.derivation(step) } : {}),
  });
  const open = new Set<TLSSocket>();
  server.on('secureConnection', (socket: TLSSocket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    if (www) answerHttp(socket);
    else echo(socket);
  });
  server.on('tlsClientError', (error: Error & { code?: string; alert?: string; reason?: string }, socket: TLSSocket) => {
    io.stderr.write(`[${peerName(socket)}] handshake failed: ${describeError(error)}\n`);
  });
  if (keylog) server.on('keylog', (line: Buffer) => appendFileSync(keylog, line));

  await listen(server, host, port);
  const address = server.address() as AddressInfo;
  io.stdout.write(`listening on ${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}\n`);

  await io.stopSignal;
  // close_notify to every connection, then stop accepting and wait (briefly) for them to go.
  for (const socket of open) socket.end();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      for (const socket of open) socket.destroy();
      resolve();
    }, 2000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  return 0;
}

/**
 * --explain DIR: one page per connection, connection-N.html in the order they came, written
 * when the connection closes (a failed handshake included).
 */
function explainPerConnection(target: ExplainTarget, io: ServeIo): (socket: TLSSocket) => ExplainSession {
  if (target.target === '-') throw new UsageError('serve --explain takes a directory: one page per connection');
  mkdirSync(target.target, { recursive: true });
  const sessions = new WeakMap<TLSSocket, ExplainSession>();
  let count = 0;
  return (socket) => {
    let session = sessions.get(socket);
    if (session === undefined) {
      const file = join(target.target, `connection-${++count}.html`);
      const created = new ExplainSession('server', `wiretls serve: connection ${count} from ${peerName(socket)}`);
      sessions.set(socket, created);
      socket.once('close', () => created.write(target, socket.getSessionInfo(), io, file));
      session = created;
    }
    return session;
  };
}

function credentials(args: ParsedArgs) {
  const certs = flagValues(args, 'cert');
  const keys = flagValues(args, 'key');
  if (certs.length === 0) throw new UsageError('serve needs --cert FILE and --key FILE');
  if (certs.length !== keys.length) throw new UsageError(`${certs.length} --cert but ${keys.length} --key: give them in pairs`);
  return { cert: certs.map((f) => readInputFile(f, '--cert')), key: keys.map((f) => readInputFile(f, '--key')) };
}

/**
 * --verify-client optional|require with --ca: the roots client certificates must chain to.
 * With --www, --ca alone is for the certificates GET /client-cert asks for after the handshake.
 */
function clientAuthentication(args: ParsedArgs, www: boolean) {
  const mode = flagValue(args, 'verify-client');
  const ca = flagValue(args, 'ca');
  if (mode === undefined) {
    if (ca !== undefined && www) return { ca: readCaFile(ca) };
    if (ca !== undefined) throw new UsageError('--ca on serve is for client certificates: add --verify-client optional|require (or --www for GET /client-cert)');
    return {};
  }
  if (mode !== 'optional' && mode !== 'require') throw new UsageError(`--verify-client takes optional or require, not "${mode}"`);
  if (ca === undefined) throw new UsageError('--verify-client needs --ca FILE (the roots client certificates must chain to)');
  return { clientAuth: mode, ca: readCaFile(ca) } as const;
}

function protocolOptions(args: ParsedArgs) {
  const groups = flagList(args, 'groups')?.map(groupByName);
  const ciphers = flagList(args, 'ciphers')?.map(cipherSuiteByName);
  const sigalgs = flagList(args, 'sigalgs')?.map(signatureSchemeByName);
  const alpn = flagList(args, 'alpn');
  return {
    ...(groups ? { groups } : {}),
    ...(ciphers ? { cipherSuites: ciphers } : {}),
    ...(sigalgs ? { signatureSchemes: sigalgs } : {}),
    ...(alpn ? { ALPNProtocols: alpn } : {}),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function peerName(socket: TLSSocket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

function echo(socket: TLSSocket): void {
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
  socket.on('end', () => socket.end());
}

/**
 * Like `openssl s_server -www`: any request gets a page naming what was negotiated. Two paths
 * exercise the post-handshake messages (RFC 8446 §4.6) from any client:
 * - GET /keyupdate: a KeyUpdate with update_requested (§4.6.3) before the answer, which then
 *   goes out under the new keys and the client's next records under its new ones;
 * - GET /client-cert: a CertificateRequest after the handshake (§4.6.2) when the client offered
 *   post_handshake_auth, and the answer names what it sent; without the offer a server must
 *   not ask (§4.6.2: "MUST NOT send a post-handshake CertificateRequest"): 403 saying so.
 */
function answerHttp(socket: TLSSocket): void {
  let request = '';
  let answered = false;
  socket.on('data', (chunk: Buffer) => {
    if (answered || request.length > 16_384) return;
    request += chunk.toString('latin1');
    if (!request.includes('\r\n\r\n') && !request.includes('\n\n')) return;
    answered = true;
    const path = /^[A-Z]+ (\S+)/.exec(request)?.[1] ?? '/';
    if (path === '/keyupdate') {
      socket.updateKeys(true);
      return respond(socket, '200 ok', page(socket, 'key update: sent KeyUpdate(update_requested) before this answer'));
    }
    if (path === '/client-cert') return void askForCertificate(socket);
    respond(socket, '200 ok', page(socket));
  });
}

async function askForCertificate(socket: TLSSocket): Promise<void> {
  let asked: Promise<void>;
  try {
    asked = socket.requestClientCertificate();
  } catch (error) {
    if (!(error instanceof TLSError && error.code === 'INVALID_ARGUMENT')) return void socket.destroy(error as Error);
    return respond(socket, '403 Forbidden', 'the client did not offer post_handshake_auth: a server may not ask it for a certificate after the handshake (RFC 8446 §4.6.2)\n');
  }
  // A bad answer fails the connection (the 'error' listener above takes it); nothing to send then.
  await asked.then(
    () => respond(socket, '200 ok', page(socket, 'post-handshake authentication: done')),
    () => undefined,
  );
}

function respond(socket: TLSSocket, status: string, body: string): void {
  socket.end(`HTTP/1.0 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function page(socket: TLSSocket, ...extra: string[]): string {
  const info = socket.getSessionInfo()!;
  return [
    'wiretls test server',
    `protocol: TLSv1.3`,
    `cipher: ${cipherSuiteName(info.cipherSuite)}`,
    `group: ${info.group === undefined ? 'none' : namedGroupName(info.group)}`,
    `alpn: ${info.alpnProtocol ?? 'none'}`,
    `server name: ${info.serverName ?? 'none'}`,
    `hello retry: ${info.helloRetry ? 'yes' : 'no'}`,
    `resumed: ${info.resumed ? 'yes' : 'no'}`,
    `early data: ${info.earlyData}`,
    `client certificate: ${clientSubject(info.peerCertificates)}${info.peerCertificates.length > 0 ? (info.authorized ? ' (verified)' : ' (NOT verified)') : ''}`,
    ...extra,
    '',
  ].join('\n');
}

function clientSubject(chain: readonly Uint8Array[]): string {
  if (chain.length === 0) return 'none';
  try {
    return parseCertificate(chain[0]!).summary.subject;
  } catch {
    return '(unparseable)';
  }
}
