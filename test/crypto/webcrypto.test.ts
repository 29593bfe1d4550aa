import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto/index.js';
import { AlertDescription, CipherSuite, ContentType, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { utf8 } from '../../src/wire/bytes.js';
import { pinnedLeafVerifier, serverChain, serverKey } from '../helpers/fixtures.js';
import { pipe, settle } from '../helpers/pipe.js';
import { expectCode, pemFixture } from './helpers.js';

/**
 * What the webcrypto provider is without extras (the conformance suite runs it with all of
 * them), that its keys stay inside WebCrypto, and how the engine holds a connection while the
 * ClientHello's key shares are being generated.
 */

afterEach(() => {
  vi.restoreAllMocks();
});

describe('webcryptoProvider() without extras', () => {
  const provider = webcryptoProvider();

  it('offers only what WebCrypto (and noble AES-GCM) do: no hybrid, x448, ChaCha20 or Ed448', async () => {
    expect(provider.name).toBe('webcrypto');
    expect(provider.groups).toEqual([NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1]);
    expect(provider.cipherSuites).toEqual([CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384]);
    expect(provider.signatureSchemes).not.toContain(SignatureScheme.ed448);
    expect(provider.signatureSchemes).toContain(SignatureScheme.ed25519);
    expect(provider.keyExchange(NamedGroup.X25519MLKEM768)).toBeUndefined();
    expect(provider.keyExchange(NamedGroup.x448)).toBeUndefined();
    expect(() => provider.aead('CHACHA20-POLY1305', new Uint8Array(32))).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
    await expectCode(() => provider.importSigningKey(pemFixture('server-ed448-key.pem')), 'INVALID_ARGUMENT', /ed448 extra/);
  });

  it('an injected key for a group it lacks is INVALID_ARGUMENT, as in the other providers', () => {
    const pinned = webcryptoProvider({ ephemeralPrivateKeys: new Map([[NamedGroup.x448, new Uint8Array(56)]]) });
    expect(() => pinned.keyExchange(NamedGroup.x448)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('still completes a handshake with a server that prefers what it lacks (ChaCha20, the hybrid)', async () => {
    const chain = serverChain('ecdsa-p256');
    const server = new ServerConnection({ provider: nobleProvider(), certificates: [{ chain, key: await nobleProvider().importSigningKey(serverKey('ecdsa-p256')) }] });
    const client = new ClientConnection({ provider, serverName: 'localhost', verifier: pinnedLeafVerifier(chain[0]!) });
    const ends = pipe(client, server);
    client.start();
    await settle(client, server);
    expect(ends.client.errors).toEqual([]);
    expect(client.session).toMatchObject({ cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256, group: NamedGroup.x25519 });
  });
});

describe('keys stay inside WebCrypto', () => {
  it('ephemeral and signing private keys are generated and imported non-extractable', async () => {
    const subtle = globalThis.crypto.subtle;
    const generated = vi.spyOn(subtle, 'generateKey');
    const imported = vi.spyOn(subtle, 'importKey');
    const provider = webcryptoProvider();
    for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1]) {
      const kx = provider.keyExchange(group)!;
      const client = await kx.generate();
      const server = await kx.respond(client.publicKey);
      expect(await client.complete(server.publicKey)).toEqual(server.sharedSecret);
    }
    for (const fixture of ['server-ecdsa-p256', 'server-ed25519', 'server-rsa2048']) await provider.importSigningKey(pemFixture(`${fixture}-key.pem`));
    const nameOf = (algorithm: unknown): string | undefined => (typeof algorithm === 'string' ? algorithm : (algorithm as { name?: string }).name);
    const ephemeral = generated.mock.calls.filter(([algorithm]) => nameOf(algorithm) === 'ECDH' || nameOf(algorithm) === 'X25519');
    expect(ephemeral.length).toBeGreaterThanOrEqual(8);
    for (const [, extractable] of ephemeral) expect(extractable).toBe(false);
    const privateImports = imported.mock.calls.filter(([format]) => format === 'pkcs8');
    expect(privateImports.length).toBeGreaterThanOrEqual(3);
    for (const [, , , extractable] of privateImports) expect(extractable).toBe(false);
  });
});

describe('the ClientHello waits for asynchronous key generation', () => {
  it('start() returns before the ClientHello; a close() meanwhile follows it, and writes after that throw', async () => {
    const chain = serverChain('ecdsa-p256');
    const client = new ClientConnection({ provider: webcryptoProvider(), serverName: 'localhost', verifier: pinnedLeafVerifier(chain[0]!) });
    const sent: Uint8Array[] = [];
    client.on('send', (bytes) => sent.push(bytes.slice()));
    client.start();
    expect(sent).toEqual([]);
    client.close();
    expect(() => client.write(utf8('late'))).toThrowError(expect.objectContaining({ code: 'CONNECTION_CLOSED' }));
    await client.idle();
    expect(sent.map((record) => record[0])).toEqual([ContentType.handshake, ContentType.alert]);
    expect(client.error).toBeUndefined();
  });

  it('bytes that arrive before the ClientHello is out are read after it (a fatal alert fails the connection then, not before)', async () => {
    const chain = serverChain('ecdsa-p256');
    const client = new ClientConnection({ provider: webcryptoProvider(), serverName: 'localhost', verifier: pinnedLeafVerifier(chain[0]!) });
    const sent: Uint8Array[] = [];
    client.on('send', (bytes) => sent.push(bytes.slice()));
    client.start();
    client.write(utf8('queued until the handshake completes'));
    client.receive(new Uint8Array([ContentType.alert, 0x03, 0x03, 0x00, 0x02, 0x02, AlertDescription.handshake_failure]));
    expect(client.error).toBeUndefined();
    expect(sent).toEqual([]);
    await client.idle();
    expect(sent.map((record) => record[0])).toEqual([ContentType.handshake]);
    expect(client.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'handshake_failure' });
  });
});
