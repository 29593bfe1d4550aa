import { Peer } from '../control.js';
import { type Options, type Report, makeRow } from '../harness.js';
import type { ProviderName } from '../providers.js';

const BYTES = 64 * 1024 * 1024;

interface Case {
  impl: 'wiretls' | 'node';
  provider: ProviderName;
  direction: 'client → server' | 'server → client';
}

/**
 * Bulk transfer over 127.0.0.1 in one connection, each way. Native rows pin AES-128-GCM on both
 * stacks (the suite OpenSSL is fastest at, node:tls included); noble rows use the noble
 * provider's own preference, ChaCha20-Poly1305 (2-3× noble's AES-GCM). MB/s measured at the
 * receiver from secureConnect (or the server's secureConnection) to the sender's end.
 */
export async function bulkSuite(report: Report, options: Options): Promise<void> {
  report.section(`Bulk transfer over 127.0.0.1, ${BYTES / 2 ** 20} MiB in one connection (separate processes; MB/s; node:tls with AES-128-GCM)`);
  const client = new Peer('bulk client');
  const server = new Peer('bulk server');
  const rounds = options.quick ? 2 : Math.max(3, Math.ceil(options.rounds / 2) + 1);
  try {
    const results = new Map<string, number[]>();
    const cases: Case[] = [];
    for (const provider of ['node', 'noble'] as ProviderName[]) {
      for (const direction of ['client → server', 'server → client'] as const) {
        if (!report.wants(`bulk ${direction} ${provider}`)) continue;
        cases.push({ impl: 'wiretls', provider, direction });
        if (provider === 'node') cases.push({ impl: 'node', provider, direction });
      }
    }
    const ports = new Map<string, number>();
    for (const c of cases) {
      const mode = c.direction === 'client → server' ? 'sink' : 'source';
      const id = `${c.impl}/${c.provider}/${mode}`;
      if (!ports.has(id)) {
        const { port } = await server.call<{ port: number }>('listen', { impl: c.impl, mode, provider: c.provider, bytes: BYTES, aes128: c.provider === 'node' });
        ports.set(id, port);
      }
    }
    const once = async (c: Case): Promise<number> => {
      const mode = c.direction === 'client → server' ? 'sink' : 'source';
      const port = ports.get(`${c.impl}/${c.provider}/${mode}`);
      // noble moves ~30-100 MB/s: a quarter of the bytes keeps a round near a second.
      const bytes = c.provider === 'noble' ? BYTES / 4 : BYTES;
      if (mode === 'sink') {
        const event = server.nextEvent();
        await client.call('bulkSend', { impl: c.impl, port, bytes, provider: c.provider, aes128: c.provider === 'node' });
        const r = await event;
        return (r.bytes as number) / 1e6 / ((r.ms as number) / 1000);
      }
      const r = await client.call<{ bytes: number; ms: number }>('bulkReceive', { impl: c.impl, port, provider: c.provider, aes128: c.provider === 'node' });
      return r.bytes / 1e6 / (r.ms / 1000);
    };
    const key = (c: Case) => `${c.impl}/${c.provider}/${c.direction}`;
    for (const c of cases) if (c.provider === 'node') await once(c); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
        const list = results.get(key(c)) ?? [];
        list.push(await once(c));
        results.set(key(c), list);
      }
    }
    for (const c of cases) {
      if (c.impl !== 'wiretls') continue;
      report.add(
        makeRow(
          { name: `bulk ${c.direction}, ${c.provider === 'node' ? 'AES-128-GCM' : 'ChaCha20-Poly1305'}`, unit: 'MB/s', provider: c.provider, baselineName: 'node:tls ↔ node:tls' },
          results.get(key(c)) ?? null,
          results.get(`node/node/${c.direction}`) ?? null,
        ),
      );
    }
  } finally {
    await Promise.all([client.close(), server.close()]);
  }
}
