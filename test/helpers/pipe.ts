import type { Connection } from '../../src/connection.js';
import type { TLSError } from '../../src/errors.js';

/**
 * Joins two sans-I/O connections in memory. Bytes each side sends are delivered to the other
 * asynchronously, cut into chunks of random size, so tests exercise every deframing boundary.
 */
export interface PipeOptions {
  /** Largest chunk delivered at once; 1 delivers byte by byte. */
  maxChunk?: number;
  /** Deterministic chunking: a seed for the size generator. */
  seed?: number;
  /** Sees (and may replace) every chunk before delivery: for tampering tests. */
  tamper?: (from: 'client' | 'server', bytes: Uint8Array) => Uint8Array | undefined;
  /**
   * Deliver through receiveBorrowed, as a transport with one read buffer does: every chunk is
   * copied into the same scratch buffer, lent for the call, and overwritten right after it, so
   * anything that kept a view of it sees garbage.
   */
  borrowed?: boolean;
}

export interface Endpoint {
  received: Uint8Array[];
  errors: TLSError[];
  ended: boolean;
  wire: Uint8Array[];
}

/** Bytes sent or delivered by any pipe: settle() stops once this has not moved for a while. */
let activity = 0;

export function pipe(client: Connection, server: Connection, options: PipeOptions = {}): { client: Endpoint; server: Endpoint } {
  let seed = options.seed ?? 1;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const ends = {
    client: { received: [] as Uint8Array[], errors: [] as TLSError[], ended: false, wire: [] as Uint8Array[] },
    server: { received: [] as Uint8Array[], errors: [] as TLSError[], ended: false, wire: [] as Uint8Array[] },
  };
  let scratch = new Uint8Array(0);
  const deliver = (target: Connection, piece: Uint8Array): void => {
    if (!options.borrowed) {
      target.receive(piece);
      return;
    }
    if (scratch.length < piece.length) scratch = new Uint8Array(piece.length);
    const lent = scratch.subarray(0, piece.length);
    lent.set(piece);
    target.receiveBorrowed(lent);
    lent.fill(0xa5);
  };
  const link = (from: 'client' | 'server', source: Connection, target: Connection): void => {
    source.on('send', (bytes) => {
      activity++;
      ends[from].wire.push(bytes.slice());
      const chunk = options.tamper ? options.tamper(from, bytes.slice()) : bytes.slice();
      if (!chunk) return;
      const max = options.maxChunk ?? Infinity;
      let offset = 0;
      while (offset < chunk.length) {
        const size = max === Infinity ? chunk.length : Math.max(1, Math.floor(random() * max) + 1);
        const piece = chunk.subarray(offset, offset + size);
        offset += size;
        queueMicrotask(() => {
          activity++;
          deliver(target, piece);
        });
      }
    });
  };
  link('client', client, server);
  link('server', server, client);
  for (const [name, conn] of [
    ['client', client],
    ['server', server],
  ] as const) {
    conn.on('data', (d) => ends[name].received.push(d.slice()));
    conn.on('error', (e) => ends[name].errors.push(e));
    conn.on('end', () => {
      ends[name].ended = true;
    });
  }
  return ends;
}

/**
 * Waits until both sides have processed everything in flight: every connection idle and no
 * byte sent or delivered through a pipe for three consecutive macrotask turns (at most 50).
 */
export async function settle(...connections: Connection[]): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 50 && quiet < 3; i++) {
    const before = activity;
    await new Promise((r) => setTimeout(r, 0));
    await Promise.all(connections.map((c) => c.idle()));
    quiet = activity === before ? quiet + 1 : 0;
  }
}

export function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
