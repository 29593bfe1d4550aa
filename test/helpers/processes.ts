import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Spawns real peers (openssl, curl) for interop tests and guarantees they end: every process
 * is tracked by PID and killed by `stopAll`, which each interop test file calls in afterAll.
 */
const running = new Set<ChildProcess>();

export interface Spawned {
  process: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<number | string>;
  stop(): void;
}

export function start(command: string, args: string[], options: { stdin?: 'pipe' | 'ignore'; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
  const child = spawn(command, args, { stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'], cwd: options.cwd, env: options.env });
  running.add(child);
  let text = '';
  const waiters: (() => void)[] = [];
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('latin1');
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // 'close', not 'exit': 'exit' can come before the last stdout/stderr chunks are read, and a
  // process that prints its error and exits at once would look as if it never printed it.
  let closed = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', () => running.delete(child));
    child.on('close', (code, signal) => {
      running.delete(child);
      closed = true;
      resolve(code ?? signal ?? 'unknown');
      for (const w of waiters.splice(0)) w();
    });
    child.on('error', (error) => {
      running.delete(child);
      text += `\n[spawn error] ${error.message}`;
      closed = true;
      resolve('spawn-error');
      for (const w of waiters.splice(0)) w();
    });
  });
  return {
    process: child,
    output: () => text,
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} from ${command}; output:\n${text}`)), timeoutMs);
        const check = (): void => {
          const match = text.match(pattern);
          if (match) {
            clearTimeout(timer);
            resolve(match);
          } else if (closed) {
            clearTimeout(timer);
            reject(new Error(`${command} exited before printing ${pattern}; output:\n${text}`));
          } else waiters.push(check);
        };
        check();
      });
    },
    exited,
    stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

export function stopAll(): void {
  for (const child of running) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  running.clear();
}
