import { it } from 'vitest';

/**
 * Interop peers that a machine may lack (gnutls-cli, Node 24). Locally a missing peer skips its
 * tests and says so; under CI (.ci/run exports WIRETLS_REQUIRE_INTEROP=1) it fails them, so a
 * green CI run means the interop it claims really ran.
 */
export const interopRequired = process.env.WIRETLS_REQUIRE_INTEROP === '1';

/**
 * Registers a test that states whether `peer` is there, and returns whether the peer's tests
 * should be skipped: only when it is missing and not required. When it is missing and required,
 * the tests run and fail on the missing program, and this test says why.
 */
export function interopPeer(peer: string, available: boolean, whereFrom: string): { skip: boolean } {
  const reason = `${peer} not found (${whereFrom})`;
  it(`interop peer ${peer} is available${interopRequired ? ' (required: WIRETLS_REQUIRE_INTEROP=1)' : ''}`, (context) => {
    if (available) return;
    if (interopRequired) throw new Error(`${reason}; WIRETLS_REQUIRE_INTEROP=1 makes a missing interop peer a failure`);
    context.skip(`${reason}: its interop tests are skipped`);
  });
  if (!available && !interopRequired) process.stderr.write(`[wiretls interop] skipping the ${peer} tests: ${reason}; set WIRETLS_REQUIRE_INTEROP=1 to fail instead\n`);
  return { skip: !available && !interopRequired };
}
