import type { ResumptionState, TicketStore } from '../config.js';
import type { AeadCipher, CryptoProvider } from '../crypto/provider.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { fromUtf8, utf8, zeroize } from '../wire/bytes.js';

/**
 * Session tickets on the server (RFC 8446 §4.6.1): the store that turns resumption state
 * (ResumptionState, declared with the TicketStore interface in config.ts) into opaque ticket
 * bytes and back.
 */

/** RFC 8446 §4.6.1: no ticket may live longer than seven days. */
export const MAX_TICKET_LIFETIME_SECONDS = 7 * 24 * 3600;

const FORMAT_VERSION = 1;
const KEY_ID_LENGTH = 4;
const NONCE_LENGTH = 12;

interface TicketKey {
  id: Uint8Array;
  cipher: AeadCipher;
  createdAt: number;
}

export interface StatelessTicketStoreOptions {
  /**
   * How long one ticket key encrypts new tickets (default 12 hours); it decrypts until two
   * periods after it was made, so every ticket opens for between one and two periods.
   */
  rotationSeconds?: number;
  /** Clock (ms since the epoch); for tests. */
  now?: () => number;
}

/**
 * Stateless tickets: the state is sealed with ChaCha20-Poly1305 (every provider has it) under a random
 * server key, so the server keeps nothing per client. Keys rotate; a key older than two
 * periods is forgotten and its tickets no longer open, which bounds how long a stolen ticket
 * key exposes past sessions (forward secrecy of resumption, RFC 8446 §8 / §E.1).
 *
 * Ticket = version (1) || key id (4) || nonce (12) || AEAD(state), with the first 5 bytes as AAD.
 */
export class StatelessTicketStore implements TicketStore {
  private current: TicketKey;
  private previous: TicketKey | undefined;
  private readonly rotationMs: number;
  private readonly now: () => number;

  constructor(
    private readonly provider: CryptoProvider,
    options: StatelessTicketStoreOptions = {},
  ) {
    this.rotationMs = (options.rotationSeconds ?? 12 * 3600) * 1000;
    this.now = options.now ?? Date.now;
    this.current = this.newKey();
  }

  private newKey(): TicketKey {
    const key = this.provider.random(32);
    const cipher = this.provider.aead('CHACHA20-POLY1305', key);
    zeroize(key);
    return { id: this.provider.random(KEY_ID_LENGTH), cipher, createdAt: this.now() };
  }

  /**
   * A key seals while younger than one period and opens while younger than two, so a ticket
   * opens for at least one period after it was sealed and never for more than two, however
   * long the store sat idle between calls (rotation is lazy).
   */
  private rotate(): void {
    const now = this.now();
    if (this.previous && now - this.previous.createdAt >= 2 * this.rotationMs) {
      this.previous.cipher.dispose();
      this.previous = undefined;
    }
    const age = now - this.current.createdAt;
    if (age < this.rotationMs) return;
    this.previous?.cipher.dispose();
    if (age < 2 * this.rotationMs) {
      this.previous = this.current;
    } else {
      this.current.cipher.dispose();
      this.previous = undefined;
    }
    this.current = this.newKey();
  }

  seal(state: ResumptionState): Uint8Array {
    this.rotate();
    const header = new Uint8Array(1 + KEY_ID_LENGTH);
    header[0] = FORMAT_VERSION;
    header.set(this.current.id, 1);
    const nonce = this.provider.random(NONCE_LENGTH);
    const plaintext = encodeState(state);
    const sealed = this.current.cipher.seal(nonce, header, plaintext);
    zeroize(plaintext);
    return new Writer(header.length + NONCE_LENGTH + sealed.length).bytes(header).bytes(nonce).bytes(sealed).finish();
  }

  open(ticket: Uint8Array): ResumptionState | undefined {
    this.rotate();
    if (ticket.length < 1 + KEY_ID_LENGTH + NONCE_LENGTH + 16 || ticket[0] !== FORMAT_VERSION) return undefined;
    const id = ticket.subarray(1, 1 + KEY_ID_LENGTH);
    const key = [this.current, this.previous].find((k) => k && sameBytes(k.id, id));
    if (!key) return undefined;
    const nonce = ticket.subarray(1 + KEY_ID_LENGTH, 1 + KEY_ID_LENGTH + NONCE_LENGTH);
    const plaintext = key.cipher.open(nonce, ticket.subarray(0, 1 + KEY_ID_LENGTH), ticket.subarray(1 + KEY_ID_LENGTH + NONCE_LENGTH));
    if (!plaintext) return undefined;
    try {
      return decodeState(plaintext);
    } catch {
      return undefined;
    } finally {
      zeroize(plaintext);
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function encodeState(state: ResumptionState): Uint8Array {
  const w = new Writer(128);
  w.vector8(32, 64, state.psk)
    .u16(state.cipherSuite)
    .u32(Math.floor(state.issuedAt / 2 ** 32))
    .u32(state.issuedAt >>> 0)
    .u32(state.lifetime)
    .u32(state.ageAdd)
    .u32(state.maxEarlyDataSize)
    .vector8(0, 0xff, utf8(state.alpnProtocol ?? ''))
    .vector16(0, 0xffff, utf8(state.serverName ?? ''))
    .vector24(0, 0xffffff, (list) => {
      for (const cert of state.clientCertificates) list.vector24(1, 0xffffff, cert);
    });
  return w.finish();
}

function decodeState(data: Uint8Array): ResumptionState {
  const r = new Reader(data, 0, data.length, 'ticket state');
  const psk = r.vector8(32, 64).slice();
  const cipherSuite = r.u16();
  const issuedAt = r.u32() * 2 ** 32 + r.u32();
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const maxEarlyDataSize = r.u32();
  const alpn = fromUtf8(r.vector8());
  const serverName = fromUtf8(r.vector16());
  const clientCertificates = r.list(3, 0, 0xffffff, (item) => item.vector24(1).slice());
  r.expectEnd();
  return {
    psk,
    cipherSuite,
    issuedAt,
    lifetime,
    ageAdd,
    maxEarlyDataSize,
    alpnProtocol: alpn || undefined,
    serverName: serverName || undefined,
    clientCertificates,
  };
}
