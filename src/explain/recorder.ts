import type { TraceEvent } from '../handshake-context.js';
import type { KeyDerivation } from '../keyschedule.js';
import { ContentType } from '../registry.js';

/**
 * What `wiretls explain` is built from: the engine's trace events and key schedule steps, in
 * the order they happened. Attach `trace` as a connection's 'trace' listener and `derivation`
 * as its config's onKeyDerivation; both copy what they keep, since the engine lends its
 * buffers for the call only (and wipes secrets after).
 */
export type ExplainEvent = { kind: 'trace'; event: TraceEvent; at: number } | { kind: 'derivation'; step: KeyDerivation };

/**
 * What a recording keeps, so that a long or hostile connection (a bulk upload to
 * `serve --explain`, a KeyUpdate flood) cannot grow it without bound: application data records
 * up to this many bytes in all, and this many events. Past either, events are counted, not kept.
 */
export const RECORDING_LIMITS = { applicationDataBytes: 1 << 20, events: 20_000 } as const;

/** What a recording counted but did not keep (see RECORDING_LIMITS). */
export interface Omitted {
  applicationDataRecords: number;
  applicationDataBytes: number;
  /** Events of any kind past the event limit. */
  events: number;
}

export class ExplainRecorder {
  readonly events: ExplainEvent[] = [];
  readonly omitted: Omitted = { applicationDataRecords: 0, applicationDataBytes: 0, events: 0 };
  /** When the connection ended (performance.now()), set by `end`. */
  endedAt: number | undefined;
  #applicationDataBytes = 0;

  readonly trace = (event: TraceEvent): void => {
    // A failure is always kept: it is what the page must explain.
    if (event.kind !== 'failed' && !this.keeps(event)) return;
    this.events.push({ kind: 'trace', event: copyEvent(event), at: performance.now() });
  };

  readonly derivation = (step: KeyDerivation): void => {
    if (!this.keeps(undefined)) return;
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

  /** Whether one more event fits the limits; counts it in `omitted` when it does not. */
  private keeps(event: TraceEvent | undefined): boolean {
    if (event?.kind === 'record' && event.inner?.type === ContentType.application_data) {
      if (this.#applicationDataBytes + event.bytes.length > RECORDING_LIMITS.applicationDataBytes) {
        this.omitted.applicationDataRecords++;
        this.omitted.applicationDataBytes += event.bytes.length;
        return false;
      }
      this.#applicationDataBytes += event.bytes.length;
    }
    if (this.events.length >= RECORDING_LIMITS.events) {
      this.omitted.events++;
      return false;
    }
    return true;
  }
}

function copyEvent(event: TraceEvent): TraceEvent {
  switch (event.kind) {
    case 'record':
      return { ...event, bytes: event.bytes.slice(), ...(event.inner ? { inner: { type: event.inner.type, content: event.inner.content.slice() } } : {}) };
    case 'message':
      // The decoded message's fields are views of `raw`'s buffer, which the engine keeps.
      return { ...event, raw: event.raw.slice() };
    case 'undecodable':
      return { ...event, raw: event.raw.slice() };
    default:
      return event;
  }
}
