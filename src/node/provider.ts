import type { CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble/index.js';
import { nodeProvider } from '../crypto/node/index.js';
import { ProviderSignatureChecker } from '../x509/provider-signature.js';
import type { SignatureChecker } from '../x509/signature.js';
// Every Node API path comes through here (defaultProvider): the engine's byte conversions go native.
import './native-bytes.js';

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

const checkers = new WeakMap<CryptoProvider, SignatureChecker | undefined>();

/**
 * The certificate signature checker X509Verifiers use with `provider`: its own verify() when
 * that is the native provider (synchronous OpenSSL calls on cached keys), otherwise the
 * verifier's default (WebCrypto, which beats pure-JS arithmetic by far). One per provider, so
 * its key caches serve every connection.
 */
export function signatureCheckerFor(provider: CryptoProvider): SignatureChecker | undefined {
  if (!checkers.has(provider)) checkers.set(provider, provider.name === 'node' ? new ProviderSignatureChecker(provider) : undefined);
  return checkers.get(provider);
}
