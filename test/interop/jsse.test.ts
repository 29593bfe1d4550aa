import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureScheme } from '../../src/registry.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { stopAll, start } from '../helpers/processes.js';
import { connectClient, listenServer } from '../helpers/socket.js';
import { provider } from './openssl.js';
import { interopPeer } from '../helpers/interop-peer.js';

/**
 * Java's JSSE (TLS 1.3, PKIX key and trust managers) with an RSA chain signed with
 * sha256WithRSAEncryption, as public CAs issue them (issue 15, A7). JSSE picks a certificate
 * only if the peer's signature_algorithms (no signature_algorithms_cert is sent) covers the
 * chain's signatures, so a wiretls that did not list rsa_pkcs1_* got handshake_failure ("No
 * available authentication scheme") from a JSSE server, and no certificate (certificate_required)
 * from a JSSE client. The PKI is made by openssl in a temp dir; every process is stopped by PID.
 */

const JAVA_PEER = fileURLToPath(new URL('./fixtures/JssePeer.java', import.meta.url));
const hasJava = spawnSync('java', ['-version']).status === 0 && spawnSync('openssl', ['version']).status === 0;
const TIMEOUT = 60_000;

let dir = '';
const file = (name: string): string => join(dir, name);

/** root (RSA, self-signed) → leaf (RSA, localhost, serverAuth + clientAuth), all sha256WithRSAEncryption. */
function makePki(): void {
  dir = mkdtempSync(join(tmpdir(), 'wiretls-jsse-'));
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    '30',
    '-sha256',
    '-subj',
    '/CN=wiretls JSSE test root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost');
  writeFileSync(file('leaf.ext'), 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '30', '-sha256', '-extfile', 'leaf.ext');
  openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'leaf.key', '-out', 'leaf.pk8.pem');
  const signature = execFileSync('openssl', ['x509', '-in', 'leaf.pem', '-noout', '-text'], { cwd: dir, encoding: 'utf8' });
  if (!signature.includes('sha256WithRSAEncryption')) throw new Error('the test leaf is not PKCS#1 v1.5-signed');
}

/** PEM certificates as DER, in file order. */
function pemChainToDer(pem: string): Uint8Array[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new Uint8Array(Buffer.from(block.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')),
  );
}

async function wiretlsIdentity() {
  const chain = pemChainToDer(readFileSync(file('leaf.pem'), 'utf8'));
  const der = readFileSync(file('leaf.pk8.pem'), 'utf8').replace(/-----[A-Z ]+-----|\s/g, '');
  return { chain, key: await provider.importSigningKey(new Uint8Array(Buffer.from(der, 'base64'))) };
}

const verifier = () => new X509Verifier({ trustStore: TrustStore.fromPem(readFileSync(file('root.pem'), 'utf8'), 'root.pem') });

beforeAll(() => {
  if (hasJava) makePki();
});
afterAll(() => {
  stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const { skip: skipJava } = interopPeer('java', hasJava, 'Debian package openjdk-17-jdk-headless');

describe.skipIf(skipJava)('JSSE (Java 17) with a PKCS#1-signed RSA chain', () => {
  it(
    'wiretls client → JSSE server: the server sends its RSA chain; we verify it and sign nothing with PKCS#1',
    async () => {
      const java = start('java', [JAVA_PEER, 'server', file('leaf.pem'), file('leaf.pk8.pem'), file('root.pem'), 'none']);
      try {
        const port = Number((await java.waitFor(/PORT (\d+)/, 30_000))[1]);
        const client = await connectClient({ provider, serverName: 'localhost', verifier: verifier() }, port, { describe: java.output });
        const info = await client.waitForHandshake(20_000);
        expect(info).toMatchObject({ authorized: true, signatureScheme: SignatureScheme.rsa_pss_rsae_sha256 });
        client.connection.write(new TextEncoder().encode('hello from wiretls\n'));
        await client.waitForText('echo hello from wiretls\n', 10_000);
        await java.waitFor(/LINE hello from wiretls/);
        expect(java.output()).not.toMatch(/Exception/);
      } finally {
        java.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'JSSE client → wiretls server (clientAuth require): the client sends its RSA chain and the server authorizes it',
    async () => {
      const identity = await wiretlsIdentity();
      const server = await listenServer({ provider, certificates: [identity], clientAuth: 'require', verifier: verifier() });
      const java = start('java', [JAVA_PEER, 'client', String(server.port), file('leaf.pem'), file('leaf.pk8.pem'), file('root.pem')]);
      try {
        const peer = await server.accept(30_000);
        const info = await peer.waitForHandshake(20_000);
        expect(info).toMatchObject({ authorized: true, signatureScheme: SignatureScheme.rsa_pss_rsae_sha256 });
        expect(info.peerCertificates).toHaveLength(1);
        await peer.waitForText('hello from jsse\n', 10_000);
        peer.connection.write(new TextEncoder().encode('echo hello from jsse\n'));
        await java.waitFor(/LINE echo hello from jsse/, 10_000);
        expect(java.output()).toContain('PEER CN=localhost');
      } finally {
        java.stop();
        await server.close();
      }
    },
    TIMEOUT,
  );
});
