import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { exportsOf, importsOf, localUses, type Module, parseModule, ROOT, srcModules, where } from './source.js';

/**
 * Issue 12 item 6: no dead or test-only code in src/. Every export of every module under src/
 * is imported by another module under src/, or is part of the public API: exported by an entry
 * the package hands out (package.json's exports map and bin, mapped from dist/ back to src/).
 * An export only tests import is test-only code: it moves to test/helpers/. An export nobody
 * imports is dead: it goes.
 */

/**
 * Exports that break the rule today in files other helpers of issue 12 are restructuring; the
 * lead empties this list after merging their branches. Keyed `module#name`, each with its fate.
 */
const PENDING_DEAD_EXPORTS: Readonly<Record<string, string>> = {};

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

/**
 * `module#name` for every export that no other module imports and no entry publishes: a value
 * (function, class, constant) anywhere, a type (interface, type alias) only when nothing at all
 * names it, its own module included. An exported type that only describes the parameters or
 * result of an export others use is documentation of that signature, not dead code.
 */
function unusedExports(modules: readonly Module[], entries: readonly string[]): string[] {
  const used = new Map<string, Set<string> | 'all'>();
  for (const entry of entries) used.set(entry, 'all');
  const exists = (path: string) => modules.some((m) => m.path === path);
  for (const module of modules) {
    for (const i of importsOf(module, exists)) {
      if (i.target === undefined || i.target === module.path) continue;
      const seen = used.get(i.target);
      if (seen === 'all') continue;
      if (i.all) used.set(i.target, 'all');
      else used.set(i.target, new Set([...(seen ?? []), ...i.names]));
    }
  }
  const unused: string[] = [];
  for (const module of modules) {
    const seen = used.get(module.path);
    if (seen === 'all') continue;
    for (const [name, exported] of exportsOf(module)) {
      if (seen?.has(name)) continue;
      const uses = localUses(module.source, name, exported.node);
      if (exported.kind === 'type' && uses > 0) continue;
      const why = uses > 0 ? 'only its own module uses it' : 'nothing uses it';
      unused.push(`${module.path}#${name} (${where(module, exported.node)}: ${why})`);
    }
  }
  return unused;
}

const strip = (offender: string) => offender.replace(/ \(.*\)$/, '');

describe('no dead or test-only exports in src/ (issue 12 item 6)', () => {
  test('the published entries are the ones package.json names', () => {
    expect(publishedEntries()).toEqual(['cli/main.ts', 'engine.ts', 'index.ts']);
  });

  test('every export is imported by another module under src/ or published', () => {
    const offenders = unusedExports(srcModules(), publishedEntries()).filter((o) => !(strip(o) in PENDING_DEAD_EXPORTS));
    expect(offenders).toEqual([]);
  });

  test('the pending list names only exports that are still unused', () => {
    const unused = new Set(unusedExports(srcModules(), publishedEntries()).map(strip));
    expect(Object.keys(PENDING_DEAD_EXPORTS).filter((key) => !unused.has(key))).toEqual([]);
  });

  test('the check sees an unused export, through named, namespace, re-exported and dynamic imports', () => {
    const modules = [
      parseModule('entry.ts', "export { a } from './a.js';\nexport const own = 1;\nimport { g } from './b.js';\ng({ y: 1 });"),
      parseModule('a.ts', "import * as b from './b.js';\nexport const a = b.used + local();\nexport function helperOnlyTestsCall() {}\nexport function local() { return 1; }"),
      parseModule(
        'b.ts',
        'export const used = 1;\nexport const unusedToo = 2;\nexport type Shape = { x: number };\nexport interface Options { y: number }\nexport function g(o: Options) { return o.y; }',
      ),
      parseModule('c.ts', "export async function load() { return (await import('./d.js')).d; }"),
      parseModule('d.ts', 'export const d = 1;\nexport const e = 2;'),
    ];
    expect(unusedExports(modules, ['entry.ts']).map(strip)).toEqual(['a.ts#helperOnlyTestsCall', 'a.ts#local', 'b.ts#unusedToo', 'b.ts#Shape', 'c.ts#load']);
  });
});
