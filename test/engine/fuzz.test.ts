import { describe, expect, it } from 'vitest';
import { TARGETS, type EngineEnvironment, engineCaseId, engineEnvironment, runEngineCase, targetByName } from '../fuzz/engine.js';
import { testProviderName } from '../helpers/provider.js';

/**
 * Seeded mutation fuzzing of every handshake message, both directions, with an oracle (see
 * test/fuzz/engine.ts): each case completes with equal keys on both sides or fails with an
 * alert allowed for the damaged message, within a bounded number of turns and without a
 * timer; a side left neither completed nor failed fails the test. The seeds are fixed; a
 * failure prints the case to replay with `npm run fuzz -- --replay <case>`. The long run is
 * `npm run fuzz`.
 */

/** The pure-JavaScript provider handshakes at about half the speed: fewer cases keep the file near 15 s. */
const CASES_PER_TARGET = testProviderName() === 'noble' ? 12 : 20;
const FIRST_SEED = 1;

describe('mutation fuzzing of handshake messages (seeded, with an oracle)', { timeout: 120_000 }, () => {
  let env: EngineEnvironment | undefined;
  for (const target of TARGETS) {
    it(`${target.name}: ${CASES_PER_TARGET} mutations, each completes with equal keys or fails with an allowed alert`, async () => {
      env ??= await engineEnvironment(testProviderName());
      const outcomes = new Map<string, number>();
      const problems: string[] = [];
      for (let seed = FIRST_SEED; seed < FIRST_SEED + CASES_PER_TARGET; seed++) {
        const result = await runEngineCase(env, target, seed);
        outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
        if (result.problem) problems.push(`${engineCaseId(env, target, seed)} (${result.mutation}): ${result.problem}`);
      }
      expect(problems, `replay with npm run fuzz -- --replay <case>; outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`).toEqual([]);
      // The damage is seen: most cases end in a detection, whatever the target.
      expect(CASES_PER_TARGET - (outcomes.get('completed') ?? 0), 'cases that detected the damage').toBeGreaterThan(CASES_PER_TARGET / 2);
    });
  }

  it('the oracle fails a side that waits forever, and an alert the target does not allow', async () => {
    env ??= await engineEnvironment(testProviderName());
    // A server Finished whose length promises one byte more than is sent: the client waits for
    // it, the server for the client's Finished, and nothing else will ever arrive.
    const promiseMore = { 'length + 1': (raw: Uint8Array) => Uint8Array.of(raw[0]!, raw[1]!, raw[2]!, raw[3]! + 1, ...raw.subarray(4)) };
    const stalled = await runEngineCase(env, targetByName('server_finished'), 1, promiseMore);
    expect(stalled.outcome).toBe('stalled');
    expect(stalled.problem).toMatch(/client neither completed nor failed/);
    // The same damage as a passing case, judged against a target that allows no alert.
    const strict = { ...targetByName('server_finished'), detectors: {} };
    const judged = await runEngineCase(env, strict, 1);
    expect(judged.outcome).toMatch(/^client: /);
    expect(judged.problem).toMatch(/allowed for server_finished at the client: nothing/);
  });

  it('a case replays exactly from its seed', async () => {
    env ??= await engineEnvironment(testProviderName());
    for (const target of [TARGETS[0]!, TARGETS[4]!]) {
      const first = await runEngineCase(env, target, 7);
      const again = await runEngineCase(env, target, 7);
      expect(again).toEqual(first);
    }
  });
});
