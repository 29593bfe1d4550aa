import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR, pkiText } from '../fixtures.js';
import { X509Certificate } from 'node:crypto';
import { nodeProvider } from '../../src/crypto/node/index.js';
import { loadCertificates } from '../../src/x509/pem.js';
import { ProviderSignatureChecker } from '../../src/x509/provider-signature.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { type Options, type Report, interleaveAsync, makeRow } from '../harness.js';

interface VitestBench {
  name: string;
  hz: number;
  min: number;
  max: number;
}
interface VitestBenchReport {
  files: { groups: { fullName: string; benchmarks: VitestBench[] }[] }[];
}

const FILE = 'bench/x509-chain.bench.ts';

/**
 * Certificate chain validation (3 certificates, cold and warm trust store). That benchmark is
 * written for `vitest bench` (bench/x509-chain.bench.ts, kept by the X.509 work); it is run
 * here in a child process and its figures folded into this report: wiretls's verifier against
 * the node:crypto X509Certificate floor the same file measures. vitest reports min and max per
 * sample rather than per round, so the ranges here are vitest's per-iteration extremes.
 */
export async function x509Suite(report: Report, options: Options): Promise<void> {
  report.section('Certificate chain validation, 3 certificates (validations/s; vitest bench, bench/x509-chain.bench.ts)');
  if (!existsSync(join(ROOT_DIR, FILE))) {
    if (!options.json) process.stdout.write(`  (skipped: ${FILE} is not there)\n`);
    return providerCheckerRows(report, options);
  }
  if (!report.wants('x509 chain')) return providerCheckerRows(report, options);
  const dir = mkdtempSync(join(tmpdir(), 'wiretls-bench-'));
  const out = join(dir, 'x509.json');
  try {
    const result = spawnSync('npx', ['vitest', 'bench', '--run', '--project', 'noble', FILE, '--outputJson', out], { cwd: ROOT_DIR, encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0 || !existsSync(out)) {
      if (!options.json) process.stdout.write(`  (x509 bench failed: ${(result.stderr || result.stdout).slice(-400)})\n`);
      return;
    }
    const data = JSON.parse(readFileSync(out, 'utf8')) as VitestBenchReport;
    for (const group of data.files.flatMap((f) => f.groups)) {
      const leaf = /(server-[a-z0-9-]+) leaf/.exec(group.fullName)?.[1] ?? group.fullName;
      const baseline = group.benchmarks.find((b) => b.name.startsWith('node:crypto'));
      for (const [match, label] of [
        ['wiretls warm (', 'warm'],
        ['wiretls cold (', 'cold'],
      ] as const) {
        const ours = group.benchmarks.find((b) => b.name.startsWith(match));
        if (!ours) continue;
        const row = makeRow(
          { name: `x509 chain ${leaf}, ${label} trust store`, unit: 'val/s', provider: 'webcrypto', baselineName: 'node:crypto X509Certificate' },
          [ours.hz],
          baseline ? [baseline.hz] : null,
        );
        row.wiretlsRange = [1000 / ours.max, 1000 / ours.min];
        if (baseline) row.baselineRange = [1000 / baseline.max, 1000 / baseline.min];
        report.add(row);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await providerCheckerRows(report, options);
}

/**
 * The same warm validation with the certificate signature checker the node API uses with the
 * native provider (ProviderSignatureChecker: node:crypto verify on cached keys), measured here
 * against the same node:crypto X509Certificate floor.
 */
async function providerCheckerRows(report: Report, options: Options): Promise<void> {
  const provider = nodeProvider();
  for (const leaf of ['server-ecdsa-p256', 'server-rsa2048', 'server-ed25519']) {
    const name = `x509 chain ${leaf}, warm trust store, native provider checker`;
    if (!report.wants(name)) continue;
    const chain = loadCertificates(pkiText(`${leaf}-chain.pem`), leaf);
    const rootPem = pkiText('root.pem');
    const verifier = new X509Verifier({ trustStore: TrustStore.fromPem(rootPem, 'root.pem'), signatureChecker: new ProviderSignatureChecker(provider) });
    const context = { peerRole: 'server' as const, serverName: 'localhost' };
    const leafPem = pkiText(`${leaf}.pem`);
    const intermediatePem = pkiText('intermediate.pem');
    const ours = async (): Promise<void> => {
      if (!(await verifier.verify(chain, context)).ok) throw new Error('chain did not validate');
    };
    const theirs = async (): Promise<void> => {
      const l = new X509Certificate(leafPem);
      const i = new X509Certificate(intermediatePem);
      const r = new X509Certificate(rootPem);
      const now = Date.now();
      const ok =
        l.checkIssued(i) &&
        i.checkIssued(r) &&
        l.verify(i.publicKey) &&
        i.verify(r.publicKey) &&
        l.checkHost('localhost') !== undefined &&
        [l, i, r].every((c) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo));
      if (!ok) throw new Error('node:crypto reference failed');
    };
    const result = await interleaveAsync(ours, theirs, options);
    report.add(makeRow({ name, unit: 'val/s', provider: 'node', baselineName: 'node:crypto X509Certificate' }, result.a, result.b));
  }
}
