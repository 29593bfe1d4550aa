import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { describe, expect, test } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { CertificateError, certificateAlert } from '../../src/x509/certificate-error.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { encodePem, loadCertificates } from '../../src/x509/pem.js';
import { WebCryptoSignatureChecker } from '../../src/x509/signature.js';
import { TrustStore } from '../../src/x509/truststore.js';
import type { CertificateVerifier } from '../../src/x509/verifier.js';
import { X509Verifier, type X509VerifierOptions } from '../../src/x509/x509-verifier.js';
import { ParsedCertificate } from '../../src/x509/certificate.js';
import { ProviderSignatureChecker } from '../../src/x509/provider-signature.js';
import { type SignatureChecker, certSignatureAlgorithm } from '../../src/x509/signature.js';
import { nodeProvider } from '../../src/crypto/node/index.js';
import { systemTrustStore } from '../../src/node/system-trust-store.js';
import { X509Verifier as NodeX509Verifier } from '../../src/node/x509-verifier.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { expectFailure, expectOk, verifyChain } from './helpers.js';
import { NOW, ca, leaf, simplePki, testKey } from './pki.js';

const vectorText = (file: string) => readFileSync(new URL(`../../test-vectors/pki/${file}`, import.meta.url), 'utf8');
const vector = (file: string) => loadCertificates(vectorText(file), file);

describe('TrustStore', () => {
  test("system roots: Node's bundled Mozilla store, indexed lazily, parsed on demand", async () => {
    const store = systemTrustStore();
    expect(systemTrustStore()).toBe(store);
    expect(store.parsedAnchors).toBe(0);
    expect(store.size).toBe(new Set(rootCertificates).size);
    expect(store.parsedAnchors).toBe(0); // indexing does not parse
    // A chain to our test root finds no anchor, and parses none (no root has that subject).
    const verifier = new NodeX509Verifier(); // the Node entry's default store
    const result = await verifier.verify(vector('server-ecdsa-p256-chain.pem'), { peerRole: 'server', serverName: 'localhost' });
    expectFailure(result, 'CERT_UNTRUSTED', 'path', 'Mozilla roots');
    expect(store.parsedAnchors).toBe(0);
  });

  test('the engine has no system store: an X509Verifier without trustStore fails at construction, saying what to pass', () => {
    const construct = () => new X509Verifier({} as X509VerifierOptions);
    expect(construct).toThrow(TLSError);
    expect(construct).toThrow(/needs a trustStore.*TrustStore\.fromPem/);
    try {
      construct();
    } catch (error) {
      expect((error as TLSError).code).toBe('INVALID_ARGUMENT');
      expect((error as TLSError).alert).toBeUndefined();
    }
    // JavaScript callers can omit the argument altogether.
    expect(() => Reflect.construct(X509Verifier, [])).toThrow(/needs a trustStore/);
  });

  test('on demand: PEM decoded and indexed on the first lookup, once', async () => {
    let loads = 0;
    const store = TrustStore.fromPemOnDemand(() => {
      loads++;
      return [vectorText('root.pem')];
    }, 'test roots');
    expect(loads).toBe(0);
    expectOk(await new X509Verifier({ trustStore: store }).verify(vector('server-ecdsa-p256-chain.pem'), { peerRole: 'server', serverName: 'localhost' }));
    expect(store.size).toBe(1);
    expect(loads).toBe(1);
    const broken = TrustStore.fromPemOnDemand(() => ['not pem'], 'broken roots');
    expect(() => broken.size).toThrow(/^broken roots: no PEM block found/);
  });

  test('each bundled root is found by its own subject, and only candidates get parsed', async () => {
    const store = systemTrustStore();
    // Every bundled root parses and is found as the issuer of itself.
    let found = 0;
    for (const pem of rootCertificates.slice(0, 20)) {
      const cert = parseCertificate(loadCertificates(pem, 'root')[0]!);
      if (store.contains(cert) && store.issuersOf(cert).some((a) => a.der.length === cert.der.length)) found++;
    }
    expect(found).toBe(20);
    expect(store.parsedAnchors).toBeGreaterThan(0);
    expect(store.parsedAnchors).toBeLessThanOrEqual(25);
  });

  test('from PEM: caller anchors, bundles, several files', async () => {
    const store = TrustStore.fromPem([vectorText('root.pem'), vectorText('intermediate.pem')], 'ca files');
    expect(store.size).toBe(2);
    expectOk(await new X509Verifier({ trustStore: store }).verify(vector('server-rsa2048-chain.pem'), { peerRole: 'server', serverName: 'localhost' }));
    expect(() => TrustStore.fromPem('not pem', 'ca.pem')).toThrow(/^ca\.pem: no PEM block found/);
    expect(() => TrustStore.fromPem(vectorText('root-key.pem'), 'ca.pem')).toThrow(/ca\.pem: unexpected PEM label "PRIVATE KEY"/);
  });

  test('combine: system roots plus a private CA', async () => {
    const store = TrustStore.combine(systemTrustStore(), TrustStore.fromPem(vectorText('root.pem'), 'root.pem'));
    expect(store.size).toBe(new Set(rootCertificates).size + 1);
    expectOk(await new X509Verifier({ trustStore: store }).verify(vector('server-ed448-chain.pem'), { peerRole: 'server', serverName: '::1' }));
  });
});

