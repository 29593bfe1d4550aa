/**
 * Measurement and reporting for `npm run bench`. Every row measures wiretls and its native
 * baseline in the same process run, interleaved: round 1 measures A then B, round 2 B then A,
 * and so on, so drift (thermal, other tenants of the machine, GC state) hits both alike. Each
 * side's figure is the median of its rounds; min–max shows the spread.
 */

export type Better = 'higher' | 'lower';

export interface Row {
  /** What was measured, e.g. "AEAD seal AES-128-GCM 16 KiB". */
  name: string;
  /** ops/s, MB/s, µs, bytes… */
  unit: string;
  /** Median of the rounds (null when there is no wiretls side, e.g. a baseline-only row). */
  wiretls: number | null;
  /** Median of the rounds of the native baseline; null when Node has no such thing. */
  baseline: number | null;
  /**
   * wiretls relative to the baseline such that > 1 means wiretls is better: wiretls/baseline
   * for rates (higher is better), baseline/wiretls for costs (lower is better).
   */
  ratio: number | null;
  /** The wiretls crypto provider this row used ("noble", "node", or "-" when none applies). */
  provider: string;
  /** What the baseline is (node:crypto, node:tls, the raw AEAD…). */
  baselineName: string;
  better: Better;
  wiretlsRange: [number, number] | null;
  baselineRange: [number, number] | null;
  rounds: number;
  note?: string;
}

export interface Options {
  json: boolean;
  quick: boolean;
  rounds: number;
  /** Time slice per side per round for micro benchmarks, in ms. */
  sliceMs: number;
  only: RegExp | undefined;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function range(values: readonly number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

export function makeRow(
  fields: { name: string; unit: string; provider: string; baselineName: string; better?: Better; note?: string },
  wiretls: readonly number[] | null,
  baseline: readonly number[] | null,
): Row {
  const better = fields.better ?? 'higher';
  const w = wiretls?.length ? median(wiretls) : null;
  const b = baseline?.length ? median(baseline) : null;
  const ratio = w === null || b === null || w === 0 || b === 0 ? null : better === 'higher' ? w / b : b / w;
  return {
    name: fields.name,
    unit: fields.unit,
    wiretls: w,
    baseline: b,
    ratio,
    provider: fields.provider,
    baselineName: fields.baselineName,
    better,
    wiretlsRange: wiretls?.length ? range(wiretls) : null,
    baselineRange: baseline?.length ? range(baseline) : null,
    rounds: Math.max(wiretls?.length ?? 0, baseline?.length ?? 0),
    ...(fields.note ? { note: fields.note } : {}),
  };
}

type Op = () => unknown;
type AsyncOp = () => Promise<unknown>;

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Calls per batch so that one batch takes about `targetMs`. */
function calibrate(op: Op, targetMs: number): number {
  let n = 1;
  for (;;) {
    const start = now();
    for (let i = 0; i < n; i++) op();
    const elapsed = now() - start;
    if (elapsed >= targetMs || n >= 1 << 24) return Math.max(1, Math.round((n * targetMs) / Math.max(elapsed, 0.001)));
    n *= elapsed < targetMs / 8 ? 8 : 2;
  }
}

/** Operations per second of a synchronous op over a slice of about `ms`. */
export function rate(op: Op, ms: number, batch: number): number {
  let done = 0;
  const start = now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) op();
    done += batch;
    elapsed = now() - start;
  } while (elapsed < ms);
  return (done * 1000) / elapsed;
}

export async function rateAsync(op: AsyncOp, ms: number): Promise<number> {
  let done = 0;
  const start = now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 8; i++) await op();
    done += 8;
    elapsed = now() - start;
  } while (elapsed < ms);
  return (done * 1000) / elapsed;
}

/**
 * Interleaved rounds of two synchronous ops; returns ops/s per round for each (multiplied by
 * `scale`, e.g. bytes per op / 1e6 for MB/s). A null op is skipped.
 */
export function interleave(a: Op | null, b: Op | null, options: Options, scale = 1): { a: number[]; b: number[] } {
  const ops = [a, b];
  const batches = ops.map((op) => (op ? calibrate(op, Math.min(20, options.sliceMs / 5)) : 0));
  // Warm-up: one short slice each, not recorded.
  for (const [i, op] of ops.entries()) if (op) rate(op, options.sliceMs / 4, batches[i]!);
  const results: number[][] = [[], []];
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const op = ops[i];
      if (op) results[i]!.push(rate(op, options.sliceMs, batches[i]!) * scale);
    }
  }
  return { a: results[0]!, b: results[1]! };
}

export async function interleaveAsync(a: AsyncOp | null, b: AsyncOp | null, options: Options, scale = 1): Promise<{ a: number[]; b: number[] }> {
  const ops = [a, b];
  for (const op of ops) if (op) await rateAsync(op, options.sliceMs / 4);
  const results: number[][] = [[], []];
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const op = ops[i];
      if (op) results[i]!.push((await rateAsync(op, options.sliceMs)) * scale);
    }
  }
  return { a: results[0]!, b: results[1]! };
}

/* ----------------------------------------------------------------------------------------- */
/* output                                                                                    */
/* ----------------------------------------------------------------------------------------- */

function format(value: number | null): string {
  if (value === null) return '—';
  if (value >= 100_000) return value.toExponential(2);
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatRange(r: [number, number] | null): string {
  return r === null ? '' : `${format(r[0])}–${format(r[1])}`;
}

export function printSection(title: string): void {
  process.stdout.write(`\n${title}\n`);
}

const COLUMNS = [66, 6, 9, 19, 9, 19, 7, 14];

export function printHeader(): void {
  const cells = ['benchmark', 'prov.', 'wiretls', '(min–max)', 'baseline', '(min–max)', 'ratio', 'unit / baseline'];
  process.stdout.write(cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(COLUMNS[i]!) : c.padEnd(COLUMNS[i]!))).join(' ') + '\n');
}

export function printRow(row: Row): void {
  const ratio = row.ratio === null ? '—' : `${row.ratio.toFixed(2)}×`;
  const cells = [
    row.name.length > COLUMNS[0]! ? row.name.slice(0, COLUMNS[0]! - 1) + '…' : row.name.padEnd(COLUMNS[0]!),
    row.provider.padEnd(COLUMNS[1]!),
    format(row.wiretls).padStart(COLUMNS[2]!),
    formatRange(row.wiretlsRange).padStart(COLUMNS[3]!),
    format(row.baseline).padStart(COLUMNS[4]!),
    formatRange(row.baselineRange).padStart(COLUMNS[5]!),
    ratio.padStart(COLUMNS[6]!),
    `${row.unit}${row.better === 'lower' ? ' (lower better)' : ''} vs ${row.baselineName}`,
  ];
  process.stdout.write(cells.join(' ') + (row.note ? `  [${row.note}]` : '') + '\n');
}

/** Collects rows; prints each as it comes unless --json (then one document at the end). */
export class Report {
  readonly rows: Row[] = [];

  constructor(private readonly options: Options) {}

  section(title: string): void {
    if (!this.options.json) {
      printSection(title);
      printHeader();
    }
  }

  add(row: Row): void {
    this.rows.push(row);
    if (!this.options.json) printRow(row);
  }

  wants(name: string): boolean {
    return this.options.only === undefined || this.options.only.test(name);
  }
}
