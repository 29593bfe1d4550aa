import type { CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble/index.js';

let shared: CryptoProvider | undefined;

/** The provider sockets use unless given one: created once, shared by every connection. */
export function defaultProvider(): CryptoProvider {
  return (shared ??= nobleProvider());
}
