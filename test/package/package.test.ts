import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Metafile, type Plugin, build } from 'esbuild';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../cli/cli.js';

/**
 * The package as a user gets it (issue 14 item 1): dist/ through the exports map, installed in
 * a throw-away project by a node_modules symlink, bundled with esbuild for the browser and
 * loaded by Node, Deno and Bun. And the source-level rule behind it: nothing reachable from
 * src/engine.ts imports `node:` (not even a type) or names Buffer or process.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/**
 * The main chunk (the entry and every chunk it imports statically, each gzipped on its own, as
 * a browser fetches them) of the browser app below, minified. Issue 14's target is 50 KiB;
 * issue 14's build measured 50.8 KiB: missed, and the README says by how much. Issue 12's
 * redesign added 2.9 KiB, measured merge by merge: the error reasons (one name per protocol
 * rule, in PROTOCOL_REASONS) 1.2, the record layer's split into classes with named methods
 * (which a minifier cannot shorten) 1.0, the x509 and handshake splits 0.6, event delivery
 * after a step 0.2; 53.7 KiB measured. The budget sits just above the measurement, so that
 * growth is a decision and not an accident.
 */
const MAIN_CHUNK_GZIP_BUDGET = 54 * 1024;

/**
 * A browser client of the kind issue 14 sizes (x25519/P-256/AES-GCM, ECDSA and RSA
 * certificates): the WebCrypto provider without extras, certificate checks on.
 */
const BROWSER_APP = `
import { ClientConnection, webcryptoProvider, X509Verifier, TrustStore } from 'wiretls';
export function open(rootsPem, serverName, send) {
  const client = new ClientConnection({ serverName, provider: webcryptoProvider(), verifier: new X509Verifier({ trustStore: TrustStore.fromPem(rootsPem) }) });
  client.on('send', send);
  client.start();
  return client;
}
`;

/** The same client on the pure-JavaScript provider, measured for comparison. */
const NOBLE_APP = BROWSER_APP.replaceAll('webcryptoProvider', 'nobleProvider');

let project: string;

