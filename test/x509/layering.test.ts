import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

/**
 * DESIGN.md: "Dependencies point down the picture … no cycles." x509/ once had two circles
 * (certificate.ts ↔ certificate-error.ts, certificate.ts ↔ identity.ts); this walks every
 * import (static, type-only, re-export, dynamic) of x509/ and of what it reaches, and fails
 * on any cycle among them.
 */

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles.filter(({ fileName }) => fileName.startsWith('.')).map(({ fileName }) => resolve(dirname(file), fileName).replace(/\.js$/, '.ts'));
}

/** The import graph of `entries` and every module they reach. */
function importGraph(entries: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const targets = importsOf(file);
    graph.set(file, targets);
    pending.push(...targets);
  }
  return graph;
}

/** Each back edge of a depth-first walk, as the cycle it closes ("a.ts -> b.ts -> a.ts"). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      const at = stack.indexOf(target);
      if (at !== -1) found.push([...stack.slice(at), target].map((f) => relative(SRC, f)).join(' -> '));
      else if (!done.has(target)) visit(target);
    }
    stack.pop();
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

describe('x509/ layering', () => {
  const x509 = readdirSync(join(SRC, 'x509'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(SRC, 'x509', f));
  const graph = importGraph(x509);

  test('no import cycle among x509/ and the modules it reaches', () => {
    expect(graph.size).toBeGreaterThan(x509.length); // crypto/, wire/, errors.ts are walked too
    expect(cycles(graph)).toEqual([]);
  });

  test('the walker finds a cycle when there is one', () => {
    const a = join(SRC, 'a.ts');
    const b = join(SRC, 'b.ts');
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual(['a.ts -> b.ts -> a.ts']);
  });

  test('the DER reader, the types and the IP helpers import nothing else of x509/', () => {
    for (const name of ['der.ts', 'types.ts', 'ip-address.ts']) {
      const local = importsOf(join(SRC, 'x509', name)).filter((f) => dirname(f) === join(SRC, 'x509'));
      expect(local, name).toEqual([]);
    }
  });
});
