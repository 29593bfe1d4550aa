import { describe, expect, it } from 'vitest';
import type { Candidate, ChainReport, ChainStep } from '../../src/x509/chain-report.js';
import { chainView, shortName } from '../../src/explain/chain.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier, type X509VerificationResult } from '../../src/x509/x509-verifier.js';
import type { VerificationContext } from '../../src/x509/verifier.js';
import type { CertificateError } from '../../src/x509/certificate-error.js';
import { NOW, ca, leaf as issueLeaf, simplePki, testKey, type TestCert } from './pki.js';

/**
 * The verifier's report of how it built the chain (VerificationContext.observe): for each
 * certificate, the issuers it considered, in order, from where, and why each was taken or
 * refused; the paths it validated; the identity check. And the verdict is the same with or
 * without an observer.
 */

const der = (c: TestCert | Uint8Array) => (c instanceof Uint8Array ? c : c.der);

async function verifyObserved(
  chain: (TestCert | Uint8Array)[],
  anchors: TestCert[],
  context: Partial<VerificationContext> = {},
): Promise<{ result: X509VerificationResult; report: ChainReport }> {
  const verifier = () => new X509Verifier({ trustStore: TrustStore.fromCertificates(anchors.map(der)), now: NOW });
  const base: VerificationContext = { peerRole: 'server', serverName: 'localhost', ...context };
  const reports: ChainReport[] = [];
  const result = await verifier().verify(chain.map(der), { ...base, observe: (r) => reports.push(r) });
  // Told exactly once, and the verdict is the one an unobserved verification gives.
  expect(reports).toHaveLength(1);
  const plain = await verifier().verify(chain.map(der), base);
  expect({ ok: result.ok, error: result.ok ? undefined : [result.error.code, result.error.message] }).toEqual({
    ok: plain.ok,
    error: plain.ok ? undefined : [plain.error.code, plain.error.message],
  });
  return { result, report: reports[0]! };
}

type Issuer = Extract<ChainStep, { kind: 'issuer' }>;
const issuers = (r: ChainReport) => r.steps.filter((s): s is Issuer => s.kind === 'issuer');
const paths = (r: ChainReport) => r.steps.filter((s): s is Extract<ChainStep, { kind: 'path' }> => s.kind === 'path');
const cn = (c: Candidate) => /CN=(.*)$/.exec(c.certificate.summary.subject)![1];
/** Each candidate as [common name, source, verdict reason]. */
const candidates = (s: Issuer) => s.candidates.map((c) => [cn(c), c.source, c.verdict.reason]);

