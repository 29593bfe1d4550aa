import { createHash } from 'node:crypto';
import type { ByteStreams } from '../../src/transports/web-streams.js';

/**
 * Shared pieces of the transport tests: an in-memory byte pipe with TCP-like back-pressure,
 * deterministic payloads checked by SHA-256, and reads that time out instead of hanging.
 */

export interface PipeEnd extends ByteStreams {
  /** Bytes this end's writable has handed to the other side so far. */
  written(): number;
}

/**
 * Two connected ends. Each direction is a TransformStream whose queues hold at most
 * `highWaterMark` bytes on each side, so a writer waits when the reader is behind, as it
 * would on a socket. Closing a writable ends the other side's readable (FIN); cancelling a
 * readable errors the other side's writable (RST).
 */
export function bytePipe(highWaterMark = 16 * 1024): [PipeEnd, PipeEnd] {
  const strategy = (): QueuingStrategy<Uint8Array> => ({ highWaterMark, size: (chunk) => chunk.byteLength });
  const counts = [0, 0];
  const direction = (index: number): TransformStream<Uint8Array, Uint8Array> =>
    new TransformStream<Uint8Array, Uint8Array>(
      {
        transform(chunk, controller) {
          counts[index]! += chunk.byteLength;
          controller.enqueue(chunk);
        },
      },
      strategy(),
      strategy(),
    );
  const aToB = direction(0);
  const bToA = direction(1);
  return [
    { readable: bToA.readable, writable: aToB.writable, written: () => counts[0]! },
    { readable: aToB.readable, writable: bToA.writable, written: () => counts[1]! },
  ];
}

/** `size` pseudo-random bytes (xorshift32 from `seed`): the same payload every run. */
export function payload(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s;
    out[i + 1] = s >>> 8;
    out[i + 2] = s >>> 16;
    out[i + 3] = s >>> 24;
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes `data` in `chunk`-byte pieces, each write awaited (so back-pressure applies). */
export async function writeAll(writable: WritableStream<Uint8Array>, data: Uint8Array, chunk = 50_000, close = true): Promise<void> {
  const writer = writable.getWriter();
  for (let offset = 0; offset < data.length; offset += chunk) await writer.write(data.subarray(offset, offset + chunk));
  if (close) await writer.close();
  else writer.releaseLock();
}

/** Reads a stream to its end (rejects with the stream's error, or after `ms`). */
export async function readAll(readable: ReadableStream<Uint8Array>, ms = 30_000): Promise<{ bytes: number; sha256: string; data: Uint8Array }> {
  const reader = readable.getReader();
  const hash = createHash('sha256');
  const parts: Uint8Array[] = [];
  let bytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stream not ended within ${ms} ms (${bytes} bytes read)`)), ms);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      hash.update(value);
      parts.push(value);
      bytes += value.byteLength;
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  const data = new Uint8Array(bytes);
  let offset = 0;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.byteLength;
  }
  return { bytes, sha256: hash.digest('hex'), data };
}

/** The error a promise rejects with (fails the test if it resolves or hangs). */
export async function rejection(promise: Promise<unknown>, ms = 10_000): Promise<Error & { code?: string; alert?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
      }),
    ]);
  } catch (error) {
    if (error instanceof Error && /^still pending after/.test(error.message)) throw error;
    return error as Error & { code?: string; alert?: string };
  } finally {
    clearTimeout(timer);
  }
  throw new Error('expected a rejection, got a value');
}

/** Resolves with `promise`'s value, or rejects after `ms`. */
export async function within<T>(promise: Promise<T>, ms = 10_000, what = 'operation'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `end` with a record of what happened to it: 'close', 'abort' (of the writable), 'cancel'
 * (of the readable, by the TLS side) and 'end' (the readable ended from the other side).
 */
export function observed(end: ByteStreams): { transport: ByteStreams; events: string[] } {
  const events: string[] = [];
  const reader = end.readable.getReader();
  const writer = end.writable.getWriter();
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        events.push('end');
        controller.close();
      } else controller.enqueue(value);
    },
    cancel(reason) {
      events.push('cancel');
      return reader.cancel(reason);
    },
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await writer.ready;
      await writer.write(chunk);
    },
    close() {
      events.push('close');
      return writer.close();
    },
    abort(reason) {
      events.push('abort');
      return writer.abort(reason);
    },
  });
  return { transport: { readable, writable }, events };
}
