import { createECDH } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import { HYBRID_PRIVATE_KEY_LENGTH } from '../../src/crypto/hybrid.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { keyExchangeWithPrivateKey } from '../../src/crypto/noble/key-exchange.js';
import { NamedGroup } from '../../src/registry.js';
import { bytesToHex, concatBytes } from '../../src/wire/bytes.js';
import { counterRandom, expectAlert, hex, vectors } from './helpers.js';

const provider = nobleProvider();

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
const rfc7748 = vectors<{ x25519: FunctionVector[]; x448: FunctionVector[]; x25519_dh: DhVector; x448_dh: DhVector }>('rfc7748.json');

function littleEndian(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

describe('X25519 and X448 (RFC 7748)', () => {
  for (const [group, list] of [
    [NamedGroup.x25519, rfc7748.x25519],
    [NamedGroup.x448, rfc7748.x448],
  ] as const) {
    for (const v of list) {
      it(`${group === NamedGroup.x25519 ? 'X25519' : 'X448'} §${v.section}`, () => {
        const { sharedSecret } = keyExchangeWithPrivateKey(group, hex(v.scalar)).respond(hex(v.u));
        expect(bytesToHex(sharedSecret)).toBe(v.output);
      });
    }
  }

  for (const [group, v] of [
    [NamedGroup.x25519, rfc7748.x25519_dh],
    [NamedGroup.x448, rfc7748.x448_dh],
  ] as const) {
    it(`§${v.section} Diffie-Hellman: Alice as client, Bob as server`, () => {
      const alice = keyExchangeWithPrivateKey(group, hex(v.alice_private)).generate();
      expect(alice.group).toBe(group);
      expect(bytesToHex(alice.publicKey)).toBe(v.alice_public);
      const bob = keyExchangeWithPrivateKey(group, hex(v.bob_private)).respond(alice.publicKey);
      expect(bytesToHex(bob.publicKey)).toBe(v.bob_public);
      expect(bytesToHex(bob.sharedSecret)).toBe(v.shared);
      expect(bytesToHex(alice.complete(bob.publicKey))).toBe(v.shared);
    });
  }

  // RFC 7748 §6.1 / RFC 8446 §7.4.2: points of small order force an all-zero secret.
  const p25519 = 2n ** 255n - 19n;
  const lowOrder25519: [string, Uint8Array][] = [
    ['0', new Uint8Array(32)],
    ['1', littleEndian(1n, 32)],
    ['p - 1', littleEndian(p25519 - 1n, 32)],
    ['p (non-canonical 0)', littleEndian(p25519, 32)],
    ['order-8 point', littleEndian(325606250916557431795983626356110631294008115727848805560023387167927233504n, 32)],
    ['order-8 point', littleEndian(39382357235489614581723060781553021112529911719440698176882885853963445705823n, 32)],
  ];
  for (const [label, point] of lowOrder25519) {
    it(`X25519 rejects the low-order point u = ${label} (illegal_parameter), client and server side`, () => {
      const kx = provider.keyExchange(NamedGroup.x25519)!;
      expectAlert(() => kx.respond(point), 'illegal_parameter', 'invalid_key_share');
      expectAlert(() => kx.generate().complete(point), 'illegal_parameter', 'invalid_key_share');
    });
  }

  it('X448 rejects low-order points and shares of the wrong length (illegal_parameter)', () => {
    const kx = provider.keyExchange(NamedGroup.x448)!;
    const p448 = 2n ** 448n - 2n ** 224n - 1n;
    for (const u of [0n, 1n, p448 - 1n]) expectAlert(() => kx.respond(littleEndian(u, 56)), 'illegal_parameter', 'invalid_key_share');
    expectAlert(() => kx.respond(new Uint8Array(32).fill(9)), 'illegal_parameter', 'invalid_key_share');
    expectAlert(() => provider.keyExchange(NamedGroup.x25519)!.respond(new Uint8Array(33).fill(9)), 'illegal_parameter', 'invalid_key_share');
    expectAlert(() => provider.keyExchange(NamedGroup.x25519)!.respond(new Uint8Array(0)), 'illegal_parameter', 'invalid_key_share');
  });
});

describe('NIST curves (RFC 8446 §4.2.8.2, §7.4.1)', () => {
  const curves = [
    [NamedGroup.secp256r1, 'prime256v1', 32],
    [NamedGroup.secp384r1, 'secp384r1', 48],
    [NamedGroup.secp521r1, 'secp521r1', 66],
  ] as const;

  for (const [group, nodeCurve, n] of curves) {
    describe(nodeCurve, () => {
      it('client generate → server respond → client complete agree; shares are 0x04 || X || Y, secrets are X only', () => {
        const client = provider.keyExchange(group)!.generate();
        expect(client.publicKey).toHaveLength(1 + 2 * n);
        expect(client.publicKey[0]).toBe(4);
        const server = provider.keyExchange(group)!.respond(client.publicKey);
        expect(server.publicKey).toHaveLength(1 + 2 * n);
        expect(server.sharedSecret).toHaveLength(n);
        expect(client.complete(server.publicKey)).toEqual(server.sharedSecret);
      });

      it('agrees with node:crypto ECDH', () => {
        const node = createECDH(nodeCurve);
        node.generateKeys();
        const server = provider.keyExchange(group)!.respond(node.getPublicKey());
        expect(Buffer.from(server.sharedSecret)).toEqual(node.computeSecret(server.publicKey));
        const client = provider.keyExchange(group)!.generate();
        expect(Buffer.from(client.complete(node.getPublicKey()))).toEqual(node.computeSecret(client.publicKey));
      });

      it('rejects invalid points with illegal_parameter: compressed, off-curve, infinity, X ≥ p, wrong lengths', () => {
        const node = createECDH(nodeCurve);
        node.generateKeys();
        const good = new Uint8Array(node.getPublicKey());
        const offCurve = good.slice();
        offCurve[offCurve.length - 1]! ^= 1;
        const xTooBig = good.slice();
        xTooBig.fill(0xff, 1, 1 + n);
        const bad: Uint8Array[] = [
          new Uint8Array(node.getPublicKey(null, 'compressed')),
          offCurve,
          xTooBig,
          new Uint8Array([0]),
          new Uint8Array(1 + 2 * n),
          concatBytes(new Uint8Array([0x06]), good.subarray(1)), // hybrid encoding (X9.62), not allowed
          good.subarray(0, good.length - 1),
          concatBytes(good, new Uint8Array(1)),
          new Uint8Array(0),
        ];
        const kx = provider.keyExchange(group)!;
        for (const share of bad) {
          expectAlert(() => kx.respond(share), 'illegal_parameter', 'invalid_key_share');
          expectAlert(() => kx.generate().complete(share), 'illegal_parameter', 'invalid_key_share');
        }
      });
    });
  }

  it('rejects a share for one curve offered as another', () => {
    const p384Share = provider.keyExchange(NamedGroup.secp384r1)!.generate().publicKey;
    expectAlert(() => provider.keyExchange(NamedGroup.secp256r1)!.respond(p384Share), 'illegal_parameter', 'invalid_key_share');
  });
});

describe('X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem)', () => {
  it('client generate → server respond → client complete agree, with the draft sizes', () => {
    const client = provider.keyExchange(NamedGroup.X25519MLKEM768)!.generate();
    expect(client.group).toBe(NamedGroup.X25519MLKEM768);
    expect(client.publicKey).toHaveLength(1184 + 32);
    const server = provider.keyExchange(NamedGroup.X25519MLKEM768)!.respond(client.publicKey);
    expect(server.publicKey).toHaveLength(1088 + 32);
    expect(server.sharedSecret).toHaveLength(64);
    expect(client.complete(server.publicKey)).toEqual(server.sharedSecret);
  });

  it('puts ML-KEM first in both shares and in the shared secret (checked with independent ML-KEM and X25519)', () => {
    const seed = new Uint8Array(64).map((_, i) => i);
    const clientX = hex(rfc7748.x25519_dh.alice_private);
    const serverX = hex(rfc7748.x25519_dh.bob_private);
    const client = keyExchangeWithPrivateKey(NamedGroup.X25519MLKEM768, concatBytes(seed, clientX)).generate();
    const { publicKey: ek, secretKey: dk } = ml_kem768.keygen(seed);
    expect(client.publicKey).toEqual(concatBytes(ek, hex(rfc7748.x25519_dh.alice_public)));

    const server = keyExchangeWithPrivateKey(NamedGroup.X25519MLKEM768, concatBytes(new Uint8Array(64), serverX)).respond(client.publicKey);
    const ciphertext = server.publicKey.subarray(0, 1088);
    expect(server.publicKey.subarray(1088)).toEqual(hex(rfc7748.x25519_dh.bob_public));
    expect(server.sharedSecret.subarray(0, 32)).toEqual(ml_kem768.decapsulate(ciphertext, dk));
    expect(bytesToHex(server.sharedSecret.subarray(32))).toBe(rfc7748.x25519_dh.shared);
    expect(client.complete(server.publicKey)).toEqual(server.sharedSecret);
    expect(x25519.getSharedSecret(serverX, hex(rfc7748.x25519_dh.alice_public))).toEqual(server.sharedSecret.subarray(32));
  });

  it('rejects shares of the wrong length with illegal_parameter', () => {
    const kx = provider.keyExchange(NamedGroup.X25519MLKEM768)!;
    const client = kx.generate();
    for (const length of [0, 32, 1184, 1215, 1217]) expectAlert(() => kx.respond(new Uint8Array(length)), 'illegal_parameter', 'invalid_key_share');
    const server = kx.respond(client.publicKey);
    for (const share of [server.publicKey.subarray(0, 1119), concatBytes(server.publicKey, new Uint8Array(1)), new Uint8Array(32)]) {
      expectAlert(() => kx.generate().complete(share), 'illegal_parameter', 'invalid_key_share');
    }
  });

  it('rejects an encapsulation key that fails the FIPS 203 §7.2 modulus check (illegal_parameter)', () => {
    const client = provider.keyExchange(NamedGroup.X25519MLKEM768)!.generate();
    const bad = client.publicKey.slice();
    bad.fill(0xff, 0, 3); // two 12-bit coefficients of 4095 ≥ q = 3329
    expectAlert(() => provider.keyExchange(NamedGroup.X25519MLKEM768)!.respond(bad), 'illegal_parameter', 'invalid_key_share');
  });

  it('rejects a low-order X25519 half on either side (illegal_parameter)', () => {
    const kx = provider.keyExchange(NamedGroup.X25519MLKEM768)!;
    const client = kx.generate();
    const clientShare = client.publicKey.slice();
    clientShare.fill(0, 1184);
    expectAlert(() => kx.respond(clientShare), 'illegal_parameter', 'invalid_key_share');
    const serverShare = kx.respond(client.publicKey).publicKey.slice();
    serverShare.fill(0, 1088);
    expectAlert(() => client.complete(serverShare), 'illegal_parameter', 'invalid_key_share');
  });

  it('a tampered ciphertext gives a different secret (implicit rejection), not an exception', () => {
    const kx = provider.keyExchange(NamedGroup.X25519MLKEM768)!;
    const client = kx.generate();
    const server = kx.respond(client.publicKey);
    const tampered = server.publicKey.slice();
    tampered[10]! ^= 1;
    expect(client.complete(tampered)).not.toEqual(server.sharedSecret);
  });
});

describe('ephemeral key handling', () => {
  it('a key share completes once; the second use is an internal error', () => {
    for (const group of provider.groups) {
      const kx = provider.keyExchange(group)!;
      const client = kx.generate();
      const server = kx.respond(client.publicKey);
      expect(client.complete(server.publicKey)).toEqual(server.sharedSecret);
      expect(() => client.complete(server.publicKey)).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR' }));
    }
  });

  it('generate() makes a fresh key every time', () => {
    for (const group of provider.groups) {
      const kx = provider.keyExchange(group)!;
      expect(kx.generate().publicKey).not.toEqual(kx.generate().publicKey);
    }
  });

  it('an injected random source makes every group deterministic', () => {
    const a = nobleProvider({ random: counterRandom(7) });
    const b = nobleProvider({ random: counterRandom(7) });
    for (const group of a.groups) {
      const shareA = a.keyExchange(group)!.generate();
      const shareB = b.keyExchange(group)!.generate();
      expect(shareA.publicKey).toEqual(shareB.publicKey);
      const serverA = a.keyExchange(group)!.respond(shareA.publicKey);
      const serverB = b.keyExchange(group)!.respond(shareB.publicKey);
      expect(serverA).toEqual(serverB);
    }
    expect(a.random(40)).toEqual(b.random(40));
  });

  it('ephemeralPrivateKeys pins the key for the groups it names and leaves the others random', () => {
    const v = rfc7748.x25519_dh;
    const p = nobleProvider({ ephemeralPrivateKeys: new Map([[NamedGroup.x25519, hex(v.alice_private)]]) });
    expect(bytesToHex(p.keyExchange(NamedGroup.x25519)!.generate().publicKey)).toBe(v.alice_public);
    expect(bytesToHex(p.keyExchange(NamedGroup.x25519)!.respond(hex(v.bob_public)).sharedSecret)).toBe(v.shared);
    const p256 = p.keyExchange(NamedGroup.secp256r1)!;
    expect(p256.generate().publicKey).not.toEqual(p256.generate().publicKey);
  });

  it('the provider spreads cleanly, so a test can wrap keyExchange', () => {
    const v = rfc7748.x25519_dh;
    const wrapped = { ...provider, keyExchange: (g: NamedGroup) => keyExchangeWithPrivateKey(g, hex(v.bob_private)) };
    expect(bytesToHex(wrapped.keyExchange(NamedGroup.x25519).generate().publicKey)).toBe(v.bob_public);
    expect(wrapped.hmac('sha256', new Uint8Array(1), new Uint8Array(1))).toHaveLength(32);
  });

  it('keyExchangeWithPrivateKey refuses malformed keys and unknown groups (INVALID_ARGUMENT)', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    const n256 = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const bigEndian = (value: bigint, length: number) => littleEndian(value, length).reverse();
    expect(() => keyExchangeWithPrivateKey(NamedGroup.x25519, new Uint8Array(31))).toThrowError(invalid);
    expect(() => keyExchangeWithPrivateKey(NamedGroup.secp256r1, new Uint8Array(32))).toThrowError(invalid);
    expect(() => keyExchangeWithPrivateKey(NamedGroup.secp256r1, bigEndian(n256, 32))).toThrowError(invalid);
    expect(() => keyExchangeWithPrivateKey(NamedGroup.secp256r1, bigEndian(n256 - 1n, 32))).not.toThrow();
    expect(() => keyExchangeWithPrivateKey(NamedGroup.X25519MLKEM768, new Uint8Array(HYBRID_PRIVATE_KEY_LENGTH - 1))).toThrowError(invalid);
    expect(() => keyExchangeWithPrivateKey(NamedGroup.ffdhe2048, new Uint8Array(256))).toThrowError(invalid);
  });

  it('offers X25519MLKEM768 first and has no key exchange for groups it lacks', () => {
    expect(provider.groups).toEqual([NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1, NamedGroup.x448]);
    expect(provider.keyExchange(NamedGroup.ffdhe2048)).toBeUndefined();
  });
});
