import type { CipherSuiteParams, CryptoProvider, HashName } from './crypto/provider.js';
import { hashOutputLength } from './crypto/provider.js';
import { internalError } from './errors.js';
import { utf8, zeroize } from './wire/bytes.js';
import { Writer } from './wire/writer.js';

/**
 * The TLS 1.3 key schedule (RFC 8446 §7). Functions here are pure derivations over the
 * provider's HKDF; `KeySchedule` walks the early → handshake → master secret chain of one
 * handshake and reports every secret it derives to an optional observer (key log, trace).
 */

/** Names follow the NSS key log format, which is also what the trace prints. */
export type SecretName =
  | 'CLIENT_EARLY_TRAFFIC_SECRET'
  | 'EARLY_EXPORTER_SECRET'
  | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
  | 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
  | 'CLIENT_TRAFFIC_SECRET_0'
  | 'SERVER_TRAFFIC_SECRET_0'
  | 'EXPORTER_SECRET';

/**
 * One step down the key schedule (RFC 8446 §7.1), for an explanation of it (`wiretls explain`).
 * Values are secrets, lent for the call only: an observer that keeps one copies it.
 */
export interface KeyDerivation {
  /** What was derived, in RFC 8446 §7.1's words: "early_secret", "derived", "c_hs_traffic"... */
  readonly output: string;
  readonly operation: 'HKDF-Extract' | 'Derive-Secret' | 'HKDF-Expand-Label';
  /** HKDF-Extract: the salt; Derive-Secret and HKDF-Expand-Label: the secret expanded. */
  readonly secret: Uint8Array;
  /** HKDF-Extract: the input keying material (PSK, (EC)DHE shared secret, or zeros). */
  readonly ikm?: Uint8Array;
  /** Derive-Secret and HKDF-Expand-Label: the label without "tls13 ", and the context. */
  readonly label?: string;
  readonly context?: Uint8Array;
  readonly value: Uint8Array;
}

export type DerivationObserver = (step: KeyDerivation) => void;

/**
 * Sees traffic secrets as they are derived (key log, trace). One that also carries
 * `derivation` sees every step with its inputs; a schedule without it reports none.
 */
export type SecretObserver = ((name: SecretName, secret: Uint8Array) => void) & { readonly derivation?: DerivationObserver };

/** "tls13 " + label as bytes, per label: the key schedule uses a dozen fixed labels over and over. */
const labelBytes = new Map<string, Uint8Array>();

function fullLabel(label: string): Uint8Array {
  let bytes = labelBytes.get(label);
  if (bytes === undefined) {
    bytes = utf8(`tls13 ${label}`);
    // Exporter labels come from applications; keep the cache to the schedule's own few.
    if (labelBytes.size < 64) labelBytes.set(label, bytes);
  }
  return bytes;
}

/**
 * HKDF-Expand-Label (RFC 8446 §7.1): the label is prefixed with "tls13 ".
 *   struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel;
 * The writer is sized exactly (this runs ~20 times per handshake on each side); a label or
 * context outside its bounds is our bug, an internal error.
 */
export function hkdfExpandLabel(provider: CryptoProvider, hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const name = fullLabel(label);
  if (length > 0xffff) throw internalError('HKDF-Expand-Label input out of range');
  // §7.1 writes label<7..255>; 6 ("tls13 " alone) keeps the empty exporter label working, as OpenSSL does.
  const info = new Writer(4 + name.length + context.length).u16(length).vector8(6, 255, name).vector8(0, 255, context).finish();
  return provider.hkdfExpand(hash, secret, info, length);
}

/** Derive-Secret (RFC 8446 §7.1), given the transcript hash already computed. */
function deriveSecret(provider: CryptoProvider, hash: HashName, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, secret, label, transcriptHash, hashOutputLength[hash]);
}

const emptyHashes = new WeakMap<CryptoProvider, Partial<Record<HashName, Uint8Array>>>();

/** Hash of the empty string; computed once per provider and hash (a copy is returned). */
function emptyHash(provider: CryptoProvider, hash: HashName): Uint8Array {
  let known = emptyHashes.get(provider);
  if (known === undefined) emptyHashes.set(provider, (known = {}));
  const digest = (known[hash] ??= provider.hash(hash).digest());
  return digest.slice();
}

/**
 * Without a PSK the early secret is HKDF-Extract(0, 0) (RFC 8446 §7.1), and so is the salt
 * Derive-Secret(early, "derived", "") made from it: constants of the hash, public values,
 * computed once per provider and hash rather than with two HMACs per full handshake.
 */
const zeroPskSecrets = new WeakMap<CryptoProvider, Partial<Record<HashName, { early: Uint8Array; handshakeSalt: Uint8Array }>>>();

