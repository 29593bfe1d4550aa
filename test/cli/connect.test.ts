import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkiPath } from '../helpers/fixtures.js';
import { type Spawned, start } from '../helpers/processes.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import type { RawExtension } from '../../src/messages/types.js';
import { CipherSuite, ContentType, ExtensionType, HandshakeType } from '../../src/registry.js';
import { concatBytes } from '../../src/wire/bytes.js';
import { plaintextRecord } from '../helpers/mitm.js';
import { closeServer, listen } from '../node/support.js';
import { ensureBuilt, expectOneLine, runCli, stopCliProcesses } from './cli.js';

/**
 * `wiretls connect`, run as a user runs it (node dist/cli/main.js), against `openssl
 * s_server`: the --json object (exactly the fields of the contract), the exit statuses, the
 * usage errors, --trace and --keylog.
 */

const TIMEOUT = 45_000;
const ROOT = pkiPath('root.pem');
let dir: string;
const servers: Server[] = [];

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'wiretls-cli-'));
}, 120_000);

afterAll(async () => {
  stopCliProcesses();
  await Promise.all(servers.map(closeServer));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `openssl s_server` for one connection with the ECDSA P-256 chain; resolves with its port. */
async function sServer(args: readonly string[] = []): Promise<{ port: number; process: Spawned }> {
  const process = start('openssl', [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-tls1_3',
    '-naccept',
    '1',
    '-cert',
    pkiPath('server-ecdsa-p256.pem'),
    '-key',
    pkiPath('server-ecdsa-p256-key.pem'),
    '-cert_chain',
    pkiPath('intermediate.pem'),
    ...args,
  ]);
  const match = await process.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/);
  return { port: Number(match[1]), process };
}

const FIELDS = [
  'ok',
  'version',
  'cipher',
  'group',
  'signatureScheme',
  'alpn',
  'resumed',
  'earlyData',
  'helloRetry',
  'verified',
  'peerCertificates',
  'received',
  'receivedBytes',
  'error',
];

interface Report {
  ok: boolean;
  version: string | null;
  cipher: string | null;
  group: string | null;
  signatureScheme: string | null;
  alpn: string | null;
  resumed: boolean;
  earlyData: string;
  helloRetry: boolean;
  verified: boolean;
  peerCertificates: { subject: string; issuer: string; notAfter: string }[];
  received: string;
  receivedBytes: number;
  error: { code: string; alert: string | null; reason: string | null; message: string } | null;
}

/** --json prints exactly one JSON object, with exactly the contract's fields, in order. */
function parseReport(stdout: string): Report {
  const lines = stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  const report = JSON.parse(lines[0]!) as Report;
  expect(Object.keys(report)).toEqual(FIELDS);
  if (report.error) expect(Object.keys(report.error)).toEqual(['code', 'alert', 'reason', 'message']);
  return report;
}

// Each test runs its own peers and mostly waits on processes: they run concurrently.
describe.concurrent('wiretls connect --json against openssl s_server -rev', () => {
  it(
    'reports the session and what the server answered; exit 0',
    async () => {
      const server = await sServer(['-rev']);
      // s_server -rev answers each line reversed, and a CLOSE line with close_notify.
      const result = await runCli(['connect', `127.0.0.1:${server.port}`, '--ca', ROOT, '--servername', 'localhost', '--json', '--send', 'hello\nCLOSE\n']);
      expect(result.status).toBe(0);
      const report = parseReport(result.stdout);
      expect(report).toMatchObject({
        ok: true,
        version: 'TLSv1.3',
        group: 'x25519',
        signatureScheme: 'ecdsa_secp256r1_sha256',
        alpn: null,
        resumed: false,
        earlyData: 'not_offered',
        helloRetry: false,
        verified: true,
        error: null,
      });
      expect(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']).toContain(report.cipher);
      expect(Buffer.from(report.received, 'base64').toString()).toBe('olleh\n');
      expect(report.receivedBytes).toBe(6);
      expect(report.peerCertificates).toEqual([
        {
          subject: 'CN=wiretls test server (ECDSA P-256), O=wiretls test PKI',
          issuer: 'CN=wiretls test intermediate CA, O=wiretls test PKI',
          notAfter: '2125-01-01T00:00:00.000Z',
        },
        { subject: 'CN=wiretls test intermediate CA, O=wiretls test PKI', issuer: 'CN=wiretls test root CA, O=wiretls test PKI', notAfter: '2125-01-01T00:00:00.000Z' },
      ]);
      // The negotiated suite is the one s_server reports.
      await server.process.waitFor(/Ciphersuite: (\S+)/);
      expect(server.process.output()).toContain(`Ciphersuite: ${report.cipher}`);
    },
    TIMEOUT,
  );

  it(
    '--ciphers, --key-shares and --alpn: the chosen suite, a HelloRetryRequest and the protocol show in the report',
    async () => {
      const server = await sServer(['-rev', '-groups', 'P-384', '-alpn', 'h2']);
      const result = await runCli([
        'connect',
        `127.0.0.1:${server.port}`,
        '--ca',
        ROOT,
        '--servername',
        'localhost',
        '--json',
        '--send',
        'abc\nCLOSE\n',
        '--ciphers',
        'TLS_AES_256_GCM_SHA384',
        '--key-shares',
        'x25519',
        '--groups',
        'x25519,secp384r1',
        '--alpn',
        'http/1.1,h2',
      ]);
      expect(result.status).toBe(0);
      const report = parseReport(result.stdout);
      expect(report).toMatchObject({ ok: true, cipher: 'TLS_AES_256_GCM_SHA384', group: 'secp384r1', helloRetry: true, alpn: 'h2', verified: true });
      expect(Buffer.from(report.received, 'base64').toString()).toBe('cba\n');
    },
    TIMEOUT,
  );

  it(
    '--trace prints the handshake (to stderr under --json); --keylog writes NSS lines',
    async () => {
      const server = await sServer(['-rev']);
      const keylog = join(dir, 'keys.log');
      const result = await runCli([
        'connect',
        `127.0.0.1:${server.port}`,
        '--ca',
        ROOT,
        '--servername',
        'localhost',
        '--json',
        '--trace',
        '--keylog',
        keylog,
        '--send',
        'x\nCLOSE\n',
      ]);
      expect(result.status).toBe(0);
      parseReport(result.stdout);
      for (const step of ['ClientHello', 'ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished', 'x25519']) {
        expect(result.stderr).toContain(step);
      }
      expect(result.stderr).toMatch(/derived .*HANDSHAKE_TRAFFIC_SECRET/);
      expect(result.stderr).toMatch(/✓/);
      const lines = readFileSync(keylog, 'utf8').trimEnd().split('\n');
      expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual([
        'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
        'CLIENT_TRAFFIC_SECRET_0',
        'EXPORTER_SECRET',
        'SERVER_HANDSHAKE_TRAFFIC_SECRET',
        'SERVER_TRAFFIC_SECRET_0',
      ]);
      for (const line of lines) expect(line).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/);
    },
    TIMEOUT,
  );

  it(
    '--key-update: KeyUpdate (update_requested) after the handshake, s_server answers with its own, data flows under the new keys',
    async () => {
      const server = await sServer(['-rev', '-trace']);
      const result = await runCli([
        'connect',
        `127.0.0.1:${server.port}`,
        '--ca',
        ROOT,
        '--servername',
        'localhost',
        '--json',
        '--trace',
        '--key-update',
        '--send',
        'hello\nCLOSE\n',
      ]);
      expect(result.status).toBe(0);
      const report = parseReport(result.stdout);
      expect(report).toMatchObject({ ok: true, error: null });
      expect(Buffer.from(report.received, 'base64').toString()).toBe('olleh\n');
      // Our trace shows both updates; s_server's shows ours arriving.
      expect(result.stderr).toMatch(/C → S\s+KeyUpdate[^\n]*\n\s+request_update\s+update_requested/);
      expect(result.stderr).toMatch(/S → C\s+KeyUpdate[^\n]*\n\s+request_update\s+update_not_requested/);
      await server.process.waitFor(/KeyUpdate, Length=1\s+update_requested \(1\)/);
    },
    TIMEOUT,
  );

  it(
    'without --json: stdin is sent and the received data goes to stdout as it is',
    async () => {
      const server = await sServer(['-rev']);
      const result = await runCli(['connect', `127.0.0.1:${server.port}`, '--ca', ROOT, '--servername', 'localhost'], { stdin: 'from stdin\nCLOSE\n' });
      expect(result.status).toBe(0);
      expect(result.stdout).toBe('nidts morf\n');
    },
    TIMEOUT,
  );
});

describe.concurrent('wiretls connect exit statuses', () => {
  it(
    '1: an unknown flag, one line on stderr',
    async () => {
      const result = await runCli(['connect', '127.0.0.1:1', '--bogus']);
      expect(result.status).toBe(1);
      expect(expectOneLine(result.stderr)).toMatch(/unknown option --bogus/);
      expect(result.stdout).toBe('');
    },
    TIMEOUT,
  );

  it(
    '1: an unreadable --ca file, one line naming it',
    async () => {
      const missing = join(dir, 'no-such-root.pem');
      const result = await runCli(['connect', '127.0.0.1:1', '--ca', missing, '--json']);
      expect(result.status).toBe(1);
      expect(expectOneLine(result.stderr)).toContain(missing);
    },
    TIMEOUT,
  );

  it(
    '1: a --ca file that holds no certificate, one line',
    async () => {
      const result = await runCli(['connect', '127.0.0.1:1', '--ca', pkiPath('README.md')]);
      expect(result.status).toBe(1);
      expectOneLine(result.stderr);
    },
    TIMEOUT,
  );

  it(
    '2: a closed port, CONNECT_FAILED',
    async () => {
      const probe = createServer();
      const port = await listen(probe);
      await closeServer(probe);
      const result = await runCli(['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--json']);
      expect(result.status).toBe(2);
      const report = parseReport(result.stdout);
      expect(report.ok).toBe(false);
      expect(report.error).toMatchObject({ code: 'CONNECT_FAILED', alert: null, reason: null });
      expect(report.error!.message).toMatch(/ECONNREFUSED/);
      const plain = await runCli(['connect', `127.0.0.1:${port}`, '--ca', ROOT]);
      expect(plain.status).toBe(2);
      expect(expectOneLine(plain.stderr)).toMatch(/CONNECT_FAILED/);
    },
    TIMEOUT,
  );

  it(
    '2: a server that accepts TCP but never answers, TIMEOUT',
    async () => {
      const sockets: Socket[] = [];
      const silent = createServer((socket) => sockets.push(socket));
      servers.push(silent);
      const port = await listen(silent);
      const result = await runCli(['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--json', '--timeout', '1']);
      for (const socket of sockets) socket.destroy();
      expect(result.status).toBe(2);
      expect(parseReport(result.stdout).error).toMatchObject({ code: 'TIMEOUT' });
    },
    TIMEOUT,
  );

  it(
    '3: a cipher suite the server refuses, the alert it sent',
    async () => {
      const server = await sServer(['-ciphersuites', 'TLS_AES_256_GCM_SHA384']);
      const result = await runCli(['connect', `127.0.0.1:${server.port}`, '--ca', ROOT, '--servername', 'localhost', '--json', '--ciphers', 'TLS_AES_128_GCM_SHA256']);
      expect(result.status).toBe(3);
      const report = parseReport(result.stdout);
      expect(report).toMatchObject({ ok: false, version: null, cipher: null, verified: false });
      expect(report.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'handshake_failure', reason: null });
    },
    TIMEOUT,
  );

  it(
    '4: no --ca, so the test root is unknown: CERT_UNTRUSTED, the chain still listed',
    async () => {
      const server = await sServer();
      const result = await runCli(['connect', `127.0.0.1:${server.port}`, '--servername', 'localhost', '--json']);
      expect(result.status).toBe(4);
      const report = parseReport(result.stdout);
      expect(report.ok).toBe(false);
      expect(report.verified).toBe(false);
      expect(report.error).toMatchObject({ code: 'CERT_UNTRUSTED', reason: null });
      expect(report.peerCertificates).toHaveLength(2);
      await server.process.exited;
      expect(server.process.output()).toMatch(/alert unknown ca|SSL alert number 48/);
    },
    TIMEOUT,
  );

  it(
    '4: a name the certificate does not cover, CERT_HOSTNAME_MISMATCH; --insecure connects anyway',
    async () => {
      const server = await sServer(['-rev']);
      const result = await runCli(['connect', `127.0.0.1:${server.port}`, '--ca', ROOT, '--servername', 'elsewhere.example', '--json']);
      expect(result.status).toBe(4);
      expect(parseReport(result.stdout).error).toMatchObject({ code: 'CERT_HOSTNAME_MISMATCH' });

      const again = await sServer(['-rev']);
      const insecure = await runCli(['connect', `127.0.0.1:${again.port}`, '--servername', 'elsewhere.example', '--insecure', '--json', '--send', 'ok\nCLOSE\n']);
      expect(insecure.status).toBe(0);
      const report = parseReport(insecure.stdout);
      expect(report).toMatchObject({ ok: true, verified: false, error: null });
      expect(Buffer.from(report.received, 'base64').toString()).toBe('ko\n');
    },
    TIMEOUT,
  );
});

