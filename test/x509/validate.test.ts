import { describe, expect, test } from 'vitest';
import { DerTag as Tag, encodeElement as encodeNode, encodeOid } from '../../src/crypto/der.js';
import { isUnderstoodExtension } from '../../src/x509/extensions.js';
import { OID } from '../../src/x509/oids.js';
import { expectFailure, expectOk, verifyChain } from './helpers.js';
import { NOW, ca, leaf, simplePki, tamper, testKey } from './pki.js';

/** RFC 5280 §6 rules, each with a passing and a failing case. Validation time is NOW (2030-06-01). */

describe('validity at a settable time', () => {
  const { root, intermediate, leaf: end } = simplePki({ leaf: { notBefore: new Date('2030-01-01T00:00:00Z'), notAfter: new Date('2031-01-01T00:00:00Z') } });

  test('inside the window', async () => {
    expectOk(await verifyChain([end, intermediate], [root]));
    expectOk(await verifyChain([end, intermediate], [root], { now: new Date('2030-01-01T00:00:00Z') })); // notBefore itself
  });

  test('after notAfter: CERT_EXPIRED / certificate_expired, naming the certificate', async () => {
    const error = expectFailure(await verifyChain([end, intermediate], [root], { now: new Date('2031-02-01T00:00:00Z') }), 'CERT_EXPIRED', 'validity');
    expect(error.alert).toBe('certificate_expired');
    expect(error.message).toBe('certificate 0 (leaf) "O=wiretls x509 tests, CN=leaf": expired on 2031-01-01T00:00:00.000Z (validation time 2031-02-01T00:00:00.000Z)');
    expect(error.depth).toBe(0);
  });

  test('before notBefore: CERT_NOT_YET_VALID / certificate_expired', async () => {
    const error = expectFailure(
      await verifyChain([end, intermediate], [root], { now: new Date('2029-12-31T00:00:00Z') }),
      'CERT_NOT_YET_VALID',
      'validity',
      'not valid before 2030-01-01',
    );
    expect(error.alert).toBe('certificate_expired');
  });

  test('an expired intermediate fails the chain', async () => {
    const pki = simplePki({ intermediate: { notAfter: new Date('2029-01-01T00:00:00Z') } });
    expectFailure(await verifyChain([pki.leaf, pki.intermediate], [pki.root]), 'CERT_EXPIRED', 'validity', 'certificate 1 (intermediate)');
  });

  test('the verifier option `now` applies when the context gives none', async () => {
    expectFailure(await verifyChain([end, intermediate], [root], { now: undefined }, { now: () => new Date('2032-01-01T00:00:00Z') }), 'CERT_EXPIRED');
  });

  test('dates past 2049 (GeneralizedTime)', async () => {
    const pki = simplePki({
      leaf: { notAfter: new Date('2125-01-01T00:00:00Z') },
      intermediate: { notAfter: new Date('2125-01-01T00:00:00Z') },
      root: { notAfter: new Date('2125-01-01T00:00:00Z') },
    });
    expectOk(await verifyChain([pki.leaf, pki.intermediate], [pki.root], { now: new Date('2100-01-01T00:00:00Z') }));
    expectFailure(await verifyChain([pki.leaf, pki.intermediate], [pki.root], { now: new Date('2125-01-02T00:00:00Z') }), 'CERT_EXPIRED');
  });
});

