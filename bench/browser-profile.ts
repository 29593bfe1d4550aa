/**
 * Where a connection's time goes in Chromium, for wiretls and subtls alike: the page of the
 * browser benchmark (bench/suites/browser.ts), unminified, under the DevTools CPU profiler
 * (Profiler domain over CDP). Prints self time by module (esbuild's `// path` comments name
 * the module of each line of the bundle) and the costliest functions.
 *
 *   npm run bench:browser-profile [-- --connections 40]
 */
import { startBrowserBench } from './suites/browser.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Line number (0-based) → the module esbuild put there, from the bundle's `// path` comments. */
function moduleOfLine(code: string): (line: number) => string {
  const starts: { line: number; module: string }[] = [];
  code.split('\n').forEach((text, line) => {
    // Packages (node_modules may be a symlink, so esbuild prints a path through its target)
    // are named by package; the project's own files by their path.
    const match = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(text);
    if (match) starts.push({ line, module: match[1]!.replace(/^.*node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*/, '$1') });
  });
  return (line) => {
    let found = 'page';
    for (const start of starts) {
      if (start.line > line) break;
      found = start.module;
    }
    return found;
  };
}

function summarize(profile: Profile, code: string, pageUrl: string, connections: number): string {
  const moduleOf = moduleOfLine(code);
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByModule = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]!)!;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const frame = node.callFrame;
    const where = frame.url.endsWith('/page.js') || frame.url === pageUrl ? moduleOf(frame.lineNumber) : frame.url ? 'other script' : frame.functionName || '(native)';
    selfByModule.set(where, (selfByModule.get(where) ?? 0) + ms);
    const fn = `${frame.functionName || '(anonymous)'} [${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}]`;
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + ms);
  }
  const total = (profile.endTime - profile.startTime) / 1000;
  const lines = [`  wall ${total.toFixed(0)} ms for ${connections} connections (${(total / connections).toFixed(1)} ms each)`, '  self time by module (ms per connection):'];
  for (const [module, ms] of [...selfByModule].sort((a, b) => b[1] - a[1]).slice(0, 14)) lines.push(`    ${(ms / connections).toFixed(2).padStart(7)}  ${module}`);
  lines.push('  costliest functions (self ms per connection):');
  for (const [fn, ms] of [...selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, 14)) lines.push(`    ${(ms / connections).toFixed(2).padStart(7)}  ${fn}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const index = process.argv.indexOf('--connections');
  const connections = index > 0 ? Number(process.argv[index + 1]) : 40;
  const bench = await startBrowserBench({ minify: false });
  try {
    const cdp = await bench.page.createCDPSession();
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    // The first connection in a fresh page: module evaluation, JIT, first key imports.
    for (const impl of ['wiretls', 'subtls'] as const) {
      await bench.page.reload();
      await bench.page.waitForFunction('window.benchReady === true', { timeout: 20_000 });
      await cdp.send('Profiler.start');
      await bench.connections(impl, 1);
      const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
      process.stdout.write(`${impl}, first connection in a fresh page\n${summarize(profile, bench.code, bench.page.url() + 'page.js', 1)}\n`);
    }
    for (const impl of ['wiretls', 'subtls'] as const) {
      await bench.connections(impl, 10);
      await cdp.send('Profiler.start');
      await bench.connections(impl, connections);
      const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
      process.stdout.write(`${impl}, warm\n${summarize(profile, bench.code, bench.page.url() + 'page.js', connections)}\n`);
    }
  } finally {
    await bench.close();
  }
}

await main();
