/**
 * Turns one or more `npm run bench -- --json` documents into one Markdown table, a column pair
 * per run (used for the README's results table and the issue note):
 *
 *   node dist-bench/bench/markdown.js run1.json run2.json
 */
import { readFileSync } from 'node:fs';
import type { Row } from './harness.js';

interface Run {
  machine: Record<string, string | number>;
  loadAverageAtStart?: string;
  rows: Row[];
}

function format(value: number | null): string {
  if (value === null) return '—';
  if (value >= 10_000) return Math.round(value).toLocaleString('en-US');
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node dist-bench/bench/markdown.js run.json [run2.json …]\n');
  process.exit(2);
}
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Run);
const m = runs[0]!.machine;
process.stdout.write(`Machine: ${m.cpu}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}, OpenSSL ${m.openssl}.\n`);
for (const [i, r] of runs.entries()) process.stdout.write(`Run ${i + 1}: load average ${r.loadAverageAtStart ?? '?'} at start, ${r.machine.loadAverage} at end.\n`);
process.stdout.write('\n');
const head = ['benchmark', 'provider', 'unit', ...runs.flatMap((_, i) => [`run ${i + 1}: wiretls`, 'baseline', 'ratio'])];
process.stdout.write(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n`);
const key = (row: Row) => `${row.name}|${row.provider}`;
const seen = new Set<string>();
for (const row of runs[0]!.rows) {
  if (seen.has(key(row))) continue;
  seen.add(key(row));
  const cells = [row.name, row.provider, `${row.unit}${row.better === 'lower' ? ' ↓' : ''} vs ${row.baselineName}`];
  for (const run of runs) {
    const r = run.rows.find((x) => key(x) === key(row));
    cells.push(format(r?.wiretls ?? null), format(r?.baseline ?? null), r?.ratio == null ? '—' : `${r.ratio.toFixed(2)}×`);
  }
  process.stdout.write(`| ${cells.join(' | ')} |\n`);
}
process.stdout.write('\nratio > 1: wiretls better (faster, or less memory for ↓ rows). Medians of interleaved rounds.\n');