describe('basicConstraints', () => {
  test('an intermediate without cA=TRUE cannot issue', async () => {
    const root = ca('Root', { key: testKey('p256', 10) });
    const notCa = ca('Not a CA', { issuer: root, key: testKey('p256', 11), ca: false, keyUsage: ['keyCertSign', 'digitalSignature'] });
    const error = expectFailure(await verifyChain([leaf(notCa), notCa], [root]), 'CERT_INVALID', 'basicConstraints', 'is not a CA (basicConstraints cA is false)');
    expect(error.alert).toBe('bad_certificate');
    const noExtension = ca('No BC', { issuer: root, key: testKey('p256', 11), ca: null, keyUsage: ['keyCertSign'] });
    expectFailure(await verifyChain([leaf(noExtension), noExtension], [root]), 'CERT_INVALID', 'basicConstraints', 'cA is absent');
  });

  test('a leaf that tries to act as a CA', async () => {
    const { root, intermediate, leaf: end } = simplePki();
    const underLeaf = leaf(end, { subject: 'under leaf', key: testKey('p256', 3) });
    expectFailure(await verifyChain([underLeaf, end, intermediate], [root]), 'CERT_INVALID', 'basicConstraints');
  });

  test('pathLenConstraint', async () => {
    const root = ca('Root', { key: testKey('p256', 10) });
    const i1 = ca('I1', { issuer: root, key: testKey('p256', 11), ca: { pathLen: 0 } });
    expectOk(await verifyChain([leaf(i1), i1], [root])); // no intermediate below I1
    const i2 = ca('I2', { issuer: i1, key: testKey('p256', 12) });
    const error = expectFailure(await verifyChain([leaf(i2), i2, i1], [root]), 'CERT_INVALID', 'pathLength');
    expect(error.message).toContain('"O=wiretls x509 tests, CN=I1": pathLenConstraint 0 allows 0 intermediate CA(s) below it, the chain has 1');
  });

  test('pathLenConstraint of the trust anchor is honoured too', async () => {
    const root = ca('Root', { key: testKey('p256', 10), ca: { pathLen: 0 } });
    const i1 = ca('I1', { issuer: root, key: testKey('p256', 11) });
    expectFailure(await verifyChain([leaf(i1), i1], [root]), 'CERT_INVALID', 'pathLength', 'trust anchor');
    expectOk(await verifyChain([leaf(root)], [root]));
  });
});

describe('certificate versions and algorithms', () => {
  test('a v1 root is a valid anchor, a v1 intermediate cannot issue', async () => {
    const v1Root = ca('V1 Root', { key: testKey('p256', 10), version: 1 });
    const intermediate = ca('I', { issuer: v1Root, key: testKey('p256', 11) });
    expectOk(await verifyChain([leaf(intermediate), intermediate], [v1Root]));
    const root = ca('Root', { key: testKey('p256', 10) });
    const v1Intermediate = ca('V1 I', { issuer: root, key: testKey('p256', 11), version: 1 });
    expectFailure(await verifyChain([leaf(v1Intermediate), v1Intermediate], [root]), 'CERT_INVALID', 'basicConstraints');
  });

  test('a public key we do not support', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const key = { type: 'p256' as const, privateKey: k1.privateKey, spki: new Uint8Array(k1.publicKey.export({ type: 'spki', format: 'der' })) };
    const pki = simplePki({ leaf: { key } });
    const error = expectFailure(await verifyChain([pki.leaf, pki.intermediate], [pki.root]), 'CERT_INVALID', 'algorithm', 'unsupported public key (ECDSA curve 1.3.132.0.10)');
    expect(error.alert).toBe('unsupported_certificate');
  });
});

describe('keyUsage', () => {
  test('a CA needs keyCertSign', async () => {
    const ok = simplePki({ intermediate: { keyUsage: ['keyCertSign'] } });
    expectOk(await verifyChain([ok.leaf, ok.intermediate], [ok.root]));
    const bad = simplePki({ intermediate: { keyUsage: ['digitalSignature', 'cRLSign'] } });
    expectFailure(await verifyChain([bad.leaf, bad.intermediate], [bad.root]), 'CERT_INVALID', 'keyUsage', 'does not include keyCertSign');
  });

  test('the leaf needs digitalSignature (when keyUsage is present)', async () => {
    const absent = simplePki({ leaf: { keyUsage: null } });
    expectOk(await verifyChain([absent.leaf, absent.intermediate], [absent.root]));
    const bad = simplePki({ leaf: { keyUsage: ['keyEncipherment'], key: testKey('rsa2048', 1) } });
    const error = expectFailure(await verifyChain([bad.leaf, bad.intermediate], [bad.root]), 'CERT_INVALID', 'keyUsage', 'digitalSignature');
    expect(error.alert).toBe('unsupported_certificate');
  });
});

