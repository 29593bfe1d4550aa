import { x25519 } from '@noble/curves/ed25519.js';
import { x448 } from '@noble/curves/ed448.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { TLSError, internalError, protocolError } from '../../errors.js';
import { NamedGroup, namedGroupName } from '../../messages/registry.js';
import { concatBytes, zeroize } from '../../wire/bytes.js';
import type { KeyExchangeAlgorithm, KeyShareSecret } from '../provider.js';

/** Where ephemeral keys and KEM randomness come from; the provider's random() by default. */
export type RandomSource = (length: number) => Uint8Array;

/**
 * One Diffie-Hellman group: how to make a private key, its public share, and the shared secret
 * from a peer's share. sharedSecret validates the peer share and throws
 * TLSError(illegal_parameter) for anything invalid (RFC 8446 §4.2.8.1: a share that is not a
 * valid point, or yields a degenerate secret, is the peer's fault and ends the handshake).
 */
interface DhGroup {
  readonly group: NamedGroup;
  readonly privateKeyLength: number;
  generatePrivateKey(random: RandomSource): Uint8Array;
  checkPrivateKey(privateKey: Uint8Array): void;
  publicKey(privateKey: Uint8Array): Uint8Array;
  sharedSecret(privateKey: Uint8Array, peerShare: Uint8Array): Uint8Array;
}

function illegalShare(group: NamedGroup, detail: string): TLSError {
  return protocolError('illegal_parameter', `invalid ${namedGroupName(group)} key share: ${detail}`);
}

/**
 * X25519 and X448 (RFC 7748). Shares are the raw u-coordinate. The all-zero check is RFC 7748
 * §6.1 / RFC 8446 §7.4.2: a low-order peer point forces a shared secret the attacker knows.
 * noble already refuses those points before the ladder (so no timing depends on our key for
 * them); the explicit OR of the output is kept as the check the RFCs actually specify.
 */
function montgomeryGroup(group: NamedGroup, curve: typeof x25519, length: number): DhGroup {
  return {
    group,
    privateKeyLength: length,
    generatePrivateKey: (random) => checkedRandom(random, length),
    checkPrivateKey(privateKey) {
      if (privateKey.length !== length) throw invalidPrivateKey(group, `must be ${length} bytes`);
    },
    publicKey: (privateKey) => curve.getPublicKey(privateKey),
    sharedSecret(privateKey, peerShare) {
      if (peerShare.length !== length) throw illegalShare(group, `length ${peerShare.length}, expected ${length}`);
      let secret: Uint8Array;
      try {
        secret = curve.getSharedSecret(privateKey, peerShare);
      } catch {
        throw illegalShare(group, 'low-order point (the shared secret would be all zeros)');
      }
      let acc = 0;
      for (let i = 0; i < secret.length; i++) acc |= secret[i]!;
      if (acc === 0) throw illegalShare(group, 'all-zero shared secret');
      return secret;
    },
  };
}

/**
 * secp256r1/384r1/521r1. RFC 8446 §4.2.8.2: the share is the uncompressed point 0x04 || X || Y
 * (compressed points and the point at infinity are not allowed in TLS 1.3), and the peer's point
 * MUST be validated to lie on the curve, which noble's Point.fromBytes does. RFC 8446 §7.4.1:
 * the shared secret is the X coordinate alone, FE2OSP-encoded with its leading zeros kept.
 */
function weierstrassGroup(group: NamedGroup, curve: typeof p256, fieldLength: number): DhGroup {
  const shareLength = 1 + 2 * fieldLength;
  return {
    group,
    privateKeyLength: fieldLength,
    // randomSecretKey reduces a seed longer than the order (FIPS 186-5 A.2.1), so no bias.
    generatePrivateKey: (random) => curve.utils.randomSecretKey(checkedRandom(random, curve.lengths.seed!)),
    checkPrivateKey(privateKey) {
      if (privateKey.length !== fieldLength || !curve.utils.isValidSecretKey(privateKey)) {
        throw invalidPrivateKey(group, `must be a ${fieldLength}-byte scalar in [1, n-1]`);
      }
    },
    publicKey: (privateKey) => curve.getPublicKey(privateKey, false),
    sharedSecret(privateKey, peerShare) {
      if (peerShare.length !== shareLength) throw illegalShare(group, `length ${peerShare.length}, expected ${shareLength}`);
      if (peerShare[0] !== 0x04) throw illegalShare(group, 'not an uncompressed point');
      let point: Uint8Array;
      try {
        // Compressed output is 0x02/0x03 || X: exactly the X coordinate after the prefix byte.
        point = curve.getSharedSecret(privateKey, peerShare, true);
      } catch {
        throw illegalShare(group, 'not a point on the curve');
      }
      return point.slice(1);
    },
  };
}

const dhGroups: ReadonlyMap<number, DhGroup> = new Map<number, DhGroup>([
  [NamedGroup.x25519, montgomeryGroup(NamedGroup.x25519, x25519, 32)],
  [NamedGroup.x448, montgomeryGroup(NamedGroup.x448, x448, 56)],
  [NamedGroup.secp256r1, weierstrassGroup(NamedGroup.secp256r1, p256, 32)],
  [NamedGroup.secp384r1, weierstrassGroup(NamedGroup.secp384r1, p384, 48)],
  [NamedGroup.secp521r1, weierstrassGroup(NamedGroup.secp521r1, p521, 66)],
]);

/** An ephemeral key is used for one handshake: complete() works once and then wipes the key. */
class DhKeyShare implements KeyShareSecret {
  #privateKey: Uint8Array | undefined;

  constructor(
    private readonly dh: DhGroup,
    privateKey: Uint8Array,
    readonly publicKey: Uint8Array,
  ) {
    this.#privateKey = privateKey;
  }

