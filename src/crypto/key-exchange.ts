import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { TLSError, internalError, protocolError } from '../errors.js';
import { NamedGroup, namedGroupName } from '../messages/registry.js';
import { concatBytes, zeroize } from '../wire/bytes.js';
import type { KeyExchangeAlgorithm, KeyShareSecret } from './provider.js';

/**
 * The key-exchange machinery every provider shares: ephemeral key life cycle (fresh or injected
 * keys, one-shot completion, wiping), the X25519MLKEM768 hybrid construction and the error
 * mapping. A provider contributes only its Diffie-Hellman arithmetic as `DhGroup`s, so the
 * noble and the node:crypto providers cannot drift apart in what they accept or how they fail.
 */

/** Where ephemeral keys and KEM randomness come from; the provider's random() by default. */
export type RandomSource = (length: number) => Uint8Array;

/** A loaded ephemeral private key. */
export interface DhKeyPair {
  /** Our share: the raw u-coordinate (X25519/X448) or the uncompressed point (NIST curves). */
  publicKey(): Uint8Array;
  /**
   * The shared secret with a peer's share. Validates the share and throws
   * TLSError(illegal_parameter) for anything invalid (RFC 8446 §4.2.8.1: a share that is not a
   * valid point, or yields a degenerate secret, is the peer's fault and ends the handshake).
   */
  agree(peerShare: Uint8Array): Uint8Array;
}

/** One Diffie-Hellman group as a provider implements it. */
export interface DhGroup {
  readonly group: NamedGroup;
  /** A fresh private key, in the format keyExchangeWithPrivateKey documents, from `random`. */
  generatePrivateKey(random: RandomSource): Uint8Array;
  /** Throws TLSError(INVALID_ARGUMENT) for an injected key that is malformed. */
  checkPrivateKey(privateKey: Uint8Array): void;
  /** The caller wipes `privateKey` after the pair's last use. */
  load(privateKey: Uint8Array): DhKeyPair;
}

export function illegalShare(group: NamedGroup, detail: string): TLSError {
  return protocolError('illegal_parameter', `invalid ${namedGroupName(group)} key share: ${detail}`);
}

export function invalidPrivateKey(group: number, detail: string): TLSError {
  return new TLSError('INVALID_ARGUMENT', `invalid ${namedGroupName(group)} private key: ${detail}`);
}

/** RFC 7748 §6.1 / RFC 8446 §7.4.2: a low-order peer point forces a secret the attacker knows. */
export function rejectAllZero(group: NamedGroup, secret: Uint8Array): Uint8Array {
  let acc = 0;
  for (let i = 0; i < secret.length; i++) acc |= secret[i]!;
  if (acc === 0) throw illegalShare(group, 'all-zero shared secret');
  return secret;
}

export function checkedRandom(random: RandomSource, length: number): Uint8Array {
  const bytes = random(length);
  if (bytes.length !== length) throw internalError(`random source returned ${bytes.length} bytes, ${length} requested`);
  // A copy we own and may wipe: an injected source may hand out views of its own buffer.
  return bytes.slice();
}

function takeOnce<T>(share: KeyShareSecret, secret: T | undefined): T {
  if (secret === undefined) throw internalError(`${namedGroupName(share.group)} key share was already used`);
  return secret;
}

/* ----------------------------------------------------------------------------------------- */
/* (EC)DHE                                                                                   */
/* ----------------------------------------------------------------------------------------- */

/** An ephemeral key is used for one handshake: complete() works once and then wipes the key. */
class DhKeyShare implements KeyShareSecret {
  #secret: { pair: DhKeyPair; privateKey: Uint8Array } | undefined;

  constructor(
    readonly group: NamedGroup,
    pair: DhKeyPair,
    privateKey: Uint8Array,
    readonly publicKey: Uint8Array,
  ) {
    this.#secret = { pair, privateKey };
  }

  complete(peerShare: Uint8Array): Uint8Array {
    const secret = takeOnce(this, this.#secret);
    this.#secret = undefined;
    try {
      return secret.pair.agree(peerShare);
    } finally {
      zeroize(secret.privateKey);
    }
  }
}

class DhKeyExchange implements KeyExchangeAlgorithm {
  constructor(
    private readonly dh: DhGroup,
    private readonly random: RandomSource,
    private readonly fixedPrivateKey: Uint8Array | undefined,
  ) {}

  get group(): NamedGroup {
    return this.dh.group;
  }

  generate(): KeyShareSecret {
    const privateKey = this.privateKey();
    const pair = this.dh.load(privateKey);
    return new DhKeyShare(this.dh.group, pair, privateKey, pair.publicKey());
  }

  respond(peerShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
    const privateKey = this.privateKey();
    try {
      const pair = this.dh.load(privateKey);
      // The peer's share is checked before our public key is computed: a bad share costs us less.
      const sharedSecret = pair.agree(peerShare);
      return { publicKey: pair.publicKey(), sharedSecret };
    } finally {
      zeroize(privateKey);
    }
  }

  private privateKey(): Uint8Array {
    return this.fixedPrivateKey !== undefined ? this.fixedPrivateKey.slice() : this.dh.generatePrivateKey(this.random);
  }
}

/* ----------------------------------------------------------------------------------------- */
/* X25519MLKEM768                                                                            */
/* ----------------------------------------------------------------------------------------- */

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

class HybridKeyShare implements KeyShareSecret {
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

class HybridKeyExchange implements KeyExchangeAlgorithm {
  readonly group = NamedGroup.X25519MLKEM768;