describe('extendedKeyUsage', () => {
  test('serverAuth for servers, clientAuth for clients', async () => {
    const server = simplePki({ leaf: { eku: ['serverAuth'] } });
    expectOk(await verifyChain([server.leaf, server.intermediate], [server.root]));
    const error = expectFailure(
      await verifyChain([server.leaf, server.intermediate], [server.root], { peerRole: 'client' }),
      'CERT_INVALID',
      'extendedKeyUsage',
      'does not include clientAuth',
    );
    expect(error.alert).toBe('unsupported_certificate');

    const client = simplePki({ leaf: { eku: ['clientAuth'], san: null } });
    expectOk(await verifyChain([client.leaf, client.intermediate], [client.root], { peerRole: 'client' }));
    expectFailure(await verifyChain([client.leaf, client.intermediate], [client.root]), 'CERT_INVALID', 'extendedKeyUsage', 'does not include serverAuth');
  });

  test('absent EKU and anyExtendedKeyUsage allow both', async () => {
    for (const eku of [null, ['any']]) {
      const pki = simplePki({ leaf: { eku } });
      expectOk(await verifyChain([pki.leaf, pki.intermediate], [pki.root]));
      expectOk(await verifyChain([pki.leaf, pki.intermediate], [pki.root], { peerRole: 'client' }));
    }
  });

  test('an EKU on an intermediate constrains the leaves under it', async () => {
    const ok = simplePki({ intermediate: { eku: ['serverAuth', 'clientAuth'] } });
    expectOk(await verifyChain([ok.leaf, ok.intermediate], [ok.root]));
    const clientOnly = simplePki({ intermediate: { eku: ['clientAuth'] } });
    expectFailure(await verifyChain([clientOnly.leaf, clientOnly.intermediate], [clientOnly.root]), 'CERT_INVALID', 'extendedKeyUsage', 'certificate 1 (intermediate)');
  });
});

describe('name constraints', () => {
  const constrained = (nameConstraints: { permitted?: string[]; excluded?: string[] }, san: string[]) => {
    const root = ca('Root', { key: testKey('p256', 10) });
    const intermediate = ca('Constrained', { issuer: root, key: testKey('p256', 11), nameConstraints });
    return { root, intermediate, leaf: leaf(intermediate, { san }) };
  };
  const run = async (nc: { permitted?: string[]; excluded?: string[] }, san: string[]) => {
    const pki = constrained(nc, san);
    return verifyChain([pki.leaf, pki.intermediate], [pki.root], { serverName: undefined });
  };

  test('DNS permitted subtree', async () => {
    expectOk(await run({ permitted: ['DNS:example.com'] }, ['DNS:example.com', 'DNS:www.example.com', 'DNS:*.api.example.com']));
    expectFailure(
      await run({ permitted: ['DNS:example.com'] }, ['DNS:www.example.com', 'DNS:www.example.org']),
      'CERT_INVALID',
      'nameConstraints',
      'DNS name "www.example.org" is outside the permitted subtrees',
    );
    // Label boundaries: "badexample.com" is not under "example.com".
    expectFailure(await run({ permitted: ['DNS:example.com'] }, ['DNS:badexample.com']), 'CERT_INVALID', 'nameConstraints');
    // The leading-dot form covers subdomains only.
    expectOk(await run({ permitted: ['DNS:.example.com'] }, ['DNS:a.example.com']));
    expectFailure(await run({ permitted: ['DNS:.example.com'] }, ['DNS:example.com']), 'CERT_INVALID', 'nameConstraints');
  });

  test('DNS excluded subtree, including through a wildcard', async () => {
    expectOk(await run({ excluded: ['DNS:internal.example.com'] }, ['DNS:www.example.com']));
    expectFailure(
      await run({ excluded: ['DNS:internal.example.com'] }, ['DNS:db.INTERNAL.example.com']),
      'CERT_INVALID',
      'nameConstraints',
      'excluded subtree "internal.example.com"',
    );
    expectFailure(await run({ excluded: ['DNS:secret.example.com'] }, ['DNS:*.example.com']), 'CERT_INVALID', 'nameConstraints');
  });

  test('IP permitted and excluded ranges, per address family', async () => {
    expectOk(await run({ permitted: ['IP:10.0.0.0/8', 'IP:fd00::/8'] }, ['DNS:x.test', 'IP:10.1.2.3', 'IP:fd12::1']));
    expectFailure(
      await run({ permitted: ['IP:10.0.0.0/8'] }, ['IP:192.168.1.1']),
      'CERT_INVALID',
      'nameConstraints',
      'IP name "192.168.1.1" is outside the permitted subtrees (10.0.0.0/8)',
    );
    expectFailure(await run({ permitted: ['IP:fd00::/8'] }, ['IP:2001:db8::1']), 'CERT_INVALID', 'nameConstraints');
    expectFailure(await run({ excluded: ['IP:127.0.0.0/8'] }, ['IP:127.0.0.1']), 'CERT_INVALID', 'nameConstraints', 'excluded subtree "127.0.0.0/8"');
    // An IPv6 address is in no IPv4 subtree: with only IPv4 ranges permitted it is refused...
    expectFailure(await run({ permitted: ['IP:10.0.0.0/8'] }, ['IP:::1']), 'CERT_INVALID', 'nameConstraints', 'IP name "::1"');
    // ...and an IPv4 exclusion does not exclude it.
    expectOk(await run({ excluded: ['IP:127.0.0.0/8'] }, ['IP:::1']));
  });

  test('directoryName constraints apply to the subject', async () => {
    expectOk(await run({ permitted: ['DIR:O=wiretls x509 tests'] }, ['DNS:a.test']));
    expectFailure(await run({ permitted: ['DIR:O=someone else'] }, ['DNS:a.test']), 'CERT_INVALID', 'nameConstraints', 'subject "O=wiretls x509 tests, CN=leaf" is outside');
  });

  test('constraints we cannot evaluate are not treated as satisfied', async () => {
    expectOk(await run({ permitted: ['email:example.com'] }, ['DNS:a.test']));
    expectFailure(await run({ permitted: ['email:example.com'] }, ['email:me@example.com']), 'CERT_INVALID', 'nameConstraints', 'not supported');
  });

  test('constraints on the root bind the whole chain', async () => {
    const root = ca('Root', { key: testKey('p256', 10), nameConstraints: { permitted: ['DNS:wiretls.test'] } });
    const intermediate = ca('I', { issuer: root, key: testKey('p256', 11) });
    expectOk(await verifyChain([leaf(intermediate, { san: ['DNS:wiretls.test'] }), intermediate], [root], { serverName: 'wiretls.test' }));
    expectFailure(await verifyChain([leaf(intermediate), intermediate], [root]), 'CERT_INVALID', 'nameConstraints', 'DNS name "localhost"');
  });
});

