import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { describePrivateKey, encodePem, loadCertificates, loadPrivateKey, parsePem } from '../../src/x509/pem.js';
import { TLSError } from '../../src/errors.js';

const pki = (file: string) => readFileSync(new URL(`../../test-vectors/pki/${file}`, import.meta.url));
const pkiText = (file: string) => pki(file).toString('utf8');

function expectLoadError(f: () => unknown, ...fragments: string[]): TLSError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(TLSError);
    const e = error as TLSError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    for (const fragment of fragments) expect(e.message).toContain(fragment);
    return e;
  }
  throw new Error('expected a load error');
}

describe('loadCertificates', () => {
  test('one PEM certificate, as a string or bytes', () => {
    const [fromString] = loadCertificates(pkiText('root.pem'), 'root.pem');
    const [fromBytes] = loadCertificates(pki('root.pem'), 'root.pem');
    expect(fromString).toEqual(fromBytes);
    expect(Buffer.from(fromString!)).toEqual(new X509Certificate(pki('root.pem')).raw);
  });

  test('a bundle keeps file order, and comments between blocks are ignored', () => {
    const bundle = `# leaf\n${pkiText('server-ecdsa-p256.pem')}\nsome text\n${pkiText('intermediate.pem')}${pkiText('root.pem')}`;
    const ders = loadCertificates(bundle, 'bundle.pem');
    expect(ders).toHaveLength(3);
    expect(Buffer.from(ders[1]!)).toEqual(new X509Certificate(pki('intermediate.pem')).raw);
  });

  test('DER input and CRLF line endings', () => {
    const der = new X509Certificate(pki('root.pem')).raw;
    expect(loadCertificates(new Uint8Array(der), 'root.der')).toHaveLength(1);
    expect(loadCertificates(pkiText('root.pem').replace(/\n/g, '\r\n'), 'crlf.pem')).toHaveLength(1);
  });

  test('failures name the file and the problem', () => {
    expectLoadError(() => loadCertificates('hello', 'empty.pem'), 'empty.pem', 'no PEM block');
    expectLoadError(() => loadCertificates(pkiText('root-key.pem'), 'key.pem'), 'key.pem', 'unexpected PEM label "PRIVATE KEY"');
    const pem = pkiText('root.pem');
    const lines = pem.trimEnd().split('\n');
    const truncated = [...lines.slice(0, -2), lines.at(-2)!.slice(0, -3), lines.at(-1)!].join('\n');
    expectLoadError(() => loadCertificates(truncated, 'cut.pem'), 'cut.pem', 'truncated base64');
    expectLoadError(() => loadCertificates(lines.slice(0, -1).join('\n'), 'noend.pem'), 'noend.pem', 'no END line');
    expectLoadError(() => loadCertificates(pem.replace('-----END CERTIFICATE-----', '-----END X509 CRL-----'), 'mixed.pem'), 'closes a "CERTIFICATE" block');
    expectLoadError(() => loadCertificates(pem.replace(/\n(.)/, '\n!$1'), 'junk.pem'), 'not base64');
    expectLoadError(() => loadCertificates(pem.replace(/CERTIFICATE/g, 'TRUSTED CERTIFICATE'), 'trusted.pem'), 'TRUSTED CERTIFICATE');
    // Well-formed PEM around bytes that are not a certificate.
    expectLoadError(
      () => loadCertificates(encodePem('CERTIFICATE', new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), 'garbage.pem'),
      'garbage.pem',
      'not a valid X.509 certificate',
    );
  });
});

