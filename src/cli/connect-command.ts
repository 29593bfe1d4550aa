import { appendFileSync, writeFileSync } from 'node:fs';
import type { TraceEvent } from '../handshake-context.js';
import { HandshakeType, cipherSuiteName, namedGroupName, signatureSchemeName } from '../registry.js';
import { connect } from '../node/connect.js';
import { deserializeSession } from '../node/session.js';
import type { TLSSocket } from '../node/tls-socket.js';
import { parseCertificate } from '../x509/certificate.js';
import { loadCertificates, loadPrivateKey } from '../x509/pem.js';
import { type ParsedArgs, UsageError, flagList, flagSet, flagValue, integerFlag, parseArgs, parseHostPort } from './args.js';
import { readCaFile, readInputFile } from './files.js';
import { cipherSuiteByName, groupByName, signatureSchemeByName } from './names.js';
import { type CliError, ExitStatus, classifyError, describeError } from './output.js';
import { EXPLAIN_FLAGS, EXPLAIN_USAGE, ExplainSession, explainTarget } from './explain-output.js';
import { formatTraceEvent } from './trace.js';

const FLAGS = {
  servername: { value: true },
  ca: { value: true },
  insecure: {},
  cert: { value: true },
  key: { value: true },
  groups: { value: true },
  'key-shares': { value: true },
  ciphers: { value: true },
  sigalgs: { value: true },
  alpn: { value: true },
  'session-out': { value: true },
  'session-in': { value: true },
  'early-data': { value: true },
  keylog: { value: true },
  'key-update': {},
  send: { value: true },
  timeout: { value: true },
  json: {},
  trace: {},
  ...EXPLAIN_FLAGS,
} as const;

/** How long we wait for the peer's close_notify after sending ours at --timeout. */
const CLOSE_GRACE_MS = 500;

export const CONNECT_USAGE = `usage: wiretls connect HOST:PORT [--servername NAME] [--ca FILE] [--insecure]
       [--cert FILE --key FILE] [--groups LIST] [--key-shares LIST] [--ciphers LIST] [--sigalgs LIST]
       [--alpn LIST] [--session-out FILE] [--session-in FILE [--early-data FILE]] [--keylog FILE]
       [--key-update] [--send TEXT] [--timeout SECONDS]
       [--json] [--trace] ${EXPLAIN_USAGE}`;

/** What `--json` prints: exactly these fields, one object, at the end. */
interface ConnectReport {
  ok: boolean;
  version: string | null;
  cipher: string | null;
  group: string | null;
  signatureScheme: string | null;
  alpn: string | null;
  resumed: boolean;
  earlyData: 'accepted' | 'rejected' | 'not_offered';
  helloRetry: boolean;
  verified: boolean;
  peerCertificates: { subject: string; issuer: string; notAfter: string }[];
  received: string;
  receivedBytes: number;
  error: CliError | null;
}

export interface ConnectIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** Resolves when the user interrupts (SIGINT/SIGTERM in the real CLI): ends like --timeout. */
  interrupt?: Promise<unknown>;
}

export async function connectCommand(argv: readonly string[], io: ConnectIo): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.positional.length !== 1) throw new UsageError('connect needs exactly one HOST:PORT');
  const { host, port } = parseHostPort(args.positional[0]!);
  const options = buildOptions(args, host);
  const json = flagSet(args, 'json');
  const timeoutSeconds = integerFlag(args, 'timeout', 1, 86_400) ?? 10;
  const sendText = flagValue(args, 'send');
  const keylogFile = flagValue(args, 'keylog');
  const sessionOut = flagValue(args, 'session-out');
  if (keylogFile) writeFileSync(keylogFile, '', { flag: 'a' });

  const explainTo = explainTarget(args);
  const explained = explainTo ? new ExplainSession('client', `wiretls connect ${args.positional[0]!}`) : undefined;
  // With --json stdout holds the one JSON object, so the trace goes to stderr.
  const { onTrace, peerChain } = traceHandler(flagSet(args, 'trace'), json ? io.stderr : io.stdout, explained);
  const { socket, failure, received } = await runSession(io, {
    connectOptions: { ...options, host, port, onTrace, ...(explained ? { onKeyDerivation: explained.recorder.derivation } : {}) },
    earlyData: options.earlyData,
    timeoutSeconds,
    sendText,
    keylogFile,
    sessionOut,
    keyUpdate: flagSet(args, 'key-update'),
    json,
  });
  if (explained) explained.write(explainTo!, socket.getSessionInfo(), { stdout: json ? io.stderr : io.stdout, stderr: io.stderr });

  const classified = failure === undefined ? undefined : classifyError(failure);
  const report = connectReport(socket, classified, peerChain, received);
  if (json) io.stdout.write(`${JSON.stringify(report)}\n`);
  else if (classified) io.stderr.write(`wiretls: ${describeError(classified.error)}\n`);
  return classified?.status ?? ExitStatus.ok;
}