  get group(): NamedGroup {
    return this.dh.group;
  }

  complete(peerShare: Uint8Array): Uint8Array {
    const privateKey = takeOnce(this, this.#privateKey);
    this.#privateKey = undefined;
    try {
      return this.dh.sharedSecret(privateKey, peerShare);
    } finally {
      zeroize(privateKey);
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
    return new DhKeyShare(this.dh, privateKey, this.dh.publicKey(privateKey));
  }

  respond(peerShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
    const privateKey = this.privateKey();
    try {
      const sharedSecret = this.dh.sharedSecret(privateKey, peerShare);
      return { publicKey: this.dh.publicKey(privateKey), sharedSecret };
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
 */
const MLKEM_EK = 1184;
const MLKEM_CT = 1088;
const MLKEM_SEED = 64;
const MLKEM_MSG = 32;
const X25519_LENGTH = 32;
/** Layout of an injected hybrid private key: ML-KEM-768 key-generation seed d || z, then X25519. */
export const HYBRID_PRIVATE_KEY_LENGTH = MLKEM_SEED + X25519_LENGTH;

const hybridX25519 = dhGroups.get(NamedGroup.x25519)!;

class HybridKeyShare implements KeyShareSecret {
  readonly group = NamedGroup.X25519MLKEM768;
  #secrets: { decapsulationKey: Uint8Array; x25519: Uint8Array } | undefined;

  constructor(
    decapsulationKey: Uint8Array,
    x25519PrivateKey: Uint8Array,
    readonly publicKey: Uint8Array,
  ) {
    this.#secrets = { decapsulationKey, x25519: x25519PrivateKey };
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
      const x25519Secret = hybridX25519.sharedSecret(secrets.x25519, peerShare.subarray(MLKEM_CT));
      return concatBytes(mlkemSecret, x25519Secret);
    } finally {
      zeroize(secrets.decapsulationKey, secrets.x25519);
    }
  }
}

class HybridKeyExchange implements KeyExchangeAlgorithm {
  readonly group = NamedGroup.X25519MLKEM768;

  constructor(
    private readonly random: RandomSource,
    private readonly fixedPrivateKey: Uint8Array | undefined,
  ) {}

  generate(): KeyShareSecret {
    const seed = this.fixedPrivateKey?.slice(0, MLKEM_SEED) ?? checkedRandom(this.random, MLKEM_SEED);
    const x25519PrivateKey = this.x25519PrivateKey();
    const { publicKey: encapsulationKey, secretKey } = ml_kem768.keygen(seed);
    zeroize(seed);
    return new HybridKeyShare(secretKey, x25519PrivateKey, concatBytes(encapsulationKey, hybridX25519.publicKey(x25519PrivateKey)));
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
      const x25519Secret = hybridX25519.sharedSecret(x25519PrivateKey, peerShare.subarray(MLKEM_EK));
      return {
        publicKey: concatBytes(encapsulated.cipherText, hybridX25519.publicKey(x25519PrivateKey)),
        sharedSecret: concatBytes(encapsulated.sharedSecret, x25519Secret),
      };
    } finally {
      zeroize(x25519PrivateKey, encapsulated.sharedSecret);
    }
  }

  private x25519PrivateKey(): Uint8Array {
    return this.fixedPrivateKey?.slice(MLKEM_SEED) ?? hybridX25519.generatePrivateKey(this.random);
  }
}

/* ----------------------------------------------------------------------------------------- */
/* factories                                                                                 */
/* ----------------------------------------------------------------------------------------- */

/** Groups this module implements, in the provider's preference order (see nobleProvider). */
export const nobleGroups: readonly NamedGroup[] = [
  NamedGroup.X25519MLKEM768,
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  NamedGroup.x448,
];

/** A key exchange with fresh ephemeral keys drawn from `random`, or undefined for an unknown group. */
export function nobleKeyExchange(group: number, random: RandomSource): KeyExchangeAlgorithm | undefined {
  if (group === NamedGroup.X25519MLKEM768) return new HybridKeyExchange(random, undefined);
  const dh = dhGroups.get(group);
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
export function keyExchangeWithPrivateKey(
  group: number,
  privateKey: Uint8Array,
  random: RandomSource = defaultRandom,
): KeyExchangeAlgorithm {
  if (group === NamedGroup.X25519MLKEM768) {
    if (privateKey.length !== HYBRID_PRIVATE_KEY_LENGTH) {
      throw invalidPrivateKey(group, `must be ${HYBRID_PRIVATE_KEY_LENGTH} bytes (ML-KEM seed || X25519 scalar)`);
    }
    return new HybridKeyExchange(random, privateKey.slice());
  }
  const dh = dhGroups.get(group);
  if (dh === undefined) throw new TLSError('INVALID_ARGUMENT', `no key exchange for group ${namedGroupName(group)}`);
  dh.checkPrivateKey(privateKey);
  return new DhKeyExchange(dh, random, privateKey.slice());
}

/** crypto.getRandomValues, which refuses more than 65536 bytes per call. */
export function defaultRandom(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  return out;
}

function checkedRandom(random: RandomSource, length: number): Uint8Array {
  const bytes = random(length);
  if (bytes.length !== length) throw internalError(`random source returned ${bytes.length} bytes, ${length} requested`);
  // A copy we own and may wipe: an injected source may hand out views of its own buffer.
  return bytes.slice();
}

function invalidPrivateKey(group: number, detail: string): TLSError {
  return new TLSError('INVALID_ARGUMENT', `invalid ${namedGroupName(group)} private key: ${detail}`);
}

function takeOnce<T>(share: KeyShareSecret, secret: T | undefined): T {
  if (secret === undefined) throw internalError(`${namedGroupName(share.group)} key share was already used`);
  return secret;
}
