import { internalError } from '../../errors.js';
import { NamedGroup } from '../../registry.js';
import { zeroize } from '../../wire/bytes.js';
import { KeyExchanges, type RandomSource, checkedRandom, illegalShare, invalidPrivateKey, isValidNistPrivateKey, nistPrivateKey, rejectAllZero } from '../key-exchange.js';
import { montgomeryGroup } from '../noble/montgomery.js';
import type { KeyExchangeAlgorithm, KeyExchangeResponse, KeyShareSecret, SyncKeyExchangeAlgorithm } from '../provider.js';
import { defaultRandom } from '../random.js';
import type { WebCryptoKey, WebCryptoKeyPair, WebCryptoSubtle } from '../subtle.js';
import type { EcdhSpec, EphemeralKey } from './ecdh-spec.js';

/**
 * (EC)DHE on WebCrypto: secp256r1/384r1/521r1 as ECDH, x25519 as X25519 where the runtime has
 * it (feature-detected once; noble's X25519, loaded on demand, where it does not). Private keys
 * are generated inside WebCrypto as non-extractable keys: their bytes never exist in JavaScript.
 *
 * The checks and errors are the noble and node:crypto providers' (same illegal_parameter for the
 * same shares): RFC 8446 §4.2.8.2 (uncompressed NIST points only, validated to lie on the curve,
 * which importKey does), RFC 7748 §6.1 / RFC 8446 §7.4.2 (an all-zero X25519 secret is refused;
 * WebCrypto's deriveBits fails for it, and the OR of the output is checked too). The shared
 * secret is the X coordinate (RFC 8446 §7.4.1), which is what ECDH deriveBits returns.
 */

const P256: EcdhSpec = { group: NamedGroup.secp256r1, algorithm: { name: 'ECDH', namedCurve: 'P-256' }, shareLength: 65, secretBits: 256, nist: true };
const P384: EcdhSpec = { group: NamedGroup.secp384r1, algorithm: { name: 'ECDH', namedCurve: 'P-384' }, shareLength: 97, secretBits: 384, nist: true };
const P521: EcdhSpec = { group: NamedGroup.secp521r1, algorithm: { name: 'ECDH', namedCurve: 'P-521' }, shareLength: 133, secretBits: 528, nist: true };
const X25519: EcdhSpec = { group: NamedGroup.x25519, algorithm: { name: 'X25519' }, shareLength: 32, secretBits: 256, nist: false };

const specs: ReadonlyMap<number, EcdhSpec> = new Map([P256, P384, P521, X25519].map((spec) => [spec.group, spec]));

/** Groups WebCrypto serves, in the provider's preference order (x25519 first, then by size). */
export const webCryptoGroups: readonly NamedGroup[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1];

/**
 * Ephemeral keys made ahead: one spare per group, generated once the previous key has done its
 * work, so the next handshake finds its key ready instead of waiting for WebCrypto's key
 * generation (on Node 20 ~0.6 ms of a P-256 handshake's critical path). Every key is still used
 * for exactly one exchange and dropped after it: forward secrecy is the same, only the moment
 * of generation moves. One pool per provider.
 */
export class EphemeralKeyPool {
  readonly #spares = new Map<NamedGroup, Promise<EphemeralKey>>();

  constructor(private readonly subtle: WebCryptoSubtle) {}

  /** The spare for this group if one is waiting (and usable), otherwise a fresh key. */
  async take(spec: EcdhSpec): Promise<EphemeralKey> {
    const spare = this.#spares.get(spec.group);
    this.#spares.delete(spec.group);
    if (spare !== undefined) {
      try {
        return await spare;
      } catch {
        // A failed spare is no reason to fail a handshake: make the key now instead.
      }
    }
    return generateEphemeral(this.subtle, spec);
  }

