import { extract, expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { internalError } from '../../errors.js';
import type { HashContext, HashName } from '../provider.js';
import { hashOutputLength } from '../provider.js';

/** The three SHA-2 functions TLS 1.3 cipher suites and signature schemes use. */
const nobleHashes = { sha256, sha384, sha512 } as const;

type NobleHash = ReturnType<(typeof nobleHashes)[HashName]['create']>;

/** A running noble hash; fork() is noble's clone(), so the transcript never re-hashes. */
class NobleHashContext implements HashContext {
  constructor(private readonly state: NobleHash) {}

  update(data: Uint8Array): void {
    this.state.update(data);
  }

  digest(): Uint8Array {
    return this.state.digest();
  }

  fork(): HashContext {
    return new NobleHashContext(this.state.clone());
  }
}

export function hashContext(name: HashName): HashContext {
  return new NobleHashContext(nobleHashes[name].create());
}

export function hmacDigest(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleHashes[name], key, data);
}

/** RFC 5869 §2.2. An empty salt means HashLen zero bytes, which is what HMAC makes of it anyway. */
export function hkdfExtract(name: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(nobleHashes[name], ikm, salt);
}

/** RFC 5869 §2.3; L is at most 255 * HashLen. */
export function hkdfExpand(name: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashOutputLength[name]) {
    throw internalError(`HKDF-Expand length ${length} is out of range for ${name}`);
  }
  return expand(nobleHashes[name], prk, info, length);
}
