import {
  type KeyObject,
  X509Certificate,
  constants,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  sign as nodeSign,
} from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { nistPrivateKey } from '../../src/crypto/key-exchange.js';
import { ecdsaDerToCompact } from '../../src/crypto/keys.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { NodeVerifier, nodeProvider } from '../../src/crypto/node/index.js';
import type { AeadName, CryptoProvider, HashName, SigningKey } from '../../src/crypto/provider.js';
import { cipherSuiteParams } from '../../src/crypto/suites.js';
import { ContentType, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { RecordProtector } from '../../src/record/protection.js';
import { bytesToHex, concatBytes, utf8 } from '../../src/wire/bytes.js';
import { TEST_PROVIDERS, type TestProviderName } from '../helpers/provider.js';
import { counterRandom, expectAlertSoon, expectCode, hex, pemFixture, vectors } from './helpers.js';

/**
 * One conformance suite for every CryptoProvider (noble, native, webcrypto): each primitive of the
 * interface against the same published vectors and edge cases, with the same verdicts and the
 * same errors, and then each provider against the other (AEAD sealed by one opened by the other,
 * key exchange across providers, signatures made by one verified by the other). The engine
 * tests and RFC 8448 replays run on every provider too (vitest.config.ts projects), so this
 * file is about the primitives themselves. The webcrypto provider runs with all its extras
 * (test/helpers/provider.ts); what it is without them is checked at the end.
 */

const NAMES: TestProviderName[] = ['noble', 'native', 'webcrypto'];
const PROVIDERS: [TestProviderName, CryptoProvider][] = NAMES.map((name) => [name, TEST_PROVIDERS[name]()]);
const HASHES: HashName[] = ['sha256', 'sha384', 'sha512'];
const AEADS: [AeadName, number][] = [
  ['AES-128-GCM', 16],
  ['AES-256-GCM', 32],
  ['CHACHA20-POLY1305', 32],
];
const ALL_GROUPS = [NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1, NamedGroup.x448];
const message = utf8('TLS 1.3, server CertificateVerify' + '\0' + 'transcript hash goes here');

interface AeadVector {
  name?: string;
  section?: string;
  aead?: AeadName;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}
interface HkdfVector {
  section: string;
  hash: HashName;
  ikm: string;
  salt: string;
  info: string;
  length: number;
  prk: string;
  okm: string;
}
interface FunctionVector {
  section: string;
  scalar: string;
  u: string;
  output: string;
}
interface DhVector {
  section: string;
  alice_private: string;
  alice_public: string;
  bob_private: string;
  bob_public: string;
  shared: string;
}
interface EdVector {
  name: string;
  secret: string;
  public: string;
  message: string;
  signature: string;
}

const rfc7748 = vectors<{ x25519: FunctionVector[]; x448: FunctionVector[]; x25519_dh: DhVector; x448_dh: DhVector }>('rfc7748.json');
const aeadVectors: [AeadName, AeadVector][] = [
  ...vectors<{ aead: AeadVector[] }>('rfc8439.json').aead.map((v) => ['CHACHA20-POLY1305', v] as [AeadName, AeadVector]),
  ...vectors<{ aead: AeadVector[] }>('gcm.json').aead.map((v) => [v.aead!, v] as [AeadName, AeadVector]),
];

function der(key: KeyObject, type: 'spki' | 'pkcs8' | 'pkcs1' | 'sec1'): Uint8Array {
  return new Uint8Array(key.export({ type, format: 'der' }) as Buffer);
}

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at]! ^= 0x01;
  return copy;
}

