import { describe, expect, test } from 'vitest';
import { type Import, importsOf, type Module, parseModule, srcModules } from './source.js';

/**
 * DESIGN.md's rule of the house: dependencies point down the picture (cli → node → connection
 * → client/server → messages, record, keyschedule, x509 → crypto, wire), nothing imports
 * upward, no cycles. Type-only imports count: a type that points up ties the layers together
 * just the same, only later.
 */

/**
 * The layers, top to bottom. A module may import modules of its own group (a folder, or a
 * top-level file) and of any layer below its own, nothing else. Groups are the first folder
 * under src/ (crypto/node apart: the node:crypto provider sits above the provider interface it
 * implements) or the file's name.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['cli'], // the command line
  ['index.ts'], // the Node entry: the engine plus node/ and explain/
  ['node'], // node:net, node:tls-shaped API
  ['engine.ts'], // the portable entry: re-exports the engine and the transports
  ['transports', 'explain'], // around the engine: Web Streams / WebSockets; the explain view of trace events
  ['connection.ts'], // the sans-I/O Connection
  ['event-delivery.ts'], // what a handshake step did, delivered to the application after it
  ['connection-context.ts', 'handshake-driver.ts'], // the state machines' view of it; one handshake step at a time
  ['client', 'server'], // the state machines
  ['config.ts', 'peer-auth.ts', 'hello-version.ts', 'traffic-keys.ts'], // what the state machines share; the keys each record direction uses
  ['handshake-context.ts'], // what a state may do to its connection, trace events
  ['transcript.ts'],
  ['record'], // the record layer's two directions hand handshake bytes to the reassembler and frame encoded messages
  ['messages', 'keyschedule.ts', 'x509'],
  ['crypto/node'],
  ['crypto'],
  ['wire', 'listeners.ts'],
  ['errors.ts'],
  ['registry.ts'], // code points ↔ names; imports nothing (the ground floor)
];

/** The only groups that may import `node:` modules (DESIGN.md: everything else runs on any runtime). */
const NODE_ONLY_GROUPS: readonly string[] = ['cli', 'node', 'crypto/node', 'index.ts'];

function groupOf(path: string): string {
  if (path.startsWith('crypto/node/')) return 'crypto/node';
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : path;
}

function layerOf(group: string): number {
  const layer = LAYERS.findIndex((groups) => groups.includes(group));
  if (layer < 0) throw new Error(`${group} is in no layer: add it to LAYERS`);
  return layer;
}

/** `from -> to` for every import of a module under src/ that does not point down (or stay in its group). */
function upwardImports(modules: readonly Module[]): string[] {
  const found = new Set<string>();
  for (const module of modules) {
    const from = groupOf(module.path);
    for (const i of internalImports(module, modules)) {
      const to = groupOf(i.target!);
      if (to !== from && layerOf(to) <= layerOf(from)) found.add(`${module.path} -> ${i.target}`);
    }
  }
  return [...found].sort();
}

function internalImports(module: Module, modules: readonly Module[]): Import[] {
  const exists = (path: string) => modules.some((m) => m.path === path);
  return importsOf(module, exists).filter((i) => i.target !== undefined);
}

/** The import cycles among `modules`: each strongly connected component of two or more, its modules sorted. */
function importCycles(modules: readonly Module[]): string[][] {
  const edges = new Map(modules.map((m) => [m.path, [...new Set(internalImports(m, modules).map((i) => i.target!))].filter((t) => t !== m.path)]));
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const m of modules) if (!index.has(m.path)) connect(m.path);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** `path:line -> node:x` for every `node:` import outside the groups allowed one. */
function nodeImportsOutside(modules: readonly Module[], allowed: readonly string[]): string[] {
  return modules
    .filter((m) => !allowed.includes(groupOf(m.path)))
    .flatMap((m) =>
      importsOf(m, () => false)
        .filter((i) => i.specifier.startsWith('node:'))
        .map((i) => `${m.path}:${i.line} -> ${i.specifier}`),
    );
}

describe('layers: dependencies point down, no cycles (DESIGN.md)', () => {
  test('every module is in a layer', () => {
    for (const m of srcModules()) expect(() => layerOf(groupOf(m.path)), m.path).not.toThrow();
  });

  test('no import points up or sideways', () => {
    expect(upwardImports(srcModules())).toEqual([]);
  });

  test('no import cycle', () => {
    expect(importCycles(srcModules())).toEqual([]);
  });

  // test/package checks everything src/engine.ts reaches (type-only and dynamic imports, Buffer,
  // process); this covers the modules no entry but index.ts reaches, explain/ for one.
  test('nothing outside src/node, src/cli, src/crypto/node (and the Node entry) imports node:', () => {
    expect(nodeImportsOutside(srcModules(), NODE_ONLY_GROUPS)).toEqual([]);
  });

  test('the checks see an upward import, a sideways one, a cycle and a node: import', () => {
    const modules = [
      parseModule('wire/reader.ts', "import type { ServerConfig } from '../config.js';"),
      parseModule('client/states.ts', "import { serverFlight } from '../server/states.js';"),
      parseModule('server/states.ts', "import { x } from './a.js';"),
      parseModule('server/a.ts', "export { y } from './b.js';"),
      parseModule('server/b.ts', "const c = await import('./states.js');"),
      parseModule('config.ts', ''),
      parseModule('explain/html.ts', "import { readFileSync } from 'node:fs';"),
    ];
    expect(upwardImports(modules)).toEqual(['client/states.ts -> server/states.ts', 'wire/reader.ts -> config.ts']);
    expect(importCycles(modules)).toEqual([['server/a.ts', 'server/b.ts', 'server/states.ts']]);
    expect(nodeImportsOutside(modules, NODE_ONLY_GROUPS)).toEqual(['explain/html.ts:1 -> node:fs']);
  });
});