describe('critical extensions', () => {
  const unknown = (critical: boolean) => ({ oid: '1.3.6.1.4.1.55555.1', critical, value: encodeNode(Tag.NULL) });

  test('an unknown non-critical extension is ignored', async () => {
    const pki = simplePki({ leaf: { extensions: [unknown(false)] }, intermediate: { extensions: [unknown(false)] } });
    expectOk(await verifyChain([pki.leaf, pki.intermediate], [pki.root]));
  });

  test('an unknown critical extension is rejected, on any certificate', async () => {
    const onLeaf = simplePki({ leaf: { extensions: [unknown(true)] } });
    const error = expectFailure(
      await verifyChain([onLeaf.leaf, onLeaf.intermediate], [onLeaf.root]),
      'CERT_INVALID',
      'criticalExtension',
      'unrecognised critical extension 1.3.6.1.4.1.55555.1',
    );
    expect(error.alert).toBe('unsupported_certificate');
    const onIntermediate = simplePki({ intermediate: { extensions: [unknown(true)] } });
    expectFailure(await verifyChain([onIntermediate.leaf, onIntermediate.intermediate], [onIntermediate.root]), 'CERT_INVALID', 'criticalExtension', 'certificate 1');
  });

  test('a critical certificatePolicies is accepted without policy processing; critical policyConstraints and inhibitAnyPolicy are not understood', async () => {
    // certificatePolicies { PolicyInformation { anyPolicy } }: the RFC 5280 §6.1.1 inputs of a TLS
    // client (any-policy, no explicit policy) let no policy invalidate a path.
    const policies = { oid: OID.certificatePolicies, critical: true, value: encodeNode(Tag.SEQUENCE, encodeNode(Tag.SEQUENCE, encodeOid('2.5.29.32.0'))) };
    const accepted = simplePki({ leaf: { extensions: [policies] }, intermediate: { extensions: [policies] } });
    expectOk(await verifyChain([accepted.leaf, accepted.intermediate], [accepted.root]));
    const policyConstraints = { oid: '2.5.29.36', critical: true, value: encodeNode(Tag.SEQUENCE, encodeNode(0x80, Uint8Array.of(0))) };
    const inhibitAnyPolicy = { oid: '2.5.29.54', critical: true, value: encodeNode(Tag.INTEGER, Uint8Array.of(0)) };
    for (const extension of [policyConstraints, inhibitAnyPolicy]) {
      const pki = simplePki({ intermediate: { extensions: [extension] } });
      const message = `certificate 1 (intermediate) "O=wiretls x509 tests, CN=Test Intermediate": unrecognised critical extension ${extension.oid}`;
      expectFailure(await verifyChain([pki.leaf, pki.intermediate], [pki.root]), 'CERT_INVALID', 'criticalExtension', message);
    }
  });

  test('understood means read by extensions.ts: exactly these eight', () => {
    const understood = Object.entries(OID)
      .filter(([, oid]) => isUnderstoodExtension(oid))
      .map(([name]) => name);
    expect(understood.sort()).toEqual(
      ['authorityKeyIdentifier', 'basicConstraints', 'certificatePolicies', 'extKeyUsage', 'keyUsage', 'nameConstraints', 'subjectAltName', 'subjectKeyIdentifier'].sort(),
    );
    expect(isUnderstoodExtension('1.3.6.1.4.1.55555.1')).toBe(false);
  });
});

