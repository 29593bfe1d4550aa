import { describe, expect, it } from 'vitest';
import { ContentType } from '../../src/registry.js';
import { type RecordEdit, onRecord } from '../helpers/mitm.js';
import { afterHandshake, expectAbort, scenario } from '../helpers/negative.js';

/**
 * Record sequence numbers (RFC 8446 §5.3): each record's nonce carries its sequence number, so
 * a record replayed, reordered or dropped by an attacker fails authentication (bad_record_mac).
 * Every record here is one the client really sent, delivered byte for byte: only where it
 * arrives is wrong.
 */

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The client's application records, rearranged by `arrange` once `count` have been held back. */
function rearrangeClientRecords(count: number, arrange: (wires: Uint8Array[]) => Uint8Array[]): RecordEdit {
  const held: Uint8Array[] = [];
  return onRecord('client', ContentType.application_data, (record) => {
    if (record.epoch !== 'application') return undefined;
    held.push(record.wire);
    if (held.length < count) return [];
    return arrange(held.splice(0)).map((wire) => ({ wire }));
  });
}

async function afterRearranged(count: number, arrange: (wires: Uint8Array[]) => Uint8Array[]) {
  const s = await scenario({ edits: [rearrangeClientRecords(count, arrange)] });
  const received: string[] = [];
  s.server.on('data', (bytes) => received.push(new TextDecoder().decode(bytes)));
  await afterHandshake(s, () => {
    for (let i = 0; i < count; i++) s.client.write(text(`record ${i}`));
  });
  return { s, received };
}

describe('records replayed, reordered or dropped → bad_record_mac (§5.3)', { timeout: 15_000 }, () => {
  it('server: a client record delivered twice', async () => {
    const { s, received } = await afterRearranged(1, ([a]) => [a!, a!]);
    expectAbort(s, 'server', 'bad_record_mac', 'record_decrypt_failed');
    expect(received).toEqual(['record 0']);
  });

  it('server: two client records swapped', async () => {
    const { s, received } = await afterRearranged(2, ([a, b]) => [b!, a!]);
    expectAbort(s, 'server', 'bad_record_mac', 'record_decrypt_failed');
    expect(received).toEqual([]);
  });

  it('server: a client record dropped, the next one delivered', async () => {
    const { s, received } = await afterRearranged(2, ([, b]) => [b!]);
    expectAbort(s, 'server', 'bad_record_mac', 'record_decrypt_failed');
    expect(received).toEqual([]);
  });
});