  constructor(
    private readonly x25519: DhGroup,
    private readonly random: RandomSource,
    private readonly fixedPrivateKey: Uint8Array | undefined,
  ) {}

  generate(): KeyShareSecret {
    const seed = this.fixedPrivateKey?.slice(0, MLKEM_SEED) ?? checkedRandom(this.random, MLKEM_SEED);
    const x25519PrivateKey = this.x25519PrivateKey();
    const { publicKey: encapsulationKey, secretKey } = ml_kem768.keygen(seed);
    zeroize(seed);
    const pair = this.x25519.load(x25519PrivateKey);
    return new HybridKeyShare(secretKey, pair, x25519PrivateKey, concatBytes(encapsulationKey, pair.publicKey()));
  }

  respond(peerShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
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

/* ----------------------------------------------------------------------------------------- */
/* factories                                                                                 */
/* ----------------------------------------------------------------------------------------- */

/** A provider's groups: its DhGroups by code point; X25519MLKEM768 is built on its x25519. */
export class KeyExchanges {
  constructor(private readonly dhGroups: ReadonlyMap<number, DhGroup>) {}

  /** A key exchange with fresh ephemeral keys drawn from `random`, or undefined for an unknown group. */
  fresh(group: number, random: RandomSource): KeyExchangeAlgorithm | undefined {
    if (group === NamedGroup.X25519MLKEM768) {
      const x25519 = this.dhGroups.get(NamedGroup.x25519);
      return x25519 === undefined ? undefined : new HybridKeyExchange(x25519, random, undefined);
    }
    const dh = this.dhGroups.get(group);
    return dh === undefined ? undefined : new DhKeyExchange(dh, random, undefined);
  }

  /**
   * A key exchange whose generate() and respond() always use `privateKey`, for deterministic
   * replays (RFC 8448 gives both sides' ephemeral keys). Formats:
   * - x25519 / x448: the RFC 7748 scalar (32 / 56 bytes);
   * - secp256r1 / secp384r1 / secp521r1: the big-endian scalar (32 / 48 / 66 bytes);
   * - X25519MLKEM768: the 64-byte ML-KEM-768 key-generation seed (d || z, FIPS 203) followed by
   *   the 32-byte X25519 scalar. respond() uses the X25519 part; the encapsulation randomness
   *   comes from `random`.
   * Never use this outside tests: a reused ephemeral key forfeits forward secrecy.
   * Throws TLSError(INVALID_ARGUMENT) for an unknown group or a malformed key.
   */
  withPrivateKey(group: number, privateKey: Uint8Array, random: RandomSource): KeyExchangeAlgorithm {
    if (group === NamedGroup.X25519MLKEM768) {
      const x25519 = this.dhGroups.get(NamedGroup.x25519);
      if (x25519 === undefined) throw new TLSError('INVALID_ARGUMENT', `no key exchange for group ${namedGroupName(group)}`);
      if (privateKey.length !== HYBRID_PRIVATE_KEY_LENGTH) {
        throw invalidPrivateKey(group, `must be ${HYBRID_PRIVATE_KEY_LENGTH} bytes (ML-KEM seed || X25519 scalar)`);
      }
      x25519.checkPrivateKey(privateKey.subarray(MLKEM_SEED));
      return new HybridKeyExchange(x25519, random, privateKey.slice());
    }
    const dh = this.dhGroups.get(group);
    if (dh === undefined) throw new TLSError('INVALID_ARGUMENT', `no key exchange for group ${namedGroupName(group)}`);
    dh.checkPrivateKey(privateKey);
    return new DhKeyExchange(dh, random, privateKey.slice());
  }
}

/** The groups a provider implements, in the preference order both providers share. */
export const defaultGroupOrder: readonly NamedGroup[] = [
  NamedGroup.X25519MLKEM768,
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  NamedGroup.x448,
];

/* ----------------------------------------------------------------------------------------- */
/* NIST private keys                                                                         */
/* ----------------------------------------------------------------------------------------- */

/** Group orders n of the NIST curves (FIPS 186-5 / SEC 2). */
const NIST_ORDERS: Record<number, { n: bigint; fieldLength: number; seedLength: number }> = {
  [NamedGroup.secp256r1]: { n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n, fieldLength: 32, seedLength: 48 },
  [NamedGroup.secp384r1]: {
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    fieldLength: 48,
    seedLength: 72,
  },
  [NamedGroup.secp521r1]: {
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    fieldLength: 66,
    seedLength: 99,
  },
};

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = 0; i < bytes.length; i++) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function toBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}

/**
 * A NIST-curve private scalar from `seedLength` random bytes: seed mod (n - 1) + 1, which is
 * FIPS 186-5 §A.2.1 (the extra half field of seed makes the bias negligible) and exactly what
 * noble's randomSecretKey does, so both providers turn the same randomness into the same key.
 */
export function nistPrivateKey(group: NamedGroup, random: RandomSource): Uint8Array {
  const spec = NIST_ORDERS[group]!;
  const seed = checkedRandom(random, spec.seedLength);
  const scalar = (toBigInt(seed) % (spec.n - 1n)) + 1n;
  zeroize(seed);
  return toBytes(scalar, spec.fieldLength);
}

/** Whether `privateKey` is a big-endian scalar of the field length in [1, n-1]. */
export function isValidNistPrivateKey(group: NamedGroup, privateKey: Uint8Array): boolean {
  const spec = NIST_ORDERS[group]!;
  if (privateKey.length !== spec.fieldLength) return false;
  const k = toBigInt(privateKey);
  return k >= 1n && k < spec.n;
}
