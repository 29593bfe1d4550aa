import { TLSError, internalError, protocolError } from '../errors.js';
import { NamedGroup, namedGroupName } from '../registry.js';
import { zeroize } from '../wire/bytes.js';
import type { KeyShareSecret, SyncKeyExchangeAlgorithm, SyncKeyShareSecret } from './provider.js';

/**
 * The key-exchange machinery every synchronous provider shares: ephemeral key life cycle (fresh
 * or injected keys, one-shot completion, wiping) and the error mapping. A provider contributes
 * only its Diffie-Hellman arithmetic as `DhGroup`s, so the noble and the node:crypto providers
 * cannot drift apart in what they accept or how they fail. The X25519MLKEM768 hybrid lives in
 * hybrid.ts and is plugged in by the providers that offer it, so that code importing only this
 * module carries no ML-KEM.
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
  return protocolError('invalid_key_share', `invalid ${namedGroupName(group)} key share: ${detail}`);
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

export function takeOnce<T>(share: KeyShareSecret, secret: T | undefined): T {
  if (secret === undefined) throw internalError(`${namedGroupName(share.group)} key share was already used`);
  return secret;
}

/* ----------------------------------------------------------------------------------------- */
/* (EC)DHE                                                                                   */
/* ----------------------------------------------------------------------------------------- */

/** An ephemeral key is used for one handshake: complete() works once and then wipes the key. */
class DhKeyShare implements SyncKeyShareSecret {
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

class DhKeyExchange implements SyncKeyExchangeAlgorithm {
  constructor(
    private readonly dh: DhGroup,
    private readonly random: RandomSource,
    private readonly fixedPrivateKey: Uint8Array | undefined,
  ) {}

  get group(): NamedGroup {
    return this.dh.group;
  }

  generate(): SyncKeyShareSecret {
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
/* factories                                                                                 */
/* ----------------------------------------------------------------------------------------- */

/**
 * Builds X25519MLKEM768 on a provider's X25519 (hybrid.ts). `fixedPrivateKey`, when given, is
 * checked here and throws TLSError(INVALID_ARGUMENT) if malformed.
 */
export type HybridFactory = (x25519: DhGroup, random: RandomSource, fixedPrivateKey: Uint8Array | undefined) => SyncKeyExchangeAlgorithm;

/** A provider's groups: its DhGroups by code point, and X25519MLKEM768 on its x25519 when `hybrid` is given. */
export class KeyExchanges {
  constructor(
    private readonly dhGroups: ReadonlyMap<number, DhGroup>,
    private readonly hybrid?: HybridFactory,
  ) {}

  /** A key exchange with fresh ephemeral keys drawn from `random`, or undefined for an unknown group. */
  fresh(group: number, random: RandomSource): SyncKeyExchangeAlgorithm | undefined {
    if (group === NamedGroup.X25519MLKEM768) {
      const x25519 = this.dhGroups.get(NamedGroup.x25519);
      return x25519 === undefined || this.hybrid === undefined ? undefined : this.hybrid(x25519, random, undefined);
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
  withPrivateKey(group: number, privateKey: Uint8Array, random: RandomSource): SyncKeyExchangeAlgorithm {
    if (group === NamedGroup.X25519MLKEM768) {
      const x25519 = this.dhGroups.get(NamedGroup.x25519);
      if (x25519 === undefined || this.hybrid === undefined) throw new TLSError('INVALID_ARGUMENT', `no key exchange for group ${namedGroupName(group)}`);
      return this.hybrid(x25519, random, privateKey);
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
