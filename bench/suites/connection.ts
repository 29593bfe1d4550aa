import { Peer } from '../control.js';
import { type Options, type Report, makeRow } from '../harness.js';
import type { ProviderName } from '../providers.js';

/**
 * Time per whole connection against `openssl s_server -www`: TCP connect, full handshake on
 * P-256 with AES-128-GCM (the only parameters subtls supports, so the browser bench can compare
 * the same thing), `GET /`, the whole answer read, close. Client and server in separate
 * processes, one connection at a time. The wiretls client runs on each provider and node:tls
 * runs too, all interleaved in the same run, so the rows compare like with like: webcrypto and
 * noble against the native provider (issue 14's target: webcrypto within 1.5x), and each
 * against node:tls.
 */

interface Client {
  label: string;
  impl: 'wiretls' | 'node';
  provider: ProviderName;
}

const CLIENTS: Client[] = [
  { label: 'node:tls', impl: 'node', provider: 'node' },
  { label: 'wiretls native', impl: 'wiretls', provider: 'node' },
  { label: 'wiretls webcrypto', impl: 'wiretls', provider: 'webcrypto' },
  { label: 'wiretls noble', impl: 'wiretls', provider: 'noble' },
];

export async function connectionSuite(report: Report, options: Options): Promise<void> {
  report.section('Time per connection, handshake + one request (GET / to openssl s_server -www; P-256, AES-128-GCM, ECDSA P-256 leaf, chain verified), one at a time, ms');
  const clients = CLIENTS.filter((c) => report.wants(`connection ${c.label}`));
  if (clients.length === 0) return;
  const client = new Peer('client');
  const server = new Peer('server');
  const window = options.quick ? 600 : 2000;
  try {
    const { port } = await server.call<{ port: number }>('listenOpenssl', { groups: 'p256', www: true });
    const run = async (c: Client, ms: number): Promise<{ wall: number; cpu: number }> => {
      const r = await client.call<{ count: number; ms: number; cpuMs: number }>('requests', { impl: c.impl, port, ms, provider: c.provider, groups: 'p256', aes128: true });
      return { wall: r.ms / r.count, cpu: r.cpuMs / r.count };
    };
    for (const c of clients) await run(c, window / 3); // warm-up
    const samples = new Map<string, number[]>(clients.map((c) => [c.label, []]));
    const cpuSamples = new Map<string, number[]>(clients.map((c) => [c.label, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? clients : [...clients].reverse();
      for (const c of order) {
        const { wall, cpu } = await run(c, window);
        samples.get(c.label)!.push(wall);
        cpuSamples.get(c.label)!.push(cpu);
      }
    }
    const of = (label: string): number[] | null => samples.get(label) ?? null;
    const cpuOf = (label: string): number[] | null => cpuSamples.get(label) ?? null;
    for (const provider of ['webcrypto', 'noble'] as const) {
      const label = `wiretls ${provider}`;
      if (!samples.has(label)) continue;
      report.add(
        makeRow(
          {
            name: 'time per connection vs the native provider',
            unit: 'ms',
            provider,
            baselineName: 'wiretls native',
            better: 'lower',
            ...(provider === 'webcrypto' ? { note: 'target: ratio ≥ 0.67 (within 1.5x)' } : {}),
          },
          of(label),
          of('wiretls native'),
        ),
      );
    }
    for (const provider of ['node', 'webcrypto', 'noble'] as const) {
      const label = provider === 'node' ? 'wiretls native' : `wiretls ${provider}`;
      if (!samples.has(label)) continue;
      report.add(makeRow({ name: 'time per connection vs node:tls', unit: 'ms', provider, baselineName: 'node:tls', better: 'lower' }, of(label), of('node:tls')));
    }
    // The client process's CPU time per connection (user + system, from process.cpuUsage): less
    // disturbed than wall time by other tenants of the machine, and it counts the WebCrypto work
    // Node runs on its thread pool too.
    for (const provider of ['webcrypto', 'noble'] as const) {
      const label = `wiretls ${provider}`;
      if (!samples.has(label)) continue;
      report.add(
        makeRow(
          { name: 'client CPU per connection vs the native provider', unit: 'ms', provider, baselineName: 'wiretls native', better: 'lower' },
          cpuOf(label),
          cpuOf('wiretls native'),
        ),
      );
    }
    if (samples.has('wiretls native')) {
      report.add(
        makeRow(
          { name: 'client CPU per connection vs node:tls', unit: 'ms', provider: 'node', baselineName: 'node:tls', better: 'lower' },
          cpuOf('wiretls native'),
          cpuOf('node:tls'),
        ),
      );
    }
  } finally {
    await Promise.all([client.close(), server.close()]);
  }
}
