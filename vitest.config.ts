import { defineConfig } from 'vitest/config';

/**
 * Three projects, one per crypto provider, so the choice of provider can never change behaviour:
 * - noble:     every test, with WIRETLS_PROVIDER=noble (also what defaultProvider() builds there);
 * - native:    the tests that drive whole connections (engine, RFC 8448 replays, node API,
 *              interop with openssl) again, on the node:crypto provider, and the Web Streams
 *              and WebSocket transports;
 * - webcrypto: the whole-connection tests again, on the WebCrypto provider with all its extras.
 * The provider conformance suite (test/crypto/conformance.test.ts) checks all providers'
 * primitives side by side in one run. `npx vitest run --project native` runs one project.
 */
const WHOLE_CONNECTIONS = ['test/engine/**/*.test.ts', 'test/vectors/**/*.test.ts', 'test/node/**/*.test.ts', 'test/interop/**/*.test.ts'];

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
          include: [...WHOLE_CONNECTIONS, 'test/transports/**/*.test.ts'],
          env: { WIRETLS_PROVIDER: 'native' },
        },
      },
      {
        extends: true,
        test: { name: 'webcrypto', include: WHOLE_CONNECTIONS, env: { WIRETLS_PROVIDER: 'webcrypto' } },
      },
    ],
  },
});
