import { Peer } from '../control.js';
import { type Options, type Report, makeRow } from '../harness.js';

const CONNECTIONS = 1000;

interface Memory {
  heapUsed: number;
  rss: number;
  maxRssBytes: number;
  external: number;
  arrayBuffers: number;
}

/**
 * Memory per idle established connection: a client process opens 1,000 connections to a server
 * process and keeps them; both measure after a forced GC, before and after. Fresh processes per
 * stack and round, so one stack's garbage never counts against the other.
 *
 * Connections are opened 50 at a time, and again (in other fresh processes) one at a time:
 * how many handshakes are in flight changes what a process grows by, in different ways for the
 * two stacks (V8's young generation for wiretls, the C allocator's arenas for OpenSSL), so
 * both arrival patterns are reported.
 */
export async function memorySuite(report: Report, options: Options): Promise<void> {
  report.section(`Memory per idle established connection (${CONNECTIONS} connections, separate client and server processes; bytes per connection)`);
  if (!report.wants('memory')) return;
  const rounds = options.quick ? 1 : 3;
  const samples: Record<Impl, Record<string, number[]>> = { wiretls: {}, node: {} };
  const push = (impl: Impl, name: string, value: number) => (samples[impl][name] ??= []).push(value);
  for (let round = 0; round < rounds; round++) {
    for (const impl of round % 2 === 0 ? (['wiretls', 'node'] as const) : (['node', 'wiretls'] as const)) {
      await inFreshProcesses(impl, async (client, server, port) => {
        const { clientBefore, serverBefore, clientAfter, serverAfter } = await openAndMeasure(client, server, impl, port, 50);
        push(impl, 'client heap', (clientAfter.heapUsed - clientBefore.heapUsed) / CONNECTIONS);
        push(impl, 'client RSS', (clientAfter.rss - clientBefore.rss) / CONNECTIONS);
        push(impl, 'client peak RSS', (clientAfter.maxRssBytes - clientBefore.maxRssBytes) / CONNECTIONS);
        push(impl, 'server heap', (serverAfter.heapUsed - serverBefore.heapUsed) / CONNECTIONS);
        push(impl, 'server RSS', (serverAfter.rss - serverBefore.rss) / CONNECTIONS);
        push(impl, 'server peak RSS', (serverAfter.maxRssBytes - serverBefore.maxRssBytes) / CONNECTIONS);
        // A second thousand on top: what one more connection costs once the process has grown
        // to hold the first (V8's young generation, allocator arenas), i.e. without fixed costs.
        await client.call('openMany', { impl, port, count: CONNECTIONS });
        const clientMore = await client.call<Memory>('memory');
        const serverMore = await server.call<Memory>('memory');
        push(impl, 'client RSS, marginal (1,000 → 2,000)', (clientMore.rss - clientAfter.rss) / CONNECTIONS);
        push(impl, 'server RSS, marginal (1,000 → 2,000)', (serverMore.rss - serverAfter.rss) / CONNECTIONS);
      });
      await inFreshProcesses(impl, async (client, server, port) => {
        const { clientBefore, serverBefore, clientAfter, serverAfter } = await openAndMeasure(client, server, impl, port, 1);
        push(impl, 'client RSS, opened one at a time', (clientAfter.rss - clientBefore.rss) / CONNECTIONS);
        push(impl, 'server RSS, opened one at a time', (serverAfter.rss - serverBefore.rss) / CONNECTIONS);
      });
    }
  }
  for (const name of Object.keys(samples.wiretls)) {
    report.add(
      makeRow(
        {
          name: `memory per idle connection, ${name}`,
          unit: 'bytes',
          provider: 'node',
          baselineName: 'node:tls',
          better: 'lower',
          // node:tls keeps its per-connection state in OpenSSL's heap, outside V8's: only RSS compares like with like.
          ...(name.endsWith('heap') ? { note: 'V8 heap only; node:tls state lives in native memory' } : {}),
        },
        samples.wiretls[name]!,
        samples.node[name] ?? null,
      ),
    );
  }
}

type Impl = 'wiretls' | 'node';

/** A client and a server process of one stack, listening, for the length of `body`. */
async function inFreshProcesses(impl: Impl, body: (client: Peer, server: Peer, port: number) => Promise<void>): Promise<void> {
  const client = new Peer(`${impl} memory client`);
  const server = new Peer(`${impl} memory server`);
  try {
    const { port } = await server.call<{ port: number }>('listen', { impl, mode: 'idle' });
    await body(client, server, port);
    await client.call('closeAll');
  } finally {
    await Promise.all([client.close(), server.close()]);
  }
}

/** Both processes' memory before and after opening CONNECTIONS connections, `concurrency` handshakes at a time. */
async function openAndMeasure(
  client: Peer,
  server: Peer,
  impl: Impl,
  port: number,
  concurrency: number,
): Promise<{ clientBefore: Memory; serverBefore: Memory; clientAfter: Memory; serverAfter: Memory }> {
  // One connection first, so code loading and caches are not charged to the thousand.
  await client.call('openMany', { impl, port, count: 1 });
  const clientBefore = await client.call<Memory>('memory');
  const serverBefore = await server.call<Memory>('memory');
  await client.call('openMany', { impl, port, count: CONNECTIONS, concurrency });
  const clientAfter = await client.call<Memory>('memory');
  const serverAfter = await server.call<Memory>('memory');
  return { clientBefore, serverBefore, clientAfter, serverAfter };
}
