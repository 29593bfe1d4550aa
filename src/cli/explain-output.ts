import { writeFileSync } from 'node:fs';
import type { SessionInfo } from '../handshake-context.js';
import { explain } from '../explain/model.js';
import { renderHtml } from '../explain/html.js';
import { ExplainRecorder } from '../explain/recorder.js';
import { renderText } from '../explain/text.js';
import { defaultProvider } from '../node/provider.js';
import { type ParsedArgs, UsageError, flagSet, flagValue } from './args.js';

/**
 * `--explain FILE.html | -` and `--explain-redact`, shared by connect, serve and demo: records
 * one connection (trace events and key schedule steps) and, when it is over, writes the HTML
 * page or prints the text explanation.
 */
export const EXPLAIN_FLAGS = {
  explain: { value: true },
  'explain-redact': {},
} as const;

export const EXPLAIN_USAGE = '[--explain FILE.html|- [--explain-redact]]';

export interface ExplainTarget {
  /** A file path, or '-' for text on stdout. */
  readonly target: string;
  readonly redact: boolean;
}

export function explainTarget(args: ParsedArgs): ExplainTarget | undefined {
  const target = flagValue(args, 'explain');
  if (target === undefined) {
    if (flagSet(args, 'explain-redact')) throw new UsageError('--explain-redact goes with --explain');
    return undefined;
  }
  if (target === '') throw new UsageError('--explain needs a file name, or - for the terminal');
  return { target, redact: flagSet(args, 'explain-redact') };
}

export interface ExplainIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
}

/** One connection being recorded for an explanation. */
export class ExplainSession {
  readonly recorder = new ExplainRecorder();

  constructor(
    private readonly role: 'client' | 'server',
    private readonly title: string,
  ) {}

  /**
   * Builds the explanation and writes it to `target` (a file, or the terminal for '-').
   * Returns the milliseconds from the end of the connection to the page written.
   */
  write(target: ExplainTarget, session: SessionInfo | undefined, io: ExplainIo, file = target.target): number {
    this.recorder.end();
    const model = explain(this.recorder.events, { role: this.role, provider: defaultProvider(), title: this.title, session, omitted: this.recorder.omitted });
    if (target.target === '-') {
      const tty = io.stdout.isTTY === true;
      io.stdout.write(renderText(model, { width: tty ? (io.stdout.columns ?? 100) : 100, colour: tty && !process.env.NO_COLOR, redact: target.redact }));
      if (!target.redact) io.stderr.write("wiretls: the explanation contains this connection's traffic secrets (--explain-redact leaves them out)\n");
    } else {
      writeFileSync(file, renderHtml(model, { redact: target.redact }));
      const took = `written ${Math.round(performance.now() - this.recorder.endedAt!)} ms after the connection ended`;
      if (!target.redact)
        io.stderr.write(`wiretls: ${file} contains this connection's traffic secrets; anyone with the file can decrypt it (--explain-redact leaves them out); ${took}\n`);
      else io.stderr.write(`wiretls: wrote ${file} (redacted), ${took}\n`);
    }
    return performance.now() - this.recorder.endedAt!;
  }
}
