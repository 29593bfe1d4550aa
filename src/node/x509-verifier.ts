import { X509Verifier as EngineX509Verifier, type X509VerifierOptions } from '../x509/x509-verifier.js';
import { systemTrustStore } from './system-trust-store.js';

export type NodeX509VerifierOptions = Omit<X509VerifierOptions, 'trustStore'> & Partial<Pick<X509VerifierOptions, 'trustStore'>>;

/**
 * The X509Verifier of the Node entry: the engine's, with Node's bundled Mozilla roots as the
 * trust store when none is given (the engine's own requires one, having no system store).
 */
export class X509Verifier extends EngineX509Verifier {
  constructor(options: NodeX509VerifierOptions = {}) {
    super({ ...options, trustStore: options.trustStore ?? systemTrustStore() });
  }
}
