import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CryptoProvider, HashContext } from '../../src/crypto/provider.js';
import { messageHash } from '../../src/messages/handshake.js';
import { Transcript } from '../../src/transcript.js';
import { utf8 } from '../../src/wire/bytes.js';
import { testProvider } from '../helpers/provider.js';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};

/** The test provider, counting how often a running hash is forked (a native copy on Node). */
function countingForks(): { provider: CryptoProvider; forks: () => number } {
  const inner = testProvider();
  let forks = 0;
  const wrap = (context: HashContext): HashContext => ({
    update: (data) => context.update(data),
    digest: () => context.digest(),
    fork: () => {
      forks++;
      return wrap(context.fork());
    },
  });
  return { provider: { ...inner, hash: (name) => wrap(inner.hash(name)) }, forks: () => forks };
}

describe('Transcript', () => {
  const hello = utf8('client hello bytes');
  const answer = utf8('server hello bytes');

  it('hashes the messages held before the hash was chosen, then each message as it comes', () => {
    const transcript = new Transcript(testProvider());
    transcript.update(hello);
    transcript.selectHash('sha256');
    expect(transcript.current()).toEqual(sha256(hello));
    transcript.update(answer);
    expect(transcript.current()).toEqual(sha256(hello, answer));
    expect(transcript.currentWith(hello)).toEqual(sha256(hello, answer, hello));
  });

  it('asked twice over the same messages, it forks the running hash once and hands out copies', () => {
    const { provider, forks } = countingForks();
    const transcript = new Transcript(provider);
    transcript.selectHash('sha256');
    transcript.update(hello);
    const first = transcript.current();
    first.fill(0);
    expect(transcript.current()).toEqual(sha256(hello));
    expect(forks()).toBe(1);
    transcript.update(answer);
    expect(transcript.current()).toEqual(sha256(hello, answer));
    expect(forks()).toBe(2);
  });

  it('after a HelloRetryRequest the first ClientHello becomes message_hash, whatever was asked before', () => {
    const transcript = new Transcript(testProvider());
    transcript.selectHash('sha256');
    transcript.update(hello);
    const helloHash = transcript.current();
    transcript.replaceWithMessageHash();
    expect(transcript.current()).toEqual(sha256(messageHash(helloHash)));
  });
});
