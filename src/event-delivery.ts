import type { ConnectionEvents, StepEvent } from './connection-context.js';
import type { SessionInfo } from './handshake-context.js';
import type { Listeners } from './listeners.js';
import type { OutboundRecords } from './record/outbound.js';

/** What delivering needs of its connection. */
export interface DeliveryHost {
  readonly listeners: Listeners<ConnectionEvents>;
  readonly outbound: OutboundRecords;
  /** Whether the connection failed (a listener may make it fail). */
  readonly failed: boolean;
  fail(error: unknown): void;
}

/**
 * The application's side of the handshake: the events a step recorded, delivered once the
 * driver has installed the next state (a listener never runs while the state machine is between
 * states, so it may use the connection as any other code would); the session info the
 * application was last given; the writes it made before 'handshake', held until then.
 */
export class EventDelivery {
  private info: SessionInfo | undefined;
  private held: Uint8Array[] = [];

  constructor(private readonly host: DeliveryHost) {}

  /** What was negotiated, as 'handshake' (and later 'authenticated') reported it. */
  get session(): SessionInfo | undefined {
    return this.info;
  }

  /** Application data: sent now once 'handshake' was delivered, else held until it is. */
  write(data: Uint8Array): void {
    if (this.info) this.host.outbound.sendData(data);
    else this.held.push(data.slice());
  }

  /**
   * The connection failed: what was held is never sent, and the events of the step that failed
   * it are not delivered; a state's `afterwards` step is still told, so that it cleans up.
   */
  drop(events: readonly StepEvent[]): void {
    this.held = [];
    for (const event of events) if (event.kind === 'handshake') event.afterwards?.(false);
  }

  /**
   * Delivers what a step recorded, in the order it happened. A listener that throws fails the
   * connection, as a step that throws does (internal_error): the events after it are not
   * delivered, and a state's `afterwards` step is told it may not send, so it only cleans up.
   */
  deliver(events: readonly StepEvent[]): void {
    for (const event of events) {
      try {
        if (!this.host.failed) this.emit(event);
      } catch (error) {
        this.host.fail(error);
      }
      if (event.kind !== 'handshake' || !event.afterwards) continue;
      try {
        event.afterwards(!this.host.failed && !this.host.outbound.closed);
      } catch (error) {
        this.host.fail(error);
      }
    }
  }

  private emit(event: StepEvent): void {
    switch (event.kind) {
      case 'handshake':
        this.completed(event.info);
        return;
      case 'session':
        this.host.listeners.emit('session', event.ticket);
        return;
      case 'authenticated':
        this.info = event.info;
        this.host.listeners.emit('authenticated', event.info);
        return;
    }
  }

  /**
   * What the step queued (our Finished) goes out first, then the writes held until now, in the
   * order the application made them, and then 'handshake': what its listener writes follows
   * them, and a server's tickets (its `afterwards` step) follow that, in the same flush.
   */
  private completed(info: SessionInfo): void {
    const { outbound, listeners } = this.host;
    this.info = info;
    outbound.flush();
    const held = this.held;
    this.held = [];
    for (const data of held) outbound.sendData(data);
    listeners.emit('handshake', info);
  }
}
