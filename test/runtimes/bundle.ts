import { build } from 'esbuild';
import { ROOT } from './harness.js';

/**
 * Bundles a fixture the way an application's build would: from the package's own name
 * ('wiretls' resolves to this package through its exports map), for the given conditions,
 * with no externals but the runtime's own modules. Returns the code and its size.
 */
export async function bundle(entry: string, options: { platform: 'browser' | 'neutral'; conditions?: string[]; external?: string[] }): Promise<{ code: string; bytes: number }> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: options.platform,
    ...(options.conditions ? { conditions: options.conditions } : {}),
    ...(options.platform === 'neutral' ? { mainFields: ['module', 'main'] } : {}),
    external: options.external ?? [],
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return { code: file.text, bytes: file.contents.byteLength };
}
