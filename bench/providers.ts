import { nobleProvider } from '../src/crypto/noble/index.js';
import { nodeProvider } from '../src/crypto/node/index.js';
import type { CryptoProvider, SyncCryptoProvider } from '../src/crypto/provider.js';
import { chacha20poly1305 } from '../src/crypto/webcrypto/extras/chacha20poly1305.js';
import { ed448 } from '../src/crypto/webcrypto/extras/ed448.js';
import { x25519mlkem768 } from '../src/crypto/webcrypto/extras/x25519mlkem768.js';
import { x448 } from '../src/crypto/webcrypto/extras/x448.js';
import { webcryptoProvider } from '../src/crypto/webcrypto/index.js';

export type ProviderName = 'node' | 'noble' | 'webcrypto';

/** The providers whose primitives the crypto suites time one call at a time (all synchronous). */
export const syncProviders: Record<'node' | 'noble', () => SyncCryptoProvider> = { node: () => nodeProvider(), noble: () => nobleProvider() };

export const providers: Record<ProviderName, () => CryptoProvider> = {
  ...syncProviders,
  webcrypto: () => webcryptoProvider({ extras: [x25519mlkem768, chacha20poly1305, x448, ed448] }),
};
