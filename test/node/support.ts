import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { type ServerKeyKind, pkiPath } from '../helpers/fixtures.js';

/**
 * Shared pieces of the Node-adapter tests: the test PKI as PEM (what node:tls and wiretls both
 * take), servers on 127.0.0.1:0 that close for sure, and waits that time out instead of hanging.
 */

export const ROOT_PEM = readFileSync(pkiPath('root.pem'));

export function serverPem(kind: ServerKeyKind): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(pkiPath(`server-${kind}-chain.pem`)), key: readFileSync(pkiPath(`server-${kind}-key.pem`)) };
}

/** Listens on 127.0.0.1, an ephemeral port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and drops every open connection (http servers keep idle ones alive). */
export function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** Resolves with the event's arguments; rejects on 'error' or after `ms`. */
export function waitEvent<T extends unknown[] = unknown[]>(emitter: NodeJS.EventEmitter, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    const onEvent = (...args: unknown[]): void => {
      cleanup();
      resolve(args as T);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      if (event !== 'error') emitter.off('error', onError);
    };
    emitter.on(event, onEvent);
    if (event !== 'error') emitter.on('error', onError);
  });
}

/**
 * Text a stream delivers until `done` says it has enough. One listener for the whole read:
 * awaiting 'data' once per chunk would lose chunks that arrive together (a flowing stream
 * emits them back to back, before the next once-listener is attached).
 */
export function readUntil(stream: Readable, done: (text: string) => boolean, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`stream delivered only ${JSON.stringify(text)} within ${ms} ms`));
    }, ms);
    const onData = (chunk: Buffer): void => {
      text += String(chunk);
      if (!done(text)) return;
      cleanup();
      resolve(text);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('error', onError);
  });
}

/** The error a stream reports (rejects if it closes cleanly or stays silent). */
export function waitError(emitter: NodeJS.EventEmitter, ms = 10_000): Promise<Error & { code?: string; alert?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'error' within ${ms} ms`)), ms);
    emitter.once('error', (error: Error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

/** Reads a stream to its end: total length and SHA-256. */
export function drain(stream: Readable, ms = 30_000): Promise<{ bytes: number; sha256: string; text: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let bytes = 0;
    const timer = setTimeout(() => reject(new Error(`stream not ended within ${ms} ms (${bytes} bytes read)`)), ms);
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      if (bytes < 65_536) head.push(chunk);
      bytes += chunk.length;
    });
    stream.once('end', () => {
      clearTimeout(timer);
      resolve({ bytes, sha256: hash.digest('hex'), text: Buffer.concat(head).toString('utf8') });
    });
    stream.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Deterministic pseudo-random data, generated block by block so a 64 MiB transfer never holds
 * 64 MiB: the sender and the expected hash come from the same generator.
 */
export function dataBlock(index: number, size = 1 << 20): Buffer {
  const block = Buffer.allocUnsafe(size);
  let s = (index + 1) * 0x9e3779b1;
  for (let i = 0; i < size; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    block.writeInt32LE(s | 0, i);
  }
  return block;
}

/** SHA-256 of what sendBlocks sends with the same size, block size and first block. */
export function expectedHash(totalBytes: number, blockSize = 1 << 20, firstBlock = 0): string {
  const hash = createHash('sha256');
  for (let i = 0; i * blockSize < totalBytes; i++) hash.update(dataBlock(firstBlock + i, blockSize).subarray(0, Math.min(blockSize, totalBytes - i * blockSize)));
  return hash.digest('hex');
}

/**
 * Writes `totalBytes` of dataBlock()s (from `firstBlock`, default 0) honouring back-pressure (write() false → wait for
 * 'drain'), then ends the stream unless `end` is false. Resolves once everything was handed over.
 */
export function sendBlocks(
  stream: Writable,
  totalBytes: number,
  options: { end?: boolean; blockSize?: number; firstBlock?: number; onBlock?: (sent: number) => void } = {},
): Promise<void> {
  const blockSize = options.blockSize ?? 1 << 20;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let index = options.firstBlock ?? 0;
    stream.once('error', reject);
    const pump = (): void => {
      while (sent < totalBytes) {
        const block = dataBlock(index++, blockSize).subarray(0, Math.min(blockSize, totalBytes - sent));
        sent += block.length;
        options.onBlock?.(sent);
        if (!stream.write(block)) {
          stream.once('drain', pump);
          return;
        }
      }
      if (options.end === false) resolve();
      else stream.end(() => resolve());
    };
    pump();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