describe('mutual TLS: the server checks client certificates the same way, for clientAuth', () => {
  test('client leaf (clientAuth) passes, with no name check', async () => {
    const store = TrustStore.fromPem(vectorText('root.pem'), 'root.pem');
    const verifier = new X509Verifier({ trustStore: store });
    expectOk(await verifier.verify(vector('client-ecdsa-p256-chain.pem'), { peerRole: 'client' }));
    // The same certificate presented by a server is refused: no serverAuth.
    expectFailure(await verifier.verify(vector('client-ecdsa-p256-chain.pem'), { peerRole: 'server', serverName: 'client.wiretls.test' }), 'CERT_INVALID', 'extendedKeyUsage');
  });

  test('client certificates from another CA, expired, or missing', async () => {
    const { root, intermediate } = simplePki();
    const client = leaf(intermediate, { eku: ['clientAuth'], san: null, notAfter: new Date('2029-01-01T00:00:00Z') });
    expectFailure(await verifyChain([client, intermediate], [root], { peerRole: 'client' }), 'CERT_EXPIRED');
    expectFailure(await verifyChain([client, intermediate], [ca('Other', { key: testKey('p256', 70) })], { peerRole: 'client' }), 'CERT_UNTRUSTED');
    const none = expectFailure(await verifyChain([], [root], { peerRole: 'client' }), 'CERT_INVALID', 'empty');
    expect(none.alert).toBe('certificate_required');
  });
});

describe('errors', () => {
  test('each code maps to the RFC 8446 alert', () => {
    expect(certificateAlert).toEqual({
      CERT_UNTRUSTED: 'unknown_ca',
      CERT_EXPIRED: 'certificate_expired',
      CERT_NOT_YET_VALID: 'certificate_expired',
      CERT_HOSTNAME_MISMATCH: 'certificate_unknown',
      CERT_BAD_SIGNATURE: 'bad_certificate',
      CERT_INVALID: 'bad_certificate',
      CERT_WEAK: 'unsupported_certificate',
    });
  });

  test('a failure is a TLSError carrying the peer chain, the failing certificate and the check', async () => {
    const { root, intermediate, leaf: end } = simplePki({ leaf: { notAfter: new Date('2029-01-01T00:00:00Z') } });
    const result = await verifyChain([end, intermediate], [root]);
    const error = expectFailure(result, 'CERT_EXPIRED', 'validity');
    expect(error).toBeInstanceOf(TLSError);
    expect(error.alertCode).toBe(45);
    expect(error.peerCertificates.map((c) => c.subject)).toEqual(['O=wiretls x509 tests, CN=leaf', 'O=wiretls x509 tests, CN=Test Intermediate']);
    expect(result.peerCertificates).toBe(error.peerCertificates);
    expect(error.certificate?.subject).toBe('O=wiretls x509 tests, CN=leaf');
    expect(error.toJSON()).toMatchObject({ code: 'CERT_EXPIRED', alert: 'certificate_expired', check: 'validity', depth: 0 });
  });

  test('an unparseable leaf is CERT_INVALID / bad_certificate; unparseable extras are ignored', async () => {
    const { root, intermediate, leaf: end } = simplePki();
    const garbage = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
    expectFailure(await verifyChain([garbage, intermediate], [root]), 'CERT_INVALID', 'parse', 'certificate 0');
    expectOk(await verifyChain([end, garbage, intermediate], [root]));
  });
});

