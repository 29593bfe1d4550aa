import { describe, expect, it } from 'vitest';
import { CipherSuite } from '../../src/registry.js';
import { explained } from './support.js';

/** The explain page's failure names the rule that refused (TLSError.reason), not only the alert. */
describe('explain: the failure names its rule', () => {
  it('a server with no cipher suite in common: the failed check and the outcome say no_common_cipher_suite', async () => {
    const r = await explained({
      client: { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] },
      server: { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] },
      expectFailure: true,
    });
    expect(r.server.error?.reason).toBe('no_common_cipher_suite');
    const model = r.model('server');
    const failed = model.steps.flatMap((s) => s.items.flatMap((i) => (i.kind === 'check' && i.check.ok === false ? [i.check] : [])));
    expect(failed).toHaveLength(1);
    expect(failed[0]!.lines).toEqual([
      { label: 'reason', text: r.server.error!.message },
      { label: 'rule', text: 'no_common_cipher_suite' },
    ]);
    expect(model.outcome.text).toBe(`The handshake failed: PROTOCOL_ERROR (handshake_failure) [no_common_cipher_suite]: ${r.server.error!.message}`);
    // The side that only received the alert has no rule of its own to name.
    expect(r.model('client').outcome.text).not.toContain('[');
  });
});
