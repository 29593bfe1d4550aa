import { Buffer } from 'node:buffer';
import { describe, expect, test } from 'vitest';
import { nativeBytes } from '../../src/wire/native-bytes.js';

// The engine's own conversions, taken before the Node module replaces them as it loads.
const portableBytes = nativeBytes();
await import('../../src/node/native-bytes.js');

/**
 * The Node entry swaps the engine's portable byte conversions for Buffer's. Map keys made by one
 * must match those made by the other (an install can come after keys were made), so the two
 * must agree exactly, and neither may hand out a Buffer.
 */
describe('native byte conversions: Buffer-based on Node, identical to the portable ones', () => {
  const node = nativeBytes();
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);
  const large = Uint8Array.from({ length: 3 * 8192 + 5 }, (_, i) => (i * 131 + 7) & 0xff);

  test('the Node module installs them', () => {
    expect(node).not.toBe(portableBytes);
  });

  test('latin1: one char per byte, U+0000..U+00FF, for every byte value and across chunk boundaries', () => {
    const text = portableBytes.latin1(every);
    expect([...text].map((c) => c.charCodeAt(0))).toEqual([...every]);
    expect(node.latin1(every)).toBe(text);
    expect(node.latin1(large)).toBe(portableBytes.latin1(large));
    expect(portableBytes.latin1(large)).toHaveLength(large.length);
    expect(node.latin1(every.subarray(200, 210))).toBe(portableBytes.latin1(every.subarray(200, 210)));
    expect(portableBytes.latin1(new Uint8Array(0))).toBe('');
  });

  test('base64: the same bytes', () => {
    for (const bytes of [every, large, new Uint8Array(0), Uint8Array.of(0xfb)]) {
      const text = Buffer.from(bytes).toString('base64');
      expect(portableBytes.base64(text)).toEqual(bytes);
      expect(node.base64(text)).toEqual(portableBytes.base64(text));
    }
  });

  test('uninitialized: plain Uint8Arrays of the length asked for, each with memory of its own', () => {
    for (const implementation of [node, portableBytes]) {
      const a = implementation.uninitialized(16_389);
      const b = implementation.uninitialized(16_389);
      expect(a.constructor).toBe(Uint8Array);
      expect(a).toHaveLength(16_389);
      expect(a.buffer).not.toBe(b.buffer);
      expect(a.buffer.byteLength).toBe(16_389);
    }
  });
});
