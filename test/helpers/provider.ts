import type { CryptoProvider } from '../../src/crypto/provider.js';
import { nobleProvider } from '../../src/crypto/noble/index.js';

/**
 * The provider engine tests run on. One place to choose it, so the same tests can run on
 * every provider (WIRETLS_PROVIDER=noble|native).
 */
export function testProvider(): CryptoProvider {
  return nobleProvider();
}