/**
 * The trace listener: feeds --explain's recorder, prints --trace lines to `out`, and keeps the
 * last Certificate received so a failed handshake's report still names the peer's chain.
 */
function traceHandler(trace: boolean, out: NodeJS.WritableStream, explained: ExplainSession | undefined): { onTrace: (event: TraceEvent) => void; peerChain: Uint8Array[] } {
  const peerChain: Uint8Array[] = [];
  const onTrace = (event: TraceEvent): void => {
    explained?.recorder.trace(event);
    if (event.kind === 'message' && event.direction === 'received' && event.message.type === HandshakeType.certificate) {
      peerChain.splice(0, peerChain.length, ...event.message.entries.map((e) => e.data));
    }
    const line = trace ? formatTraceEvent(event, 'client') : undefined;
    if (line !== undefined) out.write(`${line}\n`);
  };
  return { onTrace, peerChain };
}

/** What one connection does, from the command line. */
interface SessionPlan {
  connectOptions: Parameters<typeof connect>[0];
  /** --early-data: sent as 0-RTT, and again as ordinary data if the server refused it. */
  earlyData: Buffer | undefined;
  timeoutSeconds: number;
  sendText: string | undefined;
  keylogFile: string | undefined;
  sessionOut: string | undefined;
  keyUpdate: boolean;
  json: boolean;
}

