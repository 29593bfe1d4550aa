/**
 * `npm run bench`: every wiretls hot path next to its native baseline (node:crypto or node:tls),
 * measured in the same run, interleaved, several rounds; prints median, min–max and the ratio.
 *
 *   npm run bench                    all suites, table on stdout
 *   npm run bench -- --json          one JSON document on stdout (progress on stderr)
 *   npm run bench -- --quick         fewer rounds and shorter slices (a smoke run)
 *   npm run bench -- --suite aead,handshake   only these suites
 *   npm run bench -- --only 'X25519|16 KiB'   only rows whose name (+ provider) matches
 *   npm run bench -- --rounds 9 --slice 300   more precision
 *   npm run bench -- --suite browser          wiretls vs subtls in headless Chromium (/usr/bin/chromium;
 *                                             the baseline there is subtls, not Node)
 *
 * The script compiles src/ and bench/ with tsc (tsconfig.bench.json, incremental) into
 * dist-bench/ and runs dist-bench/bench/main.js with node: plain JavaScript, no loader, so
 * what is measured is what ships. Not part of `npm test`.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { type Options, Report } from './harness.js';
import { handshakeSuite, inMemoryHandshakeSuite } from './suites/handshake.js';
import { aeadSuite, keyExchangeSuite, keyScheduleSuite, recordCeilingSuite, recordSuite, signatureSuite } from './suites/crypto.js';
import { bulkSuite } from './suites/bulk.js';
import { connectionSuite } from './suites/connection.js';
import { memorySuite } from './suites/memory.js';
import { x509Suite } from './suites/x509.js';
import { browserSuite } from './suites/browser.js';

const SUITES: Record<string, (report: Report, options: Options) => void | Promise<void>> = {
  aead: aeadSuite,
  record: recordSuite,
  ceiling: recordCeilingSuite,
  kx: keyExchangeSuite,
  sig: signatureSuite,
  hkdf: keyScheduleSuite,
  x509: x509Suite,
  inmemory: inMemoryHandshakeSuite,
  handshake: handshakeSuite,
  connection: connectionSuite,
  bulk: bulkSuite,
  memory: memorySuite,
  browser: browserSuite,
};

function parseArgs(argv: string[]): { options: Options; suites: string[] } {
  let json = false;
  let quick = false;
  let rounds: number | undefined;
  let slice: number | undefined;
  let only: RegExp | undefined;
  let suites = Object.keys(SUITES);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--json') json = true;
    else if (arg === '--quick') quick = true;
    else if (arg === '--rounds') rounds = Number(value());
    else if (arg === '--slice') slice = Number(value());
    else if (arg === '--only') only = new RegExp(value(), 'i');
    else if (arg === '--suite') {
      suites = value().split(',');
      for (const s of suites) if (!(s in SUITES)) throw new Error(`unknown suite ${s}; one of ${Object.keys(SUITES).join(', ')}`);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: npm run bench -- [--json] [--quick] [--suite ${Object.keys(SUITES).join(',')}] [--only REGEX] [--rounds N] [--slice MS]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return { options: { json, quick, rounds: rounds ?? (quick ? 3 : 7), sliceMs: slice ?? (quick ? 60 : 200), only }, suites };
}

export function machine(): Record<string, string | number> {
  const cpu = cpus();
  return {
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine shows here: the figures are only comparable within one run.
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

async function main(): Promise<void> {
  const { options, suites } = parseArgs(process.argv.slice(2));
  const report = new Report(options);
  const started = Date.now();
  const startLoad = machine().loadAverage;
  if (!options.json) {
    const m = machine();
    process.stdout.write(`wiretls bench — ${m.cpu}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}, OpenSSL ${m.openssl}; load average ${m.loadAverage}\n`);
    process.stdout.write(`${options.rounds} interleaved rounds per row; figures are medians; ratio > 1 means wiretls is better.\n`);
  }
  for (const suite of suites) {
    if (options.json) process.stderr.write(`bench: ${suite}…\n`);
    await SUITES[suite]!(report, options);
  }
  if (options.json) {
    process.stdout.write(
      JSON.stringify(
        { machine: machine(), loadAverageAtStart: startLoad, rounds: options.rounds, sliceMs: options.sliceMs, seconds: (Date.now() - started) / 1000, rows: report.rows },
        null,
        2,
      ) + '\n',
    );
  } else {
    process.stdout.write(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${machine().loadAverage}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
