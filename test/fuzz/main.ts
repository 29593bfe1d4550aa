import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { TestProviderName } from '../helpers/provider.js';
import { CODEC_TARGETS, codecCaseId, codecTargetByName, runCodecCase } from './codecs.js';
import { TARGETS, engineCaseId, engineEnvironment, runEngineCase, targetByName } from './engine.js';

/**
 * `npm run fuzz -- --seconds N`: the targets of test/messages/properties.test.ts and
 * test/engine/fuzz.test.ts at full speed for N seconds, alternating slices of codec cases and
 * engine handshakes, then a summary. Exit status 1 on any failure, each printed with the case
 * that reproduces it: `npm run fuzz -- --replay '<case>'`.
 *
 * Seeds run upwards from --seed (default: drawn from the clock and printed), so two runs with
 * the same --seed and the same number of cases see the same inputs.
 */

const USAGE = `usage: npm run fuzz -- [--seconds N] [--only codecs|engine] [--provider native|noble] [--seed S] [--engine-share F]
       npm run fuzz -- --replay 'codec:<target>:<seed>' | 'engine:<provider>:<target>:<seed>'`;

interface Failure {
  id: string;
  problem: string;
}

const MAX_REPORTED = 20;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      only: { type: 'string' },
      provider: { type: 'string', default: 'native' },
      seed: { type: 'string' },
      'engine-share': { type: 'string', default: '0.5' },
      replay: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.replay !== undefined) return replay(values.replay);

  const seconds = Number(values.seconds);
  const provider = values.provider as TestProviderName;
  const engineShare = values.only === 'codecs' ? 0 : values.only === 'engine' ? 1 : Number(values['engine-share']);
  const firstSeed = values.seed !== undefined ? Number(values.seed) >>> 0 : (Date.now() * 1000 + Math.floor(performance.now())) >>> 0;
  if (!(seconds > 0) || !['native', 'noble'].includes(provider) || !(engineShare >= 0 && engineShare <= 1) || (values.only && !['codecs', 'engine'].includes(values.only))) {
    console.error(USAGE);
    return 2;
  }

  // Every refusal is a TLSError, and capturing its stack is most of what a refused input
  // costs; the report names the case, and --replay runs it again with stacks.
  Error.stackTraceLimit = 0;
  const env = await engineEnvironment(provider);
  console.log(
    `wiretls fuzz: ${seconds} s, provider ${provider}, first seed ${firstSeed}, ${CODEC_TARGETS.length} codec targets, ${TARGETS.length} engine targets, engine share ${engineShare}`,
  );

  const failures: Failure[] = [];
  const codecCounts = new Map<string, number>();
  const engineOutcomes = new Map<string, Map<string, number>>();
  let codecInputs = 0;
  let handshakes = 0;
  let codecMs = 0;
  let engineMs = 0;
  let slowestCodec = { ms: 0, id: '' };
  let slowestEngine = { ms: 0, id: '' };
  let codecSeed = firstSeed;
  let engineSeed = firstSeed;
  const start = performance.now();
  const end = start + seconds * 1000;
  let nextReport = start + 10_000;
  const SLICE_MS = 1000;

  const report = (now: number): void => {
    const elapsed = (now - start) / 1000;
    console.log(
      `[${elapsed.toFixed(0)} s] codec inputs ${codecInputs} (${rate(codecInputs, codecMs)}/s), engine handshakes ${handshakes} (${rate(handshakes, engineMs)}/s), failures ${failures.length}`,
    );
  };

  for (let now = performance.now(); now < end; now = performance.now()) {
    // Codec slice.
    const codecUntil = Math.min(end, now + SLICE_MS * (1 - engineShare));
    for (let t = performance.now(); t < codecUntil; t = performance.now()) {
      for (const target of CODEC_TARGETS) {
        const before = performance.now();
        const problem = runCodecCase(target, codecSeed);
        const ms = performance.now() - before;
        if (ms > slowestCodec.ms) slowestCodec = { ms, id: codecCaseId(target, codecSeed) };
        codecCounts.set(target.name, (codecCounts.get(target.name) ?? 0) + 1);
        codecInputs++;
        if (problem) record(failures, codecCaseId(target, codecSeed), problem);
      }
      codecSeed = (codecSeed + 1) >>> 0;
      codecMs += performance.now() - t;
    }
    // Engine slice.
    const engineUntil = Math.min(end, performance.now() + SLICE_MS * engineShare);
    for (let t = performance.now(); t < engineUntil; t = performance.now()) {
      for (const target of TARGETS) {
        const before = performance.now();
        const result = await runEngineCase(env, target, engineSeed);
        const ms = performance.now() - before;
        if (ms > slowestEngine.ms) slowestEngine = { ms, id: engineCaseId(env, target, engineSeed) };
        const outcomes = engineOutcomes.get(target.name) ?? new Map<string, number>();
        outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
        engineOutcomes.set(target.name, outcomes);
        handshakes++;
        if (result.problem) record(failures, engineCaseId(env, target, engineSeed), `${result.mutation}: ${result.problem}`);
      }
      engineSeed = (engineSeed + 1) >>> 0;
      engineMs += performance.now() - t;
    }
    if (performance.now() >= nextReport) {
      report(performance.now());
      nextReport += 10_000;
    }
  }

  const elapsed = (performance.now() - start) / 1000;
  console.log(`\nsummary after ${elapsed.toFixed(1)} s (provider ${provider}, seeds ${firstSeed}..):`);
  console.log(
    `  codec inputs:      ${codecInputs} in ${(codecMs / 1000).toFixed(1)} s, ${rate(codecInputs, codecMs)} inputs/s, seeds ${firstSeed}..${(codecSeed - 1) >>> 0}; slowest ${slowestCodec.ms.toFixed(1)} ms (${slowestCodec.id})`,
  );
  console.log(
    `  engine handshakes: ${handshakes} in ${(engineMs / 1000).toFixed(1)} s, ${rate(handshakes, engineMs)} handshakes/s, seeds ${firstSeed}..${(engineSeed - 1) >>> 0}; slowest ${slowestEngine.ms.toFixed(1)} ms (${slowestEngine.id})`,
  );
  for (const [name, outcomes] of engineOutcomes) {
    const list = [...outcomes].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o} ${n}`);
    console.log(`    ${name}: ${list.join(', ')}`);
  }
  console.log(`  failures: ${failures.length}`);
  for (const f of failures.slice(0, MAX_REPORTED)) console.log(`    ${f.id}\n      ${f.problem}`);
  if (failures.length > 0) console.log(`  reproduce one with: npm run fuzz -- --replay '<case>'`);
  return failures.length > 0 ? 1 : 0;
}

function record(failures: Failure[], id: string, problem: string): void {
  failures.push({ id, problem });
  if (failures.length <= MAX_REPORTED) console.log(`FAIL ${id}: ${problem}`);
}

function rate(n: number, ms: number): string {
  return ms > 0 ? Math.round((n * 1000) / ms).toString() : '-';
}

async function replay(id: string): Promise<number> {
  const [kind, ...rest] = id.split(':');
  if (kind === 'codec' && rest.length >= 2) {
    const seed = Number(rest.at(-1));
    const target = codecTargetByName(rest.slice(0, -1).join(':'));
    const problem = runCodecCase(target, seed);
    console.log(problem ? `FAIL ${id}: ${problem}` : `pass ${id}`);
    return problem ? 1 : 0;
  }
  if (kind === 'engine' && rest.length === 3) {
    const [provider, name, seed] = rest as [TestProviderName, string, string];
    // Every refusal is a TLSError, and capturing its stack is most of what a refused input
    // costs; the report names the case, and --replay runs it again with stacks.
    Error.stackTraceLimit = 0;
    const env = await engineEnvironment(provider);
    const result = await runEngineCase(env, targetByName(name), Number(seed));
    console.log(
      `${result.problem ? 'FAIL' : 'pass'} ${id}: mutation ${result.mutation}, outcome ${result.outcome}, ${result.turns} turns${result.problem ? `: ${result.problem}` : ''}`,
    );
    return result.problem ? 1 : 0;
  }
  console.error(USAGE);
  return 2;
}

process.exitCode = await main();
