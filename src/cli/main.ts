#!/usr/bin/env node
import { TLSError } from '../errors.js';
import { UsageError } from './args.js';
import { CONNECT_USAGE, connectCommand } from './connect-command.js';
import { demoCommand } from './demo-command.js';
import { ExitStatus } from './output.js';
import { RELAY_USAGE, relayCommand } from './relay-command.js';
import { SERVE_USAGE, serveCommand } from './serve-command.js';

const USAGE = `wiretls — TLS 1.3 you can read and watch

  wiretls demo                 a server and a client on 127.0.0.1, the handshake traced
  wiretls connect HOST:PORT    connect like openssl s_client (see --help there)
  wiretls serve --cert --key   serve like openssl s_server
  wiretls relay --allow H:P    WebSocket-to-TCP relay for TLS from browsers

${CONNECT_USAGE}
${SERVE_USAGE}
${RELAY_USAGE}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (rest.includes('--help') || command === '--help' || command === 'help' || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined ? ExitStatus.usage : ExitStatus.ok;
  }
  switch (command) {
    case 'connect':
      return connectCommand(rest, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
    case 'serve': {
      const stopSignal = new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return serveCommand(rest, { stdout: process.stdout, stderr: process.stderr, stopSignal });
    }
    case 'relay': {
      const stopSignal = new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return relayCommand(rest, { stdout: process.stdout, stderr: process.stderr, stopSignal });
    }
    case 'demo':
      return demoCommand(rest, process.stdout);
    default:
      throw new UsageError(`unknown command "${command}" (try: demo, connect, serve, relay)`);
  }
}

// A closed pipe (`wiretls demo | head`) is the reader's choice, not a failure worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitStatus.ok);
});

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
    // Sockets, stdin and timers must not keep a finished command alive.
    setImmediate(() => process.exit(status));
  },
  (error: unknown) => {
    // Expected failures (bad usage, unreadable files, bad keys) are one line, no stack trace.
    if (error instanceof UsageError || (error instanceof TLSError && error.code === 'INVALID_ARGUMENT')) {
      process.stderr.write(`wiretls: ${error.message}\n`);
      process.exit(ExitStatus.usage);
    }
    process.stderr.write(`wiretls: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(ExitStatus.tlsFailure);
  },
);
