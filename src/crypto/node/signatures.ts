import { type JsonWebKey, type KeyObject, constants, createECDH, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { TLSError, internalError } from '../../errors.js';
import { type SignatureScheme, signatureSchemeName } from '../../registry.js';
import { bytesEqual } from '../../wire/bytes.js';
import { DerTag, childrenOf, readRoot, unsignedIntegerOf } from '../der.js';
import { acceptableEdwardsKey } from '../edwards-keys.js';
import { isValidNistPrivateKey } from '../key-exchange.js';
import { type PublicKeyInfo, curveFieldLength, ecdsaDerToCompact, parseSpki, publicKeyFitsScheme, schemesForKey } from '../keys.js';
import { MIN_RSA_SIGNING_BITS, type PrivateKeyInfo, parsePkcs8, unusableSigningKey } from '../private-keys.js';
import { type HashName, hashOutputLength } from '../provider.js';
import type { SigningKey } from '../provider.js';
import { type EcCurve, schemeAlgorithms } from '../signature-schemes.js';
import { NamedGroup } from '../../registry.js';
import { asBuffer, base64url, plain } from './bytes.js';

const ecdhCurve: Record<EcCurve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const ecGroup: Record<EcCurve, NamedGroup> = { 'P-256': NamedGroup.secp256r1, 'P-384': NamedGroup.secp384r1, 'P-521': NamedGroup.secp521r1 };

/** A peer key as the verifier keeps it: what parseSpki made of it and the imported KeyObject. */
interface CachedKey {
  readonly info: PublicKeyInfo;
  /** undefined when OpenSSL refused the key (e.g. a point off the curve): it verifies nothing. */
  readonly key: KeyObject | undefined;
}

/**
 * Imports a public key the cheapest way node:crypto allows. Importing SPKI DER goes through
 * OpenSSL 3's decoder framework and costs ~90-210 µs per key on Node 20; JWK builds the key
 * directly: ~6 µs for EdDSA and RSA, ~56 µs for P-256 (which includes OpenSSL's point checks).
 * For P-384 and P-521 JWK is the slower route (~470 µs, a full key check), so DER it is.
 */
function importPublicKey(info: PublicKeyInfo, spki: Uint8Array): KeyObject {
  switch (info.type) {
    case 'ec': {
      const n = curveFieldLength[info.curve];
      if (info.curve === 'P-256' && info.point.length === 1 + 2 * n) {
        const jwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: base64url(info.point.subarray(1, 1 + n)), y: base64url(info.point.subarray(1 + n)) };
        return createPublicKey({ key: jwk, format: 'jwk' });
      }
      return createPublicKey({ key: asBuffer(spki), format: 'der', type: 'spki' });
    }
    case 'ed25519':
    case 'ed448':
      return createPublicKey({ key: { kty: 'OKP', crv: info.type === 'ed25519' ? 'Ed25519' : 'Ed448', x: base64url(info.publicKey) }, format: 'jwk' });
    case 'rsa':
    case 'rsa-pss': {
      // The same RSAPublicKey under either OID; the PSS parameter restrictions were applied by
      // publicKeyFitsScheme before a signature gets here, so a plain RSA key verifies the same.
      const root = readRoot(info.rsaPublicKey, DerTag.SEQUENCE);
      const [modulus, exponent] = childrenOf(info.rsaPublicKey, root);
      return createPublicKey({
        key: { kty: 'RSA', n: base64url(unsignedIntegerOf(info.rsaPublicKey, modulus!)), e: base64url(unsignedIntegerOf(info.rsaPublicKey, exponent!)) },
        format: 'jwk',
      });
    }
  }
}

/**
 * Signature verification for every scheme in signature-schemes.ts with node:crypto, peer keys
 * imported once and cached by their exact SPKI bytes (a client sees the same few server keys
 * over and over). Bounded, because the bytes come from peers.
 */
export class NodeVerifier {
  readonly #keys = new Map<string, CachedKey>();

  constructor(private readonly capacity = 64) {}

  async verify(scheme: SignatureScheme, spki: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return this.verifySync(scheme, spki, message, signature);
  }

  verifySync(scheme: SignatureScheme, spki: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const algorithm = schemeAlgorithms.get(scheme);
    if (algorithm === undefined) return false;
    const cached = this.lookup(spki);
    if (cached === undefined || cached.key === undefined) return false;
    const { info, key } = cached;
    if (!publicKeyFitsScheme(info, scheme)) return false;
    try {
      switch (algorithm.kind) {
        case 'ecdsa': {
          if (info.type !== 'ec') return false;
          // Strict DER (one encoding per signature) exactly as the noble provider parses it;
          // OpenSSL then gets fixed-width r || s and checks 1 <= r, s < n itself.
          const compact = ecdsaDerToCompact(signature, curveFieldLength[info.curve]);
          if (compact === undefined) return false;
          return verify(algorithm.hash, message, { key, dsaEncoding: 'ieee-p1363' }, compact);
        }
        case 'ed25519':
        case 'ed448':
          if (info.type !== algorithm.kind) return false;
          if (signature.length !== (info.type === 'ed25519' ? 64 : 114)) return false;
          return verify(null, message, key, signature);
        case 'rsa-pss':
        case 'rsa-pkcs1': {
          if (info.type !== 'rsa' && info.type !== 'rsa-pss') return false;
          // The signature is an integer below the modulus written in exactly k octets (RFC 8017 §8.1.2 step 1).
          if (signature.length !== Math.ceil(info.modulusBits / 8)) return false;
          const padding = algorithm.kind === 'rsa-pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
          return verify(algorithm.hash, message, { key, padding, saltLength: hashOutputLength[algorithm.hash] }, signature);
        }
      }
    } catch {
      // OpenSSL throws for some malformed signatures instead of answering false.
      return false;
    }
  }

