import type { CryptoProvider } from './provider.js';
import { webcryptoProvider } from './webcrypto/index.js';

let shared: CryptoProvider | undefined;

/**
 * The provider connections use unless given one, where there is no node:crypto (browsers,
 * workers, Deno, Bun through the browser-safe entry): webcryptoProvider() without extras, made
 * once and shared, so its verifier's key cache serves every connection. Node's entry has its
 * own defaultProvider (src/node/provider.ts), the native provider. An application that wants
 * the post-quantum hybrid or ChaCha20-Poly1305 passes webcryptoProvider({ extras }) itself.
 */
export function defaultProvider(): CryptoProvider {
  return (shared ??= webcryptoProvider());
}
