import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkiPath } from '../helpers/fixtures.js';
import { closeServer, listen, serverPem } from '../node/support.js';
import { CLI, ensureBuilt, runCli, stopCliProcesses } from './cli.js';

/**
 * The command line never loses output: whatever `wiretls connect` printed is all there when
 * it is read through a pipe, however slowly, on every way out (the server closed, --timeout,
 * SIGINT). A process that calls process.exit() while stdout still holds queued bytes loses
 * them: through a pipe, everything past the pipe's 64 KiB buffer and the first write's.
 * Also `wiretls --version` and `wiretls CMD --help`.
 */

const TIMEOUT = 60_000;
const SIZE = 4 << 20;
const ROOT = pkiPath('root.pem');
const servers: tls.Server[] = [];
const sockets: tls.TLSSocket[] = [];

beforeAll(() => ensureBuilt(), 120_000);
afterAll(async () => {
  stopCliProcesses();
  // A 'send' server keeps its connection open; tls.Server.close() waits for every connection.
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map(closeServer));
});

/** Printable bytes (so the text and --json paths compare exactly), seeded. */
function payload(size: number): Buffer {
  const out = Buffer.alloc(size);
  let s = 12345;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = 0x21 + ((s >>> 16) % 94);
  }
  return out;
}

/**
 * A node:tls server. 'echo': echoes, and ends the connection once `size` bytes came back.
 * 'send': sends `size` bytes at once and keeps the connection open; `sent` resolves when the
 * last of them went to the kernel, that is when the client has read all but what the socket
 * buffers hold.
 */
async function server(mode: 'echo' | 'send', data: Buffer): Promise<{ port: number; sent: Promise<void> }> {
  let markSent: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const s = tls.createServer({ ...serverPem('ecdsa-p256'), minVersion: 'TLSv1.3' }, (socket) => {
    socket.on('error', () => undefined);
    sockets.push(socket);
    if (mode === 'send') {
      socket.write(data, () => markSent());
      return;
    }
    let echoed = 0;
    socket.on('data', (chunk: Buffer) => {
      echoed += chunk.length;
      socket.write(chunk);
      if (echoed >= data.length) socket.end();
    });
  });
  servers.push(s);
  return { port: await listen(s), sent };
}

const connectArgs = (port: number, ...extra: string[]): string[] => ['connect', `127.0.0.1:${port}`, '--ca', ROOT, '--servername', 'localhost', ...extra];

interface Run {
  status: number | string;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs the CLI with stdout through a pipe that this side reads only after `holdMs` (or after
 * the `signal` was sent), so everything the CLI printed meanwhile must wait in its own buffers.
 */
function runThroughPipe(args: readonly string[], options: { stdin?: Buffer; holdMs?: number; signal?: { after: Promise<void>; name: NodeJS.Signals } }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`wiretls ${args.join(' ')} still running; stderr: ${stderr}`));
    }, TIMEOUT - 5000);
    const read = (): void => {
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stdout.resume();
    };
    if (options.signal) {
      const { after, name } = options.signal;
      // A second for the last bytes to cross the socket buffers, then the signal.
      void after.then(() =>
        setTimeout(() => {
          if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, name);
          setTimeout(read, 500);
        }, 1000),
      );
    } else setTimeout(read, options.holdMs ?? 0);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ status: code ?? signal ?? 'unknown', stdout: Buffer.concat(stdout), stderr });
    });
    child.stdin.on('error', () => undefined);
    if (options.stdin) child.stdin.end(options.stdin);
  });
}

/** Before the fix only the pipe's 64 KiB (and the first write) got out; 1 MiB is far past that. */
const WELL_PAST_THE_PIPE = 1 << 20;

/** Plain output ended by us: exit 0, and a gap-free prefix of what the server sent, well past the pipe's capacity. */
function expectDeliveredPrefix(run: Run, data: Buffer): void {
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout.length, 'bytes printed').toBeGreaterThan(WELL_PAST_THE_PIPE);
  expect(run.stdout.equals(data.subarray(0, run.stdout.length)), 'printed bytes are the received ones, in order').toBe(true);
}

