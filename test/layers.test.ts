import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md: "Dependencies point down the picture: cli → node → connection → client/server →
 * messages, record, keyschedule, x509 → crypto, wire. Nothing imports upward; no cycles."
 * Checked here for the state machines and what they share (config.ts, handshake-context.ts,
 * peer-auth.ts): every import, type-only ones included, goes to the same floor or below.
 */

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Floors, bottom up; a file may import its own floor and those below. */
const FLOORS: [floor: number, matches: (path: string) => boolean][] = [
  [0, (p) => p.startsWith('wire/') || p === 'registry.ts' || p === 'errors.ts'],
  [1, (p) => p.startsWith('crypto/')],
  [2, (p) => p.startsWith('messages/') || p.startsWith('record/') || p.startsWith('x509/') || ['keyschedule.ts', 'transcript.ts', 'hello-version.ts'].includes(p)],
  // What the state machines share: the options they read and the connection they drive.
  [3, (p) => p === 'config.ts' || p === 'handshake-context.ts'],
  [4, (p) => p === 'peer-auth.ts'],
  [5, (p) => p.startsWith('client/') || p.startsWith('server/')],
  [6, (p) => p === 'connection.ts' || p === 'engine.ts'],
  [7, (p) => p.startsWith('node/') || p.startsWith('transports/') || p.startsWith('explain/')],
  [8, (p) => p.startsWith('cli/') || p === 'index.ts'],
];

function floorOf(path: string): number {
  const found = FLOORS.find(([, matches]) => matches(path));
  if (!found) throw new Error(`${path} is on no floor`);
  return found[0];
}

/** The src/-relative paths a file imports (static, dynamic and type-only). */
function importsOf(path: string): string[] {
  const text = readFileSync(join(SRC, path), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(SRC, normalize(join(SRC, dirname(path), s))).replace(/\.js$/, '.ts'));
}

const CHECKED = ['config.ts', 'handshake-context.ts', 'peer-auth.ts', ...['client', 'server'].flatMap((d) => readdirSync(join(SRC, d)).map((f) => `${d}/${f}`))];

describe('layering of the state machines (DESIGN.md)', () => {
  it('no file imports from a floor above its own', () => {
    const upward = CHECKED.flatMap((file) =>
      importsOf(file)
        .filter((target) => floorOf(target) > floorOf(file))
        .map((target) => `${file} → ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('the client and the server do not import each other, and config.ts imports neither', () => {
    const across = CHECKED.flatMap((file) =>
      importsOf(file)
        .filter(
          (target) =>
            (file.startsWith('client/') && target.startsWith('server/')) ||
            (file.startsWith('server/') && target.startsWith('client/')) ||
            (file === 'config.ts' && floorOf(target) >= 5),
        )
        .map((target) => `${file} → ${target}`),
    );
    expect(across).toEqual([]);
  });

  it('no import cycles among them', () => {
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (path.includes(file)) {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      if (!CHECKED.includes(file)) return;
      for (const target of importsOf(file)) visit(target, [...path, file]);
    };
    for (const file of CHECKED) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('sees the imports it checks (control)', () => {
    expect(importsOf('server/tickets.ts')).toContain('config.ts');
    expect(importsOf('client/states.ts')).toContain('peer-auth.ts');
  });
});
