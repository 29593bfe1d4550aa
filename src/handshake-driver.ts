import { type MaybePromise, isPending } from './crypto/provider.js';
import type { HandshakeState } from './handshake-context.js';
import type { ReceivedMessage } from './messages/types.js';

/**
 * What the driver is doing besides waiting for a message. While a handshake step or the
 * client's first flight is pending (a signature, a WebCrypto key exchange), the connection
 * reads nothing more and holds writes back, so nothing is read or sent under keys that are
 * not installed yet; a close() during the first flight waits for it. Once a step's next state
 * is in place the connection delivers the step's events ('step_events'): bytes a listener
 * feeds in meanwhile wait until it is done, so no other step starts inside a listener.
 */
type Work = 'idle' | 'handshake_step' | 'step_events' | 'first_flight' | 'first_flight_then_close';

/** What the connection does when a step ends. */
export interface DriverHost {
  /** The step ended: the next state is in place; call eventsDelivered() once its events are out. */
  stepDone(): void;
  /** The step (or the first flight) threw or rejected. */
  stepFailed(error: unknown): void;
}

/**
 * Runs the client or server state machine one message at a time: `handle` returns the next
 * state (RFC 8446's states as types), maybe asynchronously; the driver is busy until it does.
 */
export class HandshakeDriver {
  private current: HandshakeState | undefined;
  private work: Work = 'idle';
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly host: DriverHost) {}

  get state(): HandshakeState | undefined {
    return this.current;
  }

  set state(state: HandshakeState) {
    this.current = state;
  }

  get busy(): boolean {
    return this.work !== 'idle';
  }

  /** A close() came while the first flight was being built; see closeAfterFirstFlight. */
  get closeDeferred(): boolean {
    return this.work === 'first_flight_then_close';
  }

  /** Whether a close() must wait until the first flight is out (it then does, see start). */
  closeAfterFirstFlight(): boolean {
    if (this.work !== 'first_flight' && this.work !== 'first_flight_then_close') return false;
    this.work = 'first_flight_then_close';
    return true;
  }

  /** Resolves once no step is pending. */
  idle(): Promise<void> {
    if (this.work === 'idle') return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The events of the step just ended reached the application: the next message may be read. */
  eventsDelivered(): void {
    if (this.work === 'step_events') this.work = 'idle';
  }

  notifyIdle(): void {
    if (this.work !== 'idle') return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Hands `received` to the current state; the host hears when the step ended. */
  handle(state: HandshakeState, received: ReceivedMessage): void {
    this.work = 'handshake_step';
    state.handle(received).then(
      (next) => {
        this.current = next;
        this.work = 'step_events';
        this.host.stepDone();
      },
      (error: unknown) => {
        this.work = 'idle';
        this.host.stepFailed(error);
      },
    );
  }

  /**
   * Client: builds the first flight; `enter` sends it and enters the first state, at once or,
   * when the flight is pending, once it is ready (`closeNow`: a close() came meanwhile).
   */
  start(first: () => MaybePromise<HandshakeState>, enter: (state: HandshakeState, closeNow: boolean) => void): void {
    let pending: Promise<HandshakeState>;
    try {
      const state = first();
      if (!isPending(state)) {
        enter(state, false);
        return;
      }
      pending = state;
    } catch (error) {
      this.host.stepFailed(error);
      return;
    }
    this.work = 'first_flight';
    pending.then(
      (state) => {
        const closeNow = this.work === 'first_flight_then_close';
        this.work = 'idle';
        enter(state, closeNow);
      },
      (error: unknown) => {
        this.work = 'idle';
        this.host.stepFailed(error);
      },
    );
  }
}
