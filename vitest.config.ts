import { defineConfig } from 'vitest/config';

/**
 * Two projects, one per crypto provider, so the choice of provider can never change behaviour:
 * - noble:  every test, with WIRETLS_PROVIDER=noble (also what defaultProvider() builds there);
 * - native: the tests that drive whole connections (engine, RFC 8448 replays, node API,
 *           interop with openssl, the Web Streams and WebSocket transports) again, on the
 *           node:crypto provider.
 * The provider conformance suite (test/crypto/conformance.test.ts) checks both providers'
 * primitives side by side in one run. `npx vitest run --project native` runs one project.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'noble', include: ['test/**/*.test.ts'], env: { WIRETLS_PROVIDER: 'noble' } },
      },
      {
        extends: true,
        test: {
          name: 'native',
          include: ['test/engine/**/*.test.ts', 'test/vectors/**/*.test.ts', 'test/node/**/*.test.ts', 'test/interop/**/*.test.ts', 'test/transports/**/*.test.ts'],
          env: { WIRETLS_PROVIDER: 'native' },
        },
      },
    ],
  },
});