beforeAll(async () => {
  await ensureBuilt();
  project = mkdtempSync(join(tmpdir(), 'wiretls-package-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules/wiretls'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { wiretls: `file:${ROOT}` } }));
  writeFileSync(join(project, 'app.js'), BROWSER_APP);
  writeFileSync(join(project, 'noble-app.js'), NOBLE_APP);
  writeFileSync(
    join(project, 'probe.mjs'),
    "import * as w from 'wiretls';\nconsole.log(JSON.stringify({ nodeApi: typeof w.connect === 'function', engine: typeof w.ClientConnection === 'function' && typeof w.X509Verifier === 'function' }));\n",
  );
}, 240_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('src/engine.ts reaches nothing Node-only', () => {
  /** Every module reachable from `entry` by any import (static, type-only, re-export, dynamic), with its bare specifiers. */
  function importGraph(entry: string): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    const pending = [entry];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (graph.has(file)) continue;
      const bare: string[] = [];
      graph.set(file, bare);
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        if (!fileName.startsWith('.')) {
          bare.push(fileName);
          continue;
        }
        const target = resolve(dirname(file), fileName).replace(/\.js$/, '.ts');
        expect(existsSync(target), `${relative(ROOT, file)} imports ${fileName}`).toBe(true);
        pending.push(target);
      }
    }
    return graph;
  }

  /** Buffer and process as names the code refers to (not property names such as `.process`). */
  function globalNames(file: string): string[] {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && (node.text === 'Buffer' || node.text === 'process')) {
        const parent = node.parent;
        const isMemberName =
          (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
          ((ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent) || ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent)) && parent.name === node);
        if (!isMemberName) found.push(`${relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.text}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  }

  const graph = importGraph(join(SRC, 'engine.ts'));

  test('no module it reaches imports node: (static, type-only or dynamic) or lives in src/node, src/cli, src/crypto/node', () => {
    const files = [...graph.keys()].map((f) => relative(SRC, f));
    expect(files).toContain('x509/x509-verifier.ts');
    expect(files).toContain('x509/ed448-signature.ts'); // the dynamic import is followed too
    expect(files.filter((f) => /^(node|cli|crypto\/node)\//.test(f))).toEqual([]);
    const nodeImports = [...graph].flatMap(([file, bare]) => bare.filter((s) => s.startsWith('node:')).map((s) => `${relative(SRC, file)} -> ${s}`));
    expect(nodeImports).toEqual([]);
    // The packages it may use: the portable crypto only (pkijs and asn1js are the CLI's).
    const packages = new Set(
      [...graph.values()].flat().map((s) =>
        s
          .split('/')
          .slice(0, s.startsWith('@') ? 2 : 1)
          .join('/'),
      ),
    );
    expect([...packages].sort()).toEqual(['@noble/ciphers', '@noble/curves', '@noble/hashes', '@noble/post-quantum']);
  });

  test('no module it reaches names Buffer or process', () => {
    expect([...graph.keys()].flatMap(globalNames)).toEqual([]);
  });

  test('the checks see what they look for: the Node entry names node: modules, Buffer and process', () => {
    const nodeGraph = importGraph(join(SRC, 'index.ts'));
    expect([...nodeGraph.values()].flat()).toContain('node:tls');
    expect([...nodeGraph.keys()].flatMap(globalNames).join('\n')).toMatch(/Buffer[\s\S]*process|process[\s\S]*Buffer/);
  });
});

describe('the exports map hands each runtime its entry', () => {
  /** Resolves `specifier` from the consumer project the way esbuild does for these options, without bundling. */
  async function esbuildResolves(specifier: string, platform: 'browser' | 'node' | 'neutral', conditions?: string[]): Promise<string> {
    let resolved = '';
    const record: Plugin = {
      name: 'record',
      setup(b) {
        b.onResolve({ filter: /^wiretls(\/.*)?$/ }, async (args) => {
          if (args.pluginData === 'inner') return undefined;
          const result = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'inner' });
          if (result.errors.length > 0) throw new Error(result.errors.map((e) => e.text).join('; '));
          resolved = relative(ROOT, result.path);
          return { path: result.path, external: true };
        });
      },
    };
    await build({
      stdin: { contents: `import * as w from ${JSON.stringify(specifier)}; console.log(w);`, resolveDir: project },
      bundle: true,
      write: false,
      platform,
      format: 'esm',
      ...(conditions ? { conditions } : {}),
      plugins: [record],
      logLevel: 'silent',
    });
    return resolved;
  }

  test.each([
    ['browser (esbuild --platform=browser)', 'browser', undefined, 'dist/engine.js'],
    ['worker', 'neutral', ['worker'], 'dist/engine.js'],
    ['workerd (wrangler: workerd, worker, browser)', 'neutral', ['workerd', 'worker', 'browser'], 'dist/engine.js'],
    ['deno', 'neutral', ['deno'], 'dist/engine.js'],
    ['bun', 'neutral', ['bun'], 'dist/engine.js'],
    ['no condition but the defaults', 'neutral', undefined, 'dist/engine.js'],
    ['node (esbuild --platform=node)', 'node', undefined, 'dist/index.js'],
    ['bun before node, as Bun matches both', 'neutral', ['bun', 'node'], 'dist/engine.js'],
  ] as const)('%s', async (_name, platform, conditions, expected) => {
    expect(await esbuildResolves('wiretls', platform, conditions ? [...conditions] : undefined)).toBe(expected);
  });

  test('wiretls/engine is the engine everywhere, and package.json stays reachable', async () => {
    expect(await esbuildResolves('wiretls/engine', 'node')).toBe('dist/engine.js');
    expect(await esbuildResolves('wiretls/engine', 'browser')).toBe('dist/engine.js');
    expect(await esbuildResolves('wiretls/package.json', 'node')).toBe('package.json');
  });

  test("types follow the code: the Node entry's declarations for node, the engine's otherwise", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, unknown>>; sideEffects: unknown };
    const dot = pkg.exports['.']!;
    // Runtimes that also match "node" (Bun, Deno) must meet their own key first.
    const keys = Object.keys(dot);
    expect(keys.indexOf('deno')).toBeLessThan(keys.indexOf('node'));
    expect(keys.indexOf('bun')).toBeLessThan(keys.indexOf('node'));
    expect(keys.at(-1)).toBe('default');
    expect(dot.node).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    for (const key of ['deno', 'bun', 'workerd', 'worker', 'browser']) expect(dot[key]).toEqual({ types: './dist/engine.d.ts', default: './dist/engine.js' });
    for (const file of ['dist/index.d.ts', 'dist/engine.d.ts', 'dist/engine.js', 'dist/index.js']) expect(existsSync(join(ROOT, file)), file).toBe(true);
    expect(pkg.sideEffects).toEqual(['./dist/index.js', './dist/node/native-bytes.js']);
  });

  test("a Node bundle keeps the Node entry's one side effect (Buffer's byte conversions), even using only the engine", async () => {
    const result = await build({
      stdin: { contents: "import { ClientConnection } from 'wiretls'; console.log(ClientConnection);", resolveDir: project },
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    const text = result.outputFiles[0]!.text;
    expect(text).toContain('installNativeBytes(');
    expect(text).toContain('allocUnsafeSlow');
    // and no more of the Node API than that
    expect(text).not.toContain('createServer');
  });

  /** Runs the probe in the consumer project; undefined when the runtime is not installed. */
  function probe(command: string, args: string[]): { nodeApi: boolean; engine: boolean } | undefined {
    if (!existsSync(command)) {
      if (process.env.WIRETLS_REQUIRE_RUNTIMES === '1') throw new Error(`${command} is not installed`);
      return undefined;
    }
    const run = spawnSync(command, args, {
      cwd: project,
      encoding: 'utf8',
      timeout: 90_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    expect(run.status, `${command} ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`).toBe(0);
    return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { nodeApi: boolean; engine: boolean };
  }

  test('node loads the Node entry', () => {
    expect(probe(process.execPath, ['probe.mjs'])).toEqual({ nodeApi: true, engine: true });
  }, 100_000);

  test.each([
    ['deno', ['run', '--allow-read', '--allow-env', 'probe.mjs']],
    ['bun', ['probe.mjs']],
  ])(
    '%s loads the engine',
    (runtime, args) => {
      const result = probe(join(ROOT, 'node_modules/.bin', runtime), args);
      if (result === undefined) {
        console.warn(`[package] ${runtime} is not installed: its exports-map check is skipped`);
        return;
      }
      expect(result).toEqual({ nodeApi: false, engine: true });
    },
    100_000,
  );
});

describe('a browser bundle', () => {
  interface Chunk {
    readonly file: string;
    readonly minified: number;
    readonly gzip: number;
    readonly inputs: readonly string[];
    readonly contents: Uint8Array;
  }

  /** Bundles `entry` from the consumer project; returns the chunks the page loads up front and those it loads on demand. */
  async function bundle(entry: string, options: { minify: boolean; define?: Record<string, string>; external?: string[] }) {
    const outdir = join(project, 'out');
    const result = await build({
      entryPoints: [join(project, entry)],
      absWorkingDir: project,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      minify: options.minify,
      outdir,
      write: false,
      metafile: true,
      logLevel: 'silent',
      ...(options.define ? { define: options.define } : {}),
      ...(options.external ? { external: options.external } : {}),
    });
    const metafile: Metafile = result.metafile;
    const contents = new Map(result.outputFiles.map((f) => [relative(project, f.path), f.contents]));
    const chunk = (file: string): Chunk => ({
      file,
      minified: contents.get(file)!.length,
      gzip: gzipSync(contents.get(file)!).length,
      inputs: Object.keys(metafile.outputs[file]!.inputs),
      contents: contents.get(file)!,
    });
    const entryFile = Object.keys(metafile.outputs).find((f) => metafile.outputs[f]!.entryPoint !== undefined)!;
    const initial = new Set([entryFile]);
    for (const file of initial) {
      for (const i of metafile.outputs[file]!.imports) if (i.kind === 'import-statement') initial.add(i.path);
    }
    const all = Object.keys(metafile.outputs).filter((f) => f.endsWith('.js'));
    return {
      result,
      text: [...contents.values()].map((c) => new TextDecoder().decode(c)).join('\n'),
      main: [...initial].map(chunk),
      lazy: all.filter((f) => !initial.has(f)).map(chunk),
    };
  }

  const sum = (chunks: readonly Chunk[], key: 'minified' | 'gzip') => chunks.reduce((n, c) => n + c[key], 0);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

  test('builds with no externals, and leaves no node: import and no Buffer, process or global reference', async () => {
    // esbuild replaces only references to these globals (not property or local names), so a
    // marker in the output is a real use.
    const define = {
      Buffer: '__FORBIDDEN_Buffer',
      process: '__FORBIDDEN_process',
      global: '__FORBIDDEN_global',
      'globalThis.Buffer': '__FORBIDDEN_Buffer',
      'globalThis.process': '__FORBIDDEN_process',
    };
    const { result, text } = await bundle('app.js', { minify: false, define });
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    expect(text).toContain('ClientConnection');
    expect(text.match(/__FORBIDDEN_\w+/g) ?? []).toEqual([]);
    expect(text.match(/["'`]node:[a-z_/]+["'`]/g) ?? []).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => /node_modules\/(pkijs|asn1js)\/|dist\/(node|cli|crypto\/node)\//.test(i))).toEqual([]);
  }, 60_000);

  test(`main chunk within ${kib(MAIN_CHUNK_GZIP_BUDGET)} minified+gzip; what WebCrypto lacks in lazy chunks or not at all`, async () => {
    const { main, lazy } = await bundle('app.js', { minify: true });
    const mainInputs = main.flatMap((c) => c.inputs);
    const ed448 = lazy.find((c) => c.inputs.some((i) => i.endsWith('dist/x509/ed448-signature.js')));
    expect(ed448, 'the dynamic import of x509/ed448-signature.js is split into its own chunk').toBeDefined();
    expect(
      lazy.some((c) => c.inputs.some((i) => i.endsWith('dist/x509/name-constraints.js'))),
      'name constraints in a lazy chunk',
    ).toBe(true);
    expect(mainInputs.filter((i) => i.endsWith('name-constraints.js'))).toEqual([]);
    expect(mainInputs.filter((i) => /ed448|x448|ml-kem|mlkem|chacha|post-quantum|hybrid/.test(i))).toEqual([]);
    // The noble curves are loaded only where WebCrypto lacks X25519/Ed25519, or for Ed448 certificates.
    expect(mainInputs.filter((i) => i.includes('@noble/curves'))).toEqual([]);
    const noble = await bundle('noble-app.js', { minify: true });

    // subtls, bundled the same way (it needs its "crypto" import left external, as its own build does).
    writeFileSync(
      join(project, 'subtls-app.js'),
      `import { startTls } from ${JSON.stringify(join(ROOT, 'node_modules/subtls/index.js'))};\nexport const open = (host, roots, read, write) => startTls(host, roots, read, write);\n`,
    );
    const subtls = await bundle('subtls-app.js', { minify: true, external: ['crypto'] });
    console.log(
      `[package] browser client, main chunk: wiretls (webcryptoProvider) ${kib(sum(main, 'minified'))} min / ${kib(sum(main, 'gzip'))} gzip ` +
        `(${main.length} files; ${kib(gzipSync(Buffer.concat(main.map((c) => c.contents))).length)} gzipped as one); ` +
        `lazy: ${lazy.map((c) => `${c.file} ${kib(c.minified)} / ${kib(c.gzip)}`).join(', ')}; ` +
        `with nobleProvider ${kib(sum(noble.main, 'minified'))} / ${kib(sum(noble.main, 'gzip'))}; ` +
        `subtls ${kib(sum(subtls.main, 'minified'))} min / ${kib(sum(subtls.main, 'gzip'))} gzip`,
    );
    expect(sum(main, 'gzip')).toBeLessThanOrEqual(MAIN_CHUNK_GZIP_BUDGET);
  }, 60_000);
});
