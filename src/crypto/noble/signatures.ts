import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { internalError } from '../../errors.js';
import { type SignatureScheme, signatureSchemeName } from '../../registry.js';
import { bytesEqual } from '../../wire/bytes.js';
import { type PublicKeyInfo, curveFieldLength, ecdsaDerToCompact, parseSpki, publicKeyFitsScheme, schemesForKey } from '../keys.js';
import { type PrivateKeyInfo, parsePkcs8, unusableSigningKey } from '../private-keys.js';

import type { SigningKey } from '../provider.js';
import { type EcCurve, schemeAlgorithms } from '../signature-schemes.js';
import { rsaSigning } from '../rsa-pss-signer.js';
import { VerifyKeyCache, rsaVerify } from '../webcrypto-rsa.js';

const ecdsaCurves: Record<EcCurve, typeof p256> = { 'P-256': p256, 'P-384': p384, 'P-521': p521 };

/** Signature verification for every scheme in signature-schemes.ts; holds the RSA key cache. */
export class NobleVerifier {
  readonly #rsaKeys = new VerifyKeyCache(64);

  async verify(scheme: SignatureScheme, spki: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const algorithm = schemeAlgorithms.get(scheme);
    if (algorithm === undefined) return false;
    let key: PublicKeyInfo;
    try {
      key = parseSpki(spki);
    } catch {
      return false;
    }
    if (!publicKeyFitsScheme(key, scheme)) return false;
    try {
      switch (algorithm.kind) {
        case 'ecdsa': {
          if (key.type !== 'ec') return false;
          const compact = ecdsaDerToCompact(signature, curveFieldLength[key.curve]);
          if (compact === undefined) return false;
          // prehash hashes with the curve's own hash, which is the scheme's hash in TLS 1.3.
          return ecdsaCurves[key.curve].verify(compact, message, key.point, { prehash: true, lowS: false, format: 'compact' });
        }
        case 'ed25519':
          if (key.type !== 'ed25519') return false;
          // zip215: false is RFC 8032's strict decoding (canonical points and S < L).
          return ed25519.verify(signature, message, key.publicKey, { zip215: false });
        case 'ed448':
          if (key.type !== 'ed448') return false;
          return ed448.verify(signature, message, key.publicKey, { zip215: false });
        case 'rsa-pss':
        case 'rsa-pkcs1':
          if (key.type !== 'rsa' && key.type !== 'rsa-pss') return false;
          return await rsaVerify(this.#rsaKeys, key, algorithm.kind === 'rsa-pss' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', algorithm.hash, message, signature);
      }
    } catch {
      // noble throws for malformed encodings (bad point, S out of range): a failed verification.
      return false;
    }
  }

  /** Imported RSA keys currently cached (for tests). */
  get cachedRsaKeys(): number {
    return this.#rsaKeys.size;
  }
}

/** A loaded private key; sign() refuses schemes outside `schemes`. */
class NobleSigningKey implements SigningKey {
  constructor(
    readonly schemes: readonly SignatureScheme[],
    private readonly signWith: (scheme: SignatureScheme, message: Uint8Array) => Promise<Uint8Array> | Uint8Array,
  ) {}

  async sign(scheme: SignatureScheme, message: Uint8Array): Promise<Uint8Array> {
    if (!this.schemes.includes(scheme)) {
      // The server must only pick schemes from `schemes`; anything else is our bug.
      throw internalError(`this key cannot sign with ${signatureSchemeName(scheme)}`);
    }
    return this.signWith(scheme, message);
  }
}

/**
 * Loads a DER PKCS#8 private key. Throws TLSError(INVALID_ARGUMENT) for keys that cannot sign
 * any TLS 1.3 scheme, with a message that says why.
 */
export async function importNobleSigningKey(pkcs8: Uint8Array): Promise<SigningKey> {
  const key: PrivateKeyInfo = parsePkcs8(pkcs8);
  switch (key.type) {
    case 'ec': {
      const curve = ecdsaCurves[key.curve];
      if (!curve.utils.isValidSecretKey(key.privateKey)) throw unusableSigningKey(`the ${key.curve} private scalar is out of range`);
      if (key.publicKey !== undefined) {
        const derived = curve.getPublicKey(key.privateKey, key.publicKey.length !== 1 + 2 * curveFieldLength[key.curve]);
        if (!bytesEqual(derived, key.publicKey)) throw unusableSigningKey(`the ${key.curve} public key does not match the private key`);
      }
      const privateKey = key.privateKey;
      // DER output as TLS wants it; deterministic nonces (RFC 6979), so no RNG can leak the key.
      return new NobleSigningKey(schemesForKey(key), (_scheme, message) => curve.sign(message, privateKey, { prehash: true, format: 'der' }));
    }
    case 'ed25519': {
      const seed = key.seed;
      return new NobleSigningKey(schemesForKey(key), (_scheme, message) => ed25519.sign(message, seed));
    }
    case 'ed448': {
      const seed = key.seed;
      return new NobleSigningKey(schemesForKey(key), (_scheme, message) => ed448.sign(message, seed));
    }
    case 'rsa':
    case 'rsa-pss': {
      const { schemes, sign } = await rsaSigning(key);
      return new NobleSigningKey(schemes, sign);
    }
  }
}
