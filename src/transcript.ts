import type { CryptoProvider, HashContext, HashName } from './crypto/provider.js';
import { internalError } from './errors.js';
import { messageHash } from './messages/handshake.js';

/**
 * The running transcript hash (RFC 8446 §4.4.1). Messages go in as their exact wire bytes.
 * The hash algorithm is known only once the cipher suite is chosen, so messages are held
 * until then; afterwards each message is hashed once and intermediate digests come from a
 * fork of the running state, never by re-hashing.
 */
export class Transcript {
  private pending: Uint8Array[] | undefined = [];
  private context: HashContext | undefined;
  private hashName: HashName | undefined;
  /**
   * current()'s digest until the next message: a handshake asks twice over the same messages
   * (the server's application secrets and the client Finished it then checks; the client's
   * likewise), and each fork is a native hash copy.
   */
  private latest: Uint8Array | undefined;

  constructor(private readonly provider: CryptoProvider) {}

  get hash(): HashName | undefined {
    return this.hashName;
  }

  update(raw: Uint8Array): void {
    this.latest = undefined;
    if (this.context) this.context.update(raw);
    else this.pending!.push(raw);
  }

  /** Fixes the hash algorithm (at ServerHello / when the server picks its suite). */
  selectHash(hash: HashName): void {
    if (this.hashName !== undefined) {
      if (this.hashName !== hash) throw internalError('transcript hash already fixed to another algorithm');
      return;
    }
    this.hashName = hash;
    this.context = this.provider.hash(hash);
    for (const raw of this.pending!) this.context.update(raw);
    this.pending = undefined;
  }

  /** Hash of everything so far. */
  current(): Uint8Array {
    if (!this.context) throw internalError('transcript hash requested before the hash was chosen');
    this.latest ??= this.context.fork().digest();
    // A copy: callers own what they get.
    return this.latest.slice();
  }

  /**
   * Hash of everything so far plus `extra`, without adding it: for PSK binders over the
   * truncated ClientHello and for CertificateVerify-style look-ahead.
   */
  currentWith(extra: Uint8Array): Uint8Array {
    if (!this.context) throw internalError('transcript hash requested before the hash was chosen');
    const fork = this.context.fork();
    fork.update(extra);
    return fork.digest();
  }

  /** An independent copy, for post-handshake authentication over the handshake's transcript. */
  fork(): Transcript {
    if (!this.context) throw internalError('transcript forked before the hash was chosen');
    const copy = new Transcript(this.provider);
    copy.hashName = this.hashName;
    copy.pending = undefined;
    copy.context = this.context.fork();
    return copy;
  }

  /**
   * After a HelloRetryRequest the first ClientHello is replaced by message_hash(Hash(CH1))
   * (RFC 8446 §4.4.1).
   */
  replaceWithMessageHash(): void {
    const digest = this.current();
    this.latest = undefined;
    this.context = this.provider.hash(this.hashName!);
    this.context.update(messageHash(digest));
  }
}
