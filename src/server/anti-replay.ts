import type { ReplayGuard } from '../config.js';
import { bytesToHex } from '../wire/bytes.js';

/**
 * 0-RTT anti-replay by ClientHello recording (RFC 8446 §8.2): within a short window around
 * the ticket's expected age, each ClientHello (identified by its PSK binder, which is unique
 * per ClientHello) may carry early data once. Outside the window, or when the record is full,
 * early data is refused — the handshake itself still goes ahead, so the only cost of a refusal
 * is a round trip, never a replayed request.
 */
export interface AntiReplayOptions {
  /** Allowed difference between the client's view of the ticket age and ours (default 10 s). */
  windowMs?: number;
  /** Most ClientHellos remembered at once (default 100,000); when full, 0-RTT is refused. */
  capacity?: number;
  now?: () => number;
}

export class AntiReplay implements ReplayGuard {
  private readonly windowMs: number;
  private readonly capacity: number;
  private readonly now: () => number;
  /** binder (hex) → when it may be forgotten. */
  private readonly seen = new Map<string, number>();

  constructor(options: AntiReplayOptions = {}) {
    this.windowMs = options.windowMs ?? 10_000;
    this.capacity = options.capacity ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Whether early data from this ClientHello may be accepted: its ticket age must be within
   * the window and its binder never seen inside the window.
   */
  admit(binder: Uint8Array, clientTicketAgeMs: number, issuedAt: number, now = this.now()): boolean {
    const expectedAge = now - issuedAt;
    if (Math.abs(expectedAge - clientTicketAgeMs) > this.windowMs) return false;
    this.expire(now);
    const key = bytesToHex(binder);
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.capacity) return false;
    this.seen.set(key, now + 2 * this.windowMs);
    return true;
  }

  private expire(now: number): void {
    // Entries are inserted in time order, so the oldest come first.
    for (const [key, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(key);
    }
  }
}
