import { describe, expect, test } from 'vitest';
import { matchesDnsName } from '../../src/x509/identity.js';
import { formatIpAddress, parseIpAddress } from '../../src/x509/ip-address.js';
import { expectFailure, expectOk, verifyChain } from './helpers.js';
import { simplePki } from './pki.js';

/** RFC 9525 service identity, through the verifier (the name checked is context.serverName). */
const withSan = (san: string[] | null, subject = 'leaf') => simplePki({ leaf: { san, subject } });
async function identity(san: string[] | null, serverName: string, subject?: string) {
  const pki = withSan(san, subject);
  return verifyChain([pki.leaf, pki.intermediate], [pki.root], { serverName });
}

describe('DNS names', () => {
  test('exact, case-insensitive, trailing dot', async () => {
    expectOk(await identity(['DNS:www.Example.com'], 'WWW.example.COM'));
    expectOk(await identity(['DNS:www.example.com'], 'www.example.com.'));
    const error = expectFailure(await identity(['DNS:www.example.com', 'DNS:api.example.com'], 'example.com'), 'CERT_HOSTNAME_MISMATCH', 'identity');
    expect(error.alert).toBe('certificate_unknown');
    expect(error.message).toBe(
      'certificate 0 (leaf) "O=wiretls x509 tests, CN=leaf" is not valid for "example.com": "example.com" is not among the certificate\'s DNS names (www.example.com, api.example.com)',
    );
  });

  test('no fallback to the subject CN', async () => {
    expectFailure(await identity(null, 'localhost', 'localhost'), 'CERT_HOSTNAME_MISMATCH', 'identity', 'no DNS subjectAltName');
    expectFailure(await identity(['IP:127.0.0.1'], 'localhost', 'localhost'), 'CERT_HOSTNAME_MISMATCH', 'identity', 'the subject CN is not used');
    expectOk(await identity(['DNS:localhost'], 'localhost', 'something else'));
  });

  test('wildcards: whole left-most label only, exactly one label', async () => {
    expectOk(await identity(['DNS:*.example.com'], 'www.example.com'));
    expectFailure(await identity(['DNS:*.example.com'], 'example.com'), 'CERT_HOSTNAME_MISMATCH');
    expectFailure(await identity(['DNS:*.example.com'], 'a.b.example.com'), 'CERT_HOSTNAME_MISMATCH');
    expectFailure(await identity(['DNS:w*.example.com'], 'www.example.com'), 'CERT_HOSTNAME_MISMATCH');
    expectFailure(await identity(['DNS:www.*.com'], 'www.example.com'), 'CERT_HOSTNAME_MISMATCH');
  });

  test('no wildcard over a single-label (public-suffix-like) domain', async () => {
    expectFailure(await identity(['DNS:*.com'], 'example.com'), 'CERT_HOSTNAME_MISMATCH');
    expectFailure(await identity(['DNS:*'], 'localhost'), 'CERT_HOSTNAME_MISMATCH');
    expectOk(await identity(['DNS:*.wiretls.test'], 'a.wiretls.test'));
  });

  test('matchesDnsName unit cases', () => {
    const table: Array<[string, string, boolean]> = [
      ['example.com', 'example.com', true],
      ['EXAMPLE.com.', 'example.com', true],
      ['*.example.com', 'x.example.com', true],
      ['*.example.com', 'xexample.com', false],
      ['*.example.com', '.example.com', false],
      ['*.co', 'example.co', false],
      ['f*o.example.com', 'foo.example.com', false],
      ['', 'example.com', false],
    ];
    for (const [presented, reference, expected] of table) expect([presented, reference, matchesDnsName(presented, reference)]).toEqual([presented, reference, expected]);
  });

  test('internationalized names are compared as A-labels', async () => {
    expectOk(await identity(['DNS:xn--bcher-kva.example'], 'bücher.example'));
    expectFailure(await identity(['DNS:bücher.example'.replace('ü', 'u')], 'bücher.example'), 'CERT_HOSTNAME_MISMATCH');
  });

  test('a requested name that is not a DNS name never matches', async () => {
    expectFailure(await identity(['DNS:localhost'], 'local host'), 'CERT_HOSTNAME_MISMATCH', 'identity', 'not a valid DNS name');
  });
});

describe('IP addresses', () => {
  test('IPv4 only against iPAddress SANs', async () => {
    expectOk(await identity(['IP:192.0.2.7'], '192.0.2.7'));
    expectFailure(await identity(['IP:192.0.2.8'], '192.0.2.7'), 'CERT_HOSTNAME_MISMATCH', 'identity', 'IP address 192.0.2.7 is not among');
    // A dNSName that spells an address is not an IP identity.
    expectFailure(await identity(['DNS:192.0.2.7'], '192.0.2.7'), 'CERT_HOSTNAME_MISMATCH', 'identity', 'no IP address subjectAltName');
  });

  test('IPv6 in any textual form', async () => {
    for (const form of ['::1', '0:0:0:0:0:0:0:1', '[::1]', '::0:1', '::1%lo0']) expectOk(await identity(['IP:::1'], form));
    expectOk(await identity(['IP:2001:db8::10'], '2001:DB8:0:0:0:0:0:10'));
    expectOk(await identity(['IP:::ffff:192.0.2.1'], '::ffff:192.0.2.1'));
    expectFailure(await identity(['IP:::1'], '::2'), 'CERT_HOSTNAME_MISMATCH');
    // IPv4 and its IPv4-mapped IPv6 form are different identities.
    expectFailure(await identity(['IP:127.0.0.1'], '::ffff:127.0.0.1'), 'CERT_HOSTNAME_MISMATCH');
  });

  test('IP parsing and formatting', () => {
    expect(parseIpAddress('010.0.0.1')).toBeUndefined(); // octal-looking: not an IP literal
    expect(parseIpAddress('1.2.3.256')).toBeUndefined();
    expect(parseIpAddress('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIpAddress('1::2::3')).toBeUndefined();
    expect(parseIpAddress('::1.2.3.4:5')).toBeUndefined();
    expect(formatIpAddress(parseIpAddress('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIpAddress(parseIpAddress('::')!)).toBe('::');
    expect(formatIpAddress(parseIpAddress('1:0:2:3:4:5:6:7')!)).toBe('1:0:2:3:4:5:6:7');
  });
});

test('the committed fixtures match localhost, wiretls.test, 127.0.0.1 and ::1 but not other names', async () => {
  const { readFileSync } = await import('node:fs');
  const { loadCertificates } = await import('../../src/x509/index.js');
  const load = (f: string) => loadCertificates(readFileSync(new URL(`../../test-vectors/pki/${f}`, import.meta.url)), f);
  for (const serverName of ['localhost', 'wiretls.test', '127.0.0.1', '::1']) {
    expectOk(await verifyChain(load('server-ed25519-chain.pem'), load('root.pem'), { serverName, now: new Date('2026-01-01T00:00:00Z') }));
  }
  for (const serverName of ['example.com', '127.0.0.2', 'www.wiretls.test']) {
    expectFailure(await verifyChain(load('server-ed25519-chain.pem'), load('root.pem'), { serverName, now: new Date('2026-01-01T00:00:00Z') }), 'CERT_HOSTNAME_MISMATCH');
  }
});
