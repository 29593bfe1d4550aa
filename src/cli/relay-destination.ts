import { UsageError } from './args.js';

/**
 * Where `wiretls relay` may forward: an allow list of exact HOST:PORT destinations, and the
 * check of what a client asks for (`?to=HOST:PORT`). A relay that connects wherever it is told
 * is a server-side request forgery hole (anyone who can reach it reaches the relay's network),
 * so the check is deliberately dumb: a strict grammar, then string equality with an entry.
 * No DNS lookup, no case folding, no IPv6 normalisation, no default port: a request that is
 * not spelled exactly like an entry is refused before any TCP connection is attempted.
 */

export interface Destination {
  host: string;
  port: number;
  /** HOST:PORT as written (IPv6 in brackets): what is compared and logged. */
  text: string;
}

/**
 * A DNS name or IPv4 literal (letters, digits, dots, hyphens; no leading or trailing dot or
 * hyphen), or an IPv6 literal in brackets; then a port 1-65535 without leading zeros. Nothing
 * else: no userinfo (`a@b`), no path, no percent-encoding, no whitespace.
 */
const DESTINATION = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):([1-9][0-9]{0,4})$/;

export function parseDestination(text: string): Destination | undefined {
  const match = DESTINATION.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2]!, port, text };
}

export type Decision = { allowed: true; destination: Destination } | { allowed: false; reason: string };

export class AllowList {
  private readonly entries = new Map<string, Destination>();

  /** `specs`: the --allow values, each a comma-separated list of HOST:PORT. */
  constructor(specs: readonly string[]) {
    for (const spec of specs) {
      for (const item of spec.split(',')) {
        const text = item.trim();
        if (text === '') continue;
        const destination = parseDestination(text);
        if (!destination) throw new UsageError(`--allow: "${text}" is not HOST:PORT (IPv6 as [ADDRESS]:PORT)`);
        this.entries.set(text, destination);
      }
    }
    if (this.entries.size === 0) throw new UsageError('--allow HOST:PORT is required: the relay forwards only to listed destinations');
  }

  get size(): number {
    return this.entries.size;
  }

  list(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * The destination for the `to` values of a request's query. With one entry, `to` may be
   * omitted; given several times it is refused (which one would a proxy in between have seen?).
   */
  decide(to: readonly string[]): Decision {
    if (to.length > 1) return { allowed: false, reason: 'several "to" parameters' };
    if (to.length === 0) {
      if (this.entries.size === 1) return { allowed: true, destination: this.entries.values().next().value! };
      return { allowed: false, reason: 'no destination: ?to=HOST:PORT is required with several --allow entries' };
    }
    const text = to[0]!;
    if (!parseDestination(text)) return { allowed: false, reason: 'not HOST:PORT' };
    const destination = this.entries.get(text);
    if (!destination) return { allowed: false, reason: 'not in --allow' };
    return { allowed: true, destination };
  }
}
