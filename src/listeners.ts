/**
 * Event listeners without node:events (the engine runs on any JavaScript runtime): per event,
 * none, the one listener, or a list of them.
 */

export class Listeners<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  /**
   * `byEvent` names every event up front (as undefined), so the object keeps one shape and the
   * per-record `has('trace')` stays a plain property read.
   */
  constructor(private readonly byEvent: { [K in keyof Events]: Events[K] | Events[K][] | undefined }) {}

  add<K extends keyof Events>(event: K, listener: Events[K]): void {
    // As EventEmitter does, a lone listener is kept as itself, and a list is replaced by one of
    // exactly its listeners rather than grown: a connection lives long with the one listener
    // per event it gets at the start, and push would give each list room for 17.
    const current = this.byEvent[event];
    this.byEvent[event] = current === undefined ? listener : Array.isArray(current) ? [...current, listener] : [current, listener];
  }

  /** Whether anyone listens: events that cost work to build are made only then. */
  has(event: keyof Events): boolean {
    return this.byEvent[event] !== undefined;
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    type Listener = (...a: Parameters<Events[K]>) => void;
    const current = this.byEvent[event] as Listener | Listener[] | undefined;
    if (current === undefined) return;
    if (Array.isArray(current)) for (const listener of current) listener(...args);
    else current(...args);
  }
}
