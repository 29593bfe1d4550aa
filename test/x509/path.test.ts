import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadCertificates } from '../../src/x509/pem.js';
import { expectFailure, expectOk, verifyChain } from './helpers.js';
import { NOW, allKeyTypes, ca, issue, leaf, simplePki, testKey, type KeyType, type SigAlg } from './pki.js';

const vector = (file: string) => loadCertificates(readFileSync(new URL(`../../test-vectors/pki/${file}`, import.meta.url)), file);

describe('chains in the shapes servers send', () => {
  const { root, intermediate, leaf: end } = simplePki();
  const stranger = ca('Unrelated CA', { key: testKey('p256', 20) });

  test('leaf + intermediate (the usual shape)', async () => {
    const result = await verifyChain([end, intermediate], [root]);
    expectOk(result);
    expect(result.path!.map((c) => c.subject)).toEqual(['O=wiretls x509 tests, CN=leaf', 'O=wiretls x509 tests, CN=Test Intermediate', 'O=wiretls x509 tests, CN=Test Root']);
  });

  test('with the root included', async () => {
    expectOk(await verifyChain([end, intermediate, root], [root]));
  });

  test('out of order, with unrelated extras and duplicates', async () => {
    expectOk(await verifyChain([end, root, stranger, intermediate, stranger, intermediate], [root]));
  });

  test('a root the peer sends is not trusted because it was sent', async () => {
    expectFailure(await verifyChain([end, intermediate, root], [stranger]), 'CERT_UNTRUSTED', 'path', 'self-signed "O=wiretls x509 tests, CN=Test Root"');
  });

  test('missing intermediate: incomplete chain, no fetching', async () => {
    const error = expectFailure(await verifyChain([end], [root]), 'CERT_UNTRUSTED', 'path', /incomplete chain: no issuer "O=wiretls x509 tests, CN=Test Intermediate"/);
    expect(error.alert).toBe('unknown_ca');
    expect(error.depth).toBe(0);
  });

  test('a self-signed leaf is untrusted unless pinned as an anchor', async () => {
    const self = issue({ subject: 'self', key: testKey('p256', 2), san: ['DNS:localhost'], eku: ['serverAuth'] });
    expectFailure(await verifyChain([self], [root]), 'CERT_UNTRUSTED', 'path', /self-signed and is not a trust anchor/);
    const pinned = await verifyChain([self], [self]);
    expectOk(pinned);
    expect(pinned.path).toHaveLength(1);
  });

  test('an intermediate configured as an anchor ends the path there', async () => {
    const result = await verifyChain([end, intermediate], [intermediate]);
    expectOk(result);
    expect(result.path).toHaveLength(2);
  });

  test('depth limit', async () => {
    const deep = [root];
    for (let i = 0; i < 4; i++) deep.push(ca(`Level ${i}`, { issuer: deep.at(-1)!, key: testKey('p256', 30 + i) }));
    const far = leaf(deep.at(-1)!);
    const sent = [far, ...deep.slice(1).reverse()];
    expectOk(await verifyChain(sent, [root], {}, { maxDepth: 6 }));
    expectFailure(await verifyChain(sent, [root], {}, { maxDepth: 5 }), 'CERT_UNTRUSTED', 'depth', 'depth limit of 5');
  });

  test('the committed fixture chains (every leaf key type)', async () => {
    for (const name of ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa2048', 'rsapss2048', 'ed25519', 'ed448']) {
      const result = await verifyChain(vector(`server-${name}-chain.pem`), vector('root.pem'), { serverName: 'wiretls.test', now: new Date() });
      expectOk(result);
      expect(result.path).toHaveLength(3);
    }
    expectOk(await verifyChain(vector('client-ecdsa-p256-chain.pem'), vector('root.pem'), { peerRole: 'client', now: new Date() }));
  });
});

