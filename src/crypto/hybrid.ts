import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { internalError } from '../errors.js';
import { NamedGroup } from '../registry.js';
import { concatBytes, zeroize } from '../wire/bytes.js';
import { type DhGroup, type DhKeyPair, type HybridFactory, type RandomSource, checkedRandom, illegalShare, invalidPrivateKey, takeOnce } from './key-exchange.js';
import type { KeyExchangeResponse, SyncKeyExchangeAlgorithm, SyncKeyShareSecret } from './provider.js';

/**
 * X25519MLKEM768 (0x11EC), draft-ietf-tls-ecdhe-mlkem §"Construction" (checked against the
 * draft text, tlswg draft-ietf-tls-ecdhe-mlkem.md): for this group, unlike the NIST-curve
 * hybrids, the ML-KEM part comes FIRST everywhere, so the FIPS-approved secret leads the HKDF
 * input (NIST SP 800-56Cr2):
 *   client share  = ML-KEM-768 encapsulation key (1184) || X25519 public (32)   = 1216 bytes
 *   server share  = ML-KEM-768 ciphertext (1088)        || X25519 public (32)   = 1120 bytes
 *   shared secret = ML-KEM shared secret (32)           || X25519 secret (32)   =   64 bytes
 * Errors per the draft: wrong lengths, a failed encapsulation-key check (FIPS 203 §7.2) or a bad
 * X25519 part → illegal_parameter; any other decapsulation failure → internal_error.
 * ML-KEM is noble's in every provider (Node 20's OpenSSL 3.0 has none); X25519 is the provider's.
 */
const MLKEM_EK = 1184;
const MLKEM_CT = 1088;
const MLKEM_SEED = 64;
const MLKEM_MSG = 32;
const X25519_LENGTH = 32;
/** Layout of an injected hybrid private key: ML-KEM-768 key-generation seed d || z, then X25519. */
export const HYBRID_PRIVATE_KEY_LENGTH = MLKEM_SEED + X25519_LENGTH;

class HybridKeyShare implements SyncKeyShareSecret {
  readonly group = NamedGroup.X25519MLKEM768;
  #secrets: { decapsulationKey: Uint8Array; x25519: DhKeyPair; x25519PrivateKey: Uint8Array } | undefined;

  constructor(
    decapsulationKey: Uint8Array,
    x25519: DhKeyPair,
    x25519PrivateKey: Uint8Array,
    readonly publicKey: Uint8Array,
  ) {
    this.#secrets = { decapsulationKey, x25519, x25519PrivateKey };
  }

  complete(peerShare: Uint8Array): Uint8Array {
    const secrets = takeOnce(this, this.#secrets);
    this.#secrets = undefined;
    try {
      if (peerShare.length !== MLKEM_CT + X25519_LENGTH) {
        throw illegalShare(this.group, `server share length ${peerShare.length}, expected ${MLKEM_CT + X25519_LENGTH}`);
      }
      let mlkemSecret: Uint8Array;
      try {
        // Implicit rejection (FIPS 203 §6.3): a forged ciphertext yields a random secret, not an error.
        mlkemSecret = ml_kem768.decapsulate(peerShare.subarray(0, MLKEM_CT), secrets.decapsulationKey);
      } catch (cause) {
        throw internalError('ML-KEM-768 decapsulation failed', cause);
      }
      const x25519Secret = secrets.x25519.agree(peerShare.subarray(MLKEM_CT));
      return concatBytes(mlkemSecret, x25519Secret);
    } finally {
      zeroize(secrets.decapsulationKey, secrets.x25519PrivateKey);
    }
  }
}

class HybridKeyExchange implements SyncKeyExchangeAlgorithm {
  readonly group = NamedGroup.X25519MLKEM768;

  constructor(
    private readonly x25519: DhGroup,
    private readonly random: RandomSource,
    private readonly fixedPrivateKey: Uint8Array | undefined,
  ) {}

  generate(): SyncKeyShareSecret {
    const seed = this.fixedPrivateKey?.slice(0, MLKEM_SEED) ?? checkedRandom(this.random, MLKEM_SEED);
    const x25519PrivateKey = this.x25519PrivateKey();
    const { publicKey: encapsulationKey, secretKey } = ml_kem768.keygen(seed);
    zeroize(seed);
    const pair = this.x25519.load(x25519PrivateKey);
    return new HybridKeyShare(secretKey, pair, x25519PrivateKey, concatBytes(encapsulationKey, pair.publicKey()));
  }

  respond(peerShare: Uint8Array): KeyExchangeResponse {
    if (peerShare.length !== MLKEM_EK + X25519_LENGTH) {
      throw illegalShare(this.group, `client share length ${peerShare.length}, expected ${MLKEM_EK + X25519_LENGTH}`);
    }
    const encapsulationKey = peerShare.subarray(0, MLKEM_EK);
    const message = checkedRandom(this.random, MLKEM_MSG);
    let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
    try {
      // noble runs the FIPS 203 §7.2 modulus check on the encapsulation key and throws if it fails.
      encapsulated = ml_kem768.encapsulate(encapsulationKey, message);
    } catch {
      throw illegalShare(this.group, 'ML-KEM encapsulation key fails the FIPS 203 §7.2 check');
    } finally {
      zeroize(message);
    }
    const x25519PrivateKey = this.x25519PrivateKey();
    try {
      const pair = this.x25519.load(x25519PrivateKey);
      const x25519Secret = pair.agree(peerShare.subarray(MLKEM_EK));
      return {
        publicKey: concatBytes(encapsulated.cipherText, pair.publicKey()),
        sharedSecret: concatBytes(encapsulated.sharedSecret, x25519Secret),
      };
    } finally {
      zeroize(x25519PrivateKey, encapsulated.sharedSecret);
    }
  }

  private x25519PrivateKey(): Uint8Array {
    return this.fixedPrivateKey?.slice(MLKEM_SEED) ?? this.x25519.generatePrivateKey(this.random);
  }
}

/**
 * X25519MLKEM768 on a provider's X25519 (a HybridFactory for KeyExchanges). An injected private
 * key is the ML-KEM-768 seed d || z followed by the X25519 scalar (HYBRID_PRIVATE_KEY_LENGTH).
 */
export const x25519MlKem768: HybridFactory = (x25519, random, fixedPrivateKey) => {
  if (fixedPrivateKey === undefined) return new HybridKeyExchange(x25519, random, undefined);
  if (fixedPrivateKey.length !== HYBRID_PRIVATE_KEY_LENGTH) {
    throw invalidPrivateKey(NamedGroup.X25519MLKEM768, `must be ${HYBRID_PRIVATE_KEY_LENGTH} bytes (ML-KEM seed || X25519 scalar)`);
  }
  x25519.checkPrivateKey(fixedPrivateKey.subarray(MLKEM_SEED));
  return new HybridKeyExchange(x25519, random, fixedPrivateKey.slice());
};