  /**
   * Starts the next spare for this group, after the current handshake's own crypto (a macrotask
   * later), so it competes with nothing on this connection's critical path.
   */
  refill(spec: EcdhSpec): void {
    if (this.#spares.has(spec.group)) return;
    const next = new Promise<EphemeralKey>((resolve, reject) => {
      setTimeout(() => generateEphemeral(this.subtle, spec).then(resolve, reject), 0);
    });
    next.catch(() => undefined);
    this.#spares.set(spec.group, next);
  }
}

async function generateEphemeral(subtle: WebCryptoSubtle, spec: EcdhSpec): Promise<EphemeralKey> {
  const pair = (await subtle.generateKey(spec.algorithm, false, ['deriveBits'])) as WebCryptoKeyPair;
  return { privateKey: pair.privateKey, publicKey: new Uint8Array(await subtle.exportKey('raw', pair.publicKey)) };
}

/** How ephemeral keys are made: inside WebCrypto (through the pool), or (for tests) from given scalars. */
type KeySource =
  | { readonly kind: 'generate'; readonly pool: EphemeralKeyPool }
  | { readonly kind: 'random'; readonly random: RandomSource }
  | { readonly kind: 'fixed'; readonly privateKey: Uint8Array };

/** Whether this runtime's WebCrypto does X25519: asked once per process, then remembered. */
let x25519Support: Promise<boolean> | undefined;

function x25519Supported(subtle: WebCryptoSubtle): Promise<boolean> {
  return (x25519Support ??= subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']).then(
    () => true,
    () => false,
  ));
}

/** The X25519 fallback (noble's curve, in a chunk of its own that only runtimes without X25519 load). */
let fallback: Promise<KeyExchanges> | undefined;

function nobleX25519(): Promise<KeyExchanges> {
  return (fallback ??= import('./x25519-noble.js').then(({ x25519 }) => new KeyExchanges(new Map([[NamedGroup.x25519, montgomeryGroup(NamedGroup.x25519, x25519, 32)]]))));
}

class WebCryptoKeyShare implements KeyShareSecret {
  readonly publicKey: Uint8Array;
  #privateKey: WebCryptoKey | undefined;

  constructor(
    private readonly subtle: WebCryptoSubtle,
    private readonly spec: EcdhSpec,
    key: EphemeralKey,
    private readonly afterUse: (() => void) | undefined,
  ) {
    this.#privateKey = key.privateKey;
    this.publicKey = key.publicKey;
  }

  get group(): NamedGroup {
    return this.spec.group;
  }

  complete(peerShare: Uint8Array): Promise<Uint8Array> {
    const privateKey = this.#privateKey;
    if (privateKey === undefined) return Promise.reject(internalError(`${this.spec.algorithm.name} key share was already used`));
    // One use: the handle is dropped (a non-extractable key has no bytes of ours to wipe).
    this.#privateKey = undefined;
    const secret = agree(this.subtle, this.spec, privateKey, peerShare);
    if (this.afterUse) void secret.finally(this.afterUse).catch(() => undefined);
    return secret;
  }
}

/** Checks the peer's share, imports it, and derives the secret; every failure is the peer's. */
async function agree(subtle: WebCryptoSubtle, spec: EcdhSpec, privateKey: WebCryptoKey, peerShare: Uint8Array): Promise<Uint8Array> {
  checkShareEncoding(spec, peerShare);
  let peer: WebCryptoKey;
  try {
    peer = await subtle.importKey('raw', peerShare, spec.algorithm, true, []);
  } catch {
    throw illegalShare(spec.group, spec.nist ? 'not a point on the curve' : 'not a valid X25519 public key');
  }
  let bits: ArrayBuffer;
  try {
    bits = await subtle.deriveBits({ name: spec.algorithm.name, public: peer }, privateKey, spec.secretBits);
  } catch {
    throw illegalShare(spec.group, spec.nist ? 'not a point on the curve' : 'low-order point (the shared secret would be all zeros)');
  }
  const secret = new Uint8Array(bits);
  return spec.nist ? secret : rejectAllZero(spec.group, secret);
}

function checkShareEncoding(spec: EcdhSpec, share: Uint8Array): void {
  if (share.length !== spec.shareLength) throw illegalShare(spec.group, `length ${share.length}, expected ${spec.shareLength}`);
  if (spec.nist && share[0] !== 0x04) throw illegalShare(spec.group, 'not an uncompressed point');
}