describe('loadPrivateKey', () => {
  const checkSigns = (pkcs8: Uint8Array, publicPemOrCert: Buffer | string) => {
    const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    const pub = typeof publicPemOrCert === 'string' ? createPublicKey(publicPemOrCert) : new X509Certificate(publicPemOrCert).publicKey;
    const hash = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
    const signature = sign(hash, Buffer.from('wiretls'), key);
    expect(verify(hash, Buffer.from('wiretls'), pub, signature)).toBe(true);
  };

  test.each([
    ['server-ecdsa-p256', { type: 'ec', curve: 'P-256' }],
    ['server-ecdsa-p384', { type: 'ec', curve: 'P-384' }],
    ['server-ecdsa-p521', { type: 'ec', curve: 'P-521' }],
    ['server-rsa2048', { type: 'rsa' }],
    ['server-rsapss2048', { type: 'rsa-pss' }],
    ['server-ed25519', { type: 'ed25519' }],
    ['server-ed448', { type: 'ed448' }],
  ])('PKCS#8 %s', (name, description) => {
    const pkcs8 = loadPrivateKey(pkiText(`${name}-key.pem`), `${name}-key.pem`);
    expect(describePrivateKey(pkcs8)).toEqual(description);
    checkSigns(pkcs8, pki(`${name}.pem`));
  });

  test('PKCS#8 keys import into WebCrypto', async () => {
    const pkcs8 = loadPrivateKey(pkiText('server-ecdsa-p256-key.pem'), 'key.pem');
    await expect(crypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])).resolves.toBeDefined();
    const ed = loadPrivateKey(pkiText('server-ed25519-key.pem'), 'key.pem');
    await expect(crypto.subtle.importKey('pkcs8', ed, { name: 'Ed25519' }, false, ['sign'])).resolves.toBeDefined();
  });

  test.each(['P-256', 'P-384', 'P-521'])('SEC1 "EC PRIVATE KEY" (%s) becomes PKCS#8', (curve) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    const pkcs8 = loadPrivateKey(sec1, 'sec1.pem');
    expect(describePrivateKey(pkcs8)).toEqual({ type: 'ec', curve });
    checkSigns(pkcs8, publicKey.export({ type: 'spki', format: 'pem' }) as string);
    // `openssl ecparam -genkey` puts an EC PARAMETERS block first; DER SEC1 works too.
    expect(loadPrivateKey(`-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${sec1}`, 'ecparam.pem')).toEqual(pkcs8);
    expect(loadPrivateKey(new Uint8Array(privateKey.export({ type: 'sec1', format: 'der' })), 'sec1.der')).toEqual(pkcs8);
  });

  test('PKCS#1 "RSA PRIVATE KEY" becomes PKCS#8', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const pkcs8 = loadPrivateKey(pkcs1, 'rsa.pem');
    expect(describePrivateKey(pkcs8)).toEqual({ type: 'rsa' });
    expect(Buffer.from(pkcs8)).toEqual(privateKey.export({ type: 'pkcs8', format: 'der' }));
    checkSigns(pkcs8, publicKey.export({ type: 'spki', format: 'pem' }) as string);
    expect(loadPrivateKey(new Uint8Array(privateKey.export({ type: 'pkcs1', format: 'der' })), 'rsa.der')).toEqual(pkcs8);
  });

  test('encrypted keys are refused with the command that decrypts them', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
    expectLoadError(() => loadPrivateKey(encrypted, 'enc.pem'), 'enc.pem', 'encrypted', 'openssl pkey');
    const legacy = privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'x' }) as string;
    expect(legacy).toContain('Proc-Type: 4,ENCRYPTED');
    expectLoadError(() => loadPrivateKey(legacy, 'legacy.pem'), 'legacy.pem', 'encrypted (legacy PEM encryption)');
    const der = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'x' }));
    expectLoadError(() => loadPrivateKey(der, 'enc.der'), 'enc.der', 'encrypted');
  });

  test('wrong label, truncation, unsupported algorithms and curves', () => {
    expectLoadError(() => loadPrivateKey(pkiText('root.pem'), 'cert.pem'), 'cert.pem', 'certificate, not a private key');
    expectLoadError(() => loadPrivateKey(pkiText('root-key.pem').replace(/PRIVATE KEY/g, 'PUBLIC KEY'), 'pub.pem'), 'unexpected PEM label "PUBLIC KEY"');
    const pem = pkiText('server-ecdsa-p256-key.pem');
    const lines = pem.trimEnd().split('\n');
    expectLoadError(() => loadPrivateKey([lines[0], lines[1]!.slice(0, 40), lines.at(-1)].join('\n'), 'cut.pem'), 'cut.pem', 'not valid DER');
    expectLoadError(() => loadPrivateKey(lines.slice(0, -1).join('\n'), 'noend.pem'), 'no END line');
    const x25519 = generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expectLoadError(() => loadPrivateKey(x25519, 'x25519.pem'), 'x25519.pem', 'unsupported private key algorithm 1.3.101.110');
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    expectLoadError(() => loadPrivateKey(k1.export({ type: 'pkcs8', format: 'pem' }) as string, 'k1.pem'), 'unsupported curve 1.3.132.0.10');
    expectLoadError(() => loadPrivateKey(k1.export({ type: 'sec1', format: 'pem' }) as string, 'k1-sec1.pem'), 'unsupported curve 1.3.132.0.10');
    expectLoadError(() => loadPrivateKey(`${pem}${pem}`, 'two.pem'), '2 PEM blocks');
  });

  test('parsePem returns labels and headers', () => {
    const blocks = parsePem(`${pkiText('root.pem')}${pkiText('root-key.pem')}`, 'x');
    expect(blocks.map((b) => b.label)).toEqual(['CERTIFICATE', 'PRIVATE KEY']);
  });
});
