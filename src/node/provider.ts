import type { CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble/index.js';
import { nodeProvider } from '../crypto/node/index.js';

let shared: CryptoProvider | undefined;

export type ProviderChoice = 'native' | 'noble';

/**
 * Which provider defaultProvider() builds: the native one (node:crypto) unless the environment
 * variable WIRETLS_PROVIDER says `noble`. Both pass the same conformance suite; noble is for
 * checking behaviour against the portable build, or for running where node:crypto is not the
 * real thing. Any other value is an error rather than a silent fallback.
 */
export function providerChoice(env: string | undefined = process.env.WIRETLS_PROVIDER): ProviderChoice {
  switch (env) {
    case undefined:
    case '':
    case 'native':
    case 'node':
      return 'native';
    case 'noble':
      return 'noble';
    default:
      throw new TypeError(`WIRETLS_PROVIDER must be "native" or "noble", got "${env}"`);
  }
}

/**
 * The provider sockets use unless given one (the `provider` option of connect/createServer):
 * created once, shared by every connection, so the verifier's key cache is shared too.
 */
export function defaultProvider(): CryptoProvider {
  return (shared ??= providerChoice() === 'noble' ? nobleProvider() : nodeProvider());
}
