import type { CryptoProvider } from '../crypto/provider.js';
import { SignatureScheme } from '../registry.js';
import type { CertHash, PublicKeyInfo } from './types.js';
import { type CertSignatureAlgorithm, type SignatureChecker, WebCryptoSignatureChecker } from './signature.js';

const hashBytes: Record<CertHash, number> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/**
 * The TLS SignatureScheme that performs exactly this certificate signature check, when there is
 * one: TLS 1.3 schemes bind the ECDSA curve to its hash and fix the PSS salt to the hash
 * length, while X.509 allows any pairing (a P-384 key signing with SHA-256, a 20-byte salt).
 */
function schemeFor(algorithm: CertSignatureAlgorithm, key: PublicKeyInfo): SignatureScheme | undefined {
  switch (algorithm.kind) {
    case 'ecdsa':
      if (key.curve === 'P-256' && algorithm.hash === 'SHA-256') return SignatureScheme.ecdsa_secp256r1_sha256;
      if (key.curve === 'P-384' && algorithm.hash === 'SHA-384') return SignatureScheme.ecdsa_secp384r1_sha384;
      if (key.curve === 'P-521' && algorithm.hash === 'SHA-512') return SignatureScheme.ecdsa_secp521r1_sha512;
      return undefined;
    case 'ed25519':
      return SignatureScheme.ed25519;
    case 'ed448':
      return SignatureScheme.ed448;
    case 'rsa-pkcs1':
      if (algorithm.hash === 'SHA-256') return SignatureScheme.rsa_pkcs1_sha256;
      if (algorithm.hash === 'SHA-384') return SignatureScheme.rsa_pkcs1_sha384;
      if (algorithm.hash === 'SHA-512') return SignatureScheme.rsa_pkcs1_sha512;
      return undefined;
    case 'rsa-pss': {
      if (algorithm.hash === 'SHA-1' || algorithm.saltLength !== hashBytes[algorithm.hash]) return undefined;
      const rsae = { 'SHA-256': SignatureScheme.rsa_pss_rsae_sha256, 'SHA-384': SignatureScheme.rsa_pss_rsae_sha384, 'SHA-512': SignatureScheme.rsa_pss_rsae_sha512 };
      const pss = { 'SHA-256': SignatureScheme.rsa_pss_pss_sha256, 'SHA-384': SignatureScheme.rsa_pss_pss_sha384, 'SHA-512': SignatureScheme.rsa_pss_pss_sha512 };
      return (key.kind === 'rsa-pss' ? pss : rsae)[algorithm.hash];
    }
  }
}

/**
 * A SignatureChecker on a crypto provider's verify(), for providers whose verification is
 * cheap and synchronous (the node:crypto one: a cached KeyObject and one OpenSSL call, against
 * WebCrypto's ~75 µs of promise and thread-pool round trip per signature). Certificate
 * signatures no TLS scheme describes, and any signature the provider refuses, go to the
 * WebCrypto checker, so a verdict never differs from the WebCrypto checker's: the provider
 * only ever says yes sooner.
 */
export class ProviderSignatureChecker implements SignatureChecker {
  constructor(
    private readonly provider: CryptoProvider,
    private readonly fallback: SignatureChecker = new WebCryptoSignatureChecker(),
  ) {}

  async verify(algorithm: CertSignatureAlgorithm, issuerSpki: Uint8Array, issuerKey: PublicKeyInfo, signedData: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const scheme = schemeFor(algorithm, issuerKey);
    if (scheme !== undefined) {
      try {
        // An ECDSA-Sig-Value goes as it is: every provider reads it with ecdsaDerToCompact, the
        // strict DER reader the WebCrypto checker uses too, so both accept the same encodings.
        if (await this.provider.verify(scheme, issuerSpki, signedData, signature)) return true;
      } catch {
        // verify() never rejects by contract; a provider that does gets a second opinion.
      }
    }
    return this.fallback.verify(algorithm, issuerSpki, issuerKey, signedData, signature);
  }
}
