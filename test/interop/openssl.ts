import { readFileSync } from 'node:fs';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { type ServerKeyKind, pkiPath, serverChain, serverKey } from '../helpers/fixtures.js';
import { type Spawned, start } from '../helpers/processes.js';
import { testProvider } from '../helpers/provider.js';

/** Shared set-up for the OpenSSL interop tests: names, peers and configs. */

export const provider = testProvider();

export const SUITES = [
  { suite: CipherSuite.TLS_AES_128_GCM_SHA256, name: 'TLS_AES_128_GCM_SHA256' },
  { suite: CipherSuite.TLS_AES_256_GCM_SHA384, name: 'TLS_AES_256_GCM_SHA384' },
  { suite: CipherSuite.TLS_CHACHA20_POLY1305_SHA256, name: 'TLS_CHACHA20_POLY1305_SHA256' },
] as const;

/** The groups OpenSSL 3.0 offers that wiretls has, with how s_client prints the server's key. */
export const GROUPS = [
  { group: NamedGroup.x25519, name: 'X25519', tempKey: 'X25519, 253 bits' },
  { group: NamedGroup.secp256r1, name: 'P-256', tempKey: 'ECDH, prime256v1, 256 bits' },
  { group: NamedGroup.secp384r1, name: 'P-384', tempKey: 'ECDH, secp384r1, 384 bits' },
  { group: NamedGroup.secp521r1, name: 'P-521', tempKey: 'ECDH, secp521r1, 521 bits' },
  { group: NamedGroup.x448, name: 'X448', tempKey: 'X448, 448 bits' },
] as const;

/** The CertificateVerify scheme each server key signs with, and how s_client names it. */
export const KEY_KINDS: readonly { kind: ServerKeyKind; scheme: number; openssl: string }[] = [
  { kind: 'ecdsa-p256', scheme: SignatureScheme.ecdsa_secp256r1_sha256, openssl: 'ECDSA' },
  { kind: 'ecdsa-p384', scheme: SignatureScheme.ecdsa_secp384r1_sha384, openssl: 'ECDSA' },
  { kind: 'ecdsa-p521', scheme: SignatureScheme.ecdsa_secp521r1_sha512, openssl: 'ECDSA' },
  { kind: 'rsa2048', scheme: SignatureScheme.rsa_pss_rsae_sha256, openssl: 'RSA-PSS' },
  { kind: 'rsapss2048', scheme: SignatureScheme.rsa_pss_pss_sha256, openssl: 'RSA-PSS' },
  { kind: 'ed25519', scheme: SignatureScheme.ed25519, openssl: 'ed25519' },
  { kind: 'ed448', scheme: SignatureScheme.ed448, openssl: 'ed448' },
];

const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem'), 'utf8'), 'test-vectors/pki/root.pem');

/** A client that validates the real chain against the test root (so the intermediate must be sent). */
export function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { provider, serverName: 'localhost', verifier: new X509Verifier({ trustStore }), ...extra };
}

const keyCache = new Map<ServerKeyKind, Promise<Awaited<ReturnType<typeof provider.importSigningKey>>>>();

/** A server with the leaf + intermediate chain of one key type. */
export async function serverConfig(kind: ServerKeyKind, extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  let key = keyCache.get(kind);
  if (!key) {
    key = provider.importSigningKey(serverKey(kind));
    keyCache.set(kind, key);
  }
  return { provider, certificates: [{ chain: serverChain(kind), key: await key }], ...extra };
}

export interface OpenSSLServer {
  process: Spawned;
  port: number;
}

/**
 * `openssl s_server -tls1_3` on an ephemeral port for exactly one connection (-naccept 1),
 * with the leaf and the intermediate of `kind`. `-rev` makes it answer every line reversed;
 * without it, stdin lines go to the client and 'k'/'K' lines send KeyUpdate.
 */
export async function startServer(kind: ServerKeyKind, args: readonly string[] = []): Promise<OpenSSLServer> {
  const process = start('openssl', [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-tls1_3',
    '-naccept',
    '1',
    '-cert',
    pkiPath(`server-${kind}.pem`),
    '-key',
    pkiPath(`server-${kind}-key.pem`),
    '-cert_chain',
    pkiPath('intermediate.pem'),
    ...args,
  ]);
  try {
    const match = await process.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, 10_000);
    return { process, port: Number(match[1]) };
  } catch (error) {
    process.stop();
    throw error;
  }
}

/** `openssl s_client -tls1_3` against 127.0.0.1:port, verifying against the test root. */
export function startClient(port: number, args: readonly string[] = []): Spawned {
  return start('openssl', ['s_client', '-tls1_3', '-connect', `127.0.0.1:${port}`, '-CAfile', pkiPath('root.pem'), '-servername', 'localhost', '-verify_return_error', ...args]);
}

/** Text of printable ASCII that s_server -rev / s_client treat as one ordinary line. */
export function line(length: number, seed: number): string {
  // s_server and s_client read stdin in chunks and treat some first characters of a chunk as
  // commands (Q, q, P, S, R, r, K, k, C, c, B, L...): the alphabet has none of them.
  const alphabet = 'adefghijmnotuvwxyz0123456789 .,-_';
  // xorshift32: no short cycles, so a line never repeats itself and a suffix is unique.
  let s = (seed * 2654435761) >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out += alphabet[s % alphabet.length];
  }
  return `x${out}`;
}

export function reversed(text: string): string {
  return [...text].reverse().join('');
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