describe('the peer chain and caller overrides', () => {
  test('summary for getPeerCertificate()', async () => {
    const result = await new X509Verifier({ trustStore: TrustStore.fromPem(vectorText('root.pem'), 'root.pem') }).verify(vector('server-ecdsa-p384-chain.pem'), {
      peerRole: 'server',
      serverName: 'wiretls.test',
    });
    expectOk(result);
    const [summary] = result.peerCertificates;
    const { X509Certificate } = await import('node:crypto');
    const node = new X509Certificate(vectorText('server-ecdsa-p384.pem'));
    expect(summary).toMatchObject({
      subject: 'CN=wiretls test server (ECDSA P-384), O=wiretls test PKI',
      issuer: 'CN=wiretls test intermediate CA, O=wiretls test PKI',
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2125-01-01T00:00:00Z'),
      subjectAltNames: ['DNS:localhost', 'DNS:wiretls.test', 'IP:127.0.0.1', 'IP:::1'],
      fingerprint256: node.fingerprint256,
      serialNumber: node.serialNumber,
      publicKey: 'ECDSA P-384',
      signatureAlgorithm: 'ecdsa-with-SHA256',
      isCA: false,
    });
    expect(result.path!.map((c) => c.isCA)).toEqual([false, true, true]);
  });

  test('override accepts an untrusted chain and keeps the original error (rejectUnauthorized: false)', async () => {
    const seen: string[] = [];
    const verifier = new X509Verifier({
      trustStore: TrustStore.fromCertificates([]),
      now: NOW,
      override: ({ result, peerCertificates }) => {
        seen.push(result.ok ? 'ok' : result.error.code, String(peerCertificates.length));
        return { ok: true };
      },
    });
    const { intermediate, leaf: end } = simplePki();
    const result = await verifier.verify([end.der, intermediate.der], { peerRole: 'server', serverName: 'localhost' });
    expect(result.ok).toBe(true);
    expect(result.originalError?.code).toBe('CERT_UNTRUSTED');
    expect(seen).toEqual(['CERT_UNTRUSTED', '2']);
  });

  test('override can also reject what validated, e.g. pinning a key', async () => {
    const { root, intermediate, leaf: end } = simplePki();
    const pinned = 'AA:BB';
    const result = await verifyChain(
      [end, intermediate],
      [root],
      {},
      {
        override: ({ result, peerCertificates }) =>
          result.ok && peerCertificates[0]!.fingerprint256 !== pinned
            ? { ok: false, error: new CertificateError('CERT_UNTRUSTED', 'path', 'certificate is not the pinned one') }
            : undefined,
      },
    );
    expectFailure(result, 'CERT_UNTRUSTED', 'path', 'pinned');
  });

  test('checkServerIdentity replaces the name check (like node:tls)', async () => {
    const { root, intermediate, leaf: end } = simplePki();
    const calls: string[] = [];
    const lenient = await verifyChain(
      [end, intermediate],
      [root],
      { serverName: 'other.example' },
      {
        checkServerIdentity: (name, cert) => {
          calls.push(`${name} ${cert.subjectAltNames.length}`);
          return undefined;
        },
      },
    );
    expectOk(lenient);
    expect(calls).toEqual(['other.example 4']);
    const strict = await verifyChain([end, intermediate], [root], {}, { checkServerIdentity: () => new Error('not on my list') });
    expectFailure(strict, 'CERT_HOSTNAME_MISMATCH', 'identity', 'not on my list');
  });

  test('without a server name only the path is checked (the caller must pass servername)', async () => {
    const { root, intermediate, leaf: end } = simplePki();
    expectOk(await verifyChain([end, intermediate], [root], { serverName: undefined }));
  });

  test('X509Verifier satisfies the engine interface and caches issuer keys', async () => {
    const checker = new WebCryptoSignatureChecker();
    const verifier: CertificateVerifier = new X509Verifier({ trustStore: TrustStore.fromPem(vectorText('root.pem'), 'root.pem'), signatureChecker: checker });
    const chain = vector('server-rsa2048-chain.pem');
    expectOk((await verifier.verify(chain, { peerRole: 'server', serverName: 'localhost' })) as never);
    expect(checker.imports).toBe(2); // the intermediate's key and the root's key
    await verifier.verify(chain, { peerRole: 'server', serverName: 'localhost' });
    expect(checker.imports).toBe(2);
  });

  test('PEM round trip of a generated certificate', () => {
    const { leaf: end } = simplePki();
    expect(loadCertificates(encodePem('CERTIFICATE', end.der), 'x')[0]).toEqual(end.der);
  });
});

