import { describe, expect, it } from 'vitest';
import { RecordBufferPool } from '../../src/record/buffer-pool.js';
import { Deframer } from '../../src/record/deframer.js';
import { RecordProtector } from '../../src/record/protection.js';
import { MAX_CIPHERTEXT_LENGTH, RECORD_HEADER_LENGTH } from '../../src/record/framing.js';
import { ContentType } from '../../src/registry.js';
import { nodeProvider } from '../../src/crypto/node/index.js';
import { filled, rawRecord } from './support.js';

const SLOT = RECORD_HEADER_LENGTH + MAX_CIPHERTEXT_LENGTH;

describe('RecordBufferPool', () => {
  it('lends record-sized buffers and reuses a released one', () => {
    const pool = new RecordBufferPool();
    const first = pool.acquire(16406);
    expect(first.length).toBe(16406);
    expect(first.buffer.byteLength).toBe(SLOT);
    pool.release(first);
    expect(pool.freeSlots).toBe(1);
    const second = pool.acquire(5000);
    expect(second.buffer).toBe(first.buffer);
    expect(second.length).toBe(5000);
    expect(pool.freeSlots).toBe(0);
  });

  it('allocates small records as usual and ignores their release', () => {
    const pool = new RecordBufferPool();
    const small = pool.acquire(100);
    expect(small.length).toBe(100);
    expect(small.buffer.byteLength).toBe(100);
    pool.release(small);
    expect(pool.freeSlots).toBe(0);
  });

  it('never hands one slot out twice, whatever is released', () => {
    const pool = new RecordBufferPool();
    const lent = pool.acquire(SLOT);
    pool.release(lent);
    pool.release(lent); // a second release of the same slot
    pool.release(new Uint8Array(SLOT)); // memory it never lent
    expect(pool.freeSlots).toBe(1);
    const a = pool.acquire(SLOT);
    const b = pool.acquire(SLOT);
    expect(a.buffer).not.toBe(b.buffer);
  });

  it('keeps at most maxFree slots', () => {
    const pool = new RecordBufferPool(2);
    const lent = [1, 2, 3, 4].map(() => pool.acquire(8192));
    for (const bytes of lent) pool.release(bytes);
    expect(pool.freeSlots).toBe(2);
  });

  it('serves a RecordProtector: reused slots carry only the newest record', () => {
    const provider = nodeProvider();
    const pool = new RecordBufferPool();
    const key = filled(16, 7);
    const iv = filled(12, 9);
    const writer = new RecordProtector(provider.aead('AES-128-GCM', key), iv, { allocate: (n) => pool.acquire(n) });
    const reader = new RecordProtector(provider.aead('AES-128-GCM', key), iv);
    for (let i = 0; i < 4; i++) {
      const content = filled(10000 + i, i + 1);
      const record = writer.protect(ContentType.application_data, content);
      const opened = reader.unprotect(record.subarray(0, RECORD_HEADER_LENGTH), record.subarray(RECORD_HEADER_LENGTH));
      expect(opened.content).toEqual(content);
      pool.release(record);
    }
    expect(pool.freeSlots).toBe(1);
  });
});

describe('Deframer.recycle', () => {
  it('reuses the buffer of an assembled record for the next one, and never a transport chunk', () => {
    const deframer = new Deframer();
    const one = rawRecord(ContentType.application_data, filled(9000, 1));
    const two = rawRecord(ContentType.application_data, filled(9000, 2));
    // Split inside each record, so both are assembled.
    deframer.push(one.subarray(0, 100));
    deframer.push(one.subarray(100));
    const first = deframer.next()!;
    expect(first.fragment).toEqual(one.subarray(5));
    const assembled = first.fragment.buffer;
    deframer.recycle(first);
    deframer.push(two.subarray(0, 3)); // a split header too
    deframer.push(two.subarray(3));
    const second = deframer.next()!;
    expect(second.fragment.buffer).toBe(assembled);
    expect(second.fragment).toEqual(two.subarray(5));
    expect(second.header).toEqual(two.subarray(0, 5));

    // A record lying inside one chunk is a view of it: recycling leaves the chunk alone.
    const chunk = rawRecord(ContentType.application_data, filled(9000, 3));
    deframer.push(chunk);
    const third = deframer.next()!;
    expect(third.fragment.buffer).toBe(chunk.buffer);
    deframer.recycle(third);
    deframer.push(one.subarray(0, 10));
    deframer.push(one.subarray(10));
    expect(deframer.next()!.fragment.buffer).not.toBe(chunk.buffer);
  });
});