describe('weak cryptography', () => {
  test('SHA-1 signatures are rejected (RSA and ECDSA)', async () => {
    const rsa = simplePki({ intermediate: { key: testKey('rsa2048', 12) }, leaf: { sigAlg: 'sha1' } });
    const error = expectFailure(await verifyChain([rsa.leaf, rsa.intermediate], [rsa.root]), 'CERT_WEAK', 'weakSignature', 'signed with sha1WithRSAEncryption');
    expect(error.alert).toBe('unsupported_certificate');
    const ec = simplePki({ leaf: { sigAlg: 'sha1' } });
    expectFailure(await verifyChain([ec.leaf, ec.intermediate], [ec.root]), 'CERT_WEAK', 'weakSignature', 'ecdsa-with-SHA1');
    const md5 = simplePki({ intermediate: { key: testKey('rsa2048', 12) }, leaf: { sigAlg: 'md5' } });
    expectFailure(await verifyChain([md5.leaf, md5.intermediate], [md5.root]), 'CERT_WEAK', 'weakSignature');
    // The same chain signed with SHA-256 passes.
    const good = simplePki({ intermediate: { key: testKey('rsa2048', 12) }, leaf: { sigAlg: 'sha256' } });
    expectOk(await verifyChain([good.leaf, good.intermediate], [good.root]));
  });

  test('a SHA-1 self-signature on a trust anchor does not matter (it is not checked)', async () => {
    const root = ca('SHA-1 Root', { key: testKey('rsa2048', 13), sigAlg: 'sha1' });
    const intermediate = ca('I', { issuer: root, key: testKey('p256', 11) });
    expectOk(await verifyChain([leaf(intermediate), intermediate], [root]));
  });

  test('RSA keys under 2048 bits are rejected, wherever they are', async () => {
    const weakLeaf = simplePki({ leaf: { key: testKey('rsa1024') } });
    const error = expectFailure(await verifyChain([weakLeaf.leaf, weakLeaf.intermediate], [weakLeaf.root]), 'CERT_WEAK', 'weakKey', 'RSA 1024-bit key is too weak');
    expect(error.depth).toBe(0);
    const weakCa = simplePki({ intermediate: { key: testKey('rsa1024', 1) } });
    expectFailure(await verifyChain([weakCa.leaf, weakCa.intermediate], [weakCa.root]), 'CERT_WEAK', 'weakKey', 'certificate 1');
    // The policy is settable.
    expectOk(await verifyChain([weakLeaf.leaf, weakLeaf.intermediate], [weakLeaf.root], {}, { minRsaBits: 1024 }));
  });
});

describe('signatures', () => {
  test('a tampered certificate fails with CERT_BAD_SIGNATURE / bad_certificate', async () => {
    const { root, intermediate, leaf: end } = simplePki();
    expectOk(await verifyChain([end, intermediate], [root]));
    const error = expectFailure(await verifyChain([tamper(end.der), intermediate], [root]), 'CERT_BAD_SIGNATURE', 'signature', 'certificate 0 (leaf)');
    expect(error.alert).toBe('bad_certificate');
    expectFailure(await verifyChain([end, tamper(intermediate.der)], [root]), 'CERT_BAD_SIGNATURE', 'signature', 'certificate 1 (intermediate)');
  });

  test('an anchor with the right name but another key', async () => {
    const { intermediate, leaf: end } = simplePki();
    const impostor = ca('Test Root', { key: testKey('p256', 14) });
    expectFailure(await verifyChain([end, intermediate], [impostor]), 'CERT_BAD_SIGNATURE', 'signature', 'certificate 1 (intermediate)');
  });
});

test('validation time defaults are not the wall clock in these tests', () => {
  expect(NOW.toISOString()).toBe('2030-06-01T00:00:00.000Z');
});
