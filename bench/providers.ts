import { nobleProvider } from '../src/crypto/noble/index.js';
import { nodeProvider } from '../src/crypto/node/index.js';
import type { CryptoProvider } from '../src/crypto/provider.js';

export type ProviderName = 'node' | 'noble';

export const providers: Record<ProviderName, () => CryptoProvider> = { node: () => nodeProvider(), noble: () => nobleProvider() };
