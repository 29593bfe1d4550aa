#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { TLSError } from '../errors.js';
import { UsageError } from './args.js';
import { CONNECT_USAGE, connectCommand } from './connect-command.js';
import { DEMO_USAGE, demoCommand } from './demo-command.js';
import { ExitStatus } from './output.js';
import { RELAY_USAGE, relayCommand } from './relay-command.js';
import { SERVE_USAGE, serveCommand } from './serve-command.js';

const USAGE = `wiretls — TLS 1.3 you can read and watch

  wiretls demo [--explain F]   a server and a client on 127.0.0.1, the handshake traced
                               (and explained, every byte and secret, in F.html)
  wiretls connect HOST:PORT    connect like openssl s_client (see --help there)
  wiretls serve --cert --key   serve like openssl s_server
  wiretls relay --allow H:P    WebSocket-to-TCP relay for TLS from browsers

${CONNECT_USAGE}
${SERVE_USAGE}
${RELAY_USAGE}
`;

/** `wiretls CMD --help` prints that command's usage only. */
const COMMAND_USAGE: Readonly<Record<string, string>> = { connect: CONNECT_USAGE, serve: SERVE_USAGE, relay: RELAY_USAGE, demo: DEMO_USAGE };

/** package.json sits two levels above this file, in dist/cli/ and in src/cli/ alike. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * SIGINT or SIGTERM: the command ends politely (close_notify, its report) and the process exits
 * once its output is out. A second signal means "now".
 */
function stopSignal(): Promise<unknown> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v') {
    process.stdout.write(`wiretls ${packageVersion()}\n`);
    return ExitStatus.ok;
  }
  if (command !== undefined && rest.includes('--help') && Object.hasOwn(COMMAND_USAGE, command)) {
    process.stdout.write(`${COMMAND_USAGE[command]}\n`);
    return ExitStatus.ok;
  }
  if (rest.includes('--help') || command === '--help' || command === 'help' || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined ? ExitStatus.usage : ExitStatus.ok;
  }
  switch (command) {
    case 'connect':
      return connectCommand(rest, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, interrupt: stopSignal() });
    case 'serve':
      return serveCommand(rest, { stdout: process.stdout, stderr: process.stderr, stopSignal: stopSignal() });
    case 'relay':
      return relayCommand(rest, { stdout: process.stdout, stderr: process.stderr, stopSignal: stopSignal() });
    case 'demo':
      return demoCommand(rest, process.stdout, process.stderr);
    default:
      throw new UsageError(`unknown command "${command}" (try: demo, connect, serve, relay)`);
  }
}

/** Resolves once everything written to `stream` so far has left the process. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve();
    // The callback of a write runs after every earlier write went out, this empty one included.
    stream.write('', () => resolve());
  });
}

/**
 * Exits with `status` once stdout and stderr are flushed. process.exit() alone drops what is
 * still queued: through a pipe, whatever the reader had not taken yet (`connect --json | wc -c`
 * printed 131072). Exiting explicitly still matters: sockets, stdin and timers must not keep
 * a finished command alive.
 */
async function exitWhenFlushed(status: number): Promise<never> {
  process.exitCode = status;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(status);
}

// A closed pipe (`wiretls demo | head`) is the reader's choice, not a failure worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitStatus.ok);
});

main(process.argv.slice(2)).then(
  (status) => exitWhenFlushed(status),
  (error: unknown) => {
    // Expected failures (bad usage, unreadable files, bad keys) are one line, no stack trace.
    if (error instanceof UsageError || (error instanceof TLSError && error.code === 'INVALID_ARGUMENT')) {
      process.stderr.write(`wiretls: ${error.message}\n`);
      return exitWhenFlushed(ExitStatus.usage);
    }
    process.stderr.write(`wiretls: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return exitWhenFlushed(ExitStatus.tlsFailure);
  },
);