function zeroPsk(provider: CryptoProvider, hash: HashName): { early: Uint8Array; handshakeSalt: Uint8Array } {
  let known = zeroPskSecrets.get(provider);
  if (known === undefined) zeroPskSecrets.set(provider, (known = {}));
  let secrets = known[hash];
  if (secrets === undefined) {
    const zeros = new Uint8Array(hashOutputLength[hash]);
    const early = provider.hkdfExtract(hash, zeros, zeros);
    secrets = known[hash] = { early, handshakeSalt: deriveSecret(provider, hash, early, 'derived', emptyHash(provider, hash)) };
  }
  return secrets;
}

/** Record protection key and IV from a traffic secret (RFC 8446 §7.3). */
export function trafficKeys(provider: CryptoProvider, suite: CipherSuiteParams, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  return {
    key: hkdfExpandLabel(provider, suite.hash, secret, 'key', new Uint8Array(0), suite.keyLength),
    iv: hkdfExpandLabel(provider, suite.hash, secret, 'iv', new Uint8Array(0), suite.ivLength),
  };
}

/** Finished verify_data (RFC 8446 §4.4.4) from the sender's handshake traffic secret. */
export function finishedVerifyData(provider: CryptoProvider, hash: HashName, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const finishedKey = hkdfExpandLabel(provider, hash, baseKey, 'finished', new Uint8Array(0), hashOutputLength[hash]);
  const verifyData = provider.hmac(hash, finishedKey, transcriptHash);
  zeroize(finishedKey);
  return verifyData;
}

/** application_traffic_secret_N+1 (RFC 8446 §7.2), used by KeyUpdate. */
export function nextTrafficSecret(provider: CryptoProvider, hash: HashName, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, secret, 'traffic upd', new Uint8Array(0), hashOutputLength[hash]);
}

/** The PSK a NewSessionTicket stands for (RFC 8446 §4.6.1). */
export function resumptionPsk(provider: CryptoProvider, hash: HashName, resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(provider, hash, resumptionMasterSecret, 'resumption', ticketNonce, hashOutputLength[hash]);
}

/** TLS-Exporter (RFC 8446 §7.5). */
export function exportKeyingMaterial(provider: CryptoProvider, hash: HashName, exporterSecret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const perLabel = deriveSecret(provider, hash, exporterSecret, label, emptyHash(provider, hash));
  const contextHash = provider.hash(hash);
  contextHash.update(context);
  const out = hkdfExpandLabel(provider, hash, perLabel, 'exporter', contextHash.digest(), length);
  zeroize(perLabel);
  return out;
}

/** RFC 8446 §7.1's names for the secrets the key log names its own way. */
const STEP_NAMES: Record<SecretName, string> = {
  CLIENT_EARLY_TRAFFIC_SECRET: 'client_early_traffic_secret',
  EARLY_EXPORTER_SECRET: 'early_exporter_master_secret',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'client_handshake_traffic_secret',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'server_handshake_traffic_secret',
  CLIENT_TRAFFIC_SECRET_0: 'client_application_traffic_secret_0',
  SERVER_TRAFFIC_SECRET_0: 'server_application_traffic_secret_0',
  EXPORTER_SECRET: 'exporter_master_secret',
};

/**
 * One handshake's walk down the secret chain. Each stage's secret is kept only until the next
 * stage is derived; observers see traffic secrets as they appear.
 */
export class KeySchedule {
  private readonly hashLength: number;
  private readonly withPsk: boolean;
  private earlySecret: Uint8Array | undefined;
  private handshakeSecret: Uint8Array | undefined;
  private masterSecret: Uint8Array | undefined;
  /** Only set when someone asked to see the steps (see SecretObserver). */
  private readonly steps: DerivationObserver | undefined;

  constructor(
    private readonly provider: CryptoProvider,
    readonly hash: HashName,
    /** The PSK of a resumption, or undefined for a full handshake (a zero PSK is used). */
    psk: Uint8Array | undefined,
    private readonly observer?: SecretObserver,
  ) {
    this.hashLength = hashOutputLength[hash];
    this.withPsk = psk !== undefined;
    // A copy of the constant: the schedule wipes its secrets as it moves on.
    this.earlySecret = psk ? provider.hkdfExtract(hash, new Uint8Array(this.hashLength), psk) : zeroPsk(provider, hash).early.slice();
    this.steps = observer?.derivation;
    if (this.steps) {
      const zeros = new Uint8Array(this.hashLength);
      this.steps({ output: 'early_secret', operation: 'HKDF-Extract', secret: zeros, ikm: psk ?? zeros, value: this.earlySecret });
    }
  }

