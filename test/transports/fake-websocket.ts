import type { WebSocketEvent, WebSocketLike } from '../../src/transports/websocket.js';

/**
 * A WebSocket that behaves like the WHATWG one where webSocketStreams can tell: readyState
 * moves CONNECTING → OPEN → CLOSING → CLOSED, send() counts into bufferedAmount until the
 * "network" delivers, messages are ArrayBuffers when binaryType is 'arraybuffer', close()
 * leads to a close event. Two of them joined by `fakeWebSocketPair` talk to each other;
 * `network.hold()` stops delivery (a slow link) so bufferedAmount grows.
 */
type Listener = (event: WebSocketEvent) => void;

export class FakeWebSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  peer: FakeWebSocket | undefined;
  network: FakeNetwork;
  /** What close() was called with, in order. */
  readonly closeCalls: { code: number | undefined; reason: string | undefined }[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(network: FakeNetwork) {
    this.network = network;
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  emit(type: string, fields: Omit<WebSocketEvent, 'type'> = {}): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener({ type, ...fields });
  }

  open(): void {
    this.readyState = 1;
    this.emit('open');
  }

  send(data: Uint8Array): void {
    if (this.readyState === 0) throw new Error('InvalidStateError: still CONNECTING');
    if (this.readyState !== 1) {
      // WHATWG: sends after close are dropped, yet still counted.
      this.bufferedAmount += data.byteLength;
      return;
    }
    const copy = data.slice();
    this.bufferedAmount += copy.byteLength;
    this.network.carry(() => {
      this.bufferedAmount -= copy.byteLength;
      this.peer?.receive(copy);
    });
  }

  /** A message arrives (binary unless `text`). */
  receive(data: Uint8Array | string): void {
    if (this.readyState !== 1) return;
    if (typeof data === 'string') this.emit('message', { data });
    else this.emit('message', { data: this.binaryType === 'arraybuffer' ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : new Blob([data]) });
  }

  close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason });
    if (this.readyState >= 2) return;
    this.readyState = 2;
    // The closing handshake goes behind queued data, as on the wire.
    this.network.carry(() => {
      this.peer?.closedByPeer(code ?? 1005, reason ?? '');
      this.finishClose(code ?? 1005, reason ?? '');
    });
  }

  closedByPeer(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.finishClose(code, reason);
  }

  /** The connection drops (no closing handshake): error, then close 1006. */
  drop(): void {
    this.readyState = 3;
    this.emit('error', { message: 'connection reset' });
    this.emit('close', { code: 1006, reason: '' });
  }

  private finishClose(code: number, reason: string): void {
    this.readyState = 3;
    this.emit('close', { code, reason, wasClean: true } as Omit<WebSocketEvent, 'type'>);
  }
}

/** Delivers sends asynchronously, in order; `hold()` stops delivery until `release()`. */
export class FakeNetwork {
  private queue: (() => void)[] = [];
  private held = false;
  private scheduled = false;

  carry(delivery: () => void): void {
    this.queue.push(delivery);
    this.schedule();
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.held) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      if (this.held) return;
      const batch = this.queue;
      this.queue = [];
      for (const delivery of batch) delivery();
      if (this.queue.length > 0) this.schedule();
    }, 0);
  }
}

/** Two fake WebSockets joined by one network; both still CONNECTING (call open()). */
export function fakeWebSocketPair(): { a: FakeWebSocket; b: FakeWebSocket; network: FakeNetwork } {
  const network = new FakeNetwork();
  const a = new FakeWebSocket(network);
  const b = new FakeWebSocket(network);
  a.peer = b;
  b.peer = a;
  return { a, b, network };
}
