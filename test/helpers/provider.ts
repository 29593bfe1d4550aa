import type { CryptoProvider } from '../../src/crypto/provider.js';
import { type NobleProviderOptions, nobleProvider } from '../../src/crypto/noble/index.js';
import { nodeProvider } from '../../src/crypto/node/index.js';

/**
 * The provider engine tests run on. One place to choose it, so the same tests run on every
 * provider: WIRETLS_PROVIDER=noble (the default here) or native. vitest.config.ts runs the
 * engine, RFC 8448 replay, node and interop tests once per provider (projects "noble" and
 * "native"); `npx vitest run --project native` runs one of them.
 */
export type TestProviderName = 'noble' | 'native';

export const TEST_PROVIDERS: Record<TestProviderName, (options?: NobleProviderOptions) => CryptoProvider> = {
  noble: nobleProvider,
  native: nodeProvider,
};

export function testProviderName(): TestProviderName {
  const env = process.env.WIRETLS_PROVIDER;
  if (env === undefined || env === '' || env === 'noble') return 'noble';
  if (env === 'native' || env === 'node') return 'native';
  throw new Error(`WIRETLS_PROVIDER must be noble or native, got ${env}`);
}

/** A fresh provider of the chosen kind; `options` as for nobleProvider (random, ephemeral keys). */
export function testProvider(options?: NobleProviderOptions): CryptoProvider {
  return TEST_PROVIDERS[testProviderName()](options);
}
