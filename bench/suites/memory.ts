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
 */
export async function memorySuite(report: Report, options: Options): Promise<void> {
  report.section(`Memory per idle established connection (${CONNECTIONS} connections, separate client and server processes; bytes per connection)`);
  if (!report.wants('memory')) return;
  const rounds = options.quick ? 1 : 3;
  const samples: Record<'wiretls' | 'node', Record<string, number[]>> = { wiretls: {}, node: {} };
  const push = (impl: 'wiretls' | 'node', name: string, value: number) => (samples[impl][name] ??= []).push(value);
  for (let round = 0; round < rounds; round++) {
    for (const impl of round % 2 === 0 ? (['wiretls', 'node'] as const) : (['node', 'wiretls'] as const)) {
      const client = new Peer(`${impl} memory client`);
      const server = new Peer(`${impl} memory server`);
      try {
        const { port } = await server.call<{ port: number }>('listen', { impl, mode: 'idle' });
        // One connection first, so code loading and caches are not charged to the thousand.
        await client.call('openMany', { impl, port, count: 1 });
        const clientBefore = await client.call<Memory>('memory');
        const serverBefore = await server.call<Memory>('memory');
        await client.call('openMany', { impl, port, count: CONNECTIONS });
        const clientAfter = await client.call<Memory>('memory');
        const serverAfter = await server.call<Memory>('memory');
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
        await client.call('closeAll');
      } finally {
        await Promise.all([client.close(), server.close()]);
      }
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