describe('cross-signed intermediates: try the candidates, keep a valid one', () => {
  // A new root (R2) whose intermediate I is also cross-signed by an old root (R1).
  const r1 = ca('Old Root', { key: testKey('p256', 40), notAfter: new Date('2029-01-01T00:00:00Z') });
  const r2 = ca('New Root', { key: testKey('p384', 41) });
  const iBy1 = ca('Shared Intermediate', { issuer: r1, key: testKey('p256', 42) });
  const iBy2 = ca('Shared Intermediate', { issuer: r2, key: testKey('p256', 42) });
  const r2By1 = ca('New Root', { issuer: r1, key: testKey('p384', 41) }); // R2 cross-signed by R1
  const end = leaf(iBy2);

  test('the peer sends the cross-signed path; the newer root in the store completes a shorter one', async () => {
    const result = await verifyChain([end, iBy2, r2By1], [r1, r2]);
    expectOk(result);
    expect(result.path!.at(-1)!.subject).toContain('New Root');
  });

  test('only the old root is trusted and it has expired: that path is reported', async () => {
    expectFailure(await verifyChain([end, iBy2, r2By1], [r1]), 'CERT_EXPIRED', 'validity', /certificate 3 \(trust anchor\) "O=wiretls x509 tests, CN=Old Root": expired/);
  });

  test('only the old root is trusted and still valid: the cross-signed path works', async () => {
    const result = await verifyChain([end, iBy2, r2By1], [r1], { now: new Date('2028-01-01T00:00:00Z') });
    expectOk(result);
    expect(result.path).toHaveLength(4);
  });

  test('two versions of the same intermediate: the one that chains to a valid anchor wins', async () => {
    // Both copies of I are sent; the first one (under the expired R1) is tried first and fails.
    expectOk(await verifyChain([end, iBy1, iBy2], [r1, r2]));
    const leafUnderI1 = leaf(iBy1);
    // Same name and key, so a leaf issued under either copy chains through both.
    expectOk(await verifyChain([leafUnderI1, iBy1, iBy2], [r1, r2]));
  });
});

describe('signature algorithms', () => {
  const cases: Array<[KeyType, SigAlg | undefined]> = [
    ['p256', undefined],
    ['p384', undefined],
    ['p521', undefined],
    ['p256', 'sha384'],
    ['rsa2048', 'sha256'],
    ['rsa2048', 'sha384'],
    ['rsa2048', 'sha512'],
    ['rsa2048', 'pss-sha256'],
    ['rsa2048', 'pss-sha384'],
    ['rsa2048', 'pss-sha512'],
    ['rsapss2048', 'pss-sha256'],
    ['rsapss2048', 'pss-sha512'],
    ['ed25519', undefined],
    ['ed448', undefined],
  ];
  test.each(cases)('a %s CA signing with %s', async (type, sigAlg) => {
    const root = ca(`Root ${type}`, { key: testKey(type, 50) });
    const intermediate = ca(`Intermediate ${type}`, { issuer: root, key: testKey(type, 51), ...(sigAlg ? { sigAlg } : {}) });
    const end = leaf(intermediate, sigAlg ? { sigAlg } : {});
    expectOk(await verifyChain([end, intermediate], [root]));
  });

  test.each(allKeyTypes)('a %s leaf under an RSA-PSS intermediate', async (type) => {
    const { root, intermediate } = simplePki({ intermediate: { key: testKey('rsapss2048', 52) } });
    expectOk(await verifyChain([leaf(intermediate, { key: testKey(type, 53) }), intermediate], [root]));
  });

  test('every failure mode of a signature', async () => {
    const { root, intermediate } = simplePki();
    // Signed by a different key under the right name.
    const forged = leaf(intermediate, { signWith: testKey('p256', 60) });
    expectFailure(await verifyChain([forged, intermediate], [root]), 'CERT_BAD_SIGNATURE', 'signature', /ECDSA SHA-256 signature does not verify with the key of issuer/);
    // A key that cannot make this kind of signature (PKCS#1 v1.5 from an id-RSASSA-PSS key).
    const pssCa = ca('PSS CA', { issuer: root, key: testKey('rsapss2048', 61) });
    const pkcs1FromPss = leaf(pssCa, { signWith: testKey('rsapss2048', 61), sigAlg: 'sha256' });
    expect(pkcs1FromPss.der.length).toBeGreaterThan(0);
    expectFailure(await verifyChain([pkcs1FromPss, pssCa], [root]), 'CERT_BAD_SIGNATURE', 'signature', /RSA-PSS 2048 key cannot make a RSA PKCS#1 v1.5 SHA-256 signature/);
    // An ECDSA key claimed to have made an Ed25519 signature.
    const mixed = leaf(intermediate, { signWith: testKey('ed25519', 62) });
    expectFailure(await verifyChain([mixed, intermediate], [root]), 'CERT_BAD_SIGNATURE', 'signature', /cannot make a Ed25519 signature/);
  });

  test('the same certificate verifies again from cache, at a different time', async () => {
    const { root, intermediate, leaf: end } = simplePki();
    expectOk(await verifyChain([end, intermediate], [root], { now: NOW }));
    expectOk(await verifyChain([end, intermediate], [root], { now: new Date('2026-01-01T00:00:00Z') }));
  });
});
