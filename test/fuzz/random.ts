/**
 * The fuzzers' one source of randomness: a seeded generator (xoshiro128**, its state filled
 * by splitmix32), so every input, chunking, mutation and handshake random is a
 * function of one integer seed and a failure reproduces from the seed it prints. Not
 * cryptographic, and nothing outside test/ may use it.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      // splitmix32: spreads a small seed over the whole state, so seeds 1, 2, 3 differ at once.
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  /** 32 uniformly distributed bits (xoshiro128**). */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const v = this.u32();
      out[i] = v;
      if (i + 1 < length) out[i + 1] = v >>> 8;
      if (i + 2 < length) out[i + 2] = v >>> 16;
      if (i + 3 < length) out[i + 3] = v >>> 24;
    }
    return out;
  }

  /**
   * A length in [min, max] biased towards the small end and the bounds, where codecs break:
   * half the draws are the bounds or their neighbours.
   */
  length(min: number, max: number): number {
    if (this.chance(0.5)) return Math.min(max, Math.max(min, this.pick([min, min + 1, max - 1, max])));
    const span = Math.min(max - min, this.pick([4, 16, 64, 300]));
    return min + this.below(span + 1);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Derives an independent seed for one part of a case (mutation, chunking, handshake randoms). */
export function subSeed(seed: number, part: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(part + 1, 0x165667b1)) >>> 0;
}