/**
 * A peer that answers the ClientHello with one crafted ServerHello record, echoing the
 * client's legacy_session_id so that only the flaw put in by `extensions` is wrong.
 */
async function misbehavingServer(extensions: (hello: Uint8Array) => RawExtension[]): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (record: Buffer) => {
      // record header (5), handshake header (4), legacy_version (2), random (32), then the session id.
      const hello = new Uint8Array(record);
      const idLength = hello[43]!;
      const serverHello = encodeHandshake({
        type: HandshakeType.server_hello,
        legacyVersion: 0x0303,
        random: new Uint8Array(32).fill(7),
        legacySessionIdEcho: hello.slice(44, 44 + idLength),
        cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
        legacyCompressionMethod: 0,
        extensions: extensions(hello),
      });
      socket.write(plaintextRecord(ContentType.handshake, serverHello));
    });
  });
  servers.push(server);
  return listen(server);
}

const TLS13 = { type: ExtensionType.supported_versions, data: Uint8Array.of(0x03, 0x04) };
const share = (keyExchange: Uint8Array) => ({ type: ExtensionType.key_share, data: concatBytes(Uint8Array.of(0x00, 0x1d, 0x00, keyExchange.length), keyExchange) });

describe.concurrent('wiretls connect names the rule a misbehaving server broke', () => {
  it(
    '3: a ServerHello with supported_versions twice: error.reason duplicate_extension; --trace and the error line name the rule',
    async () => {
      const port = await misbehavingServer(() => [TLS13, TLS13]);
      const result = await runCli(['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--json', '--timeout', '10']);
      expect(result.status).toBe(3);
      const report = parseReport(result.stdout);
      expect(report.ok).toBe(false);
      expect(report.error).toMatchObject({ code: 'PROTOCOL_ERROR', alert: 'illegal_parameter', reason: 'duplicate_extension' });

      const traced = await runCli(['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--trace', '--timeout', '10']);
      expect(traced.status).toBe(3);
      // The ServerHello does not decode, so the trace shows its bytes, then the failure it caused.
      expect(traced.stdout).toMatch(
        /S → C {2}ServerHello +\d+ bytes, not decodable: 02[0-9a-f]{6}0303[0-9a-f]+…[^\n]*\n {2}✗ {3}PROTOCOL_ERROR \(illegal_parameter\) \[duplicate_extension\]: duplicate supported_versions extension/,
      );
      expect(expectOneLine(traced.stderr)).toMatch(/^wiretls: PROTOCOL_ERROR \(illegal_parameter\) \[duplicate_extension\]: /);
    },
    TIMEOUT,
  );

  it(
    '3: a well-formed ServerHello whose X25519 share is of low order: the same alert, another reason (invalid_key_share)',
    async () => {
      const port = await misbehavingServer(() => [TLS13, share(new Uint8Array(32))]);
      const result = await runCli(['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--json', '--timeout', '10']);
      expect(result.status).toBe(3);
      expect(parseReport(result.stdout).error).toMatchObject({ code: 'PROTOCOL_ERROR', alert: 'illegal_parameter', reason: 'invalid_key_share' });
    },
    TIMEOUT,
  );
});
