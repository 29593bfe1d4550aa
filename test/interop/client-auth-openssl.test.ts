import { afterAll, describe, expect, it } from 'vitest';
import type { CertifiedKey, ServerConfig } from '../../src/config.js';
import type { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { SessionInfo } from '../../src/handshake-context.js';
import { ExtensionType, HandshakeType, SignatureScheme } from '../../src/registry.js';
import type { HandshakeMessage } from '../../src/messages/types.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { pemChain, pkcs8, pkiPath, serverChain, serverKey } from '../helpers/fixtures.js';
import { type Spawned, stopAll } from '../helpers/processes.js';
import { type SocketPeer, connectClient, listenServer } from '../helpers/socket.js';
import { KEY_KINDS, clientConfig, escapeRegExp, line, provider, serverConfig, startClient, startServer } from './openssl.js';

/**
 * Mutual TLS against OpenSSL 3.0 over TCP on 127.0.0.1, both directions (RFC 8446 §4.3.2,
 * §4.4.2, §4.4.3, §4.6.2):
 * - the wiretls client with the client PKI against `openssl s_server -Verify 1` (require) and
 *   `-verify 1` (optional), with and without a certificate, a chain s_server cannot validate,
 *   and post-handshake authentication through s_server's `c` command;
 * - `openssl s_client -cert … -key …` against the wiretls server with clientAuth 'require' and
 *   'optional', with and without a certificate, and `s_client -enable_pha` answering our
 *   requestClientCertificate() after the handshake;
 * - every key type of the test PKI as a client certificate, both ways (the server leaves carry
 *   the clientAuth EKU too), so each CertificateVerify scheme is signed by one side and
 *   verified by the other.
 * Every OpenSSL process is stopped by PID (finally blocks and stopAll); every wait has a timeout.
 */

afterAll(stopAll);

const TEST_TIMEOUT = 20_000;

const CLIENT_SUBJECT = 'CN = wiretls test client (ECDSA P-256), O = wiretls test PKI';
const CLIENT_CHAIN = pemChain('client-ecdsa-p256-chain.pem');
/** The client leaf as OpenSSL prints it (PEM body lines), to find it in s_server's output. */
const CLIENT_LEAF_PEM_LINE = Buffer.from(CLIENT_CHAIN[0]!).toString('base64').slice(0, 64);

let clientKey: Promise<CertifiedKey['key']> | undefined;
async function clientCertificate(): Promise<CertifiedKey> {
  clientKey ??= provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem'));
  return { chain: CLIENT_CHAIN, key: await clientKey };
}

/** s_client's client certificate: the leaf and its key, and the intermediate so we can build the path. */
const S_CLIENT_CERT = ['-cert', pkiPath('client-ecdsa-p256.pem'), '-key', pkiPath('client-ecdsa-p256-key.pem'), '-cert_chain', pkiPath('intermediate.pem')];

function messages(peer: SocketPeer, direction: 'sent' | 'received', type: number): HandshakeMessage[] {
  return peer.trace.flatMap((e) => (e.kind === 'message' && e.direction === direction && e.message.type === type ? [e.message] : []));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

function offeredPostHandshakeAuth(peer: SocketPeer<ClientConnection>): boolean {
  const [hello] = messages(peer, 'sent', HandshakeType.client_hello);
  if (hello?.type !== HandshakeType.client_hello) throw new Error('no ClientHello in the trace');
  return hello.extensions.some((e) => e.type === ExtensionType.post_handshake_auth);
}

// ---------------------------------------------------------------------------------------------
// wiretls client → openssl s_server
// ---------------------------------------------------------------------------------------------

/** One line each way through s_server (no -rev: stdin lines go to the client, its data to stdout). */
async function roundTrip(client: SocketPeer<ClientConnection>, server: Spawned, tag: string, size = 300): Promise<void> {
  const up = `${line(size, tag.length + size)}-${tag}-up`;
  client.connection.write(new TextEncoder().encode(`${up}\n`));
  await server.waitFor(new RegExp(escapeRegExp(up)));
  const down = `x${tag}-down`;
  server.process.stdin!.write(`${down}\n`);
  await client.waitForText(`${down}\n`);
}

/** Our close_notify first; s_server answers and closes. */
async function closeFromClient(client: SocketPeer<ClientConnection>): Promise<void> {
  client.connection.close();
  await client.waitForEnd();
  expect(client.errors).toEqual([]);
  expect(client.connection.state).toBe('closed');
}

/** The client's answer to the in-handshake CertificateRequest, from its trace. */
function handshakeAnswer(client: SocketPeer<ClientConnection>): { entries: number; scheme: number | undefined } {
  const certificates = messages(client, 'sent', HandshakeType.certificate);
  const verifies = messages(client, 'sent', HandshakeType.certificate_verify);
  const certificate = certificates[0];
  if (certificate?.type !== HandshakeType.certificate) throw new Error('the client sent no Certificate');
  const verify = verifies[0];
  return { entries: certificate.entries.length, scheme: verify?.type === HandshakeType.certificate_verify ? verify.scheme : undefined };
}

describe.concurrent('wiretls client → openssl s_server: client certificates in the handshake', () => {
  for (const { flag, policy } of [
    { flag: '-Verify', policy: 'require' },
    { flag: '-verify', policy: 'optional' },
  ] as const) {
    it(
      `${flag} 1 (${policy}): we send leaf + intermediate and sign with ecdsa_secp256r1_sha256; s_server verifies the chain`,
      async () => {
        const server = await startServer('ecdsa-p256', [flag, '1', '-verify_return_error', '-CAfile', pkiPath('root.pem')]);
        try {
          const client = await connectClient(clientConfig({ certificate: await clientCertificate() }), server.port, { describe: server.process.output });
          const info = await client.waitForHandshake();
          expect(info).toMatchObject({ authorized: true, signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256 });
          expect(offeredPostHandshakeAuth(client)).toBe(true);
          expect(messages(client, 'received', HandshakeType.certificate_request)).toHaveLength(1);
          expect(handshakeAnswer(client)).toEqual({ entries: 2, scheme: SignatureScheme.ecdsa_secp256r1_sha256 });
          await roundTrip(client, server.process, policy);
          // s_server's verify callback walked our chain to its root, then printed what it got.
          const out = server.process.output();
          expect(out).toContain(`depth=0 ${CLIENT_SUBJECT}\nverify return:1`);
          expect(out).toContain('depth=1 CN = wiretls test intermediate CA, O = wiretls test PKI\nverify return:1');
          expect(out).toContain('Client certificate\n-----BEGIN CERTIFICATE-----');
          expect(out).toContain(CLIENT_LEAF_PEM_LINE);
          expect(out).toContain(`subject=${CLIENT_SUBJECT}`);
          expect(out).toContain('Peer signature type: ECDSA');
          expect(out).not.toMatch(/verify error/);
          await closeFromClient(client);
        } finally {
          server.process.stop();
        }
      },
      TEST_TIMEOUT,
    );
  }

  it(
    '-verify 1 (optional) and no client certificate: an empty Certificate, no CertificateVerify, the handshake succeeds',
    async () => {
      const server = await startServer('ecdsa-p256', ['-verify', '1', '-verify_return_error', '-CAfile', pkiPath('root.pem')]);
      try {
        const client = await connectClient(clientConfig(), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        // Without a certificate there is nothing to answer a post-handshake request with.
        expect(offeredPostHandshakeAuth(client)).toBe(false);
        expect(messages(client, 'received', HandshakeType.certificate_request)).toHaveLength(1);
        expect(handshakeAnswer(client)).toEqual({ entries: 0, scheme: undefined });
        await roundTrip(client, server.process, 'anonymous');
        expect(server.process.output()).toMatch(/CIPHER is TLS_/);
        expect(server.process.output()).not.toContain('Client certificate');
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    '-Verify 1 (require) and no client certificate: s_server aborts with certificate_required (116)',
    async () => {
      const server = await startServer('ecdsa-p256', ['-Verify', '1', '-verify_return_error', '-CAfile', pkiPath('root.pem')]);
      try {
        const client = await connectClient(clientConfig(), server.port, { describe: server.process.output });
        const error = await client.waitForError();
        expect(error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'certificate_required' });
        expect(handshakeAnswer(client)).toEqual({ entries: 0, scheme: undefined });
        expect(client.errors).toHaveLength(1);
        await server.process.waitFor(/peer did not return a certificate/);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    '-Verify 1 with only the intermediate as CA file: s_server cannot reach a root and sends unknown_ca (48)',
    async () => {
      const server = await startServer('ecdsa-p256', ['-Verify', '1', '-verify_return_error', '-CAfile', pkiPath('intermediate.pem')]);
      try {
        const client = await connectClient(clientConfig({ certificate: await clientCertificate() }), server.port, { describe: server.process.output });
        const error = await client.waitForError();
        expect(error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'unknown_ca' });
        expect(handshakeAnswer(client)).toEqual({ entries: 2, scheme: SignatureScheme.ecdsa_secp256r1_sha256 });
        await server.process.waitFor(/verify error:num=2:unable to get issuer certificate/);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );
});

describe.concurrent('wiretls client → openssl s_server -Verify 1: client certificate key types', () => {
  // The server leaves carry clientAuth as well as serverAuth, so they double as client certificates.
  for (const { kind, scheme, openssl } of KEY_KINDS) {
    it(
      `${kind}: our CertificateVerify uses 0x${scheme.toString(16)}, s_server verifies it ("Peer signature type: ${openssl}")`,
      async () => {
        const server = await startServer('ecdsa-p256', ['-Verify', '1', '-verify_return_error', '-CAfile', pkiPath('root.pem')]);
        try {
          const certificate = { chain: serverChain(kind), key: await provider.importSigningKey(serverKey(kind)) };
          const client = await connectClient(clientConfig({ certificate }), server.port, { describe: server.process.output });
          await client.waitForHandshake();
          expect(handshakeAnswer(client)).toEqual({ entries: 2, scheme });
          await roundTrip(client, server.process, kind);
          expect(server.process.output()).toContain(`Peer signature type: ${openssl}`);
          expect(server.process.output()).toMatch(/depth=0 CN = wiretls test server [^\n]*\nverify return:1/);
          await closeFromClient(client);
        } finally {
          server.process.stop();
        }
      },
      TEST_TIMEOUT,
    );
  }

  it(
    '-client_sigalgs without a scheme our P-256 key can use: we answer with an empty Certificate, and -Verify 1 refuses it',
    async () => {
      const server = await startServer('ecdsa-p256', ['-Verify', '1', '-CAfile', pkiPath('root.pem'), '-client_sigalgs', 'ed25519:rsa_pss_rsae_sha256:ecdsa_secp384r1_sha384']);
      try {
        const client = await connectClient(clientConfig({ certificate: await clientCertificate() }), server.port, { describe: server.process.output });
        const error = await client.waitForError();
        expect(error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'certificate_required' });
        expect(handshakeAnswer(client)).toEqual({ entries: 0, scheme: undefined });
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );
});

/**
 * s_server's `c` command: SSL_set_verify(VERIFY_PEER, NULL), which keeps s_server's verify
 * callback (so -verify_return_error makes a bad chain fatal and "depth=0 …" is printed for our
 * leaf), then SSL_verify_client_post_handshake, which needs our post_handshake_auth. -trace
 * prints the request and our Certificate with their context, and the certificate we sent.
 */
async function postHandshakeRequest(client: SocketPeer<ClientConnection>, server: Spawned, number: number): Promise<void> {
  const requestsBefore = messages(client, 'received', HandshakeType.certificate_request).length;
  const finishedBefore = messages(client, 'sent', HandshakeType.finished).length;
  const leafVerified = (): number => server.output().split(`depth=0 ${CLIENT_SUBJECT}`).length - 1;
  const verifiedBefore = leafVerified();
  server.process.stdin!.write('c\n');
  await client.until('the post-handshake CertificateRequest', () => messages(client, 'received', HandshakeType.certificate_request).length > requestsBefore);
  const request = messages(client, 'received', HandshakeType.certificate_request).at(-1)!;
  if (request.type !== HandshakeType.certificate_request) throw new Error('unreachable');
  // RFC 8446 §4.6.2: a post-handshake request names itself with a non-empty context.
  expect(request.context.length).toBeGreaterThan(0);
  await client.until('our answer', () => messages(client, 'sent', HandshakeType.finished).length > finishedBefore);
  const answer = messages(client, 'sent', HandshakeType.certificate).at(-1)!;
  if (answer.type !== HandshakeType.certificate) throw new Error('unreachable');
  expect(hex(answer.context)).toBe(hex(request.context));
  expect(answer.entries.map((e) => e.data)).toEqual(CLIENT_CHAIN);
  // Certificate, CertificateVerify, Finished: the last three messages we sent.
  const sent = client.trace.flatMap((e) => (e.kind === 'message' && e.direction === 'sent' ? [e.message.type] : []));
  expect(sent.slice(-3)).toEqual([HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished]);
  await roundTrip(client, server, `after-c-${number}`);
  // s_server got our answer: its trace shows the Certificate with the context it chose, then
  // our leaf. (Checked after the round trip: s_server flushes its trace output when it prints data.)
  const context = hex(request.context);
  await server.waitFor(new RegExp(`CertificateRequest, Length=\\d+\\n\\s+request_context \\(len=${request.context.length}\\): ${context}`));
  await server.waitFor(new RegExp(`Certificate, Length=\\d+\\n\\s+context \\(len=${request.context.length}\\): ${context}`));
  const afterAnswer = server.output().slice(server.output().search(new RegExp(`context \\(len=\\d+\\): ${context}[\\s\\S]*context \\(len=\\d+\\): ${context}`)));
  expect(afterAnswer).toContain(CLIENT_LEAF_PEM_LINE);
  expect(leafVerified()).toBe(verifiedBefore + 1);
  expect(server.output()).not.toMatch(/verify error/);
}

describe.concurrent('wiretls client → openssl s_server: post-handshake authentication (s_server command c)', () => {
  it(
    'no certificate asked in the handshake; `c` twice: we answer each request with its context, data flows on',
    async () => {
      const server = await startServer('ecdsa-p256', ['-verify_return_error', '-CAfile', pkiPath('root.pem'), '-trace']);
      try {
        const client = await connectClient(clientConfig({ certificate: await clientCertificate() }), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        expect(offeredPostHandshakeAuth(client)).toBe(true);
        expect(messages(client, 'received', HandshakeType.certificate_request)).toHaveLength(0);
        await roundTrip(client, server.process, 'before');
        await server.process.waitFor(/extension_type=post_handshake_auth\(49\), length=0/);
        await postHandshakeRequest(client, server.process, 1);
        // A KeyUpdate in between: the second Finished is keyed by our next traffic secret.
        client.connection.updateKeys(true);
        await roundTrip(client, server.process, 'key-update');
        await postHandshakeRequest(client, server.process, 2);
        expect(client.errors).toEqual([]);
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    '-verify 1 -verify_return_error: the certificate in the handshake, then again after `c`',
    async () => {
      const server = await startServer('ecdsa-p256', ['-verify', '1', '-verify_return_error', '-CAfile', pkiPath('root.pem'), '-trace']);
      try {
        const client = await connectClient(clientConfig({ certificate: await clientCertificate() }), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        expect(handshakeAnswer(client)).toEqual({ entries: 2, scheme: SignatureScheme.ecdsa_secp256r1_sha256 });
        await roundTrip(client, server.process, 'before');
        expect(server.process.output()).toContain(`subject=${CLIENT_SUBJECT}`);
        await postHandshakeRequest(client, server.process, 1);
        expect(client.errors).toEqual([]);
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    '`c` on an s_server that trusts only the intermediate: it verifies our post-handshake answer and sends unknown_ca (48)',
    async () => {
      const server = await startServer('ecdsa-p256', ['-verify_return_error', '-CAfile', pkiPath('intermediate.pem')]);
      try {
        const client = await connectClient(clientConfig({ certificate: await clientCertificate() }), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        await roundTrip(client, server.process, 'before');
        server.process.process.stdin!.write('c\n');
        const error = await client.waitForError();
        expect(error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'unknown_ca' });
        const sent = client.trace.flatMap((e) => (e.kind === 'message' && e.direction === 'sent' ? [e.message.type] : []));
        expect(sent.slice(-3)).toEqual([HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished]);
        await server.process.waitFor(/verify error:num=2:unable to get issuer certificate/);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'a client without a certificate does not offer post_handshake_auth: `c` fails on s_server, the connection goes on',
    async () => {
      const server = await startServer('ecdsa-p256', ['-verify_return_error', '-CAfile', pkiPath('root.pem')]);
      try {
        const client = await connectClient(clientConfig(), server.port, { describe: server.process.output });
        await client.waitForHandshake();
        expect(offeredPostHandshakeAuth(client)).toBe(false);
        server.process.process.stdin!.write('c\n');
        await server.process.waitFor(/extension not received/);
        await roundTrip(client, server.process, 'after-c');
        expect(messages(client, 'received', HandshakeType.certificate_request)).toHaveLength(0);
        await closeFromClient(client);
      } finally {
        server.process.stop();
      }
    },
    TEST_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------
// openssl s_client → wiretls server
// ---------------------------------------------------------------------------------------------

interface Run {
  peer: SocketPeer<ServerConnection>;
  client: Spawned;
}

/** A wiretls server for one s_client; `body` runs once the TCP connection is accepted. */
async function withClient(config: ServerConfig, clientArgs: readonly string[], body: (run: Run) => Promise<void>): Promise<void> {
  let client: Spawned | undefined;
  const server = await listenServer(config, () => client?.output() ?? '');
  try {
    client = startClient(server.port, clientArgs);
    const peer = await server.accept();
    await body({ peer, client });
  } finally {
    client?.stop();
    await server.close();
  }
}

/** A line typed into s_client reaches us; a line from us is printed by s_client. */
async function exchange({ peer, client }: Run, tag: string, size = 500): Promise<void> {
  const up = `${line(size, tag.length + size)}-${tag}-up`;
  const down = `${line(size, tag.length + size + 1)}-${tag}-down`;
  const before = peer.receivedText().length;
  client.process.stdin!.write(`${up}\n`);
  await peer.until(`the line from s_client (${tag})`, () => peer.receivedText().length >= before + up.length + 1);
  expect(peer.receivedText().slice(before)).toBe(`${up}\n`);
  peer.connection.write(new TextEncoder().encode(`${down}\n`));
  await client.waitFor(new RegExp(`${escapeRegExp(down)}\\n`));
}

/** s_client's close_notify first (stdin EOF), then ours. */
async function closeFromSClient({ peer, client }: Run): Promise<void> {
  client.process.stdin!.end();
  await peer.waitForEnd();
  peer.close();
  expect(peer.errors).toEqual([]);
  expect(peer.connection.state).toBe('closed');
  expect(await client.exited).toBe(0);
}

function expectClientChain(info: SessionInfo): void {
  expect(info).toMatchObject({ authorized: true, authorizationError: undefined, signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256 });
  expect(info.peerCertificates).toEqual(CLIENT_CHAIN);
}

const ROOT_SUBJECT = parseCertificate(pemChain('root.pem')[0]!).subjectDer;

async function mutualConfig(extra: Partial<ServerConfig>): Promise<ServerConfig> {
  // serverConfig has no verifier; the client one (X509Verifier with root.pem) serves both roles.
  return serverConfig('ecdsa-p256', { verifier: clientConfig().verifier, ...extra });
}

describe.concurrent('openssl s_client → wiretls server: client certificates in the handshake', () => {
  for (const clientAuth of ['require', 'optional'] as const) {
    it(
      `clientAuth '${clientAuth}': s_client -cert/-key sends its chain, we verify it (clientAuth EKU) and report it`,
      async () => {
        const config = await mutualConfig({ clientAuth, certificateAuthorities: [ROOT_SUBJECT] });
        await withClient(config, S_CLIENT_CERT, async (run) => {
          const info = await run.peer.waitForHandshake();
          await run.client.waitFor(/Verify return code: 0 \(ok\)/);
          expectClientChain(info);
          expect(run.peer.connection.session).toBe(info);
          expect(messages(run.peer, 'sent', HandshakeType.certificate_request)).toHaveLength(1);
          // s_client printed our CertificateRequest: the CA names and the schemes we accept.
          const out = run.client.output();
          expect(out).toContain('Acceptable client certificate CA names\nCN = wiretls test root CA, O = wiretls test PKI');
          expect(out).toMatch(/Requested Signature Algorithms: ECDSA\+SHA256:/);
          await exchange(run, clientAuth);
          await closeFromSClient(run);
        });
      },
      TEST_TIMEOUT,
    );
  }

  it(
    "clientAuth 'optional' and s_client without -cert: an empty Certificate, unauthenticated, data flows",
    async () => {
      await withClient(await mutualConfig({ clientAuth: 'optional' }), [], async (run) => {
        const info = await run.peer.waitForHandshake();
        await run.client.waitFor(/Verify return code: 0 \(ok\)/);
        expect(info).toMatchObject({ authorized: false, peerCertificates: [], signatureScheme: undefined });
        const [certificate] = messages(run.peer, 'received', HandshakeType.certificate);
        expect(certificate).toMatchObject({ entries: [] });
        expect(messages(run.peer, 'received', HandshakeType.certificate_verify)).toHaveLength(0);
        // Without certificate_authorities configured, s_client has no CA names to print.
        expect(run.client.output()).toContain('No client certificate CA names sent');
        await exchange(run, 'anonymous');
        await closeFromSClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    "clientAuth 'require' and s_client without -cert: we send certificate_required, s_client reports alert 116",
    async () => {
      await withClient(await mutualConfig({ clientAuth: 'require' }), [], async (run) => {
        const error = await run.peer.waitForError();
        expect(error).toMatchObject({ code: 'PROTOCOL_ERROR', alert: 'certificate_required', reason: 'client_certificate_missing' });
        expect(run.peer.connection.session).toBeUndefined();
        await run.client.waitFor(/alert certificate required[^\n]*SSL alert number 116/);
        expect(await run.client.exited).not.toBe(0);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    "clientAuth 'require' and s_client sending its leaf without the intermediate: the path does not build, unknown_ca",
    async () => {
      const leafOnly = S_CLIENT_CERT.slice(0, 4);
      await withClient(await mutualConfig({ clientAuth: 'require' }), leafOnly, async (run) => {
        const error = await run.peer.waitForError();
        expect(error).toMatchObject({ code: 'CERT_UNTRUSTED', alert: 'unknown_ca' });
        await run.client.waitFor(/alert unknown ca[^\n]*SSL alert number 48/);
        expect(await run.client.exited).not.toBe(0);
      });
    },
    TEST_TIMEOUT,
  );
});

describe.concurrent("openssl s_client → wiretls server (clientAuth 'require'): client certificate key types", () => {
  for (const { kind, scheme } of KEY_KINDS) {
    it(
      `${kind}: s_client signs its CertificateVerify with 0x${scheme.toString(16)}, we verify it and the chain`,
      async () => {
        const args = ['-cert', pkiPath(`server-${kind}.pem`), '-key', pkiPath(`server-${kind}-key.pem`), '-cert_chain', pkiPath('intermediate.pem')];
        await withClient(await mutualConfig({ clientAuth: 'require' }), args, async (run) => {
          const info = await run.peer.waitForHandshake();
          await run.client.waitFor(/Verify return code: 0 \(ok\)/);
          expect(info).toMatchObject({ authorized: true, signatureScheme: scheme });
          expect(info.peerCertificates).toEqual(serverChain(kind));
          await exchange(run, kind);
          await closeFromSClient(run);
        });
      },
      TEST_TIMEOUT,
    );
  }
});

/**
 * requestClientCertificate() and the 'authenticated' event it leads to. The event is awaited
 * directly: it follows the trace event of the client's Finished, so a predicate checked on
 * trace events alone would miss it.
 */
async function authenticate(peer: SocketPeer<ServerConnection>, timeoutMs = 10_000): Promise<SessionInfo> {
  const requestsBefore = messages(peer, 'sent', HandshakeType.certificate_request).length;
  const authenticated = new Promise<SessionInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no 'authenticated' event within ${timeoutMs} ms; state ${peer.connection.state}, errors [${peer.errors.map((e) => e.message).join('; ')}]`));
    }, timeoutMs);
    peer.connection.on('authenticated', (info) => {
      clearTimeout(timer);
      resolve(info);
    });
    peer.connection.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  peer.connection.requestClientCertificate();
  expect(messages(peer, 'sent', HandshakeType.certificate_request)).toHaveLength(requestsBefore + 1);
  return authenticated;
}

describe.concurrent('openssl s_client -enable_pha → wiretls server: post-handshake authentication', () => {
  it(
    "requestClientCertificate() after the handshake, twice (with a KeyUpdate between): 'authenticated' with the client chain, data both ways",
    async () => {
      await withClient(await mutualConfig({}), ['-enable_pha', ...S_CLIENT_CERT], async (run) => {
        const info = await run.peer.waitForHandshake();
        await run.client.waitFor(/Verify return code: 0 \(ok\)/);
        expect(info).toMatchObject({ authorized: false, peerCertificates: [] });
        expect(messages(run.peer, 'sent', HandshakeType.certificate_request)).toHaveLength(0);
        await exchange(run, 'before');

        const first = await authenticate(run.peer);
        expectClientChain(first);
        expectClientChain(run.peer.connection.session!);
        const [request] = messages(run.peer, 'sent', HandshakeType.certificate_request);
        const [answer] = messages(run.peer, 'received', HandshakeType.certificate);
        if (request?.type !== HandshakeType.certificate_request || answer?.type !== HandshakeType.certificate) throw new Error('trace incomplete');
        expect(request.context.length).toBeGreaterThan(0);
        expect(hex(answer.context)).toBe(hex(request.context));
        await exchange(run, 'after-first');

        run.peer.connection.updateKeys(true);
        await exchange(run, 'after-key-update');
        expectClientChain(await authenticate(run.peer));
        expect(messages(run.peer, 'received', HandshakeType.finished)).toHaveLength(3);
        await exchange(run, 'after-second');
        await closeFromSClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    "s_client -enable_pha without -cert answers with an empty Certificate: 'authenticated' fires, still unauthenticated",
    async () => {
      await withClient(await mutualConfig({}), ['-enable_pha'], async (run) => {
        await run.peer.waitForHandshake();
        await run.client.waitFor(/Verify return code: 0 \(ok\)/);
        const info = await authenticate(run.peer);
        expect(info).toMatchObject({ authorized: false, peerCertificates: [] });
        expect(messages(run.peer, 'received', HandshakeType.certificate)).toMatchObject([{ entries: [] }]);
        await exchange(run, 'after-empty');
        await closeFromSClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    "clientAuth 'require' and s_client -enable_pha: authenticated in the handshake, and again after it",
    async () => {
      await withClient(await mutualConfig({ clientAuth: 'require' }), ['-enable_pha', ...S_CLIENT_CERT], async (run) => {
        await run.peer.waitForHandshake();
        await run.client.waitFor(/Verify return code: 0 \(ok\)/);
        expectClientChain(run.peer.connection.session!);
        expectClientChain(await authenticate(run.peer));
        await exchange(run, 'after-pha');
        await closeFromSClient(run);
      });
    },
    TEST_TIMEOUT,
  );

  it(
    's_client without -enable_pha: requestClientCertificate() is refused locally (INVALID_ARGUMENT), the connection is unharmed',
    async () => {
      await withClient(await mutualConfig({}), S_CLIENT_CERT, async (run) => {
        await run.peer.waitForHandshake();
        await run.client.waitFor(/Verify return code: 0 \(ok\)/);
        expect(() => run.peer.connection.requestClientCertificate()).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
        await exchange(run, 'after-refusal');
        await closeFromSClient(run);
      });
    },
    TEST_TIMEOUT,
  );
});
