import type { CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble/index.js';
import { nodeProvider } from '../crypto/node/index.js';
import { chacha20poly1305 } from '../crypto/webcrypto/extras/chacha20poly1305.js';
import { ed448 } from '../crypto/webcrypto/extras/ed448.js';
import { x25519mlkem768 } from '../crypto/webcrypto/extras/x25519mlkem768.js';
import { x448 } from '../crypto/webcrypto/extras/x448.js';
import { webcryptoProvider } from '../crypto/webcrypto/index.js';
import { ProviderSignatureChecker } from '../x509/provider-signature.js';
import type { SignatureChecker } from '../x509/signature.js';
// Every Node API path comes through here (defaultProvider): the engine's byte conversions go native.
import './native-bytes.js';

let shared: CryptoProvider | undefined;

export type ProviderChoice = 'native' | 'noble' | 'webcrypto';

/**
 * Which provider defaultProvider() builds: the native one (node:crypto) unless the environment
 * variable WIRETLS_PROVIDER says `noble` or `webcrypto` (with every extra, so it offers what
 * the others do). All pass the same conformance suite; the portable ones are for checking
 * behaviour against the browser build, or for running where node:crypto is not the real thing.
 * Any other value is an error rather than a silent fallback.
 */
function providerChoice(env: string | undefined = process.env.WIRETLS_PROVIDER): ProviderChoice {
  switch (env) {
    case undefined:
    case '':
    case 'native':
    case 'node':
      return 'native';
    case 'noble':
      return 'noble';
    case 'webcrypto':
      return 'webcrypto';
    default:
      throw new TypeError(`WIRETLS_PROVIDER must be "native", "noble" or "webcrypto", got "${env}"`);
  }
}

/**
 * The provider sockets use unless given one (the `provider` option of connect/createServer):
 * created once, shared by every connection, so the verifier's key cache is shared too.
 */
export function defaultProvider(): CryptoProvider {
  return (shared ??= makeProvider(providerChoice()));
}

function makeProvider(choice: ProviderChoice): CryptoProvider {
  switch (choice) {
    case 'native':
      return nodeProvider();
    case 'noble':
      return nobleProvider();
    case 'webcrypto':
      return webcryptoProvider({ extras: [x25519mlkem768, chacha20poly1305, x448, ed448] });
  }
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
