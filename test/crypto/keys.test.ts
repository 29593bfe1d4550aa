import { createECDH, createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DerTag, encodeElement, readElement, readRoot } from '../../src/crypto/der.js';
import { parseSpki, publicKeyFitsScheme, rsaModulusFitsPss } from '../../src/crypto/keys.js';
import { parsePkcs8 } from '../../src/crypto/private-keys.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { SignatureScheme } from '../../src/registry.js';
import { schemesForPublicKey } from '../helpers/keys.js';
import { concatBytes, utf8 } from '../../src/wire/bytes.js';
import { hex } from './helpers.js';

const provider = nobleProvider();
const invalid = expect.objectContaining({ name: 'TLSError', code: 'INVALID_ARGUMENT' });

describe('strict DER', () => {
  it('reads minimal lengths and refuses BER forms', () => {
    expect(readElement(hex('0403010203'), 0)).toEqual({ tag: 4, start: 0, contentStart: 2, end: 5 });
    expect(() => readElement(hex('04810103'), 0)).toThrowError(invalid); // long form for a short length
    expect(() => readElement(hex('0482000103'), 0)).toThrowError(invalid); // leading zero length byte
    expect(() => readElement(hex('3080'), 0)).toThrowError(invalid); // indefinite length
    expect(() => readElement(hex('0405010203'), 0)).toThrowError(invalid); // overrun
    expect(() => readElement(hex('1f0100'), 0)).toThrowError(invalid); // high tag number
    expect(() => readRoot(hex('050000'), DerTag.NULL)).toThrowError(invalid); // trailing byte
  });

  it('writes minimal lengths', () => {
    expect(encodeElement(DerTag.OCTET_STRING, new Uint8Array(0x7f)).subarray(0, 2)).toEqual(hex('047f'));
    expect(encodeElement(DerTag.OCTET_STRING, new Uint8Array(0x80)).subarray(0, 3)).toEqual(hex('048180'));
    expect(encodeElement(DerTag.OCTET_STRING, new Uint8Array(0x100)).subarray(0, 4)).toEqual(hex('04820100'));
  });
});

describe('SubjectPublicKeyInfo', () => {
  const p256Prefix = '3059301306072a8648ce3d020106082a8648ce3d030107034200';

  it('accepts a compressed P-256 point (RFC 5480 §2.2) and verifies with it', async () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const compressed = new Uint8Array(ecdh.getPublicKey(null, 'compressed'));
    const spki = concatBytes(hex('3039301306072a8648ce3d020106082a8648ce3d030107032200'), compressed);
    const info = parseSpki(spki);
    expect(info).toMatchObject({ type: 'ec', curve: 'P-256' });
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const uncompressedSpki = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
    expect(Buffer.from(uncompressedSpki).toString('hex').startsWith(p256Prefix)).toBe(true);
    const message = utf8('m');
    const signature = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
    const point = uncompressedSpki.subarray(-65);
    const compressedOwn = concatBytes(new Uint8Array([point[64]! & 1 ? 3 : 2]), point.subarray(1, 33));
    const compressedSpki = concatBytes(hex('3039301306072a8648ce3d020106082a8648ce3d030107032200'), compressedOwn);
    expect(await provider.verify(SignatureScheme.ecdsa_secp256r1_sha256, compressedSpki, message, signature)).toBe(true);
  });

  it('refuses explicit EC parameters, unknown curves, bad point lengths and unused bits', () => {
    const point = new Uint8Array(65).fill(1);
    point[0] = 4;
    const bitString = encodeElement(DerTag.BIT_STRING, new Uint8Array(1), point);
    const explicit = encodeElement(DerTag.SEQUENCE, hex('06072a8648ce3d0201'), encodeElement(DerTag.SEQUENCE, hex('020101')));
    expect(() => parseSpki(encodeElement(DerTag.SEQUENCE, explicit, bitString))).toThrowError(invalid);
    expect(() => parseSpki(concatBytes(hex(p256Prefix), point.subarray(0, 64)))).toThrowError(invalid); // truncated
    expect(() => parseSpki(concatBytes(hex('3059301306072a8648ce3d020106082a8648ce3d030107034201'), point))).toThrowError(invalid);
    expect(() => parseSpki(concatBytes(hex('3056301006072a8648ce3d020106052b8104000a034200'), point))).toThrowError(invalid); // secp256k1
  });

  it('refuses Ed25519 with parameters (RFC 8410 §3) and keys of the wrong length', () => {
    const key = new Uint8Array(32).fill(7);
    expect(parseSpki(concatBytes(hex('302a300506032b6570032100'), key))).toMatchObject({ type: 'ed25519' });
    expect(() => parseSpki(concatBytes(hex('302c300706032b65700500032100'), key))).toThrowError(invalid);
    expect(() => parseSpki(concatBytes(hex('3029300506032b6570032000'), key.subarray(1)))).toThrowError(invalid);
  });

  it('accepts rsaEncryption with NULL or absent parameters', () => {
    const spki = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }));
    const withNull = parseSpki(spki);
    expect(withNull).toMatchObject({ type: 'rsa', modulusBits: 1024 });
    // Rebuild without the NULL: SEQUENCE { SEQUENCE { OID }, BIT STRING }
    const outer = readRoot(spki, DerTag.SEQUENCE);
    const algorithm = readElement(spki, outer.contentStart);
    const bitString = spki.subarray(algorithm.end, outer.end);
    const noNull = encodeElement(DerTag.SEQUENCE, encodeElement(DerTag.SEQUENCE, hex('06092a864886f70d010101')), bitString);
    expect(parseSpki(noNull)).toEqual(withNull);
  });
});