test('the verifier reports instead of throwing, even when a hook throws', async () => {
  const { root, intermediate, leaf: end } = simplePki();
  const result = await verifyChain(
    [end, intermediate],
    [root],
    {},
    {
      override: () => {
        throw new Error('hook bug');
      },
    },
  );
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error.code).toBe('INTERNAL_ERROR');
  const failing = await verifyChain(
    [end, intermediate],
    [root],
    {},
    {
      signatureChecker: {
        verify: () => Promise.reject(new Error('provider down')),
      },
    },
  );
  expect(failing.ok).toBe(false);
  if (!failing.ok) expect(failing.error.message).toContain('provider down');
});

describe('ECDSA-Sig-Value encodings: every signature checker reads them alike (strict DER)', () => {
  const ecdsaLeaf = new ParsedCertificate(vector('server-ecdsa-p256-chain.pem')[0]!);
  const issuer = new ParsedCertificate(vector('server-ecdsa-p256-chain.pem')[1]!);
  const decoded = certSignatureAlgorithm(ecdsaLeaf.signatureAlgorithmOid, ecdsaLeaf.signatureParamsDer);
  if (!decoded.ok) throw new Error('test certificate has an unknown signature algorithm');

  /** The same r and s with one needless 0x00 before r: BER would allow it, DER does not. */
  function nonMinimal(signature: Uint8Array): Uint8Array {
    const r = signature.subarray(4, 4 + signature[3]!);
    const sStart = 4 + r.length;
    const rest = signature.subarray(sStart);
    const paddedR = Uint8Array.of(0x02, r.length + 1, 0x00, ...r);
    return Uint8Array.of(0x30, paddedR.length + rest.length, ...paddedR, ...rest);
  }

  const checkers: [string, SignatureChecker][] = [
    ['WebCrypto', new WebCryptoSignatureChecker()],
    ['node provider', new ProviderSignatureChecker(nodeProvider())],
    ['noble provider', new ProviderSignatureChecker(nobleProvider())],
  ];
  for (const [name, checker] of checkers) {
    test(`${name}: the certificate's own signature passes, a non-minimal INTEGER in it fails`, async () => {
      expect(ecdsaLeaf.signatureValue[0]).toBe(0x30);
      expect(ecdsaLeaf.signatureValue[1]).toBeLessThan(0x80); // short-form lengths, as the rewrite assumes
      expect(await checker.verify(decoded.algorithm, issuer.spki, issuer.publicKey, ecdsaLeaf.tbs, ecdsaLeaf.signatureValue)).toBe(true);
      expect(await checker.verify(decoded.algorithm, issuer.spki, issuer.publicKey, ecdsaLeaf.tbs, nonMinimal(ecdsaLeaf.signatureValue))).toBe(false);
    });
  }
});

