import type { TraceEvent } from '../handshake-context.js';
import type { KeyDerivation } from '../keyschedule.js';

/**
 * What `wiretls explain` is built from: the engine's trace events and key schedule steps, in
 * the order they happened. Attach `trace` as a connection's 'trace' listener and `derivation`
 * as its config's onKeyDerivation; both copy what they keep, since the engine lends its
 * buffers for the call only (and wipes secrets after).
 */
export type ExplainEvent = { kind: 'trace'; event: TraceEvent; at: number } | { kind: 'derivation'; step: KeyDerivation };

export class ExplainRecorder {
  readonly events: ExplainEvent[] = [];
  /** When the connection ended (performance.now()), set by `end`. */
  endedAt: number | undefined;

  readonly trace = (event: TraceEvent): void => {
    this.events.push({ kind: 'trace', event: copyEvent(event), at: performance.now() });
  };

  readonly derivation = (step: KeyDerivation): void => {
    this.events.push({
      kind: 'derivation',
      step: {
        output: step.output,
        operation: step.operation,
        secret: step.secret.slice(),
        value: step.value.slice(),
        ...(step.ikm ? { ikm: step.ikm.slice() } : {}),
        ...(step.label !== undefined ? { label: step.label } : {}),
        ...(step.context ? { context: step.context.slice() } : {}),
      },
    });
  };

  end(): void {
    this.endedAt ??= performance.now();
  }
}

function copyEvent(event: TraceEvent): TraceEvent {
  switch (event.kind) {
    case 'record':
      return { ...event, bytes: event.bytes.slice(), ...(event.inner ? { inner: { type: event.inner.type, content: event.inner.content.slice() } } : {}) };
    case 'message':
      // The decoded message's fields are views of `raw`'s buffer, which the engine keeps.
      return { ...event, raw: event.raw.slice() };
    default:
      return event;
  }
}