describe('schemes a key fits', () => {
  it('RSA-PSS needs emLen ≥ 2·hLen + 2 (RFC 8017 §9.1.1 with salt = hash length)', () => {
    expect(rsaModulusFitsPss(1024, 'sha384')).toBe(true);
    expect(rsaModulusFitsPss(1024, 'sha512')).toBe(false);
    // emLen = ceil((modBits - 1) / 8) must reach 130 for SHA-512
    expect(rsaModulusFitsPss(1033, 'sha512')).toBe(false);
    expect(rsaModulusFitsPss(1034, 'sha512')).toBe(true);
  });

  it('maps every key type to its TLS 1.3 schemes', () => {
    const spki = (pair: { publicKey: { export(o: object): unknown } }) => new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }) as Buffer);
    expect(schemesForPublicKey(spki(generateKeyPairSync('ed448')))).toEqual([SignatureScheme.ed448]);
    expect(schemesForPublicKey(spki(generateKeyPairSync('ec', { namedCurve: 'secp521r1' })))).toEqual([SignatureScheme.ecdsa_secp521r1_sha512]);
    expect(() => schemesForPublicKey(spki(generateKeyPairSync('x448')))).toThrowError(invalid);
    expect(() => schemesForPublicKey(hex('3000'))).toThrowError(invalid);
  });

  it('rsa_pkcs1_* fits rsaEncryption keys only, and never appears in the CertificateVerify list', () => {
    const rsa = parseSpki(new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' })));
    const pss = parseSpki(new Uint8Array(generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' })));
    expect(publicKeyFitsScheme(rsa, SignatureScheme.rsa_pkcs1_sha256)).toBe(true);
    expect(publicKeyFitsScheme(pss, SignatureScheme.rsa_pkcs1_sha256)).toBe(false);
    expect(publicKeyFitsScheme(rsa, SignatureScheme.rsa_pkcs1_sha1)).toBe(false);
  });
});

describe('PKCS#8', () => {
  it('reads the curve from the algorithm and pads a trimmed EC scalar', () => {
    const pkcs8 = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'der' }));
    const info = parsePkcs8(pkcs8);
    expect(info).toMatchObject({ type: 'ec', curve: 'P-384' });
    if (info.type === 'ec') {
      expect(info.privateKey).toHaveLength(48);
      expect(info.publicKey).toHaveLength(97);
    }
  });

  it('rewrites an id-RSASSA-PSS key as rsaEncryption for WebCrypto, same RSAPrivateKey inside', () => {
    const pkcs8 = new Uint8Array(generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'der' }));
    const info = parsePkcs8(pkcs8);
    expect(info.type).toBe('rsa-pss');
    if (info.type !== 'rsa-pss') return;
    expect(info.modulusBits).toBe(1024);
    expect(Buffer.from(info.rsaEncryptionPkcs8).toString('hex')).toContain('06092a864886f70d0101010500');
    const body = (der: Uint8Array) => {
      const root = readRoot(der, DerTag.SEQUENCE);
      let at = root.contentStart;
      for (let i = 0; i < 2; i++) at = readElement(der, at, root.end).end;
      const octets = readElement(der, at, root.end);
      return der.subarray(octets.contentStart, octets.end);
    };
    expect(body(info.rsaEncryptionPkcs8)).toEqual(body(pkcs8));
  });

  it('refuses a PKCS#8 with an unknown version', () => {
    const pkcs8 = new Uint8Array(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }));
    const bumped = pkcs8.slice();
    bumped[4] = 5; // version INTEGER content
    expect(() => parsePkcs8(bumped)).toThrowError(invalid);
  });
});
