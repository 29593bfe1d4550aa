import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { describe, expect, test } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { DerTag as Tag, encodeElement as encodeNode, encodeOid } from '../../src/crypto/der.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { loadCertificates } from '../../src/x509/pem.js';
import { bytesKey } from '../../src/x509/certificate.js';
import { OID } from '../../src/x509/oids.js';
import { issue, simplePki } from './pki.js';

const nodeKeyDescription = (x: X509Certificate): string => {
  const key = x.publicKey;
  const d = key.asymmetricKeyDetails!;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return `RSA ${d.modulusLength}`;
    case 'rsa-pss':
      return `RSA-PSS ${d.modulusLength}`;
    case 'ec':
      return `ECDSA ${{ prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[d.namedCurve!] ?? d.namedCurve}`;
    default:
      return ({ ed25519: 'Ed25519', ed448: 'Ed448' } as Record<string, string>)[key.asymmetricKeyType!] ?? String(key.asymmetricKeyType);
  }
};

function agreesWithNode(der: Uint8Array) {
  const ours = parseCertificate(der);
  const node = new X509Certificate(der);
  expect(ours.serialNumber).toBe(node.serialNumber);
  expect(ours.notBefore.getTime()).toBe(Date.parse(node.validFrom));
  expect(ours.notAfter.getTime()).toBe(Date.parse(node.validTo));
  expect(ours.summary.fingerprint256).toBe(node.fingerprint256);
  expect(ours.isCA).toBe(node.ca);
  expect(ours.summary.publicKey).toBe(nodeKeyDescription(node));
  const nodeSans = (node.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((s) => s.replace('IP Address:', 'IP:').replace(/^IP:0:0:0:0:0:0:0:1$/, 'IP:::1'));
  // (DirName entries are printed differently: node reverses the RDNs.)
  const notDir = (list: readonly string[]) => list.filter((s) => !s.startsWith('DirName:'));
  expect(notDir(ours.summary.subjectAltNames)).toEqual(notDir(nodeSans));
  // Same RDNs as node's "K=V\n" form (node prints them in encoding order too).
  expect(ours.subject.split(/(?<!\\), /).length).toBe(node.subject.split('\n').length);
}

describe('parsing agrees with node:crypto', () => {
  test('the committed fixtures', () => {
    for (const file of [
      'root',
      'intermediate',
      'server-ecdsa-p256',
      'server-ecdsa-p384',
      'server-ecdsa-p521',
      'server-rsa2048',
      'server-rsapss2048',
      'server-ed25519',
      'server-ed448',
      'client-ecdsa-p256',
    ]) {
      agreesWithNode(loadCertificates(readFileSync(new URL(`../../test-vectors/pki/${file}.pem`, import.meta.url)), file)[0]!);
    }
  });

  test(`every root in Node's bundle (${rootCertificates.length})`, () => {
    for (const pem of rootCertificates) agreesWithNode(loadCertificates(pem, 'root')[0]!);
  });

  test('names and fields of a generated certificate', () => {
    const { leaf } = simplePki({
      leaf: {
        subject: [
          ['C', 'NL'],
          ['O', 'Acme, Inc.'],
          ['CN', 'x'],
        ],
        san: ['DNS:a.test', 'IP:10.0.0.1', 'IP:2001:db8::1', 'email:a@b.test', 'URI:https://a.test/'],
      },
    });
    const cert = parseCertificate(leaf.der);
    expect(cert.subject).toBe('C=NL, O=Acme\\, Inc., CN=x');
    expect(cert.summary.subjectAltNames).toEqual(['DNS:a.test', 'IP:10.0.0.1', 'IP:2001:db8::1', 'email:a@b.test', 'URI:https://a.test/']);
    expect(cert.hasKeyUsage('digitalSignature')).toBe(true);
    expect(cert.hasKeyUsage('keyCertSign')).toBe(false);
    expect(cert.extKeyUsage).toEqual([OID.serverAuth]);
    expect(cert.version).toBe(3);
  });
});

describe('malformed certificates are CERT_INVALID / bad_certificate', () => {
  const rejects = (der: Uint8Array, message: RegExp) => {
    let error: unknown;
    try {
      parseCertificate(der);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TLSError);
    expect((error as TLSError).code).toBe('CERT_INVALID');
    expect((error as TLSError).alert).toBe('bad_certificate');
    expect((error as TLSError).message).toMatch(message);
  };
  const raw = (oid: string, value: Uint8Array, critical = false) => ({ oid, critical, value });
  const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

  test('structure', () => {
    const { leaf } = simplePki();
    rejects(leaf.der.subarray(0, leaf.der.length - 1), /malformed DER|overruns/);
    rejects(Uint8Array.from([...leaf.der, 0]), /trailing bytes/);
    rejects(encodeNode(Tag.SEQUENCE, encodeNode(Tag.INTEGER, Uint8Array.of(1))), /3 fields/);
  });

  test('extensions', () => {
    const dup = issue({ subject: 'dup', extensions: [raw(OID.subjectKeyIdentifier, encodeNode(Tag.OCTET_STRING, Uint8Array.of(1)))] });
    rejects(dup.der, /duplicate extension 2.5.29.14/);
    const nonAscii = issue({ subject: 'x', san: null, extensions: [raw(OID.subjectAltName, encodeNode(Tag.SEQUENCE, encodeNode(0x82, Uint8Array.of(0x61, 0xfc))))] });
    rejects(nonAscii.der, /non-ASCII/);
    const emptySan = issue({ subject: 'x', san: null, extensions: [raw(OID.subjectAltName, encodeNode(Tag.SEQUENCE))] });
    rejects(emptySan.der, /empty subjectAltName/);
    const badIp = issue({ subject: 'x', san: null, extensions: [raw(OID.subjectAltName, encodeNode(Tag.SEQUENCE, encodeNode(0x87, Uint8Array.of(1, 2, 3))))] });
    rejects(badIp.der, /iPAddress of 3 bytes/);
    const badBc = issue({ subject: 'x', ca: null, extensions: [raw(OID.basicConstraints, encodeNode(Tag.SEQUENCE, encodeNode(Tag.INTEGER, Uint8Array.of(0xff))), true)] });
    rejects(badBc.der, /pathLenConstraint/);
    const badEku = issue({ subject: 'x', eku: null, extensions: [raw(OID.extKeyUsage, encodeNode(Tag.SEQUENCE, encodeNode(Tag.INTEGER, Uint8Array.of(1))))] });
    rejects(badEku.der, /extKeyUsage/);
    const ncBounds = issue({
      subject: 'x',
      extensions: [
        raw(OID.nameConstraints, encodeNode(Tag.SEQUENCE, encodeNode(0xa0, encodeNode(Tag.SEQUENCE, encodeNode(0x82, ascii('a.test')), encodeNode(0x81, Uint8Array.of(3))))), true),
      ],
    });
    rejects(ncBounds.der, /minimum\/maximum/);
    // A well-formed unknown extension is fine (it is only recorded).
    expect(parseCertificate(issue({ subject: 'x', extensions: [raw('1.2.3.4', encodeOid('1.2.3'))] }).der).extensions.get('1.2.3.4')).toEqual({ critical: false });
  });

  test('times', () => {
    const { leaf } = simplePki({ leaf: { notBefore: new Date('2026-01-31T00:00:00Z') } });
    const text = Buffer.from(leaf.der).toString('latin1');
    const at = text.indexOf('260131000000Z');
    expect(at).toBeGreaterThan(0);
    const bad = leaf.der.slice();
    bad.set(ascii('260231'), at); // 31 February
    rejects(bad, /bad time "260231000000Z"/);
    const noSeconds = leaf.der.slice();
    noSeconds.set(ascii('2601310000Z0'), at);
    rejects(noSeconds, /bad time/);
  });
});

describe('bytesKey', () => {
  const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);

  test('gives one distinct char per byte, so different bytes never share a key', () => {
    const key = bytesKey(everyByte);
    expect(key.length).toBe(256);
    expect(new Set(key).size).toBe(256);
    expect(bytesKey(everyByte.subarray(10, 20))).toBe(key.slice(10, 20));
    expect(bytesKey(Uint8Array.of(0x80))).not.toBe(bytesKey(Uint8Array.of(0x81)));
  });

  test("relies, off Node, on TextDecoder('latin1') being one-to-one too", () => {
    expect(new Set(new TextDecoder('latin1').decode(everyByte)).size).toBe(256);
  });
});
