import {
  type RSAPSSKeyPairKeyObjectOptions,
  X509Certificate,
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePkcs8 } from '../../src/crypto/private-keys.js';
import { ecdsaDerToCompact } from '../../src/crypto/keys.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { schemesForPublicKey } from '../helpers/keys.js';
import { VerifyKeyCache, subtleCrypto } from '../../src/crypto/webcrypto-rsa.js';
import { SignatureScheme } from '../../src/registry.js';
import { bytesToHex, concatBytes, utf8 } from '../../src/wire/bytes.js';
import { expectCode, hex, pemFixture, vectors } from './helpers.js';

const provider = nobleProvider();
const message = utf8('TLS 1.3, server CertificateVerify' + '\0' + 'transcript hash goes here');

function der(key: { export(o: object): Buffer | string }, type: 'spki' | 'pkcs8' | 'pkcs1' | 'sec1'): Uint8Array {
  return new Uint8Array(key.export({ type, format: 'der' }) as Buffer);
}

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at]! ^= 0x01;
  return copy;
}

interface EdVector {
  name: string;
  secret: string;
  public: string;
  message: string;
  signature: string;
}

describe('EdDSA (RFC 8032 §7.1, §7.4)', () => {
  const { ed25519, ed448 } = vectors<{ ed25519: EdVector[]; ed448: EdVector[] }>('rfc8032.json');
  for (const [crv, scheme, list] of [
    ['Ed25519', SignatureScheme.ed25519, ed25519],
    ['Ed448', SignatureScheme.ed448, ed448],
  ] as const) {
    for (const v of list) {
      it(`${crv} ${v.name}: signs byte-exact and verifies`, async () => {
        const jwk = { kty: 'OKP', crv, d: Buffer.from(v.secret, 'hex').toString('base64url'), x: Buffer.from(v.public, 'hex').toString('base64url') };
        const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
        const spki = der(createPublicKey(privateKey), 'spki');
        const key = await provider.importSigningKey(der(privateKey, 'pkcs8'));
        expect(key.schemes).toEqual([scheme]);
        expect(schemesForPublicKey(spki)).toEqual([scheme]);
        expect(bytesToHex(await key.sign(scheme, hex(v.message)))).toBe(v.signature);
        expect(await provider.verify(scheme, spki, hex(v.message), hex(v.signature))).toBe(true);
        expect(await provider.verify(scheme, spki, concatBytes(hex(v.message), new Uint8Array(1)), hex(v.signature))).toBe(false);
        expect(await provider.verify(scheme, spki, hex(v.message), flipped(hex(v.signature), 5))).toBe(false);
        expect(await provider.verify(scheme, spki, hex(v.message), hex(v.signature).subarray(1))).toBe(false);
        const other = scheme === SignatureScheme.ed25519 ? SignatureScheme.ed448 : SignatureScheme.ed25519;
        expect(await provider.verify(other, spki, hex(v.message), hex(v.signature))).toBe(false);
      });
    }
  }
});

/** Encodes r, s as ECDSA-Sig-Value, for building edge cases. */
function sigValue(r: Uint8Array, s: Uint8Array): Uint8Array {
  const int = (m: Uint8Array) => {
    let i = 0;
    while (i < m.length - 1 && m[i] === 0) i++;
    const body = m[i]! & 0x80 ? concatBytes(new Uint8Array(1), m.subarray(i)) : m.subarray(i);
    return concatBytes(new Uint8Array([0x02, body.length]), body);
  };
  const content = concatBytes(int(r), int(s));
  return content.length < 0x80 ? concatBytes(new Uint8Array([0x30, content.length]), content) : concatBytes(new Uint8Array([0x30, 0x81, content.length]), content);
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt('0x' + (bytesToHex(bytes) || '0'));
}
function fromBigInt(value: bigint, length: number): Uint8Array {
  return hex(value.toString(16).padStart(length * 2, '0'));
}

