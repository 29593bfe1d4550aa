import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

/**
 * test/mutants/run.mjs turns security checks off one at a time (not part of npm test: it takes
 * half an hour). What npm test can afford is its precondition: every mutation's `find` text
 * occurs exactly once in its file, so a refactor that moves, rewords or duplicates a check
 * fails here, at once, instead of months later in a mutation run (`node test/mutants/run.mjs --check`).
 */

interface Mutation {
  readonly name: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
  readonly tests: readonly string[];
}

// A .mjs without declarations: imported by URL, its two exports typed here.
const runner = new URL('../mutants/run.mjs', import.meta.url).href;
const { MUTATIONS, checkMutations } = (await import(runner)) as {
  MUTATIONS: readonly Mutation[];
  checkMutations: (mutations?: readonly Mutation[], root?: string) => string[];
};

const scratch = mkdtempSync(join(tmpdir(), 'wiretls-house-mutants-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the mutation table still applies to src/', () => {
  test('every mutation finds its text exactly once, and its test files exist', () => {
    expect(MUTATIONS.length).toBeGreaterThan(20);
    expect(checkMutations()).toEqual([]);
  });

  test('the check fails on a text that is gone, duplicated, or a file or test that is missing', () => {
    mkdirSync(join(scratch, 'src'), { recursive: true });
    writeFileSync(join(scratch, 'src/a.ts'), 'if (ok) check();\nif (twice) x();\nif (twice) x();\n');
    writeFileSync(join(scratch, 'a.test.ts'), '');
    const base = { replace: '', tests: ['a.test.ts'] };
    const mutations: Mutation[] = [
      { ...base, name: 'fine', file: 'src/a.ts', find: 'if (ok) check();' },
      { ...base, name: 'moved', file: 'src/a.ts', find: 'if (ok) check(); // reworded' },
      { ...base, name: 'duplicated', file: 'src/a.ts', find: 'if (twice)' },
      { ...base, name: 'no-file', file: 'src/b.ts', find: 'x' },
      { ...base, name: 'no-test', file: 'src/a.ts', find: 'check', tests: ['gone.test.ts'] },
    ];
    expect(checkMutations(mutations, scratch)).toEqual([
      'mutation moved: the text occurs 0 times in src/a.ts, not once',
      'mutation duplicated: the text occurs 2 times in src/a.ts, not once',
      'mutation no-file: src/b.ts does not exist',
      'mutation no-test: test file gone.test.ts does not exist',
    ]);
  });
});