describe('ChainReport: how the chain was built', () => {
  it('a good chain: the intermediate from the peer, the root from the trust store, the name matched', async () => {
    const pki = simplePki();
    const { result, report } = await verifyObserved([pki.leaf, pki.intermediate], [pki.root]);
    expect(result.ok).toBe(true);
    const [forLeaf, forIntermediate, ...more] = issuers(report);
    expect(more).toEqual([]);
    expect(forLeaf).toMatchObject({ depth: 0, issuer: 'O=wiretls x509 tests, CN=Test Intermediate' });
    expect(candidates(forLeaf!)).toEqual([['Test Intermediate', 'peer', 'valid path']]);
    expect(forLeaf!.candidates[0]).toMatchObject({ keyIdentifier: 'matches', certificate: { sentAs: 1, anchor: false } });
    expect(candidates(forIntermediate!)).toEqual([['Test Root', 'trust store', 'trust anchor']]);
    expect(forIntermediate!.candidates[0]!.certificate).toMatchObject({ sentAs: undefined, anchor: true });
    expect(paths(report).map((p) => p.failure)).toEqual([undefined]);
    expect(report.steps.find((s) => s.kind === 'identity')).toEqual({
      kind: 'identity',
      serverName: 'localhost',
      ok: true,
      matched: 'DNS:localhost',
      reason: undefined,
      by: 'RFC 9525',
    });
    expect(report.steps.at(-1)).toEqual({ kind: 'verdict', ok: true, code: undefined, message: undefined, overridden: false });

    const view = chainView(report);
    expect(view.ok).toBe(true);
    expect(view.plain[0]).toContain('"leaf" (the server\'s certificate 0) ← "Test Intermediate" (the server\'s certificate 1) ← "Test Root" (trust anchor)');
    expect(view.plain.join(' ')).toContain('The leaf is valid for "localhost" (its subjectAltName DNS:localhost matches), by the RFC 9525 rules.');
  });

  it('a wrong and an extra certificate from the peer: the impostor refused for its signature, the unrelated one passed over', async () => {
    const pki = simplePki();
    // Same name as the intermediate, another key: only the signature can tell them apart. The
    // leaf has no key identifiers, so the send order decides which is tried first.
    const impostor = ca('Test Intermediate', { issuer: pki.root, key: testKey('p256', 13) });
    const unrelated = ca('Unrelated CA', { key: testKey('p256', 12) });
    const end = issueLeaf(pki.intermediate, { keyIds: false });
    const { result, report } = await verifyObserved([end, unrelated, impostor, pki.intermediate], [pki.root]);
    expect(result.ok).toBe(true);
    const forLeaf = issuers(report)[0]!;
    expect(candidates(forLeaf)).toEqual([
      ['Test Intermediate', 'peer', 'invalid'],
      ['Test Intermediate', 'peer', 'valid path'],
      ['Unrelated CA', 'peer', 'name mismatch'],
    ]);
    expect(forLeaf.candidates.map((c) => [c.certificate.sentAs, c.keyIdentifier])).toEqual([
      [2, 'unknown'],
      [3, 'unknown'],
      [1, 'unknown'],
    ]);
    expect(forLeaf.candidates[0]!.verdict).toMatchObject({ relation: 'signature', failure: { code: 'CERT_BAD_SIGNATURE', check: 'signature', depth: 0 } });
    expect(paths(report).map((p) => p.failure?.check)).toEqual(['signature', undefined]);

    const view = chainView(report);
    const words = view.plain.join('\n');
    expect(words).toContain('"leaf" (the server\'s certificate 0) ← "Test Intermediate" (the server\'s certificate 3) ← "Test Root" (trust anchor)');
    expect(words).toContain('"Test Intermediate" (the server\'s certificate 2), refused, bad signature: certificate 0 (leaf)');
    expect(words).toContain('"Unrelated CA" (the server\'s certificate 1), its subject is not the issuer of "leaf"');
  });

  it('an expired intermediate: refused for itself, and the root refused only because of it', async () => {
    const pki = simplePki({ intermediate: { notAfter: new Date('2029-01-01T00:00:00Z') } });
    const { result, report } = await verifyObserved([pki.leaf, pki.intermediate], [pki.root]);
    expect(result.ok ? undefined : result.error.code).toBe('CERT_EXPIRED');
    const [forLeaf, forIntermediate] = issuers(report);
    expect(candidates(forLeaf!)).toEqual([['Test Intermediate', 'peer', 'invalid']]);
    expect(forLeaf!.candidates[0]!.verdict).toMatchObject({ relation: 'itself', failure: { code: 'CERT_EXPIRED', check: 'validity', depth: 1 } });
    expect(forIntermediate!.candidates[0]!.verdict).toMatchObject({ reason: 'invalid', relation: 'below' });

    const view = chainView(report);
    expect(view.ok).toBe(false);
    expect(view.title).toContain('no path to a trust anchor');
    expect(view.plain[0]).toBe(
      '"leaf" (the server\'s certificate 0) had no acceptable issuer. "Test Intermediate" (the server\'s certificate 1): refused, expired: ' +
        'certificate 1 (intermediate) "O=wiretls x509 tests, CN=Test Intermediate": expired on 2029-01-01T00:00:00.000Z (validation time 2030-06-01T00:00:00.000Z).',
    );
  });

  it('an unknown root: no path, and the reason for each candidate up to the self-signed root', async () => {
    const pki = simplePki();
    const other = ca('Other Root', { key: testKey('p256', 14) });
    const { result, report } = await verifyObserved([pki.leaf, pki.intermediate, pki.root], [other]);
    expect(result.ok ? undefined : result.error.code).toBe('CERT_UNTRUSTED');
    const [forLeaf, forIntermediate, forRoot] = issuers(report);
    // The root the peer sent is no issuer of the leaf: passed over by name there, tried above.
    expect(candidates(forLeaf!)).toEqual([
      ['Test Intermediate', 'peer', 'no path above'],
      ['Test Root', 'peer', 'name mismatch'],
    ]);
    expect(candidates(forIntermediate!)).toEqual([['Test Root', 'peer', 'no path above']]);
    expect(forRoot).toMatchObject({ depth: 2, candidates: [] });
    expect(paths(report)).toEqual([]);
    const words = chainView(report).plain;
    expect(words).toEqual([
      '"leaf" (the server\'s certificate 0) had no acceptable issuer. "Test Intermediate" (the server\'s certificate 1): refused: no issuer of its own leads to a trust anchor.',
      '"Test Intermediate" (the server\'s certificate 1) had no acceptable issuer. "Test Root" (the server\'s certificate 2): refused: no issuer of its own leads to a trust anchor.',
      '"Test Root" (the server\'s certificate 2) is self-signed and is not one of the client\'s trust anchors, so no path can end with it.',
    ]);
  });

  it("a trust anchor with the root's name but another key: refused for its signature; without the root, no issuer at all", async () => {
    const pki = simplePki();
    const lookalike = ca('Test Root', { key: testKey('p256', 15) });
    const { report } = await verifyObserved([pki.leaf, pki.intermediate], [lookalike]);
    const forIntermediate = issuers(report)[1]!;
    expect(candidates(forIntermediate)).toEqual([['Test Root', 'trust store', 'invalid']]);
    expect(forIntermediate.candidates[0]).toMatchObject({ keyIdentifier: 'differs', verdict: { relation: 'signature', failure: { code: 'CERT_BAD_SIGNATURE', depth: 1 } } });
    expect(issuers(report)[0]!.candidates[0]!.verdict).toMatchObject({ reason: 'invalid', relation: 'above' });
    expect(chainView(report).plain[0]).toMatch(/refused, the path above it failed \(bad signature\)/);
    expect(chainView(report).plain[1]).toMatch(
      /^"Test Intermediate" \(the server's certificate 1\) had no acceptable issuer\. "Test Root" \(trust anchor\): refused, bad signature: /,
    );

    const { report: none } = await verifyObserved([pki.leaf, pki.intermediate], [ca('Other Root', { key: testKey('p256', 14) })]);
    expect(chainView(none).plain[1]).toBe(
      '"Test Intermediate" (the server\'s certificate 1) has no issuer: nothing the server sent, and none of the client\'s trust anchors, has the subject "Test Root" that it names as its issuer.',
    );
  });

  it('a hostname mismatch: the path is valid, the identity check says why the name does not match', async () => {
    const pki = simplePki();
    const { result, report } = await verifyObserved([pki.leaf, pki.intermediate], [pki.root], { serverName: 'other.example' });
    expect(result.ok ? undefined : result.error.code).toBe('CERT_HOSTNAME_MISMATCH');
    expect(paths(report).map((p) => p.failure)).toEqual([undefined]);
    const identity = report.steps.find((s) => s.kind === 'identity');
    expect(identity).toMatchObject({
      ok: false,
      matched: undefined,
      reason: expect.stringContaining('"other.example" is not among the certificate\'s DNS names (localhost, wiretls.test)'),
    });
    expect(report.steps.at(-1)).toMatchObject({ kind: 'verdict', ok: false, code: 'CERT_HOSTNAME_MISMATCH' });
    const view = chainView(report);
    expect(view.ok).toBe(false);
    expect(view.title).toContain('but the name does not match');
    expect(view.plain.at(-1)).toMatch(/^The leaf is not valid for "other\.example": certificate 0 \(leaf\) .* is not among the certificate's DNS names/);
  });

  it('duplicates and unparseable certificates are reported as left out; the path search limits are reported per candidate', async () => {
    const pki = simplePki();
    const { report } = await verifyObserved([pki.leaf, pki.intermediate, pki.intermediate, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])], [pki.root]);
    expect(report.steps.filter((s) => s.kind === 'ignored')).toEqual([
      { kind: 'ignored', index: 2, reason: 'duplicate' },
      { kind: 'ignored', index: 3, reason: 'unparseable' },
    ]);
    // maxDepth 2: leaf and anchor only, so the intermediate cannot be taken.
    const verifier = new X509Verifier({ trustStore: TrustStore.fromCertificates([pki.root.der]), now: NOW, maxDepth: 2 });
    const reports: ChainReport[] = [];
    const result = await verifier.verify([pki.leaf.der, pki.intermediate.der], { peerRole: 'server', serverName: 'localhost', observe: (r) => reports.push(r) });
    expect(result.ok ? undefined : (result.error as CertificateError).check).toBe('depth');
    expect(candidates(issuers(reports[0]!)[0]!)).toEqual([['Test Intermediate', 'peer', 'depth limit']]);
  });

  it('certificates are named by their common name, also inside a multi-valued RDN', () => {
    expect(shortName('CN=wiretls test root CA, O=wiretls test PKI')).toBe('"wiretls test root CA"');
    expect(shortName('O=wiretls demo + CN=localhost')).toBe('"localhost"');
    expect(shortName('O=wiretls demo + CN=wiretls demo CA, C=DE')).toBe('"wiretls demo CA"');
    expect(shortName('O=no common name')).toBe('"O=no common name"');
  });

  it('the override hook: the report says the verdict was replaced', async () => {
    const pki = simplePki();
    const other = ca('Other Root', { key: testKey('p256', 14) });
    const verifier = new X509Verifier({ trustStore: TrustStore.fromCertificates([other.der]), now: NOW, override: () => ({ ok: true }) });
    const reports: ChainReport[] = [];
    const result = await verifier.verify([pki.leaf.der, pki.intermediate.der], { peerRole: 'server', observe: (r) => reports.push(r) });
    expect(result.ok).toBe(true);
    expect(reports[0]!.steps.at(-1)).toEqual({ kind: 'verdict', ok: true, code: undefined, message: undefined, overridden: true });
    expect(chainView(reports[0]!).plain.at(-1)).toBe("The verifier's override hook replaced the verdict: accepted.");
  });
});
