import { type Hash, createHash, createHmac } from 'node:crypto';
import { internalError } from '../../errors.js';
import type { HashContext, HashName } from '../provider.js';
import { hashOutputLength } from '../provider.js';
import { plain } from './bytes.js';

/** A running node:crypto hash; fork() is Hash.copy(), so the transcript never re-hashes. */
class NodeHashContext implements HashContext {
  constructor(private readonly state: Hash) {}

  update(data: Uint8Array): void {
    this.state.update(data);
  }

  digest(): Uint8Array {
    return plain(this.state.digest());
  }

  fork(): HashContext {
    return new NodeHashContext(this.state.copy());
  }
}

export function nodeHashContext(name: HashName): HashContext {
  return new NodeHashContext(createHash(name));
}

export function nodeHmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac(name, key).update(data).digest());
}

/**
 * RFC 5869 §2.2. An empty salt means HashLen zero bytes, which is what HMAC makes of it anyway.
 * crypto.hkdfSync is not used: it always runs Extract and Expand together (TLS 1.3 calls them
 * separately), and through OpenSSL's KDF interface it costs ~18 µs against ~2.5 µs for one HMAC.
 */
export function nodeHkdfExtract(name: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return plain(createHmac(name, salt).update(ikm).digest());
}

const COUNTERS = Array.from({ length: 256 }, (_, i) => new Uint8Array([i]));

/** RFC 5869 §2.3; L is at most 255 * HashLen. TLS 1.3 asks for at most one block almost always. */
export function nodeHkdfExpand(name: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLength = hashOutputLength[name];
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLength) {
    throw internalError(`HKDF-Expand length ${length} is out of range for ${name}`);
  }
  if (length <= hashLength) {
    // T(1) = HMAC(PRK, info || 0x01), truncated: the common case, one HMAC and no copy.
    const block = plain(createHmac(name, prk).update(info).update(COUNTERS[1]!).digest());
    if (length === hashLength) return block;
    const out = block.slice(0, length);
    block.fill(0);
    return out;
  }
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    previous = plain(createHmac(name, prk).update(previous).update(info).update(COUNTERS[i]!).digest());
    out.set(previous.subarray(0, Math.min(hashLength, length - at)), at);
    at += hashLength;
  }
  previous.fill(0);
  return out;
}