function littleEndian(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

function bigEndian(value: bigint, length: number): Uint8Array {
  return littleEndian(value, length).reverse();
}

/** Every provider's verdict over the same inputs. */
async function verdicts(scheme: SignatureScheme, spki: Uint8Array, content: Uint8Array, signature: Uint8Array): Promise<boolean[]> {
  return Promise.all(PROVIDERS.map(([, p]) => p.verify(scheme, spki, content, signature)));
}

describe.each(PROVIDERS)('%s provider', (name, provider) => {
  describe('hash, HMAC, HKDF', () => {
    it('hash contexts match node:crypto; fork() is independent; digest of nothing is the empty hash', () => {
      for (const h of HASHES) {
        const ctx = provider.hash(h);
        ctx.update(utf8('client hello|'));
        const forked = ctx.fork();
        ctx.update(utf8('server hello'));
        forked.update(utf8('something else'));
        const twice = forked.fork();
        expect(bytesToHex(ctx.digest())).toBe(createHash(h).update('client hello|server hello').digest('hex'));
        expect(bytesToHex(forked.digest())).toBe(createHash(h).update('client hello|something else').digest('hex'));
        expect(bytesToHex(twice.digest())).toBe(createHash(h).update('client hello|something else').digest('hex'));
        expect(bytesToHex(provider.hash(h).digest())).toBe(createHash(h).digest('hex'));
      }
    });

    it('returns plain Uint8Arrays whose slice() is a copy (never a Buffer)', () => {
      const outputs = [
        provider.hash('sha256').digest(),
        provider.hmac('sha256', new Uint8Array(32), new Uint8Array(1)),
        provider.hkdfExtract('sha256', new Uint8Array(0), new Uint8Array(32)),
        provider.hkdfExpand('sha256', new Uint8Array(32), new Uint8Array(1), 12),
        provider.aead('AES-128-GCM', new Uint8Array(16)).seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(3)),
        provider.random(8),
      ];
      for (const out of outputs) {
        expect(Buffer.isBuffer(out)).toBe(false);
        expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
      }
    });

    it('HMAC (RFC 4231)', () => {
      for (const v of vectors<{ hmac: (Record<HashName, string> & { key: string; data: string })[] }>('rfc4231.json').hmac) {
        for (const h of HASHES) expect(bytesToHex(provider.hmac(h, hex(v.key), hex(v.data)))).toBe(v[h]);
      }
    });

    it('HKDF (RFC 5869 A.1-A.3)', () => {
      for (const v of vectors<{ hkdf: HkdfVector[] }>('rfc5869.json').hkdf) {
        const prk = provider.hkdfExtract(v.hash, hex(v.salt), hex(v.ikm));
        expect(bytesToHex(prk), v.section).toBe(v.prk);
        expect(bytesToHex(provider.hkdfExpand(v.hash, prk, hex(v.info), v.length)), v.section).toBe(v.okm);
      }
    });

    it('HKDF-Expand agrees with node:crypto for every length class, up to 255 * HashLen', () => {
      for (const h of HASHES) {
        const ikm = utf8('input keying material');
        const salt = utf8('salt');
        const info = utf8('tls13 derived');
        const prk = provider.hkdfExtract(h, salt, ikm);
        const hashLength = createHash(h).digest().length;
        for (const length of [0, 1, 12, 16, hashLength - 1, hashLength, hashLength + 1, 100, 255 * hashLength]) {
          const expected = length === 0 ? '' : Buffer.from(hkdfSync(h, ikm, salt, info, length)).toString('hex');
          expect(bytesToHex(provider.hkdfExpand(h, prk, info, length)), `${h} L=${length}`).toBe(expected);
        }
        expect(() => provider.hkdfExpand(h, prk, info, 255 * hashLength + 1)).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR', alert: 'internal_error' }));
        expect(() => provider.hkdfExpand(h, prk, info, -1)).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
      }
    });

    it('random() returns the length asked for, and differs between calls', () => {
      expect(provider.random(0)).toHaveLength(0);
      expect(provider.random(100_000)).toHaveLength(100_000);
      expect(provider.random(32)).not.toEqual(provider.random(32));
    });
  });

  describe('AEAD', () => {
    it('published vectors (RFC 8439 §2.8.2, McGrew-Viega GCM): seal byte-exact, open returns the plaintext', () => {
      for (const [aead, v] of aeadVectors) {
        const cipher = provider.aead(aead, hex(v.key));
        const sealed = cipher.seal(hex(v.nonce), hex(v.aad), hex(v.plaintext));
        expect(bytesToHex(sealed), v.name ?? v.section).toBe(v.ciphertext + v.tag);
        const opened = cipher.open(hex(v.nonce), hex(v.aad), sealed);
        expect(opened && bytesToHex(opened)).toBe(v.plaintext);
      }
    });

    for (const [aead, keyLength] of AEADS) {
      it(`${aead}: tampering with ciphertext, tag, AAD or nonce opens to undefined, never throws`, () => {
        const cipher = provider.aead(aead, provider.random(keyLength));
        const nonce = provider.random(12);
        const aad = new Uint8Array([23, 3, 3, 0, 40]);
        const sealed = cipher.seal(nonce, aad, new Uint8Array(24).fill(0x61));
        expect(cipher.tagLength).toBe(16);
        expect(sealed).toHaveLength(24 + 16);
        for (const at of [0, 23, 24, sealed.length - 1]) expect(cipher.open(nonce, aad, flipped(sealed, at))).toBeUndefined();
        expect(cipher.open(nonce, new Uint8Array([23, 3, 3, 0, 41]), sealed)).toBeUndefined();
        expect(cipher.open(flipped(nonce, 11), aad, sealed)).toBeUndefined();
        expect(cipher.open(nonce, aad, sealed.subarray(0, 15))).toBeUndefined();
        expect(cipher.open(nonce, aad, sealed.subarray(0, 16))).toBeUndefined();
        expect(cipher.open(nonce, aad, new Uint8Array(0))).toBeUndefined();
        expect(cipher.open(nonce, aad, sealed)).toEqual(new Uint8Array(24).fill(0x61));
      });

      it(`${aead}: an empty plaintext seals to a bare tag; the key is copied; dispose() ends use`, () => {
        const key = new Uint8Array(keyLength).fill(9);
        const cipher = provider.aead(aead, key);
        const nonce = new Uint8Array(12);
        const empty = cipher.seal(nonce, new Uint8Array(0), new Uint8Array(0));
        expect(empty).toHaveLength(16);
        expect(cipher.open(nonce, new Uint8Array(0), empty)).toEqual(new Uint8Array(0));
        const sealed = cipher.seal(nonce, new Uint8Array(0), new Uint8Array([1, 2, 3]));
        key.fill(0);
        expect(cipher.open(nonce, new Uint8Array(0), sealed)).toEqual(new Uint8Array([1, 2, 3]));
        cipher.dispose();
        const internal = expect.objectContaining({ code: 'INTERNAL_ERROR' });
        expect(() => cipher.seal(nonce, new Uint8Array(0), new Uint8Array(1))).toThrowError(internal);
        expect(() => cipher.open(nonce, new Uint8Array(0), sealed)).toThrowError(internal);
      });
    }

    it('sealInto (when offered) writes what seal returns, also in place over its own plaintext', () => {
      for (const [aead, keyLength] of AEADS) {
        const cipher = provider.aead(aead, provider.random(keyLength));
        if (!cipher.sealInto) continue;
        for (const size of [0, 1, 100, 16385]) {
          const nonce = provider.random(12);
          const aad = provider.random(5);
          const plaintext = provider.random(size);
          const expected = cipher.seal(nonce, aad, plaintext);
          const out = new Uint8Array(3 + size + 16 + 2).fill(0xee);
          expect(cipher.sealInto(nonce, aad, plaintext, out, 3)).toBe(size + 16);
          expect(out.subarray(3, 3 + size + 16)).toEqual(expected);
          expect([...out.subarray(0, 3), ...out.subarray(-2)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
          const inPlace = new Uint8Array(5 + size + 16);
          inPlace.set(plaintext, 5);
          cipher.sealInto(nonce, aad, inPlace.subarray(5, 5 + size), inPlace, 5);
          expect(inPlace.subarray(5)).toEqual(expected);
        }
      }
    });

    it('wrong key and nonce lengths are internal errors (caller bugs)', () => {
      const internal = expect.objectContaining({ code: 'INTERNAL_ERROR' });
      expect(() => provider.aead('AES-128-GCM', new Uint8Array(32))).toThrowError(internal);
      expect(() => provider.aead('CHACHA20-POLY1305', new Uint8Array(16))).toThrowError(internal);
      const cipher = provider.aead('AES-128-GCM', new Uint8Array(16));
      expect(() => cipher.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(1))).toThrowError(internal);
      expect(() => cipher.open(new Uint8Array(16), new Uint8Array(0), new Uint8Array(17))).toThrowError(internal);
    });

    it('implements every TLS 1.3 suite wiretls knows', () => {
      expect([...provider.cipherSuites].sort()).toEqual([...cipherSuiteParams.keys()].sort());
    });
  });

  describe('key exchange', async () => {
    it('implements the same groups in the same order', async () => {
      expect(provider.groups).toEqual(ALL_GROUPS);
      expect(provider.keyExchange(NamedGroup.ffdhe2048)).toBeUndefined();
    });

    it('X25519 and X448 function vectors (RFC 7748 §5.2) and Diffie-Hellman (§6.1, §6.2) with injected keys', async () => {
      for (const [group, list, dh] of [
        [NamedGroup.x25519, rfc7748.x25519, rfc7748.x25519_dh],
        [NamedGroup.x448, rfc7748.x448, rfc7748.x448_dh],
      ] as const) {
        for (const v of list) {
          const fixed = TEST_PROVIDERS[name]({ ephemeralPrivateKeys: new Map([[group, hex(v.scalar)]]) });
          expect(bytesToHex((await fixed.keyExchange(group)!.respond(hex(v.u))).sharedSecret), v.section).toBe(v.output);
        }
        const alice = TEST_PROVIDERS[name]({ ephemeralPrivateKeys: new Map([[group, hex(dh.alice_private)]]) });
        const bob = TEST_PROVIDERS[name]({ ephemeralPrivateKeys: new Map([[group, hex(dh.bob_private)]]) });
        const share = await alice.keyExchange(group)!.generate();
        expect(bytesToHex(share.publicKey)).toBe(dh.alice_public);
        const answer = await bob.keyExchange(group)!.respond(share.publicKey);
        expect(bytesToHex(answer.publicKey)).toBe(dh.bob_public);
        expect(bytesToHex(answer.sharedSecret)).toBe(dh.shared);
        expect(bytesToHex(await share.complete(answer.publicKey))).toBe(dh.shared);
      }
    });

    it('RFC 8448 §3: injected x25519 keys reproduce the trace shares and secret', async () => {
      const { section3_x25519: keys } = vectors<{ section3_x25519: Record<string, string> }>('rfc8448-keys.json');
      const client = TEST_PROVIDERS[name]({ ephemeralPrivateKeys: new Map([[NamedGroup.x25519, hex(keys.client_private!)]]) });
      const server = TEST_PROVIDERS[name]({ ephemeralPrivateKeys: new Map([[NamedGroup.x25519, hex(keys.server_private!)]]) });
      const share = await client.keyExchange(NamedGroup.x25519)!.generate();
      expect(bytesToHex(share.publicKey)).toBe(keys.client_public);
      const answer = await server.keyExchange(NamedGroup.x25519)!.respond(share.publicKey);
      expect(bytesToHex(answer.publicKey)).toBe(keys.server_public);
      expect(bytesToHex(answer.sharedSecret)).toBe(keys.shared);
      expect(bytesToHex(await share.complete(answer.publicKey))).toBe(keys.shared);
    });

    it('every group: generate → respond → complete agree, with the wire sizes; complete() works once', async () => {
      const sizes: Record<number, [number, number, number]> = {
        [NamedGroup.x25519]: [32, 32, 32],
        [NamedGroup.x448]: [56, 56, 56],
        [NamedGroup.secp256r1]: [65, 65, 32],
        [NamedGroup.secp384r1]: [97, 97, 48],
        [NamedGroup.secp521r1]: [133, 133, 66],
        [NamedGroup.X25519MLKEM768]: [1216, 1120, 64],
      };
      for (const group of ALL_GROUPS) {
        const kx = provider.keyExchange(group)!;
        const client = await kx.generate();
        expect(client.group).toBe(group);
        const server = await kx.respond(client.publicKey);
        expect([client.publicKey.length, server.publicKey.length, server.sharedSecret.length]).toEqual(sizes[group]);
        expect(await client.complete(server.publicKey)).toEqual(server.sharedSecret);
        await expect((async () => client.complete(server.publicKey))()).rejects.toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
        expect((await kx.generate()).publicKey).not.toEqual((await kx.generate()).publicKey);
      }
    });

    it('NIST curves agree with node:crypto ECDH', async () => {
      for (const [group, curve] of [
        [NamedGroup.secp256r1, 'prime256v1'],
        [NamedGroup.secp384r1, 'secp384r1'],
        [NamedGroup.secp521r1, 'secp521r1'],
      ] as const) {
        const node = createECDH(curve);
        node.generateKeys();
        const server = await provider.keyExchange(group)!.respond(node.getPublicKey());
        expect(Buffer.from(server.sharedSecret)).toEqual(node.computeSecret(server.publicKey));
        const client = await provider.keyExchange(group)!.generate();
        expect(Buffer.from(await client.complete(node.getPublicKey()))).toEqual(node.computeSecret(client.publicKey));
      }
    });

    it('low-order X25519/X448 points and wrong lengths → illegal_parameter, client and server side', async () => {
      const p25519 = 2n ** 255n - 19n;
      const p448 = 2n ** 448n - 2n ** 224n - 1n;
      const bad: [NamedGroup, Uint8Array][] = [
        ...[0n, 1n, p25519 - 1n, p25519, 325606250916557431795983626356110631294008115727848805560023387167927233504n].map(
          (u) => [NamedGroup.x25519, littleEndian(u, 32)] as [NamedGroup, Uint8Array],
        ),
        [NamedGroup.x25519, littleEndian(39382357235489614581723060781553021112529911719440698176882885853963445705823n, 32)],
        ...[0n, 1n, p448 - 1n].map((u) => [NamedGroup.x448, littleEndian(u, 56)] as [NamedGroup, Uint8Array]),
        [NamedGroup.x448, new Uint8Array(32).fill(9)],
        [NamedGroup.x25519, new Uint8Array(33).fill(9)],
        [NamedGroup.x25519, new Uint8Array(0)],
      ];
      for (const [group, share] of bad) {
        const kx = provider.keyExchange(group)!;
        await expectAlertSoon(() => kx.respond(share), 'illegal_parameter', 'invalid_key_share');
        await expectAlertSoon(async () => (await kx.generate()).complete(share), 'illegal_parameter', 'invalid_key_share');
      }
    });

    it('NIST shares: compressed, hybrid, off-curve, X ≥ p, infinity, wrong lengths, another curve → illegal_parameter', async () => {
      for (const [group, curve, n] of [
        [NamedGroup.secp256r1, 'prime256v1', 32],
        [NamedGroup.secp384r1, 'secp384r1', 48],
        [NamedGroup.secp521r1, 'secp521r1', 66],
      ] as const) {
        const node = createECDH(curve);
        node.generateKeys();
        const good = new Uint8Array(node.getPublicKey());
        const bad: Uint8Array[] = [
          new Uint8Array(node.getPublicKey(null, 'compressed')),
          flipped(good, good.length - 1),
          concatBytes(new Uint8Array([4]), new Uint8Array(2 * n).fill(0xff)),
          good.slice().fill(0xff, 1, 1 + n),
          new Uint8Array([0]),
          new Uint8Array(1 + 2 * n),
          concatBytes(new Uint8Array([0x06 | (good[good.length - 1]! & 1)]), good.subarray(1)),
          good.subarray(0, good.length - 1),
          concatBytes(good, new Uint8Array(1)),
          new Uint8Array(0),
        ];
        const kx = provider.keyExchange(group)!;
        for (const share of bad) {
          await expectAlertSoon(() => kx.respond(share), 'illegal_parameter', 'invalid_key_share');
          await expectAlertSoon(async () => (await kx.generate()).complete(share), 'illegal_parameter', 'invalid_key_share');
        }
      }
      const p384Share = (await provider.keyExchange(NamedGroup.secp384r1)!.generate()).publicKey;
      await expectAlertSoon(() => provider.keyExchange(NamedGroup.secp256r1)!.respond(p384Share), 'illegal_parameter', 'invalid_key_share');
    });

    it('X25519MLKEM768: lengths, the FIPS 203 §7.2 check and low-order X25519 halves → illegal_parameter; a tampered ciphertext → another secret', async () => {
      const kx = provider.keyExchange(NamedGroup.X25519MLKEM768)!;
      const client = await kx.generate();
      for (const length of [0, 32, 1184, 1215, 1217]) await expectAlertSoon(() => kx.respond(new Uint8Array(length)), 'illegal_parameter', 'invalid_key_share');
      const badKey = client.publicKey.slice();
      badKey.fill(0xff, 0, 3);
      await expectAlertSoon(() => kx.respond(badKey), 'illegal_parameter', 'invalid_key_share');
      const lowOrderClient = client.publicKey.slice();
      lowOrderClient.fill(0, 1184);
      await expectAlertSoon(() => kx.respond(lowOrderClient), 'illegal_parameter', 'invalid_key_share');
      const server = await kx.respond(client.publicKey);
      for (const share of [server.publicKey.subarray(0, 1119), concatBytes(server.publicKey, new Uint8Array(1)), new Uint8Array(32)]) {
        await expectAlertSoon(async () => (await kx.generate()).complete(share), 'illegal_parameter', 'invalid_key_share');
      }
      const lowOrderServer = server.publicKey.slice();
      lowOrderServer.fill(0, 1088);
      await expectAlertSoon(async () => (await kx.generate()).complete(lowOrderServer), 'illegal_parameter', 'invalid_key_share');
      const tampered = flipped(server.publicKey, 10);
      expect(await client.complete(tampered)).not.toEqual(server.sharedSecret);
    });

    it('injected keys: malformed ones and unknown groups are INVALID_ARGUMENT; other groups stay random', async () => {
      const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
      const make = (group: NamedGroup, key: Uint8Array) => () => TEST_PROVIDERS[name]({ ephemeralPrivateKeys: new Map([[group, key]]) }).keyExchange(group);
      const n256 = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
      expect(make(NamedGroup.x25519, new Uint8Array(31))).toThrowError(invalid);
      expect(make(NamedGroup.x448, new Uint8Array(32))).toThrowError(invalid);
      expect(make(NamedGroup.secp256r1, new Uint8Array(32))).toThrowError(invalid);
      expect(make(NamedGroup.secp256r1, bigEndian(n256, 32))).toThrowError(invalid);
      expect(make(NamedGroup.secp256r1, bigEndian(n256 - 1n, 32))).not.toThrow();
      expect(make(NamedGroup.X25519MLKEM768, new Uint8Array(95))).toThrowError(invalid);
      expect(make(NamedGroup.ffdhe2048, new Uint8Array(256))).toThrowError(invalid);
      const pinned = TEST_PROVIDERS[name]({ ephemeralPrivateKeys: new Map([[NamedGroup.x25519, hex(rfc7748.x25519_dh.alice_private)]]) });
      expect(bytesToHex((await pinned.keyExchange(NamedGroup.x25519)!.generate()).publicKey)).toBe(rfc7748.x25519_dh.alice_public);
      const p256kx = pinned.keyExchange(NamedGroup.secp256r1)!;
      expect((await p256kx.generate()).publicKey).not.toEqual((await p256kx.generate()).publicKey);
    });

    it('spreads cleanly, so a test can wrap one method', async () => {
      const wrapped: CryptoProvider = { ...provider, random: (n) => new Uint8Array(n).fill(7) };
      expect(wrapped.random(3)).toEqual(new Uint8Array([7, 7, 7]));
      expect(wrapped.hmac('sha256', new Uint8Array(1), new Uint8Array(1))).toHaveLength(32);
    });
  });

  describe('signatures', () => {
    it('Ed25519 and Ed448 (RFC 8032 §7.1, §7.4): sign byte-exact, verify, reject tampering', async () => {
      const { ed25519, ed448 } = vectors<{ ed25519: EdVector[]; ed448: EdVector[] }>('rfc8032.json');
      for (const [crv, scheme, list] of [
        ['Ed25519', SignatureScheme.ed25519, ed25519],
        ['Ed448', SignatureScheme.ed448, ed448],
      ] as const) {
        for (const v of list) {
          const jwk = { kty: 'OKP', crv, d: Buffer.from(v.secret, 'hex').toString('base64url'), x: Buffer.from(v.public, 'hex').toString('base64url') };
          const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
          const spki = der(createPublicKey(privateKey), 'spki');
          const key = await provider.importSigningKey(der(privateKey, 'pkcs8'));
          expect(key.schemes).toEqual([scheme]);
          expect(bytesToHex(await key.sign(scheme, hex(v.message)))).toBe(v.signature);
          expect(await provider.verify(scheme, spki, hex(v.message), hex(v.signature))).toBe(true);
          expect(await provider.verify(scheme, spki, concatBytes(hex(v.message), new Uint8Array(1)), hex(v.signature))).toBe(false);
          expect(await provider.verify(scheme, spki, hex(v.message), flipped(hex(v.signature), 5))).toBe(false);
          expect(await provider.verify(scheme, spki, hex(v.message), hex(v.signature).subarray(1))).toBe(false);
          const other = scheme === SignatureScheme.ed25519 ? SignatureScheme.ed448 : SignatureScheme.ed25519;
          expect(await provider.verify(other, spki, hex(v.message), hex(v.signature))).toBe(false);
        }
      }
    });

    it('every fixture key signs every scheme it lists, and the certificate key verifies', async () => {
      const fixtures = [
        ['server-ecdsa-p256', [SignatureScheme.ecdsa_secp256r1_sha256]],
        ['server-ecdsa-p384', [SignatureScheme.ecdsa_secp384r1_sha384]],
        ['server-ecdsa-p521', [SignatureScheme.ecdsa_secp521r1_sha512]],
        ['server-ed25519', [SignatureScheme.ed25519]],
        ['server-ed448', [SignatureScheme.ed448]],
        ['server-rsa2048', [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512]],
        ['server-rsapss2048', [SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512]],
      ] as const;
      for (const [fixture, schemes] of fixtures) {
        const key = await provider.importSigningKey(pemFixture(`${fixture}-key.pem`));
        const spki = der(new X509Certificate(Buffer.from(pemFixture(`${fixture}.pem`))).publicKey, 'spki');
        expect(key.schemes, fixture).toEqual(schemes);
        for (const scheme of key.schemes) {
          const signature = await key.sign(scheme, message);
          expect(await provider.verify(scheme, spki, message, signature), `${fixture} ${scheme}`).toBe(true);
          expect(await provider.verify(scheme, spki, flipped(message, 0), signature)).toBe(false);
        }
        await expectCode(() => key.sign(SignatureScheme.rsa_pkcs1_sha256, message), 'INTERNAL_ERROR');
      }
    });

    it('verify never rejects: garbage keys, unknown schemes, empty signatures resolve false', async () => {
      const ec = der(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey, 'spki');
      expect(await provider.verify(SignatureScheme.ecdsa_secp256r1_sha256, hex('3000'), message, hex('3000'))).toBe(false);
      expect(await provider.verify(SignatureScheme.ecdsa_secp256r1_sha256, new Uint8Array(0), message, new Uint8Array(0))).toBe(false);
      expect(await provider.verify(SignatureScheme.ecdsa_sha1, ec, message, hex('3000'))).toBe(false);
      expect(await provider.verify(0x0999 as SignatureScheme, ec, message, hex('3000'))).toBe(false);
      for (const scheme of provider.signatureSchemes) expect(await provider.verify(scheme, ec, message, new Uint8Array(0))).toBe(false);
    });
  });
});

/** The same verdict from every provider. */
function unanimous(verdict: boolean): boolean[] {
  return PROVIDERS.map(() => verdict);
}

describe('the providers agree with each other', () => {
  const [noble, native, webcrypto] = [PROVIDERS[0]![1], PROVIDERS[1]![1], PROVIDERS[2]![1]];
  const pairs: [string, CryptoProvider, CryptoProvider][] = [
    ['noble → native', noble, native],
    ['native → noble', native, noble],
    ['webcrypto → native', webcrypto, native],
    ['native → webcrypto', native, webcrypto],
    ['webcrypto → noble', webcrypto, noble],
    ['noble → webcrypto', noble, webcrypto],
  ];

  it('advertise the same suites, groups and schemes; the native provider prefers AES-128-GCM, the pure-JS AEADs ChaCha20', () => {
    for (const other of [noble, webcrypto]) {
      expect([...native.cipherSuites].sort()).toEqual([...other.cipherSuites].sort());
      expect(other.cipherSuites[0]).toBe(0x1303);
      expect(native.groups).toEqual(other.groups);
      expect(native.signatureSchemes).toEqual(other.signatureSchemes);
    }
    expect(native.cipherSuites[0]).toBe(0x1301);
  });

  for (const [label, a, b] of pairs) {
    it(`${label}: AEAD sealed by one opens with the other, for every suite and record size`, () => {
      for (const [aead, keyLength] of AEADS) {
        const key = a.random(keyLength);
        const sealer = a.aead(aead, key);
        const opener = b.aead(aead, key);
        for (const size of [0, 1, 15, 16, 17, 255, 1024, 16385]) {
          const nonce = a.random(12);
          const aad = new Uint8Array([23, 3, 3, (size + 16) >> 8, (size + 16) & 0xff]);
          const plaintext = a.random(size);
          const sealed = sealer.seal(nonce, aad, plaintext);
          expect(opener.open(nonce, aad, sealed), `${aead} ${size}`).toEqual(plaintext);
          expect(b.aead(aead, key).seal(nonce, aad, plaintext)).toEqual(sealed);
          if (size > 0) expect(opener.open(nonce, aad, flipped(sealed, 0))).toBeUndefined();
        }
      }
    });

    it(`${label}: records protected with one provider's AEAD unprotect with the other's, padding included`, () => {
      for (const suite of cipherSuiteParams.values()) {
        const key = a.random(suite.keyLength);
        const iv = a.random(12);
        const writer = new RecordProtector(a.aead(suite.aead, key), iv);
        const reader = new RecordProtector(b.aead(suite.aead, key), iv);
        for (const [size, padding] of [
          [0, 0],
          [1, 0],
          [100, 30],
          [16384, 0],
          [16000, 384],
        ] as const) {
          const content = a.random(size);
          const record = writer.protect(ContentType.application_data, content, padding);
          const opened = reader.unprotect(record.subarray(0, 5), record.subarray(5));
          expect(opened.type).toBe(ContentType.application_data);
          expect(opened.content).toEqual(content);
        }
      }
    });

    it(`${label}: key exchange across providers, every group (one is the client, the other the server)`, async () => {
      for (const group of ALL_GROUPS) {
        const client = await a.keyExchange(group)!.generate();
        const server = await b.keyExchange(group)!.respond(client.publicKey);
        expect(await client.complete(server.publicKey), `group 0x${group.toString(16)}`).toEqual(server.sharedSecret);
      }
    });

    it(`${label}: signatures made by one verify with the other, every fixture key and scheme`, async () => {
      for (const fixture of ['server-ecdsa-p256', 'server-ecdsa-p384', 'server-ecdsa-p521', 'server-ed25519', 'server-ed448', 'server-rsa2048', 'server-rsapss2048']) {
        const key: SigningKey = await a.importSigningKey(pemFixture(`${fixture}-key.pem`));
        expect(key.schemes).toEqual((await b.importSigningKey(pemFixture(`${fixture}-key.pem`))).schemes);
        const spki = der(new X509Certificate(Buffer.from(pemFixture(`${fixture}.pem`))).publicKey, 'spki');
        for (const scheme of key.schemes) {
          const signature = await key.sign(scheme, message);
          expect(await b.verify(scheme, spki, message, signature), `${fixture} ${scheme}`).toBe(true);
          expect(await b.verify(scheme, spki, flipped(message, 2), signature)).toBe(false);
        }
      }
    });
  }

  it('the same injected randomness gives the same keys, shares and secrets on all three', async () => {
    for (const b of [nodeProvider({ random: counterRandom(7) }), TEST_PROVIDERS.webcrypto({ random: counterRandom(7) })]) {
      const a = nobleProvider({ random: counterRandom(7) });
      for (const group of ALL_GROUPS) {
        const shareA = a.keyExchange(group)!.generate();
        const shareB = await b.keyExchange(group)!.generate();
        expect(shareB.publicKey, `${b.name} group 0x${group.toString(16)}`).toEqual(shareA.publicKey);
        const serverA = a.keyExchange(group)!.respond(shareA.publicKey);
        const serverB = await b.keyExchange(group)!.respond(shareB.publicKey);
        expect(serverB).toEqual(serverA);
        expect(await shareB.complete(serverB.publicKey)).toEqual(shareA.complete(serverA.publicKey));
      }
      expect(b.random(40)).toEqual(a.random(40));
    }
  });

  it('the native verifier imports each peer key once and keeps a bounded number', async () => {
    const verifier = new NodeVerifier(2);
    const keys = [0, 1, 2].map(() => generateKeyPairSync('ed25519'));
    for (const pair of [...keys, keys[0]!]) {
      const signature = new Uint8Array(nodeSign(null, message, pair.privateKey));
      expect(await verifier.verify(SignatureScheme.ed25519, der(pair.publicKey, 'spki'), message, signature)).toBe(true);
      expect(verifier.cachedKeys).toBeLessThanOrEqual(2);
    }
  });

  it("NIST private keys are derived from randomness exactly as noble's randomSecretKey", () => {
    for (const [group, curve] of [
      [NamedGroup.secp256r1, p256],
      [NamedGroup.secp384r1, p384],
      [NamedGroup.secp521r1, p521],
    ] as const) {
      for (const seed of [1, 2, 3]) {
        const random = counterRandom(seed);
        const ours = nistPrivateKey(group, random);
        expect(ours).toEqual(curve.utils.randomSecretKey(counterRandom(seed)(curve.lengths.seed!)));
      }
      const max = () => new Uint8Array(curve.lengths.seed!).fill(0xff);
      expect(nistPrivateKey(group, max)).toEqual(curve.utils.randomSecretKey(max()));
    }
  });

  describe('edge cases get the same verdict from every provider', () => {
    it('ECDSA: high-S accepted; BER forms, r = 0, s ≥ n, raw r || s refused', async () => {
      const curves = [
        ['prime256v1', 'sha256', SignatureScheme.ecdsa_secp256r1_sha256, 32, 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n],
        ['secp384r1', 'sha384', SignatureScheme.ecdsa_secp384r1_sha384, 48, 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n],
      ] as const;
      const sigValue = (r: Uint8Array, s: Uint8Array): Uint8Array => {
        const int = (m: Uint8Array) => {
          let i = 0;
          while (i < m.length - 1 && m[i] === 0) i++;
          const body = m[i]! & 0x80 ? concatBytes(new Uint8Array(1), m.subarray(i)) : m.subarray(i);
          return concatBytes(new Uint8Array([0x02, body.length]), body);
        };
        const content = concatBytes(int(r), int(s));
        return content.length < 0x80 ? concatBytes(new Uint8Array([0x30, content.length]), content) : concatBytes(new Uint8Array([0x30, 0x81, content.length]), content);
      };
      for (const [namedCurve, hash, scheme, n, order] of curves) {
        const pair = generateKeyPairSync('ec', { namedCurve });
        const spki = der(pair.publicKey, 'spki');
        const signature = new Uint8Array(nodeSign(hash, message, { key: pair.privateKey, dsaEncoding: 'der' }));
        const compact = ecdsaDerToCompact(signature, n)!;
        const r = compact.subarray(0, n);
        const s = BigInt('0x' + bytesToHex(compact.subarray(n)));
        expect(await verdicts(scheme, spki, message, signature)).toEqual(unanimous(true));
        expect(await verdicts(scheme, spki, message, sigValue(r, bigEndian(order - s, n)))).toEqual(unanimous(true));
        const content = signature.subarray(signature[1] === 0x81 ? 3 : 2);
        for (const bad of [
          concatBytes(signature, new Uint8Array([0])),
          concatBytes(new Uint8Array([0x30, 0x82, 0x00, content.length]), content),
          compact,
          sigValue(new Uint8Array([0]), bigEndian(s, n)),
          sigValue(r, bigEndian(order + s, n + 1)),
          sigValue(r, bigEndian(order, n)),
          new Uint8Array(0),
        ]) {
          expect(await verdicts(scheme, spki, message, bad)).toEqual(unanimous(false));
        }
      }
    });

    it('EdDSA: S ≥ L, non-canonical R and public keys, and small-order public keys are refused by both', async () => {
      const L = 2n ** 252n + 27742317777372353535851937790883648493n;
      const p = 2n ** 255n - 19n;
      const pair = generateKeyPairSync('ed25519');
      const spki = der(pair.publicKey, 'spki');
      const prefix = spki.subarray(0, spki.length - 32);
      const signature = new Uint8Array(nodeSign(null, message, pair.privateKey));
      expect(await verdicts(SignatureScheme.ed25519, spki, message, signature)).toEqual(unanimous(true));
      const S = BigInt('0x' + bytesToHex(signature.subarray(32).slice().reverse()));
      expect(await verdicts(SignatureScheme.ed25519, spki, message, concatBytes(signature.subarray(0, 32), littleEndian(S + L, 32)))).toEqual(unanimous(false));
      // With A and R the identity and S = 0, [S]B = R + [k]A holds for every message: OpenSSL
      // alone would accept it; the native provider refuses small-order keys as noble does.
      const rIdentity = concatBytes(littleEndian(1n, 32), new Uint8Array(32));
      const rIdentityNonCanonical = concatBytes(littleEndian(p + 1n, 32), new Uint8Array(32));
      for (const [key, sig] of [
        [littleEndian(1n, 32), rIdentity],
        [littleEndian(p + 1n, 32), rIdentity],
        [littleEndian(1n, 32), rIdentityNonCanonical],
        [new Uint8Array(32).fill(0xff).map((v, i) => (i === 31 ? 0x7f : v)), signature],
      ] as const) {
        expect(await verdicts(SignatureScheme.ed25519, concatBytes(prefix, key), message, sig)).toEqual(unanimous(false));
      }
      // Every small-order point (and x = 0 with the sign bit set) on both curves: refused by both.
      const small25519 = [1n, p - 1n, 0n].flatMap((y) => [littleEndian(y, 32), littleEndian(y + 2n ** 255n, 32)]);
      for (const h of ['c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05']) {
        const negated = hex(h);
        negated[31]! ^= 0x80;
        small25519.push(hex(h), negated);
      }
      const smallOrInvalid = (key: Uint8Array): boolean => {
        try {
          return ed25519.Point.fromBytes(key, false).isSmallOrder();
        } catch {
          return true;
        }
      };
      for (const key of small25519) {
        expect(smallOrInvalid(key), bytesToHex(key)).toBe(true);
        expect(await verdicts(SignatureScheme.ed25519, concatBytes(prefix, key), message, rIdentity)).toEqual(unanimous(false));
      }
      const p448 = 2n ** 448n - 2n ** 224n - 1n;
      const spki448 = der(generateKeyPairSync('ed448').publicKey, 'spki');
      const prefix448 = spki448.subarray(0, spki448.length - 57);
      for (const y of [1n, p448 - 1n, 0n, p448 + 1n]) {
        for (const sign of [0n, 2n ** 455n]) {
          const key = concatBytes(prefix448, littleEndian(y + sign, 57));
          const rIdentity448 = concatBytes(littleEndian(1n, 57), new Uint8Array(57));
          expect(await verdicts(SignatureScheme.ed448, key, message, rIdentity448)).toEqual(unanimous(false));
        }
      }
    });

    it('EdDSA: the one permitted difference: noble checks the cofactored equation, OpenSSL the cofactorless one', async () => {
      // RFC 8032 §5.1.7 allows either. They differ only on signatures whose R carries a
      // small-order component, which only the key's owner can make: R = [r]B + T, S = r + k·a.
      const seed = new Uint8Array(32).fill(3);
      const { scalar: a, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
      const T = ed25519.Point.fromBytes(hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'));
      const r = 12345678901234567890n;
      const R = ed25519.Point.BASE.multiply(r).add(T).toBytes();
      const k = BigInt('0x' + bytesToHex(sha512(concatBytes(R, pointBytes, message)).reverse())) % ed25519.Point.Fn.ORDER;
      const s = (r + k * a) % ed25519.Point.Fn.ORDER;
      const signature = concatBytes(R, littleEndian(s, 32));
      const spki = concatBytes(hex('302a300506032b6570032100'), pointBytes);
      // noble, native (OpenSSL), webcrypto (on Node, OpenSSL again: cofactorless).
      expect(await verdicts(SignatureScheme.ed25519, spki, message, signature)).toEqual([true, false, false]);
      // Honest signatures (R = [r]B) are accepted by both, as every test above shows.
    });

    it('RSA: PSS salt must equal the hash length; PKCS#1 and PSS are kept apart; signature length must be k', async () => {
      const spki = der(new X509Certificate(Buffer.from(pemFixture('server-rsa2048.pem'))).publicKey, 'spki');
      const privateKey = createPrivateKey({ key: Buffer.from(pemFixture('server-rsa2048-key.pem')), format: 'der', type: 'pkcs8' });
      for (const [hash, saltLength, rsae, pkcs1] of [
        ['sha256', 32, SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pkcs1_sha256],
        ['sha384', 48, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pkcs1_sha384],
        ['sha512', 64, SignatureScheme.rsa_pss_rsae_sha512, SignatureScheme.rsa_pkcs1_sha512],
      ] as const) {
        const good = new Uint8Array(nodeSign(hash, message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
        expect(await verdicts(rsae, spki, message, good)).toEqual(unanimous(true));
        const shortSalt = new Uint8Array(nodeSign(hash, message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }));
        expect(await verdicts(rsae, spki, message, shortSalt)).toEqual(unanimous(false));
        const v15 = new Uint8Array(nodeSign(hash, message, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }));
        expect(await verdicts(pkcs1, spki, message, v15)).toEqual(unanimous(true));
        expect(await verdicts(rsae, spki, message, v15)).toEqual(unanimous(false));
        expect(await verdicts(pkcs1, spki, message, good)).toEqual(unanimous(false));
        expect(await verdicts(rsae, spki, message, concatBytes(new Uint8Array(1), good))).toEqual(unanimous(false));
        expect(await verdicts(rsae, spki, message, good.subarray(1))).toEqual(unanimous(false));
        // The key under the other scheme family does not fit (RFC 8446 §4.2.3).
        expect(await verdicts(SignatureScheme.rsa_pss_pss_sha256, spki, message, good)).toEqual(unanimous(false));
      }
    });

    it('importSigningKey refuses the same keys with the same errors', async () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const tiny = generateKeyPairSync('rsa', { modulusLength: 768 });
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const pkcs8 = der(ec.privateKey, 'pkcs8');
      const at = Buffer.from(pkcs8).indexOf(Buffer.from(der(ec.publicKey, 'spki').subarray(-65)));
      const spliced = pkcs8.slice();
      spliced.set(der(other.publicKey, 'spki').subarray(-65), at);
      const outOfRange = pkcs8.slice();
      const scalarAt = Buffer.from(pkcs8).indexOf(Buffer.from([0x04, 0x20])) + 2;
      outOfRange.fill(0xff, scalarAt, scalarAt + 32);
      const cases: [string, Uint8Array][] = [
        ['encrypted', new Uint8Array(ec.privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc', passphrase: 'x' }) as Buffer)],
        ['pkcs1', der(rsa.privateKey, 'pkcs1')],
        ['sec1', der(ec.privateKey, 'sec1')],
        ['garbage', hex('0102')],
        ['trailing byte', concatBytes(pkcs8, new Uint8Array(1))],
        ['x25519', der(generateKeyPairSync('x25519').privateKey, 'pkcs8')],
        ['secp256k1', der(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey, 'pkcs8')],
        ['mismatched public key', spliced],
        ['scalar out of range', outOfRange],
        ['768-bit RSA', der(tiny.privateKey, 'pkcs8')],
      ];
      for (const [label, key] of cases) {
        const errors = await Promise.all(
          PROVIDERS.map(([, p]) =>
            p.importSigningKey(key).then(
              () => undefined,
              (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
            ),
          ),
        );
        expect(errors[0], label).toMatchObject({ code: 'INVALID_ARGUMENT' });
        for (const error of errors.slice(1)) expect(error, label).toEqual(errors[0]);
      }
    });
  });
});