describe('Ed448 certificate signatures: checked by noble, loaded on first need, as strictly as OpenSSL', () => {
  const pki = simplePki({ intermediate: { key: testKey('ed448', 71) } });
  const [cert, issuer] = [new ParsedCertificate(pki.leaf.der), new ParsedCertificate(pki.intermediate.der)];
  const decoded = certSignatureAlgorithm(cert.signatureAlgorithmOid, cert.signatureParamsDer);

  /** S + L: the same signature with a non-canonical S, which RFC 8032 §5.2.7 says to reject. */
  function nonCanonical(signature: Uint8Array): Uint8Array {
    const L = 2n ** 446n - 13818066809895115352007386748515426880336692474882178609894547503885n;
    let s = 0n;
    for (let i = 113; i >= 57; i--) s = (s << 8n) | BigInt(signature[i]!);
    s += L;
    const out = signature.slice();
    for (let i = 57; i < 114; i++, s >>= 8n) out[i] = Number(s & 0xffn);
    return out;
  }

  for (const [name, checker] of [
    ['WebCrypto checker', new WebCryptoSignatureChecker()],
    ['node provider (native) for comparison', new ProviderSignatureChecker(nodeProvider(), { verify: () => Promise.resolve(false) })],
  ] as const) {
    test(name, async () => {
      expect(issuer.publicKey.kind).toBe('ed448');
      if (!decoded.ok) throw new Error(decoded.reason);
      expect(decoded.algorithm.kind).toBe('ed448');
      const verify = (signature: Uint8Array, data = cert.tbs) => checker.verify(decoded.algorithm, issuer.spki, issuer.publicKey, data, signature);
      expect(await verify(cert.signatureValue)).toBe(true);
      const flipped = cert.signatureValue.slice();
      flipped[10]! ^= 1;
      expect(await verify(flipped)).toBe(false);
      expect(await verify(nonCanonical(cert.signatureValue))).toBe(false);
      expect(await verify(cert.signatureValue.subarray(1))).toBe(false);
      const data = cert.tbs.slice();
      data[data.length - 1]! ^= 1;
      expect(await verify(cert.signatureValue, data)).toBe(false);
      // Keys that are not Ed448 SubjectPublicKeyInfos: another algorithm, parameters present, a short key.
      const other = new ParsedCertificate(pki.root.der);
      expect(await checker.verify(decoded.algorithm, other.spki, issuer.publicKey, cert.tbs, cert.signatureValue)).toBe(false);
      const spki = issuer.spki; // SEQUENCE { SEQUENCE { OID 1.3.101.113 }, BIT STRING (58 bytes) }, short-form lengths
      expect([spki[0], spki[2], spki[3], spki[4]]).toEqual([0x30, 0x30, 0x05, 0x06]);
      const withParams = Uint8Array.of(0x30, spki[1]! + 2, 0x30, 0x07, ...spki.subarray(4, 9), 0x05, 0x00, ...spki.subarray(9));
      expect(await checker.verify(decoded.algorithm, withParams, issuer.publicKey, cert.tbs, cert.signatureValue)).toBe(false);
      const shortKey = Uint8Array.of(0x30, spki[1]! - 1, ...spki.subarray(2, 9), spki[9]! - 1, ...spki.subarray(10, spki.length - 1));
      expect(await checker.verify(decoded.algorithm, shortKey, issuer.publicKey, cert.tbs, cert.signatureValue)).toBe(false);
    });
  }
});
