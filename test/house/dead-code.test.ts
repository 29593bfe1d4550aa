import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { exportsOf, importsOf, localUses, type Module, parseModule, ROOT, SRC, srcModules, where } from './source.js';

/**
 * Issue 12 item 6: no dead or test-only code in src/. Every export of every module under src/
 * is imported by another module under src/, or is part of the public API: exported by an entry
 * the package hands out (package.json's exports map and bin, mapped from dist/ back to src/).
 * An export only tests import is test-only code: it moves to test/helpers/. An export nobody
 * imports is dead: it goes.
 */

/**
 * Exports that break the rule today in files other helpers of issue 12 are restructuring (or, for
 * cli/trace.ts, editing): the lead empties this list after merging their branches. Keyed
 * `module#name` (`module#*`: every export of that module), each with its fate.
 */
const PENDING_DEAD_EXPORTS: Readonly<Record<string, string>> = {};

const pending = (key: string) => key in PENDING_DEAD_EXPORTS || `${key.slice(0, key.indexOf('#'))}#*` in PENDING_DEAD_EXPORTS;

/** The entry modules under src/ that package.json publishes (exports map and bin). */
function publishedEntries(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: unknown; bin?: Record<string, string>; main?: string };
  const targets: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v);
  };
  collect(pkg.exports);
  collect(pkg.bin);
  collect(pkg.main);
  const entries = targets.filter((t) => /^(\.\/)?dist\/.*\.js$/.test(t)).map((t) => t.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '.ts'));
  return [...new Set(entries)].sort();
}

/** Exported names each module is imported for (`'all'` when any may be used), by `importers`. */
function usage(importers: readonly Module[], exists: (path: string) => boolean): Map<string, Set<string> | 'all'> {
  const used = new Map<string, Set<string> | 'all'>();
  for (const module of importers) {
    for (const i of importsOf(module, exists)) {
      if (i.target === undefined || i.target === module.path) continue;
      const seen = used.get(i.target);
      if (seen === 'all') continue;
      if (i.all) used.set(i.target, 'all');
      else used.set(i.target, new Set([...(seen ?? []), ...i.names]));
    }
  }
  return used;
}

const has = (used: Map<string, Set<string> | 'all'>, path: string, name: string) => {
  const seen = used.get(path);
  return seen === 'all' || seen?.has(name) === true;
};

/**
 * `module#name (where: why)` for every export of `modules` that breaks the rule. An export is
 * fine when another module under src/ imports it, an entry publishes it, or its own module uses
 * it and a test imports it (an internal with unit tests of its own). Otherwise it is:
 * - dead: nothing uses it, not even a test: delete it;
 * - test-only: only tests use it: move it to test/helpers/;
 * - a needless export: only its own module uses it: drop `export`.
 * A type (interface, type alias) its own module names (in the signature of an export others
 * use, typically) is documentation of that signature, and fine.
 */
function unusedExports(modules: readonly Module[], entries: readonly string[], tests: readonly Module[] = []): string[] {
  const paths = new Set(modules.map((m) => m.path));
  const exists = (path: string) => paths.has(path);
  const used = usage(modules, exists);
  const tested = usage(tests, exists);
  const unused: string[] = [];
  for (const module of modules) {
    if (entries.includes(module.path)) continue;
    for (const [name, exported] of exportsOf(module)) {
      if (has(used, module.path, name)) continue;
      const uses = localUses(module.source, name, exported.node);
      const byTests = has(tested, module.path, name);
      if (uses > 0 && (byTests || exported.kind === 'type')) continue;
      const why = uses > 0 ? 'needless export: only its own module uses it' : byTests ? 'test-only: only tests use it' : 'dead: nothing uses it';
      unused.push(`${module.path}#${name} (${where(module, exported.node)}: ${why})`);
    }
  }
  return unused;
}

/** The test files (test/**), as modules whose paths are relative to src/ ('../test/…'), so their imports resolve into src/. */
function testModules(): Module[] {
  const list = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name)) : /\.(ts|mts|mjs)$/.test(e.name) ? [join(dir, e.name)] : []));
  return list(join(ROOT, 'test')).map((file) => parseModule(relative(SRC, file).split('\\').join('/'), readFileSync(file, 'utf8')));
}

let cached: string[] | undefined;
/** Today's offenders in src/, computed once for the tests below. */
const offendersToday = () => (cached ??= unusedExports(srcModules(), publishedEntries(), testModules()));

const strip = (offender: string) => offender.replace(/ \(.*\)$/, '');

describe('no dead or test-only exports in src/ (issue 12 item 6)', () => {
  test('the published entries are the ones package.json names', () => {
    expect(publishedEntries()).toEqual(['cli/main.ts', 'engine.ts', 'index.ts']);
  });

  test('every export is imported by another module under src/, published, or a unit-tested internal', () => {
    const offenders = offendersToday().filter((o) => !pending(strip(o)));
    expect(offenders).toEqual([]);
  });

  test('the pending list names only exports that are still unused', () => {
    const unused = offendersToday().map(strip);
    const modules = new Set(unused.map((key) => `${key.slice(0, key.indexOf('#'))}#*`));
    expect(Object.keys(PENDING_DEAD_EXPORTS).filter((key) => !unused.includes(key) && !modules.has(key))).toEqual([]);
  });

  test('the check tells dead, test-only and needless exports, through named, namespace, re-exported and dynamic imports', () => {
    const modules = [
      parseModule('entry.ts', "export { a } from './a.js';\nexport const own = 1;\nimport { g } from './b.js';\ng({ y: 1 });"),
      parseModule(
        'a.ts',
        "import * as b from './b.js';\nexport const a = b.used + local() + tested();\nexport function helperOnlyTestsCall() {}\nexport function local() { return 1; }\nexport function tested() { return 2; }",
      ),
      parseModule(
        'b.ts',
        'export const used = 1;\nexport const unusedToo = 2;\nexport type Shape = { x: number };\nexport interface Options { y: number }\nexport function g(o: Options) { return o.y; }',
      ),
      parseModule('c.ts', "export async function load() { return (await import('./d.js')).d; }"),
      parseModule('d.ts', 'export const d = 1;\nexport const e = 2;'),
    ];
    const tests = [parseModule('../test/a.test.ts', "import { helperOnlyTestsCall, tested } from '../src/a.js';")];
    expect(unusedExports(modules, ['entry.ts'], tests)).toEqual([
      'a.ts#helperOnlyTestsCall (a.ts:3: test-only: only tests use it)',
      'a.ts#local (a.ts:4: needless export: only its own module uses it)',
      'b.ts#unusedToo (b.ts:2: dead: nothing uses it)',
      'b.ts#Shape (b.ts:3: dead: nothing uses it)',
      'c.ts#load (c.ts:1: dead: nothing uses it)',
    ]);
  });
});
