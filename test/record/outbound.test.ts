import { describe, expect, it } from 'vitest';
import { Deframer } from '../../src/record/deframer.js';
import { type OutboundHost, OutboundRecords } from '../../src/record/outbound.js';
import { RecordProtector } from '../../src/record/protection.js';
import { ContentType } from '../../src/registry.js';
import { nodeAead } from './node-aead.js';
import { concat, filled } from './support.js';

/**
 * The sending half of the record layer on its own: a flight shares records, the peer's
 * record_size_limit cuts them, and after close_notify nothing at all leaves.
 */

function protector(seed: number): RecordProtector {
  return new RecordProtector(nodeAead('AES-128-GCM', filled(16, seed)), filled(12, seed + 1));
}

function outbound(role: 'client' | 'server' = 'server'): { records: OutboundRecords; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const host: OutboundHost = { tracing: false, trace: () => {}, send: (record) => sent.push(record.slice()), nextKey: () => protector(9) };
  return { records: new OutboundRecords(role, host), sent };
}

/** Each record's header: content type, legacy version, length. */
function headers(sent: Uint8Array[]): [number, number, number][] {
  const deframer = new Deframer();
  deframer.push(concat(sent));
  const out: [number, number, number][] = [];
  for (let r = deframer.next(); r; r = deframer.next()) out.push([r.header[0]!, (r.header[1]! << 8) | r.header[2]!, r.fragment.length]);
  return out;
}

const message = (length: number, fill: number): Uint8Array => filled(length, fill);

describe('OutboundRecords', () => {
  it('queued handshake messages share records until flushed; the first ClientHello record says 0x0301, later ones 0x0303', () => {
    const { records, sent } = outbound('client');
    records.queueHandshake(message(100, 1));
    records.queueHandshake(message(50, 2));
    expect(sent).toEqual([]);
    records.flush();
    records.firstFlightSent();
    records.queueHandshake(message(30, 3));
    records.flush();
    expect(headers(sent)).toEqual([
      [ContentType.handshake, 0x0301, 150],
      [ContentType.handshake, 0x0303, 30],
    ]);
  });

  it("protected records hold at most the peer's record_size_limit - 1 bytes of content (RFC 8449 §4)", () => {
    const { records, sent } = outbound();
    records.installKeys(protector(1));
    records.limitRecordSize(100);
    records.sendData(message(250, 4));
    // 99 + 99 + 52 bytes of content, each + type byte + 16-byte tag.
    expect(headers(sent).map(([type, , length]) => [type, length])).toEqual([
      [ContentType.application_data, 116],
      [ContentType.application_data, 116],
      [ContentType.application_data, 69],
    ]);
  });

  it('after close_notify nothing leaves: not queued messages, change_cipher_spec, data or a KeyUpdate answer', () => {
    const { records, sent } = outbound();
    records.queueHandshake(message(20, 5));
    records.close();
    expect(headers(sent)).toEqual([[ContentType.alert, 0x0303, 2]]);
    records.queueHandshake(message(20, 6));
    records.flush();
    records.sendChangeCipherSpec();
    records.installKeys(protector(2));
    records.sendData(message(10, 7));
    records.peerUpdated(true);
    expect(sent).toHaveLength(1);
    expect(records.closed).toBe(true);
  });

  it('sendKeyUpdate: the KeyUpdate under the old key, what follows under the next one', () => {
    const { records, sent } = outbound();
    const first = protector(1);
    records.installKeys(first);
    records.sendKeyUpdate(true);
    records.sendData(message(10, 8));
    expect(sent).toHaveLength(2);
    const deframer = new Deframer();
    deframer.push(concat(sent));
    const keyUpdate = deframer.next()!;
    expect(protector(1).unprotect(keyUpdate.header, keyUpdate.fragment)).toMatchObject({ type: ContentType.handshake });
    const data = deframer.next()!;
    expect(protector(9).unprotect(data.header, data.fragment).content).toEqual(message(10, 8));
  });
});