/** Connects, talks until the peer closes, --timeout or an interrupt, and says how it went. */
async function runSession(io: ConnectIo, plan: SessionPlan): Promise<{ socket: TLSSocket; failure: unknown; received: Buffer[] }> {
  const received: Buffer[] = [];
  let failure: unknown;
  const socket = connect(plan.connectOptions);
  await new Promise<void>((resolve) => {
    let handshakeDone = false;
    let closing = false;
    // Before the handshake the timeout (or an interrupt) is a failure; after it, it just ends
    // the reading, politely: close_notify, then a moment for the peer's before we let go.
    const stop = (beforeHandshake: () => Error): void => {
      if (closing) return;
      closing = true;
      if (!handshakeDone) {
        failure ??= beforeHandshake();
        socket.destroy();
        resolve();
        return;
      }
      socket.end();
      setTimeout(resolve, CLOSE_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop(() => Object.assign(new Error(`no TLS session within ${plan.timeoutSeconds} s`), { code: 'TIMEOUT' })), plan.timeoutSeconds * 1000);
    void io.interrupt?.then(() => stop(() => Object.assign(new Error('interrupted before a TLS session was established'), { code: 'CONNECT_FAILED' })));
    const { keylogFile, sessionOut } = plan;
    if (keylogFile) socket.on('keylog', (line: Buffer) => appendFileSync(keylogFile, line));
    if (sessionOut) socket.on('session', (session: Buffer) => writeFileSync(sessionOut, session));
    socket.on('secureConnect', () => {
      handshakeDone = true;
      // 0-RTT the server refused was not delivered: it goes again, now as ordinary data.
      if (plan.earlyData && socket.getSessionInfo()?.earlyData !== 'accepted') socket.write(plan.earlyData);
      if (plan.keyUpdate) socket.updateKeys(true);
      if (plan.sendText !== undefined) socket.write(plan.sendText);
      else io.stdin.pipe(socket, { end: false });
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (!plan.json) io.stdout.write(chunk);
    });
    socket.on('error', (error: Error) => {
      // Once we chose to end, how the peer goes away no longer decides the outcome.
      if (!closing) failure ??= error;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  io.stdin.unpipe?.(socket);
  socket.destroy();
  return { socket, failure, received };
}

function connectReport(socket: TLSSocket, classified: ReturnType<typeof classifyError> | undefined, peerChain: readonly Uint8Array[], received: readonly Buffer[]): ConnectReport {
  const info = socket.getSessionInfo();
  return {
    ok: classified === undefined && info !== undefined,
    version: info ? 'TLSv1.3' : null,
    cipher: info ? cipherSuiteName(info.cipherSuite) : null,
    group: info?.group !== undefined ? namedGroupName(info.group) : null,
    signatureScheme: info?.signatureScheme !== undefined ? signatureSchemeName(info.signatureScheme) : null,
    alpn: info?.alpnProtocol ?? null,
    resumed: info?.resumed ?? false,
    earlyData: info?.earlyData ?? 'not_offered',
    helloRetry: info?.helloRetry ?? false,
    verified: info?.authorized ?? false,
    peerCertificates: summarize(info?.peerCertificates ?? peerChain),
    received: Buffer.concat(received).toString('base64'),
    receivedBytes: received.reduce((n, b) => n + b.length, 0),
    error: classified?.error ?? null,
  };
}

function summarize(chain: readonly Uint8Array[]): ConnectReport['peerCertificates'] {
  const out: ConnectReport['peerCertificates'] = [];
  for (const der of chain) {
    try {
      const s = parseCertificate(der).summary;
      out.push({ subject: s.subject, issuer: s.issuer, notAfter: s.notAfter.toISOString() });
    } catch {
      out.push({ subject: '(unparseable certificate)', issuer: '', notAfter: '' });
    }
  }
  return out;
}

function buildOptions(args: ParsedArgs, host: string) {
  const caFile = flagValue(args, 'ca');
  const ca = caFile === undefined ? undefined : readCaFile(caFile);
  const groups = flagList(args, 'groups')?.map(groupByName);
  const keyShares = flagList(args, 'key-shares')?.map(groupByName);
  const ciphers = flagList(args, 'ciphers')?.map(cipherSuiteByName);
  const sigalgs = flagList(args, 'sigalgs')?.map(signatureSchemeByName);
  const alpn = flagList(args, 'alpn');
  return {
    servername: flagValue(args, 'servername') ?? host,
    rejectUnauthorized: !flagSet(args, 'insecure'),
    ...(ca !== undefined ? { ca } : {}),
    ...(groups ? { groups } : {}),
    ...(keyShares ? { keyShareGroups: keyShares, groups: groups ?? keyShares } : {}),
    ...(ciphers ? { cipherSuites: ciphers } : {}),
    ...(sigalgs ? { signatureSchemes: sigalgs } : {}),
    ...(alpn ? { ALPNProtocols: alpn } : {}),
    ...clientCertificate(args),
    ...resumption(args),
  };
}

/** --cert/--key: sent if the server asks. Checked now so a bad file is a usage error. */
function clientCertificate(args: ParsedArgs): { cert?: Buffer; key?: Buffer } {
  const certFile = flagValue(args, 'cert');
  const keyFile = flagValue(args, 'key');
  if (certFile === undefined && keyFile === undefined) return {};
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--cert and --key go together');
  const cert = readInputFile(certFile, '--cert');
  const key = readInputFile(keyFile, '--key');
  try {
    loadCertificates(cert, `--cert ${certFile}`);
    loadPrivateKey(key, `--key ${keyFile}`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { cert, key };
}

/** --session-in (a --session-out file) and --early-data FILE (0-RTT, needs the session). */
function resumption(args: ParsedArgs): { session?: Buffer; earlyData?: Buffer } {
  const sessionFile = flagValue(args, 'session-in');
  const earlyFile = flagValue(args, 'early-data');
  if (earlyFile !== undefined && sessionFile === undefined) throw new UsageError('--early-data needs --session-in: 0-RTT rides on a resumed session');
  if (sessionFile === undefined) return {};
  const session = readInputFile(sessionFile, '--session-in');
  try {
    deserializeSession(session);
  } catch (error) {
    throw new UsageError(`--session-in ${sessionFile}: ${(error as Error).message}`);
  }
  return { session, ...(earlyFile !== undefined ? { earlyData: readInputFile(earlyFile, '--early-data') } : {}) };
}
