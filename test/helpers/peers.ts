import type { ServerCertificate } from '../../src/config.js';
import type { SigningKey } from '../../src/crypto/provider.js';
import type { SignatureScheme } from '../../src/registry.js';
import { pemChain, pkcs8, serverChain, serverKey, type ServerKeyKind } from './fixtures.js';
import { provider } from './negative.js';

/**
 * Peers that misbehave in exactly one way, for tests that need a consistent transcript: every
 * message is what that peer really sent, so the check under test is the only one that can
 * catch it (a byte flipped in transit would also break the transcript, and Finished would
 * catch that instead).
 */

export interface Misbehaviour {
  /** The one scheme the key claims: what the peer chooses and names in its CertificateVerify. */
  claims?: SignatureScheme;
  /** The scheme it really signs with. */
  signsAs?: SignatureScheme;
  /** What it signs instead of the real content (RFC 8446 §4.4.3). */
  content?: (content: Uint8Array) => Uint8Array;
  /** Another key that signs instead. */
  signer?: SigningKey;
}

export function misbehavingKey(key: SigningKey, m: Misbehaviour): SigningKey {
  return {
    schemes: m.claims !== undefined ? [m.claims] : key.schemes,
    sign: (scheme, content) => (m.signer ?? key).sign(m.signsAs ?? scheme, m.content ? m.content(content) : content),
  };
}

export async function signingKey(kind: ServerKeyKind): Promise<SigningKey> {
  return provider.importSigningKey(serverKey(kind));
}

/** A test PKI server certificate of `kind` whose key misbehaves as `m` says. */
export async function certificateOf(kind: ServerKeyKind, m: Misbehaviour = {}): Promise<ServerCertificate> {
  return { chain: serverChain(kind), key: misbehavingKey(await signingKey(kind), m) };
}

/** The test PKI's client certificate (ECDSA P-256, clientAuth EKU), misbehaving as `m` says. */
export async function clientCertificateOf(m: Misbehaviour = {}): Promise<ServerCertificate> {
  const key = await provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem'));
  return { chain: pemChain('client-ecdsa-p256-chain.pem'), key: misbehavingKey(key, m) };
}