/** --json ended by us: one whole object whose `received` holds every byte it counts. */
function expectCompleteReport(run: Run, data: Buffer): void {
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  const report = JSON.parse(run.stdout.toString()) as { ok: boolean; received: string; receivedBytes: number };
  expect(report.ok).toBe(true);
  const received = Buffer.from(report.received, 'base64');
  expect(received.length).toBe(report.receivedBytes);
  expect(report.receivedBytes).toBeGreaterThan(WELL_PAST_THE_PIPE);
  expect(received.equals(data.subarray(0, received.length))).toBe(true);
}

describe.concurrent('wiretls connect through a pipe loses no output', () => {
  it(
    '--json: a 4 MiB echo comes back whole in one parseable object',
    async () => {
      const data = payload(SIZE);
      const { port } = await server('echo', data);
      const run = await runThroughPipe(connectArgs(port, '--json', '--timeout', '120'), { stdin: data, holdMs: 1500 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const text = run.stdout.toString();
      expect(text.endsWith('}\n'), `the output ends with the object's end (got ${text.length} bytes)`).toBe(true);
      const report = JSON.parse(text) as { ok: boolean; received: string; receivedBytes: number };
      expect(report.ok).toBe(true);
      expect(report.receivedBytes).toBe(SIZE);
      expect(Buffer.from(report.received, 'base64').equals(data)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'plain output: a 4 MiB echo comes back whole',
    async () => {
      const data = payload(SIZE);
      const { port } = await server('echo', data);
      const run = await runThroughPipe(connectArgs(port, '--timeout', '120'), { stdin: data, holdMs: 1500 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout.length).toBe(SIZE);
      expect(run.stdout.equals(data)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    '--timeout ends the reading and still delivers everything read (plain and --json)',
    async () => {
      // The reader holds off until the CLI has timed out with what it read queued on its side
      // of the pipe. How much arrived by then depends on the machine's load; that all of it
      // comes out, in order, does not.
      const data = payload(SIZE);
      const { port } = await server('send', data);
      const plain = await runThroughPipe(connectArgs(port, '--timeout', '4', '--send', 'x'), { holdMs: 6000 });
      expectDeliveredPrefix(plain, data);
      const json = await runThroughPipe(connectArgs(port, '--timeout', '4', '--send', 'x', '--json'), { holdMs: 6000 });
      expectCompleteReport(json, data);
    },
    TIMEOUT,
  );

  it(
    'SIGINT ends the session politely and everything printed before it still arrives (plain and --json)',
    async () => {
      const data = payload(SIZE);
      const first = await server('send', data);
      const plain = await runThroughPipe(connectArgs(first.port, '--send', 'x'), { signal: { after: first.sent, name: 'SIGINT' } });
      expectDeliveredPrefix(plain, data);
      const second = await server('send', data);
      const json = await runThroughPipe(connectArgs(second.port, '--send', 'x', '--json'), { signal: { after: second.sent, name: 'SIGINT' } });
      expectCompleteReport(json, data);
    },
    TIMEOUT,
  );

  it(
    'a failure (nothing listening) still prints its whole --json object and exits 2',
    async () => {
      const s = tls.createServer();
      const port = await listen(s);
      await closeServer(s);
      const run = await runThroughPipe(connectArgs(port, '--json'), { holdMs: 500 });
      expect(run.status).toBe(2);
      expect((JSON.parse(run.stdout.toString()) as { error: { code: string } }).error.code).toBe('CONNECT_FAILED');
    },
    TIMEOUT,
  );
});

describe.concurrent('wiretls --version and CMD --help', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const run = await runCli([flag]);
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ status: 0, stdout: `wiretls ${version}\n`, stderr: '' });
    }
  });

  it("CMD --help prints that command's usage only", async () => {
    for (const command of ['connect', 'serve', 'demo']) {
      const run = await runCli([command, '--help']);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^usage: wiretls ${command}\\b`));
      for (const other of ['connect', 'serve', 'demo'].filter((c) => c !== command)) expect(run.stdout).not.toMatch(new RegExp(`usage: wiretls ${other}\\b`));
      expect(run.stderr).toBe('');
    }
    // The general help still lists every command.
    const general = await runCli(['--help']);
    expect(general.status).toBe(0);
    for (const command of ['connect', 'serve', 'demo']) expect(general.stdout).toMatch(new RegExp(`wiretls ${command}\\b`));
  });
});
