import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Spawned, start, stopAll } from '../helpers/processes.js';

/**
 * Runs the wiretls command line the way a user does: `node dist/cli/main.js …`, a separate
 * process with real stdio and exit status. dist/ is what `npm ci` (the prepare script) or
 * `npm run build` produced; it is rebuilt here when src/ is newer, under a lock so parallel
 * test files build once.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/cli/main.js');
const LOCK = join(ROOT, 'node_modules/.cache/wiretls-cli-build.lock');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(CLI).mtimeMs;
  } catch {
    return 0;
  }
}

function isStale(): boolean {
  return builtAt() < newestSource(join(ROOT, 'src'));
}

/** Another test file is building (tsc rewrites dist/ file by file: do not run it meanwhile). */
function lockHeld(): boolean {
  try {
    // A lock left by a killed run is older than any build takes.
    if (Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
    else return true;
  } catch {
    // no lock
  }
  return false;
}

function takeLock(): boolean {
  try {
    mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
    mkdirSync(LOCK, { recursive: false });
    return true;
  } catch {
    return false;
  }
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      // tsc emits even with type errors; those belong to `tsc --noEmit`, the CLI still runs.
      if (code === 0 || builtAt() > 0) {
        if (code !== 0) process.stderr.write(`[cli tests] npm run build exited ${code}; running the emitted dist/ anyway:\n${output.slice(0, 2000)}\n`);
        resolve();
      } else reject(new Error(`npm run build failed (${code}):\n${output}`));
    });
  });
}

/** Builds dist/ if src/ changed since; safe to call from every CLI test file at once. */
export async function ensureBuilt(): Promise<void> {
  for (;;) {
    if (lockHeld()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    if (!isStale()) return;
    if (takeLock()) {
      try {
        if (isStale()) await build();
      } finally {
        rmSync(LOCK, { recursive: true, force: true });
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts `wiretls …` (stopped by PID with the other peers in afterAll via stopAll). */
export function startCli(args: readonly string[], options: { stdin?: 'pipe' | 'ignore' } = {}): Spawned {
  return start(process.execPath, [CLI, ...args], options);
}

const runs = new Set<ChildProcess>();

/** For afterAll: kills (by PID) every runCli process still alive, and every startCli/start one. */
export function stopCliProcesses(): void {
  for (const child of runs) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  runs.clear();
  stopAll();
}

export interface CliResult {
  status: number | string;
  stdout: string;
  stderr: string;
}

/** Runs `wiretls …` to its end, with stdout and stderr apart; kills it after `timeoutMs`. */
export function runCli(args: readonly string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    runs.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`wiretls ${args.join(' ')} still running after ${options.timeoutMs ?? 20_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      runs.delete(child);
      clearTimeout(timer);
      resolve({ status: code ?? signal ?? 'unknown', stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Expected failures print one line on stderr and never a stack trace. */
export function expectOneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  if (lines.length !== 1 || /^\s+at /m.test(stderr)) throw new Error(`expected one line on stderr, got:\n${stderr}`);
  return lines[0]!;
}
