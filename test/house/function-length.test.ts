import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { type Module, parseModule, srcModules } from './source.js';

/**
 * Issue 12: no function in src/ is longer than 80 lines, data tables excepted. A function is
 * anything with a body (declaration, method, constructor, accessor, arrow, function
 * expression), measured from its first token to its closing brace, its doc comment not
 * counted. Functions inside a function count towards it: a factory returning closures is
 * one function, and it is split like any other.
 */
const MAX_FUNCTION_LINES = 80;

/**
 * Functions allowed to be longer because they are data, not logic: `path:name` → why. Empty
 * today; a table that grows past 80 lines belongs in a `const` (not a function) anyway.
 */
const DATA_TABLES: Readonly<Record<string, string>> = {};

/** A readable name for a function: its own, its variable's or property's, or the class member's. */
function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
  return '<anonymous>';
}

interface LongFunction {
  readonly key: string;
  readonly line: number;
  readonly lines: number;
}

/** Every function in `module` longer than `max` lines (nested ones included, each on its own). */
function longFunctions(module: Module, max = MAX_FUNCTION_LINES): LongFunction[] {
  const found: LongFunction[] = [];
  const { source } = module;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (last - first + 1 > max) found.push({ key: `${module.path}:${nameOf(node)}`, line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const allLong = () => srcModules().flatMap((m) => longFunctions(m));

describe('no function in src/ over 80 lines (issue 12)', () => {
  test('every long function is a data table', () => {
    const offenders = allLong()
      .filter((f) => !(f.key in DATA_TABLES))
      .map((f) => `${f.key} (line ${f.line}, ${f.lines} lines)`);
    expect(offenders).toEqual([]);
  });

  test('the data-table list names only functions that are still too long', () => {
    const long = new Set(allLong().map((f) => f.key));
    expect(Object.keys(DATA_TABLES).filter((key) => !long.has(key))).toEqual([]);
  });

  test('the measure: first token to closing brace, a factory with its closures, each nested function on its own', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const module = parseModule(
      'sample.ts',
      [
        '/** A doc comment is not counted. */',
        `export function exactly80() {\n${body(78)}\n}`,
        `export function just81() {\n${body(79)}\n}`,
        `export function factory() {\n${body(40)}\n  return { run: () => {\n${body(40)}\n  } };\n}`,
        `class C {\n  constructor() {\n${body(90)}\n  }\n}`,
      ].join('\n'),
    );
    expect(longFunctions(module).map((f) => [f.key, f.lines])).toEqual([
      ['sample.ts:just81', 81],
      ['sample.ts:factory', 84],
      ['sample.ts:constructor', 92],
    ]);
  });
});