  /** Peer keys currently cached (for tests). */
  get cachedKeys(): number {
    return this.#keys.size;
  }

  private lookup(spki: Uint8Array): CachedKey | undefined {
    const id = latin1(spki);
    const hit = this.#keys.get(id);
    if (hit !== undefined) {
      // Map iteration order is insertion order: re-inserting marks the entry most recent.
      this.#keys.delete(id);
      this.#keys.set(id, hit);
      return hit;
    }
    let info: PublicKeyInfo;
    try {
      info = parseSpki(spki);
    } catch {
      return undefined;
    }
    let key: KeyObject | undefined;
    if ((info.type === 'ed25519' || info.type === 'ed448') && !acceptableEdwardsKey(info.type, info.publicKey)) key = undefined;
    else {
      try {
        key = importPublicKey(info, spki);
      } catch {
        key = undefined;
      }
    }
    const entry: CachedKey = { info, key };
    this.#keys.set(id, entry);
    while (this.#keys.size > this.capacity) this.#keys.delete(this.#keys.keys().next().value!);
    return entry;
  }
}

/** A loaded private key; sign() refuses schemes outside `schemes`. */
class NodeSigningKey implements SigningKey {
  constructor(
    readonly schemes: readonly SignatureScheme[],
    private readonly signWith: (scheme: SignatureScheme, message: Uint8Array) => Uint8Array,
  ) {}

  async sign(scheme: SignatureScheme, message: Uint8Array): Promise<Uint8Array> {
    if (!this.schemes.includes(scheme)) {
      // The server must only pick schemes from `schemes`; anything else is our bug.
      throw internalError(`this key cannot sign with ${signatureSchemeName(scheme)}`);
    }
    return this.signWith(scheme, message);
  }
}

function importPrivateKey(der: Uint8Array): KeyObject {
  try {
    // One-time per key, so the slower DER route is fine here.
    return createPrivateKey({ key: asBuffer(der), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new TLSError('INVALID_ARGUMENT', 'node:crypto refused the private key', { cause });
  }
}

/**
 * Loads a DER PKCS#8 private key, with exactly the checks the noble provider makes (same
 * parser, same policy), so a key one provider refuses the other refuses too.
 */
export function importNodeSigningKey(pkcs8: Uint8Array): SigningKey {
  const key: PrivateKeyInfo = parsePkcs8(pkcs8);
  switch (key.type) {
    case 'ec': {
      if (!isValidNistPrivateKey(ecGroup[key.curve], key.privateKey)) throw unusableSigningKey(`the ${key.curve} private scalar is out of range`);
      if (key.publicKey !== undefined) {
        const ecdh = createECDH(ecdhCurve[key.curve]);
        ecdh.setPrivateKey(key.privateKey);
        const compressed = key.publicKey.length !== 1 + 2 * curveFieldLength[key.curve];
        const derived = plain(ecdh.getPublicKey(null, compressed ? 'compressed' : 'uncompressed'));
        if (!bytesEqual(derived, key.publicKey)) throw unusableSigningKey(`the ${key.curve} public key does not match the private key`);
      }
      const privateKey = importPrivateKey(pkcs8);
      const hash: HashName = key.curve === 'P-256' ? 'sha256' : key.curve === 'P-384' ? 'sha384' : 'sha512';
      // DER output as TLS wants it (RFC 8446 §4.2.3). OpenSSL draws a random nonce per signature.
      return new NodeSigningKey(schemesForKey(key), (_scheme, message) => plain(sign(hash, message, { key: privateKey, dsaEncoding: 'der' })));
    }
    case 'ed25519':
    case 'ed448': {
      const privateKey = importPrivateKey(pkcs8);
      return new NodeSigningKey(schemesForKey(key), (_scheme, message) => plain(sign(null, message, privateKey)));
    }
    case 'rsa':
    case 'rsa-pss': {
      if (key.modulusBits < MIN_RSA_SIGNING_BITS) throw unusableSigningKey(`RSA modulus of ${key.modulusBits} bits is below ${MIN_RSA_SIGNING_BITS}`);
      const schemes = schemesForKey(key);
      if (schemes.length === 0) {
        throw unusableSigningKey(
          'the RSASSA-PSS key parameters allow no TLS 1.3 scheme (hash must be SHA-256/384/512 with MGF1 over the same hash and salt length at most the hash length)',
        );
      }
      // Re-wrapped as rsaEncryption: which hashes the key may use was decided from its parameters.
      const privateKey = importPrivateKey(key.rsaEncryptionPkcs8);
      return new NodeSigningKey(schemes, (scheme, message) => {
        const algorithm = schemeAlgorithms.get(scheme);
        if (algorithm?.kind !== 'rsa-pss') throw internalError(`${signatureSchemeName(scheme)} is not RSA-PSS`);
        // RFC 8446 §4.2.3: the salt is as long as the hash.
        return plain(sign(algorithm.hash, message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashOutputLength[algorithm.hash] }));
      });
    }
  }
}

/** One char per byte: a compact Map key for exactly these bytes. */
function latin1(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('latin1');
}