describe('ECDSA', () => {
  const curves = [
    ['prime256v1', 'sha256', SignatureScheme.ecdsa_secp256r1_sha256, 32, 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n],
    ['secp384r1', 'sha384', SignatureScheme.ecdsa_secp384r1_sha384, 48, 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n],
    [
      'secp521r1',
      'sha512',
      SignatureScheme.ecdsa_secp521r1_sha512,
      66,
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    ],
  ] as const;

  for (const [namedCurve, hash, scheme, n, order] of curves) {
    describe(namedCurve, () => {
      const pair = generateKeyPairSync('ec', { namedCurve });
      const spki = der(pair.publicKey, 'spki');

      it('sign → verify round trip; node:crypto accepts our DER signature', async () => {
        const key = await provider.importSigningKey(der(pair.privateKey, 'pkcs8'));
        expect(key.schemes).toEqual([scheme]);
        expect(schemesForPublicKey(spki)).toEqual([scheme]);
        const signature = await key.sign(scheme, message);
        expect(signature[0]).toBe(0x30);
        expect(await provider.verify(scheme, spki, message, signature)).toBe(true);
        expect(nodeVerify(hash, message, { key: pair.publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
      });

      it('verifies node:crypto signatures, and rejects tampered ones, other messages, other keys', async () => {
        const signature = new Uint8Array(nodeSign(hash, message, { key: pair.privateKey, dsaEncoding: 'der' }));
        expect(await provider.verify(scheme, spki, message, signature)).toBe(true);
        expect(await provider.verify(scheme, spki, flipped(message, 0), signature)).toBe(false);
        expect(await provider.verify(scheme, spki, message, flipped(signature, signature.length - 1))).toBe(false);
        const otherSpki = der(generateKeyPairSync('ec', { namedCurve }).publicKey, 'spki');
        expect(await provider.verify(scheme, otherSpki, message, signature)).toBe(false);
      });

      it('rejects a scheme naming another curve (TLS 1.3 binds curve and hash)', async () => {
        const signature = new Uint8Array(nodeSign(hash, message, { key: pair.privateKey, dsaEncoding: 'der' }));
        for (const [, , otherScheme] of curves) {
          if (otherScheme !== scheme) expect(await provider.verify(otherScheme, spki, message, signature)).toBe(false);
        }
        expect(await provider.verify(SignatureScheme.ed25519, spki, message, signature)).toBe(false);
        expect(await provider.verify(SignatureScheme.rsa_pss_rsae_sha256, spki, message, signature)).toBe(false);
      });

      it('accepts high-S signatures but parses DER strictly', async () => {
        const signature = new Uint8Array(nodeSign(hash, message, { key: pair.privateKey, dsaEncoding: 'der' }));
        const compact = ecdsaDerToCompact(signature, n)!;
        const r = compact.subarray(0, n);
        const s = toBigInt(compact.subarray(n));
        const mirrored = sigValue(r, fromBigInt(order - s, n)); // (r, n - s) is valid too
        expect(await provider.verify(scheme, spki, message, mirrored)).toBe(true);
        expect(await provider.verify(scheme, spki, message, sigValue(r, fromBigInt(s, n)))).toBe(true);

        const content = signature.subarray(signature[1] === 0x81 ? 3 : 2);
        const longForm = concatBytes(new Uint8Array([0x30, 0x82, 0x00, content.length]), content);
        const bad: Uint8Array[] = [
          concatBytes(signature, new Uint8Array([0])), // trailing byte
          longForm, // non-minimal length
          compact, // raw r || s is not what TLS carries
          sigValue(new Uint8Array([0]), fromBigInt(s, n)), // r = 0
          sigValue(r, fromBigInt(order + s, n + 1)), // s ≥ n
          new Uint8Array(0),
        ];
        for (const b of bad) expect(await provider.verify(scheme, spki, message, b)).toBe(false);
      });
    });
  }

  it('ecdsaDerToCompact rejects negative and non-minimal INTEGERs', () => {
    // SEQUENCE { INTEGER 0x80 (negative), INTEGER 1 }
    expect(ecdsaDerToCompact(hex('3006020180020101'), 32)).toBeUndefined();
    // SEQUENCE { INTEGER 00 01 (non-minimal), INTEGER 1 }
    expect(ecdsaDerToCompact(hex('300702020001020101'), 32)).toBeUndefined();
    // SEQUENCE { INTEGER 00 80, INTEGER 1 } is the minimal encoding of 128
    expect(bytesToHex(ecdsaDerToCompact(hex('300702020080020101'), 2)!)).toBe('00800001');
    // three integers
    expect(ecdsaDerToCompact(hex('3009020101020101020101'), 32)).toBeUndefined();
  });
});

/** An id-RSASSA-PSS key pair whose parameters restrict hash, MGF1 hash and minimum salt length. */
function restrictedPssPair(hash: string, saltLength: number) {
  // @types/node types saltLength as a string; Node wants the number.
  const options = { modulusLength: 2048, hashAlgorithm: hash, mgf1HashAlgorithm: hash, saltLength } as unknown as RSAPSSKeyPairKeyObjectOptions;
  return generateKeyPairSync('rsa-pss', options);
}

/** The same RSA private key under the rsaEncryption OID. */
function rsaEncryptionPkcs8(pkcs8: Uint8Array): Uint8Array {
  const info = parsePkcs8(pkcs8);
  if (info.type !== 'rsa-pss') throw new Error('expected an id-RSASSA-PSS key');
  return info.rsaEncryptionPkcs8;
}

describe('RSA (WebCrypto)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaSpki = der(rsa.publicKey, 'spki');
  const hashes = [
    ['sha256', 32, SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pkcs1_sha256],
    ['sha384', 48, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pkcs1_sha384],
    ['sha512', 64, SignatureScheme.rsa_pss_rsae_sha512, SignatureScheme.rsa_pss_pss_sha512, SignatureScheme.rsa_pkcs1_sha512],
  ] as const;

  it('has WebCrypto', () => {
    expect(subtleCrypto()).toBeDefined();
  });

  it('rsaEncryption key: rsa_pss_rsae_* round trips, checked by node:crypto with salt = hash length', async () => {
    const key = await provider.importSigningKey(der(rsa.privateKey, 'pkcs8'));
    expect(key.schemes).toEqual(hashes.map(([, , rsae]) => rsae));
    expect(schemesForPublicKey(rsaSpki)).toEqual(key.schemes);
    for (const [hash, saltLength, rsae, pss] of hashes) {
      const signature = await key.sign(rsae, message);
      expect(signature).toHaveLength(256);
      expect(await provider.verify(rsae, rsaSpki, message, signature)).toBe(true);
      expect(nodeVerify(hash, message, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature)).toBe(true);
      expect(await provider.verify(rsae, rsaSpki, flipped(message, 3), signature)).toBe(false);
      expect(await provider.verify(rsae, rsaSpki, message, flipped(signature, 100))).toBe(false);
      // The same key under the id-RSASSA-PSS scheme does not fit (RFC 8446 §4.2.3).
      expect(await provider.verify(pss, rsaSpki, message, signature)).toBe(false);
    }
  });

  it('verifies node:crypto PSS signatures only with salt length = hash length', async () => {
    for (const [hash, saltLength, rsae] of hashes) {
      const good = nodeSign(hash, message, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
      expect(await provider.verify(rsae, rsaSpki, message, good)).toBe(true);
      const shortSalt = nodeSign(hash, message, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
      expect(await provider.verify(rsae, rsaSpki, message, shortSalt)).toBe(false);
    }
  });

  it('verifies rsa_pkcs1_* (certificate signatures) and keeps PKCS#1 and PSS apart', async () => {
    for (const [hash, , rsae, , pkcs1] of hashes) {
      const signature = nodeSign(hash, message, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PADDING });
      expect(await provider.verify(pkcs1, rsaSpki, message, signature)).toBe(true);
      expect(await provider.verify(rsae, rsaSpki, message, signature)).toBe(false);
      expect(await provider.verify(pkcs1, rsaSpki, flipped(message, 0), signature)).toBe(false);
    }
    const key = await provider.importSigningKey(der(rsa.privateKey, 'pkcs8'));
    expect(key.schemes).not.toContain(SignatureScheme.rsa_pkcs1_sha256);
    await expectCode(() => key.sign(SignatureScheme.rsa_pkcs1_sha256, message), 'INTERNAL_ERROR');
  });

  it('id-RSASSA-PSS key without parameters: rsa_pss_pss_* round trips (SPKI rewritten for WebCrypto)', async () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const spki = der(pss.publicKey, 'spki');
    const key = await provider.importSigningKey(der(pss.privateKey, 'pkcs8'));
    expect(key.schemes).toEqual(hashes.map(([, , , pssScheme]) => pssScheme));
    expect(schemesForPublicKey(spki)).toEqual(key.schemes);
    for (const [hash, saltLength, rsae, pssScheme, pkcs1] of hashes) {
      const signature = await key.sign(pssScheme, message);
      expect(await provider.verify(pssScheme, spki, message, signature)).toBe(true);
      expect(nodeVerify(hash, message, { key: pss.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature)).toBe(true);
      expect(await provider.verify(pssScheme, spki, flipped(message, 1), signature)).toBe(false);
      expect(await provider.verify(rsae, spki, message, signature)).toBe(false);
      expect(await provider.verify(pkcs1, spki, message, signature)).toBe(false);
    }
  });

  it('id-RSASSA-PSS key restricted to SHA-384: only rsa_pss_pss_sha384 fits', async () => {
    const pss = restrictedPssPair('sha384', 48);
    const spki = der(pss.publicKey, 'spki');
    const key = await provider.importSigningKey(der(pss.privateKey, 'pkcs8'));
    expect(key.schemes).toEqual([SignatureScheme.rsa_pss_pss_sha384]);
    expect(schemesForPublicKey(spki)).toEqual([SignatureScheme.rsa_pss_pss_sha384]);
    const signature = await key.sign(SignatureScheme.rsa_pss_pss_sha384, message);
    expect(await provider.verify(SignatureScheme.rsa_pss_pss_sha384, spki, message, signature)).toBe(true);
    // node:crypto honours the restriction too, so sign SHA-256 with the same numbers as a plain RSA key.
    const unrestricted = createPrivateKey({ key: Buffer.from(rsaEncryptionPkcs8(der(pss.privateKey, 'pkcs8'))), format: 'der', type: 'pkcs8' });
    const sha256Signature = nodeSign('sha256', message, { key: unrestricted, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(nodeVerify('sha256', message, { key: unrestricted, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sha256Signature)).toBe(true);
    expect(await provider.verify(SignatureScheme.rsa_pss_pss_sha256, spki, message, sha256Signature)).toBe(false);
  });

  it('refuses an id-RSASSA-PSS key whose minimum salt is longer than its hash (no TLS 1.3 scheme fits)', async () => {
    const pss = restrictedPssPair('sha256', 64);
    expect(schemesForPublicKey(der(pss.publicKey, 'spki'))).toEqual([]);
    await expectCode(() => provider.importSigningKey(der(pss.privateKey, 'pkcs8')), 'INVALID_ARGUMENT', /allow no TLS 1.3 scheme/);
  });

  it('a 1024-bit key (RFC 8448 uses one) cannot carry SHA-512 PSS; under 1024 bits is refused', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const expected = [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384];
    expect(schemesForPublicKey(der(small.publicKey, 'spki'))).toEqual(expected);
    const key = await provider.importSigningKey(der(small.privateKey, 'pkcs8'));
    expect(key.schemes).toEqual(expected);
    const signature = await key.sign(SignatureScheme.rsa_pss_rsae_sha384, message);
    expect(await provider.verify(SignatureScheme.rsa_pss_rsae_sha384, der(small.publicKey, 'spki'), message, signature)).toBe(true);
    const tiny = generateKeyPairSync('rsa', { modulusLength: 768 });
    await expectCode(() => provider.importSigningKey(der(tiny.privateKey, 'pkcs8')), 'INVALID_ARGUMENT', /768 bits is below 1024/);
  });

  it('the verify-key cache is a bounded LRU', async () => {
    const subtle = subtleCrypto()!;
    const cache = new VerifyKeyCache(2);
    const spkis = [rsaSpki, der(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, 'spki'), der(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, 'spki')];
    const first = cache.get(subtle, 'RSA-PSS', 'sha256', spkis[0]!);
    expect(cache.get(subtle, 'RSA-PSS', 'sha256', spkis[0]!)).toBe(first);
    await cache.get(subtle, 'RSA-PSS', 'sha256', spkis[1]!);
    cache.get(subtle, 'RSA-PSS', 'sha256', spkis[0]!); // touch: spkis[1] is now the oldest
    await cache.get(subtle, 'RSA-PSS', 'sha256', spkis[2]!);
    expect(cache.size).toBe(2);
    expect(cache.get(subtle, 'RSA-PSS', 'sha256', spkis[0]!)).toBe(first);
    const refused = cache.get(subtle, 'RSA-PSS', 'sha256', hex('3000'));
    await expect(refused).rejects.toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const again = cache.get(subtle, 'RSA-PSS', 'sha256', hex('3000'));
    again.catch(() => undefined);
    expect(again).not.toBe(refused); // a refused key is not remembered
    expect(cache.size).toBeLessThanOrEqual(2);
  });
});

describe('test-vectors/pki fixtures', () => {
  const fixtures = [
    ['server-ecdsa-p256', [SignatureScheme.ecdsa_secp256r1_sha256]],
    ['server-ecdsa-p384', [SignatureScheme.ecdsa_secp384r1_sha384]],
    ['server-ecdsa-p521', [SignatureScheme.ecdsa_secp521r1_sha512]],
    ['server-ed25519', [SignatureScheme.ed25519]],
    ['server-ed448', [SignatureScheme.ed448]],
    ['server-rsa2048', [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512]],
    ['server-rsapss2048', [SignatureScheme.rsa_pss_pss_sha256, SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512]],
  ] as const;

  for (const [name, schemes] of fixtures) {
    it(`${name}: the key signs every scheme it lists and the certificate's key verifies`, async () => {
      const key = await provider.importSigningKey(pemFixture(`${name}-key.pem`));
      const certificate = new X509Certificate(Buffer.from(pemFixture(`${name}.pem`)));
      const spki = der(certificate.publicKey, 'spki');
      expect(key.schemes).toEqual(schemes); // the RSA-PSS fixture has no PSS parameter restrictions
      expect(schemesForPublicKey(spki)).toEqual(key.schemes);
      for (const scheme of key.schemes) {
        const signature = await key.sign(scheme, message);
        expect(await provider.verify(scheme, spki, message, signature)).toBe(true);
      }
    });
  }
});

describe('importSigningKey errors (INVALID_ARGUMENT)', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('names the wrong container formats', async () => {
    const encrypted = ec.privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc', passphrase: 'x' }) as Buffer;
    await expectCode(() => provider.importSigningKey(new Uint8Array(encrypted)), 'INVALID_ARGUMENT', /encrypted PKCS#8/);
    await expectCode(() => provider.importSigningKey(der(rsa.privateKey, 'pkcs1')), 'INVALID_ARGUMENT', /PKCS#1/);
    await expectCode(() => provider.importSigningKey(der(ec.privateKey, 'sec1')), 'INVALID_ARGUMENT', /SEC1/);
    await expectCode(() => provider.importSigningKey(hex('0102')), 'INVALID_ARGUMENT', /malformed DER/);
    await expectCode(() => provider.importSigningKey(concatBytes(der(ec.privateKey, 'pkcs8'), new Uint8Array(1))), 'INVALID_ARGUMENT');
  });

  it('refuses algorithms that cannot sign TLS 1.3 CertificateVerify', async () => {
    const x25519 = generateKeyPairSync('x25519');
    await expectCode(() => provider.importSigningKey(der(x25519.privateKey, 'pkcs8')), 'INVALID_ARGUMENT', /not supported/);
    const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    await expectCode(() => provider.importSigningKey(der(k256.privateKey, 'pkcs8')), 'INVALID_ARGUMENT', /curve .* not supported/);
    expect(() => schemesForPublicKey(der(k256.publicKey, 'spki'))).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses an EC key whose embedded public key does not match', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pkcs8 = der(ec.privateKey, 'pkcs8');
    const otherPoint = der(other.publicKey, 'spki').subarray(-65);
    const at = Buffer.from(pkcs8).indexOf(Buffer.from(der(ec.publicKey, 'spki').subarray(-65)));
    expect(at).toBeGreaterThan(0);
    const spliced = pkcs8.slice();
    spliced.set(otherPoint, at);
    await expectCode(() => provider.importSigningKey(spliced), 'INVALID_ARGUMENT', /does not match/);
  });
});

describe('verify never rejects', () => {
  it('resolves false for garbage keys, unknown schemes and empty signatures', async () => {
    const ec = der(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey, 'spki');
    expect(await provider.verify(SignatureScheme.ecdsa_secp256r1_sha256, hex('3000'), message, hex('3000'))).toBe(false);
    expect(await provider.verify(SignatureScheme.ecdsa_secp256r1_sha256, new Uint8Array(0), message, new Uint8Array(0))).toBe(false);
    expect(await provider.verify(SignatureScheme.ecdsa_sha1, ec, message, hex('3000'))).toBe(false);
    expect(await provider.verify(0x0999 as SignatureScheme, ec, message, hex('3000'))).toBe(false);
    for (const scheme of provider.signatureSchemes) {
      expect(await provider.verify(scheme, ec, message, new Uint8Array(0))).toBe(false);
    }
  });

  it('advertises every scheme it verifies, rsa_pkcs1_* included (for certificates), SHA-1 excluded', () => {
    expect([...provider.signatureSchemes].sort()).toEqual(
      [
        SignatureScheme.ecdsa_secp256r1_sha256,
        SignatureScheme.ecdsa_secp384r1_sha384,
        SignatureScheme.ecdsa_secp521r1_sha512,
        SignatureScheme.ed25519,
        SignatureScheme.ed448,
        SignatureScheme.rsa_pss_rsae_sha256,
        SignatureScheme.rsa_pss_rsae_sha384,
        SignatureScheme.rsa_pss_rsae_sha512,
        SignatureScheme.rsa_pss_pss_sha256,
        SignatureScheme.rsa_pss_pss_sha384,
        SignatureScheme.rsa_pss_pss_sha512,
        SignatureScheme.rsa_pkcs1_sha256,
        SignatureScheme.rsa_pkcs1_sha384,
        SignatureScheme.rsa_pkcs1_sha512,
      ].sort(),
    );
  });
});
