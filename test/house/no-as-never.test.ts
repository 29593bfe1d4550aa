import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { type Module, parseModule, srcModules, where } from './source.js';

/**
 * Issue 12 item 4: no `as never` in src/. A cast to never switches the type check off for the
 * value it touches; where a decoded number enters a state machine, a guard such as
 * `isNamedGroup(n): n is NamedGroup` says what is checked instead.
 */

/** `path:line` of every `as never` (and `<never>x`) in `module`. */
function castsToNever(module: Module): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && node.type.kind === ts.SyntaxKind.NeverKeyword) found.push(where(module, node));
    ts.forEachChild(node, visit);
  };
  visit(module.source);
  return found;
}

describe('no `as never` in src/ (issue 12 item 4)', () => {
  test('no module casts to never', () => {
    expect(srcModules().flatMap(castsToNever)).toEqual([]);
  });

  test('the check finds `as never` and `<never>` in code, not in comments or strings', () => {
    const module = parseModule('sample.ts', "// x as never\nconst s = 'as never';\nconst a = (1 as never);\nconst b = <never>a;\nconst c = a as unknown as never;");
    expect(castsToNever(module)).toEqual(['sample.ts:3', 'sample.ts:4', 'sample.ts:5']);
  });
});
