import type { CryptoProvider } from '../../src/crypto/provider.js';
import { type NobleProviderOptions, nobleProvider } from '../../src/crypto/noble/index.js';
import { nodeProvider } from '../../src/crypto/node/index.js';
import { chacha20poly1305 } from '../../src/crypto/webcrypto/extras/chacha20poly1305.js';
import { ed448 } from '../../src/crypto/webcrypto/extras/ed448.js';
import { x25519mlkem768 } from '../../src/crypto/webcrypto/extras/x25519mlkem768.js';
import { x448 } from '../../src/crypto/webcrypto/extras/x448.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto/index.js';

/**
 * The provider engine tests run on. One place to choose it, so the same tests run on every
 * provider: WIRETLS_PROVIDER=noble (the default here), native or webcrypto. vitest.config.ts
 * runs the engine, RFC 8448 replay, node and interop tests once per provider (projects "noble",
 * "native" and "webcrypto"); `npx vitest run --project native` runs one of them.
 */
export type TestProviderName = 'noble' | 'native' | 'webcrypto';

/** Every extra of the webcrypto provider: the tests cover all it can do. */
export const WEBCRYPTO_EXTRAS = [x25519mlkem768, chacha20poly1305, x448, ed448];

export const TEST_PROVIDERS: Record<TestProviderName, (options?: NobleProviderOptions) => CryptoProvider> = {
  noble: nobleProvider,
  native: nodeProvider,
  // The test hooks (random, ephemeralPrivateKeys) go to WebCrypto: injected keys are imported
  // there and WebCrypto does the arithmetic, so replays check the WebCrypto path byte for byte.
  webcrypto: (options) => webcryptoProvider({ ...options, extras: WEBCRYPTO_EXTRAS }),
};

export function testProviderName(): TestProviderName {
  const env = process.env.WIRETLS_PROVIDER;
  if (env === undefined || env === '' || env === 'noble') return 'noble';
  if (env === 'native' || env === 'node') return 'native';
  if (env === 'webcrypto') return 'webcrypto';
  throw new Error(`WIRETLS_PROVIDER must be noble, native or webcrypto, got ${env}`);
}

/** A fresh provider of the chosen kind; `options` as for nobleProvider (random, ephemeral keys). */
export function testProvider(options?: NobleProviderOptions): CryptoProvider {
  return TEST_PROVIDERS[testProviderName()](options);
}
