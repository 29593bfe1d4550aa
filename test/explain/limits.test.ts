import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/explain/html.js';
import { ExplainRecorder, RECORDING_LIMITS } from '../../src/explain/recorder.js';
import { renderText } from '../../src/explain/text.js';
import { protocolError } from '../../src/errors.js';
import { ContentType, HandshakeType } from '../../src/registry.js';
import { drain, provider } from '../helpers/negative.js';
import { explained } from './support.js';

/**
 * A recording is bounded: a long or hostile connection (a bulk upload to `serve --explain`, a
 * KeyUpdate flood) would otherwise keep every record in memory until it ends. Past the limits
 * events are counted, the page says how many, and what was kept still explains itself.
 */
describe('explain recordings are bounded', () => {
  it('application data past the first MiB is counted, not kept, and the page says so', async () => {
    const bulk = 3 * RECORDING_LIMITS.applicationDataBytes;
    const run = await explained({
      after: async (client, server) => {
        client.write(provider.random(bulk));
        await drain(client, server);
      },
    });
    for (const side of ['client', 'server'] as const) {
      const { omitted, events } = run.recorders[side];
      expect(omitted.applicationDataRecords).toBeGreaterThan(100);
      expect(omitted.applicationDataBytes).toBeGreaterThan(bulk / 2);
      const kept = events.flatMap((e) => (e.kind === 'trace' && e.event.kind === 'record' && e.event.inner?.type === ContentType.application_data ? [e.event.bytes.length] : []));
      expect(kept.reduce((n, b) => n + b, 0)).toBeLessThanOrEqual(RECORDING_LIMITS.applicationDataBytes);
      const model = run.model(side);
      expect(model.facts).toContainEqual(['not recorded', expect.stringMatching(/^\d+ application data records \(\d+ bytes\) past the first MiB$/)]);
      expect(renderHtml(model, { redact: true })).toContain('not recorded');
      expect(renderText(model, { redact: true, width: 100, colour: false })).toContain('not recorded');
    }
  });

  it('past the event limit only a failure is still kept', () => {
    const recorder = new ExplainRecorder();
    const keyUpdate = { type: HandshakeType.key_update, requestUpdate: 0 } as const;
    for (let i = 0; i < RECORDING_LIMITS.events + 50; i++) {
      recorder.trace({ kind: 'message', direction: 'received', message: keyUpdate, raw: Uint8Array.of(24, 0, 0, 1, 0) });
    }
    expect(recorder.events).toHaveLength(RECORDING_LIMITS.events);
    expect(recorder.omitted.events).toBe(50);
    recorder.trace({ kind: 'failed', error: protocolError('unexpected_handshake_message', 'too many KeyUpdates') });
    expect(recorder.events.at(-1)).toMatchObject({ kind: 'trace', event: { kind: 'failed' } });
  });
});