class WebCryptoKeyExchange implements KeyExchangeAlgorithm {
  constructor(
    private readonly subtle: WebCryptoSubtle,
    private readonly spec: EcdhSpec,
    private readonly source: KeySource,
  ) {}

  get group(): NamedGroup {
    return this.spec.group;
  }

  async generate(): Promise<KeyShareSecret> {
    const viaNoble = await this.fallback();
    if (viaNoble) return viaNoble.generate();
    return new WebCryptoKeyShare(this.subtle, this.spec, await this.ephemeralKey(), this.refill());
  }

  async respond(peerShare: Uint8Array): Promise<KeyExchangeResponse> {
    const viaNoble = await this.fallback();
    if (viaNoble) return viaNoble.respond(peerShare);
    // The share's encoding is checked before we make a key: a bad share costs us less.
    checkShareEncoding(this.spec, peerShare);
    const key = await this.ephemeralKey();
    try {
      return { publicKey: key.publicKey, sharedSecret: await agree(this.subtle, this.spec, key.privateKey, peerShare) };
    } finally {
      this.refill()?.();
    }
  }

  /** What refills the pool once a generated key has been used; nothing for test-hook keys. */
  private refill(): (() => void) | undefined {
    const { source, spec } = this;
    return source.kind === 'generate' ? () => source.pool.refill(spec) : undefined;
  }

  /** noble's X25519 when this runtime's WebCrypto has none; undefined when WebCrypto will do. */
  private async fallback(): Promise<SyncKeyExchangeAlgorithm | undefined> {
    if (this.spec.group !== NamedGroup.x25519 || (await x25519Supported(this.subtle))) return undefined;
    const noble = await nobleX25519();
    const { source } = this;
    return source.kind === 'fixed'
      ? noble.withPrivateKey(NamedGroup.x25519, source.privateKey, defaultRandom)
      : noble.fresh(NamedGroup.x25519, source.kind === 'random' ? source.random : defaultRandom)!;
  }

  private async ephemeralKey(): Promise<EphemeralKey> {
    const { source, spec, subtle } = this;
    if (source.kind === 'generate') return source.pool.take(spec);
    // Test hooks only (injected randomness, RFC 8448's fixed keys): loaded when first used.
    const scalar = source.kind === 'fixed' ? source.privateKey.slice() : spec.nist ? nistPrivateKey(spec.group, source.random) : checkedRandom(source.random, 32);
    try {
      return await (await import('./private-key-import.js')).importEphemeralScalar(subtle, spec, scalar);
    } finally {
      zeroize(scalar);
    }
  }
}

export interface WebCryptoKeyExchangeOptions {
  pool: EphemeralKeyPool;
  random?: RandomSource | undefined;
  ephemeralPrivateKeys?: ReadonlyMap<NamedGroup, Uint8Array> | undefined;
}

/**
 * A WebCrypto key exchange for `group`, or undefined for a group WebCrypto does not serve here.
 * Throws TLSError(INVALID_ARGUMENT) for a malformed injected private key (formats as in
 * KeyExchanges.withPrivateKey: the big-endian NIST scalar, the RFC 7748 X25519 scalar).
 */
export function webCryptoKeyExchange(subtle: WebCryptoSubtle, group: number, options: WebCryptoKeyExchangeOptions): KeyExchangeAlgorithm | undefined {
  const spec = specs.get(group);
  if (spec === undefined) return undefined;
  const fixed = options.ephemeralPrivateKeys?.get(spec.group);
  if (fixed !== undefined) {
    const valid = spec.nist ? isValidNistPrivateKey(spec.group, fixed) : fixed.length === 32;
    if (!valid) throw invalidPrivateKey(spec.group, spec.nist ? `must be a ${spec.shareLength >> 1}-byte scalar in [1, n-1]` : 'must be 32 bytes');
    return new WebCryptoKeyExchange(subtle, spec, { kind: 'fixed', privateKey: fixed.slice() });
  }
  return new WebCryptoKeyExchange(subtle, spec, options.random !== undefined ? { kind: 'random', random: options.random } : { kind: 'generate', pool: options.pool });
}
