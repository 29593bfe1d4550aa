#!/usr/bin/env node
/**
 * Mutation testing of the security checks (issue 15, part B): each mutation below turns one
 * check off, and some test must notice. For every mutation, in a copy of the tree (src/,
 * test/, test-vectors/ and the configs, with a symlink to node_modules; the working tree is
 * never touched), the named text is replaced exactly once and the listed test files run with
 * vitest (noble provider). A mutation is "killed" when a test fails, "survived" when all pass.
 * Before any mutation the same test files run unmutated and must pass, or the verdicts would
 * mean nothing.
 *
 *   npm run test:mutants                      all mutations
 *   npm run test:mutants -- --only a,b        just those (names as listed)
 *   npm run test:mutants -- --list            the table of mutations, nothing run
 *   npm run test:mutants -- --check           every mutation still applies (its text occurs once), nothing run;
 *                                             test/house/mutants.test.ts runs the same check in npm test
 *
 * Exit status 0 only if every mutation run was killed. Not part of `npm test`.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RUN_TIMEOUT_MS = 5 * 60_000;

/**
 * name: how the table and --only call it; file: where; find: the exact text replaced (must occur
 * once); replace: what replaces it; disables: the check that is gone; tests: the files to run.
 */
export const MUTATIONS = [
  {
    name: 'cv-signature',
    file: 'src/peer-auth.ts',
    find: "if (!ok) throw protocolError('bad_certificate_verify_signature'",
    replace: "if (false) throw protocolError('bad_certificate_verify_signature'",
    disables: 'CertificateVerify signature verification (any signature accepted), both sides',
    tests: ['test/peer-auth.test.ts', 'test/engine/certificate-verify.test.ts', 'test/engine/negative-auth.test.ts'],
  },
  {
    name: 'cv-scheme-offered',
    file: 'src/peer-auth.ts',
    find: '!offeredSchemes.includes(message.scheme) || ',
    replace: '',
    disables: 'CertificateVerify scheme must be one we offered (§4.4.3)',
    tests: ['test/peer-auth.test.ts', 'test/engine/certificate-verify.test.ts'],
  },
  {
    name: 'cv-scheme-tls13-only',
    file: 'src/peer-auth.ts',
    find: ' || !TLS13_CERTIFICATE_VERIFY_SCHEMES.has(message.scheme)',
    replace: '',
    disables: 'CertificateVerify never uses PKCS#1 v1.5 or SHA-1 (§4.2.3), even when configured',
    tests: ['test/peer-auth.test.ts', 'test/engine/certificate-schemes.test.ts'],
  },
  {
    name: 'cv-scheme-fits-key',
    file: 'src/peer-auth.ts',
    find: 'if (!publicKeyFitsScheme(peerKey(spki), message.scheme)) {',
    replace: 'if (false) {',
    disables: "CertificateVerify scheme must fit the certificate's key (§4.2.3)",
    tests: ['test/engine/certificate-verify.test.ts'],
  },
  {
    name: 'client-skips-server-cv',
    file: 'src/peer-auth.ts',
    find: '  await checkCertificateVerify(ctx.provider, message, offeredSchemes, leafCertificate, peer, transcript.current());',
    replace: "  if (peer !== 'server') await checkCertificateVerify(ctx.provider, message, offeredSchemes, leafCertificate, peer, transcript.current());",
    disables: "the client's check of the server CertificateVerify (signature over the transcript)",
    tests: ['test/engine/certificate-verify.test.ts', 'test/engine/negative-auth.test.ts'],
  },
  {
    name: 'server-skips-client-cv',
    file: 'src/peer-auth.ts',
    find: '  await checkCertificateVerify(ctx.provider, message, offeredSchemes, leafCertificate, peer, transcript.current());',
    replace: "  if (peer !== 'client') await checkCertificateVerify(ctx.provider, message, offeredSchemes, leafCertificate, peer, transcript.current());",
    disables: "the server's check of the client CertificateVerify",
    tests: ['test/engine/certificate-verify.test.ts', 'test/engine/client-auth.test.ts'],
  },
  {
    name: 'finished-mac',
    file: 'src/peer-auth.ts',
    find: 'if (!constantTimeEqual(expected, message.verifyData)) throw',
    replace: 'if (false) throw',
    disables: 'Finished verify_data comparison, both sides (§4.4.4)',
    tests: ['test/peer-auth.test.ts', 'test/engine/negative-auth.test.ts'],
  },
  {
    name: 'finished-length',
    file: 'src/peer-auth.ts',
    find: 'if (message.verifyData.length !== hashOutputLength[hash]) throw',
    replace: 'if (false) throw',
    disables: 'Finished must be exactly Hash.length bytes (decode_error)',
    tests: ['test/peer-auth.test.ts', 'test/engine/limits.test.ts'],
  },
  {
    name: 'psk-binder',
    file: 'src/server/resumption.ts',
    find: "if (!constantTimeEqual(expected, binder)) throw protocolError('psk_binder_mismatch'",
    replace: "if (false) throw protocolError('psk_binder_mismatch'",
    disables: 'PSK binder verification (§4.2.11)',
    tests: ['test/engine/resumption.test.ts'],
  },
  {
    name: 'ticket-lifetime',
    file: 'src/server/resumption.ts',
    find: 'if (now < state.issuedAt || now - state.issuedAt > state.lifetime * 1000) return false;',
    replace: '',
    disables: 'server refuses tickets past their lifetime (§4.6.1)',
    tests: ['test/engine/resumption.test.ts'],
  },
  {
    name: 'ticket-server-name',
    file: 'src/server/resumption.ts',
    find: 'return state.serverName === serverName;',
    replace: 'return true;',
    disables: 'a ticket resumes only under the server name it was issued for (§4.6.1)',
    tests: ['test/engine/resumption.test.ts'],
  },
  {
    name: 'ticket-key-expiry',
    file: 'src/server/tickets.ts',
    find: 'if (age < 2 * this.rotationMs) {',
    replace: 'if (true) {',
    disables: 'ticket keys are forgotten after two rotation periods (a stolen ticket opens for ever)',
    tests: ['test/engine/resumption.test.ts'],
  },
  {
    name: 'anti-replay',
    file: 'src/server/states.ts',
    find: 'config.antiReplay?.admit(psk.binder, psk.clientTicketAgeMs, psk.state.issuedAt, now);',
    replace: 'config.antiReplay !== undefined;',
    disables: '0-RTT anti-replay (a replayed ClientHello gets its early data accepted, §8)',
    tests: ['test/engine/resumption.test.ts'],
  },
  {
    name: 'client-chain-reject',
    file: 'src/client/states.ts',
    find: 'config.rejectUnauthorized ?? true,',
    replace: 'config.rejectUnauthorized ?? false,',
    disables: 'client aborts on an untrusted server chain by default',
    tests: ['test/engine/chain.test.ts'],
  },
  {
    name: 'server-chain-reject',
    file: 'src/server/states.ts',
    find: 'rejectUnauthorized: config.rejectUnauthorized ?? true,',
    replace: 'rejectUnauthorized: config.rejectUnauthorized ?? false,',
    disables: 'server aborts on an untrusted client chain by default',
    tests: ['test/engine/client-auth.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'chain-signature',
    file: 'src/x509/validate.ts',
    find: 'if (!(await signatureValid(cert, issuer, options))) {',
    replace: 'if (false) {',
    disables: 'each certificate signature checked with its issuer key (RFC 5280 §6.1.3)',
    tests: ['test/x509/validate.test.ts', 'test/x509/verifier.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'chain-not-after',
    file: 'src/x509/validate.ts',
    find: 'if (now > cert.notAfter.getTime()) {',
    replace: 'if (false) {',
    disables: 'expired certificates refused',
    tests: ['test/x509/validate.test.ts', 'test/x509/verifier.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'chain-not-before',
    file: 'src/x509/validate.ts',
    find: 'if (now < cert.notBefore.getTime()) {',
    replace: 'if (false) {',
    disables: 'not-yet-valid certificates refused',
    tests: ['test/x509/validate.test.ts', 'test/x509/verifier.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'chain-ca-flag',
    file: 'src/x509/validate.ts',
    find: 'if (isAnchor ? bc !== undefined && !bc.cA : !bc?.cA) {',
    replace: 'if (false) {',
    disables: 'issuers must be CAs (basicConstraints cA, RFC 5280 §6.1.4 (k))',
    tests: ['test/x509/validate.test.ts', 'test/x509/verifier.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'leaf-eku',
    file: 'src/x509/validate.ts',
    find: '  if (!allowsPurpose(cert, options.purpose)) {\n    return fail(',
    replace: '  if (false) {\n    return fail(',
    disables: "the leaf's extendedKeyUsage must allow serverAuth / clientAuth",
    tests: ['test/x509/validate.test.ts', 'test/x509/verifier.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'hostname',
    file: 'src/x509/identity.ts',
    find: 'if (dns.some((n) => matchesDnsName(n.value, ref.name))) return undefined;',
    replace: 'return undefined;',
    disables: "the server certificate's DNS names must match the server name (RFC 9525)",
    tests: ['test/x509/identity.test.ts', 'test/x509/verifier.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'ip-identity',
    file: 'src/x509/identity.ts',
    find: 'if (ips.some((n) => n.bytes !== undefined && bytesEqual(n.bytes, ref.bytes))) return undefined;',
    replace: 'return undefined;',
    disables: "the server certificate's IP addresses must include the IP dialled",
    tests: ['test/x509/identity.test.ts', 'test/x509/verifier.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'identity-checked',
    file: 'src/x509/x509-verifier.ts',
    find: 'const error = this.identityError(leaf, context.serverName);',
    replace: 'const error = undefined;',
    disables: 'the verifier checks the service identity at all',
    tests: ['test/x509/verifier.test.ts', 'test/engine/chain.test.ts'],
  },
  {
    name: 'downgrade-sentinel',
    file: 'src/client/states.ts',
    find: 'if (bytesEqual(tail, DOWNGRADE_TLS12) || bytesEqual(tail, DOWNGRADE_TLS11)) {',
    replace: 'if (false) {',
    disables: 'client detects the TLS 1.2 / 1.1 downgrade sentinels in ServerHello.random (§4.1.3)',
    tests: ['test/engine/negative-negotiation.test.ts'],
  },
  {
    name: 'record-sequence-nonce',
    file: 'src/record/protection.ts',
    find: 'nonce[11] = iv[11]! ^ (low & 0xff);',
    replace: 'nonce[11] = iv[11]!;',
    disables: 'the record sequence number in the AEAD nonce (replayed and reordered records, §5.3)',
    tests: ['test/engine/records-order.test.ts'],
  },
  {
    name: 'record-authentication',
    file: 'src/record/protection.ts',
    find: "if (plaintext === undefined) throw protocolError('record_decrypt_failed', 'record authentication failed');",
    replace: 'if (plaintext === undefined) return { type: 23, content: new Uint8Array(0) };',
    disables: 'records that fail AEAD authentication are refused (bad_record_mac, §5.2)',
    tests: ['test/engine/negative-auth.test.ts'],
  },
  {
    name: 'ssl3-refused',
    file: 'src/hello-version.ts',
    find: 'if (legacyVersion <= SSL3) {',
    replace: 'if (false) {',
    disables: 'hellos with legacy_version 0x0300 or below refused (§D.5)',
    tests: ['test/engine/older-peers.test.ts'],
  },
  {
    name: 'ccs-flood',
    file: 'src/record/change-cipher-spec.ts',
    find: 'if (dropped >= MAX_DROPPED_CHANGE_CIPHER_SPECS) {',
    replace: 'if (false) {',
    disables: 'the limit on dropped change_cipher_spec records (CVE-2020-25648)',
    tests: ['test/engine/negative-records.test.ts'],
  },
];

/**
 * What keeps each of `mutations` from applying to the tree at `root`: its file is missing, or its
 * `find` text occurs other than exactly once (a refactor that moved or duplicated a check would
 * otherwise let the mutation "survive" unnoticed, or mutate the wrong copy). Empty when all apply.
 */
export function checkMutations(mutations = MUTATIONS, root = ROOT) {
  const problems = [];
  const names = new Set();
  for (const m of mutations) {
    if (names.has(m.name)) problems.push(`mutation ${m.name}: the name is used twice`);
    names.add(m.name);
    if (!existsSync(join(root, m.file))) {
      problems.push(`mutation ${m.name}: ${m.file} does not exist`);
      continue;
    }
    const count = readFileSync(join(root, m.file), 'utf8').split(m.find).length - 1;
    if (count !== 1) problems.push(`mutation ${m.name}: the text occurs ${count} times in ${m.file}, not once`);
    for (const test of m.tests) if (!existsSync(join(root, test))) problems.push(`mutation ${m.name}: test file ${test} does not exist`);
  }
  return problems;
}

function parseArgs(argv) {
  const args = { only: undefined, list: false, check: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--list') args.list = true;
    else if (argv[i] === '--check') args.check = true;
    else if (argv[i] === '--only') args.only = argv[++i].split(',');
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

/** A copy of what the tests need; node_modules is linked, not copied. */
function makeCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'wiretls-mutants-'));
  for (const entry of ['src', 'test', 'test-vectors', 'package.json', 'tsconfig.json', 'vitest.config.ts']) {
    if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs vitest on `files` in `dir`; resolves with whether it passed and the failed tests. */
function runTests(dir, files) {
  const report = join(dir, 'mutant-report.json');
  rmSync(report, { force: true });
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(dir, 'node_modules/vitest/vitest.mjs'), 'run', ...files, '--project', 'noble', '--reporter=json', `--outputFile=${report}`], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // The run and its workers form one process group, stopped by the id of the one we started.
    const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), RUN_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const failed = [];
      let total = 0;
      try {
        const json = JSON.parse(readFileSync(report, 'utf8'));
        for (const file of json.testResults) {
          for (const t of file.assertionResults) {
            total++;
            if (t.status === 'failed') failed.push(`${file.name.slice(dir.length + 1)} > ${t.fullName}`);
          }
          if (file.assertionResults.length === 0 && file.status === 'failed') failed.push(`${file.name.slice(dir.length + 1)} (failed to load: ${file.message ?? ''})`);
        }
      } catch {
        failed.push(`no report (exit ${code}): ${stderr.slice(-500)}`);
      }
      resolvePromise({ passed: code === 0 && failed.length === 0, failed, total });
    });
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const chosen = args.only ? MUTATIONS.filter((m) => args.only.includes(m.name)) : MUTATIONS;
  if (args.only && chosen.length !== args.only.length) throw new Error(`unknown mutation in --only ${args.only.join(',')}`);
  if (args.list) {
    for (const m of chosen) console.log(`${m.name.padEnd(24)} ${m.file.padEnd(34)} ${m.disables}`);
    return 0;
  }
  if (args.check) {
    const problems = checkMutations(chosen);
    for (const problem of problems) console.log(problem);
    console.log(problems.length === 0 ? `all ${chosen.length} mutations apply` : `${problems.length} problems`);
    return problems.length === 0 ? 0 : 1;
  }
  const dir = makeCopy();
  const started = Date.now();
  try {
    // Every mutation must apply to today's tree: a check that moved would otherwise "survive" unnoticed.
    const problems = checkMutations(chosen, dir);
    if (problems.length) throw new Error(problems.join('\n'));
    const allFiles = [...new Set(chosen.flatMap((m) => m.tests))];
    process.stdout.write(`baseline: ${allFiles.length} test files unmutated ... `);
    const baseline = await runTests(dir, allFiles);
    if (!baseline.passed) {
      console.log('FAILED');
      for (const f of baseline.failed) console.log(`  ${f}`);
      return 2;
    }
    console.log(`${baseline.total} tests pass (${Math.round((Date.now() - started) / 1000)} s)`);

    const results = [];
    for (const m of chosen) {
      const path = join(dir, m.file);
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, original.replace(m.find, m.replace));
      const t0 = Date.now();
      try {
        const run = await runTests(dir, m.tests);
        const seconds = Math.round((Date.now() - t0) / 1000);
        const verdict = run.passed ? 'SURVIVED' : 'killed';
        results.push({ m, verdict, failed: run.failed, seconds });
        console.log(
          `${verdict.padEnd(8)} ${m.name.padEnd(24)} ${String(seconds).padStart(4)} s  ${run.passed ? `(${run.total} tests pass)` : `${run.failed.length} failed, e.g. ${run.failed[0]}`}`,
        );
      } finally {
        writeFileSync(path, original);
      }
    }
    const survived = results.filter((r) => r.verdict === 'SURVIVED');
    console.log(`\n| mutation | file | disables | killed by (first failing test) | failing tests |`);
    console.log('|---|---|---|---|---|');
    for (const r of results) {
      console.log(`| ${r.m.name} | ${r.m.file} | ${r.m.disables} | ${r.verdict === 'killed' ? r.failed[0].replace(/\|/g, '\\|') : '**SURVIVED**'} | ${r.failed.length} |`);
    }
    console.log(`\n${results.length - survived.length} of ${results.length} mutations killed in ${Math.round((Date.now() - started) / 1000)} s`);
    return survived.length === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run only as a program; test/house imports MUTATIONS and checkMutations without running anything.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().then(
    (status) => process.exit(status),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(2);
    },
  );
}
