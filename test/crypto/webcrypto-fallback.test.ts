import { describe, expect, it, vi } from 'vitest';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto/index.js';
import { NamedGroup, SignatureScheme } from '../../src/registry.js';
import { bytesToHex } from '../../src/wire/bytes.js';
import { pinnedLeafVerifier, serverChain, serverKey } from '../helpers/fixtures.js';
import { pipe, settle } from '../helpers/pipe.js';
import { expectAlertSoon, hex, vectors } from './helpers.js';

/**
 * A runtime whose WebCrypto has neither X25519 nor Ed25519 (older browsers): the webcrypto
 * provider detects that once and uses noble's, loaded on demand, with the same results. The
 * global is replaced before the provider first looks, which is why this is a file of its own
 * (vitest gives each file fresh modules, so the detection is not yet cached).
 */

const real = globalThis.crypto;
const refused: string[] = [];
/** Where each SubtleCrypto method takes its algorithm. */
const algorithmArgument: Record<string, number> = { generateKey: 0, importKey: 2, deriveBits: 0, sign: 0, verify: 0 };

const subtle = new Proxy(real.subtle, {
  get(target, property: string) {
    const method = (target as unknown as Record<string, unknown>)[property];
    if (typeof method !== 'function') return method;
    return (...args: unknown[]) => {
      const at = algorithmArgument[property];
      const name = at === undefined ? undefined : (args[at] as { name?: string } | string | undefined);
      const algorithm = typeof name === 'string' ? name : name?.name;
      if (algorithm === 'X25519' || algorithm === 'Ed25519') {
        refused.push(`${property} ${algorithm}`);
        return Promise.reject(new DOMException(`${algorithm} is not supported`, 'NotSupportedError'));
      }
      return (method as (...a: unknown[]) => unknown).apply(target, args);
    };
  },
});
vi.stubGlobal('crypto', { subtle, getRandomValues: (array: Uint8Array): Uint8Array => real.getRandomValues(array) });

describe('webcryptoProvider() where WebCrypto lacks X25519 and Ed25519', () => {
  const provider = webcryptoProvider();
  const noble = nobleProvider();

  it('X25519 falls back to noble: agrees with the noble provider both ways; a low-order share is illegal_parameter', async () => {
    const kx = provider.keyExchange(NamedGroup.x25519)!;
    const ours = await kx.generate();
    const theirs = noble.keyExchange(NamedGroup.x25519)!.respond(ours.publicKey);
    expect(await ours.complete(theirs.publicKey)).toEqual(theirs.sharedSecret);
    const client = noble.keyExchange(NamedGroup.x25519)!.generate();
    const answer = await kx.respond(client.publicKey);
    expect(client.complete(answer.publicKey)).toEqual(answer.sharedSecret);
    await expectAlertSoon(() => kx.respond(new Uint8Array(32)), 'illegal_parameter', 'invalid_key_share');
    expect(refused).toContain('generateKey X25519');
  });

  it('Ed25519 falls back to noble: RFC 8032 §7.1 signatures byte-exact, verified, tampering refused', async () => {
    const { ed25519 } = vectors<{ ed25519: { secret: string; public: string; message: string; signature: string }[] }>('rfc8032.json');
    for (const v of ed25519) {
      const pkcs8 = new Uint8Array([...hex('302e020100300506032b657004220420'), ...hex(v.secret)]);
      const spki = new Uint8Array([...hex('302a300506032b6570032100'), ...hex(v.public)]);
      const key = await provider.importSigningKey(pkcs8);
      expect(bytesToHex(await key.sign(SignatureScheme.ed25519, hex(v.message)))).toBe(v.signature);
      expect(await provider.verify(SignatureScheme.ed25519, spki, hex(v.message), hex(v.signature))).toBe(true);
      const tampered = hex(v.signature);
      tampered[3]! ^= 1;
      expect(await provider.verify(SignatureScheme.ed25519, spki, hex(v.message), tampered)).toBe(false);
    }
    expect(refused.some((r) => r.endsWith('Ed25519'))).toBe(true);
  });

  it('a whole handshake on the fallbacks: x25519, an Ed25519 server key, both sides webcrypto', async () => {
    const chain = serverChain('ed25519');
    const server = new ServerConnection({ provider, certificates: [{ chain, key: await provider.importSigningKey(serverKey('ed25519')) }] });
    const client = new ClientConnection({ provider, serverName: 'localhost', verifier: pinnedLeafVerifier(chain[0]!) });
    const ends = pipe(client, server);
    client.start();
    await settle(client, server);
    expect([...ends.client.errors, ...ends.server.errors]).toEqual([]);
    expect(client.session).toMatchObject({ group: NamedGroup.x25519, signatureScheme: SignatureScheme.ed25519 });
  });
});
