/**
 * A small, strict argument parser for the wiretls command line: declared flags only, values
 * required where declared, repeatable flags collected in order. Unknown flags and missing
 * values are usage errors (exit status 1), reported in one line.
 */

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface FlagSpec {
  /** Takes a value (`--port 443` or `--port=443`); otherwise a boolean switch. */
  value?: boolean;
  /** May be given several times; the values are collected in order. */
  repeat?: boolean;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const flag = spec[name];
    if (!flag) throw new UsageError(`unknown option --${name}`);
    let value = 'true';
    if (flag.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`option --${name} needs a value`);
        value = next;
        i++;
      }
    } else if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
    const values = flags.get(name) ?? [];
    if (values.length > 0 && !flag.repeat) throw new UsageError(`option --${name} given twice`);
    values.push(value);
    flags.set(name, values);
  }
  return { positional, flags };
}

export function flagValue(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function flagValues(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

export function flagSet(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

/** A comma-separated list flag (`--groups x25519,secp256r1`). */
export function flagList(args: ParsedArgs, name: string): string[] | undefined {
  const v = flagValue(args, name);
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

export function integerFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = flagValue(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

/** HOST:PORT, with [v6]:PORT for IPv6 literals. */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (!match) throw new UsageError(`expected HOST:PORT, got "${text}"`);
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new UsageError(`port out of range in "${text}"`);
  return { host: match[1] ?? match[2]!, port };
}