  /** Derive-Secret, reported to the derivation observer if there is one. */
  private derive(output: string, secret: Uint8Array, label: string, context: Uint8Array): Uint8Array {
    const value = deriveSecret(this.provider, this.hash, secret, label, context);
    this.steps?.({ output, operation: 'Derive-Secret', secret, label, context, value });
    return value;
  }

  private extract(output: string, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    const value = this.provider.hkdfExtract(this.hash, salt, ikm);
    this.steps?.({ output, operation: 'HKDF-Extract', secret: salt, ikm, value });
    return value;
  }

  private early(): Uint8Array {
    if (!this.earlySecret) throw internalError('key schedule: early secret already consumed');
    return this.earlySecret;
  }

  /** binder_key: "res binder" for tickets, "ext binder" for external PSKs. */
  binderKey(kind: 'resumption' | 'external'): Uint8Array {
    const label = kind === 'resumption' ? 'res binder' : 'ext binder';
    return this.derive('binder_key', this.early(), label, emptyHash(this.provider, this.hash));
  }

  clientEarlyTrafficSecret(clientHelloHash: Uint8Array): Uint8Array {
    return this.observed('CLIENT_EARLY_TRAFFIC_SECRET', this.derive('client_early_traffic_secret', this.early(), 'c e traffic', clientHelloHash));
  }

  earlyExporterMasterSecret(clientHelloHash: Uint8Array): Uint8Array {
    return this.observed('EARLY_EXPORTER_SECRET', this.derive('early_exporter_master_secret', this.early(), 'e exp master', clientHelloHash));
  }

  /** Mixes in the (EC)DHE shared secret, or zeros for psk_ke (RFC 8446 §7.1). */
  enterHandshake(sharedSecret: Uint8Array | undefined): void {
    const early = this.early();
    const salt =
      this.withPsk || this.steps ? this.derive('derived', early, 'derived', emptyHash(this.provider, this.hash)) : zeroPsk(this.provider, this.hash).handshakeSalt.slice();
    this.handshakeSecret = this.extract('handshake_secret', salt, sharedSecret ?? new Uint8Array(this.hashLength));
    zeroize(salt, early);
    this.earlySecret = undefined;
  }

  private handshake(): Uint8Array {
    if (!this.handshakeSecret) throw internalError('key schedule: handshake secret not available');
    return this.handshakeSecret;
  }

  /** Transcript through ServerHello. */
  handshakeTrafficSecrets(helloHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
    const hs = this.handshake();
    return {
      client: this.observed('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.derive('client_handshake_traffic_secret', hs, 'c hs traffic', helloHash)),
      server: this.observed('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.derive('server_handshake_traffic_secret', hs, 's hs traffic', helloHash)),
    };
  }

  enterMaster(): void {
    const hs = this.handshake();
    const salt = this.derive('derived', hs, 'derived', emptyHash(this.provider, this.hash));
    this.masterSecret = this.extract('master_secret', salt, new Uint8Array(this.hashLength));
    zeroize(salt, hs);
    this.handshakeSecret = undefined;
  }

  private master(): Uint8Array {
    if (!this.masterSecret) throw internalError('key schedule: master secret not available');
    return this.masterSecret;
  }

  /**
   * Transcript through the server Finished. A connection keeps these three as long as it lives
   * (KeyUpdate, exporters), so they are views of one buffer rather than three.
   */
  applicationSecrets(serverFinishedHash: Uint8Array): { client: Uint8Array; server: Uint8Array; exporter: Uint8Array } {
    const ms = this.master();
    const n = this.hashLength;
    const packed = new Uint8Array(3 * n);
    const derive = (name: SecretName, label: string, at: number): Uint8Array => {
      const secret = this.derive(STEP_NAMES[name], ms, label, serverFinishedHash);
      packed.set(secret, at);
      zeroize(secret);
      return this.observed(name, packed.subarray(at, at + n));
    };
    return {
      client: derive('CLIENT_TRAFFIC_SECRET_0', 'c ap traffic', 0),
      server: derive('SERVER_TRAFFIC_SECRET_0', 's ap traffic', n),
      exporter: derive('EXPORTER_SECRET', 'exp master', 2 * n),
    };
  }

  /** Transcript through the client Finished; the last use of the master secret. */
  resumptionMasterSecret(clientFinishedHash: Uint8Array): Uint8Array {
    const ms = this.master();
    const rms = this.derive('resumption_master_secret', ms, 'res master', clientFinishedHash);
    zeroize(ms);
    this.masterSecret = undefined;
    return rms;
  }

  private observed(name: SecretName, secret: Uint8Array): Uint8Array {
    this.observer?.(name, secret);
    return secret;
  }
}
