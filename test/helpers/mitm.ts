import type { AeadCipher, CipherSuiteParams, CryptoProvider } from '../../src/crypto/provider.js';
import { cipherSuiteParams } from '../../src/crypto/suites.js';
import { type SecretName, nextTrafficSecret, trafficKeys } from '../../src/keyschedule.js';
import { decodeHandshake, encodeHandshake, isHelloRetryRequest } from '../../src/messages/handshake.js';
import { ContentType, HandshakeType } from '../../src/registry.js';
import type { HandshakeMessage } from '../../src/messages/types.js';
import { RecordProtector } from '../../src/record/protection.js';
import { concatBytes } from '../../src/wire/bytes.js';

/**
 * A man in the middle for engine tests. It sits in the pipe's `tamper` hook, learns the traffic
 * secrets from both sides' `onSecret`, and so sees every record in the clear: which keys its
 * sender used, its real content type and its content. An edit may replace a record with other
 * records, which it protects again under the sender's current keys (with its own sequence
 * numbers, so the receiver's stay in step), or with raw wire bytes. That lets a test put a
 * correctly protected but semantically wrong message in front of a real peer. A client's 0-RTT
 * records are opened with its CLIENT_EARLY_TRAFFIC_SECRET (epoch 'early') under the suite whose
 * keys open them: the ticket's, which no message on the wire names.
 */

export type Side = 'client' | 'server';
export type KeyEpoch = 'plaintext' | 'early' | 'handshake' | 'application';

/** One record as its sender meant it. */
export interface TappedRecord {
  readonly from: Side;
  /** The keys its sender protected it with. */
  readonly epoch: KeyEpoch;
  /** The real content type (the inner one for a protected record). */
  readonly type: number;
  readonly content: Uint8Array;
  /** The record as sent. */
  readonly wire: Uint8Array;
}

/** What an edit delivers instead. */
export type Outgoing =
  /** A record protected under the sender's current keys (or sent in the clear with plaintext: true). */
  | { type: number; content: Uint8Array; plaintext?: boolean }
  /** A TLSInnerPlaintext sealed exactly as given, whatever its size or padding. */
  | { inner: Uint8Array }
  /** Bytes put on the wire as they are. */
  | { wire: Uint8Array };

/** Returns the records to deliver instead of `record`, or undefined to pass it on unchanged. */
export type RecordEdit = (record: TappedRecord) => Outgoing[] | undefined;

const SECRET_NAMES: Record<Side, Record<'handshake' | 'application', SecretName>> = {
  client: { handshake: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', application: 'CLIENT_TRAFFIC_SECRET_0' },
  server: { handshake: 'SERVER_HANDSHAKE_TRAFFIC_SECRET', application: 'SERVER_TRAFFIC_SECRET_0' },
};

/** AEAD sealing with a free hand: any inner plaintext, sequence numbers from 0 per key. */
class Sealer {
  private sequence = 0;
  private readonly iv: Uint8Array;
  private readonly aead: AeadCipher;

  constructor(provider: CryptoProvider, suite: CipherSuiteParams, secret: Uint8Array) {
    const { key, iv } = trafficKeys(provider, suite, secret);
    this.aead = provider.aead(suite.aead, key);
    this.iv = iv;
  }

  seal(inner: Uint8Array): Uint8Array {
    const length = inner.length + this.aead.tagLength;
    const header = Uint8Array.of(ContentType.application_data, 3, 3, length >>> 8, length & 0xff);
    const nonce = this.iv.slice();
    let sequence = this.sequence++;
    for (let i = 11; i >= 4 && sequence > 0; i--) {
      nonce[i]! ^= sequence & 0xff;
      sequence = Math.floor(sequence / 256);
    }
    return concatBytes(header, this.aead.seal(nonce, header, inner));
  }
}

/** One direction: the sender's key epochs, followed from what it sends. */
class Lane {
  epoch: KeyEpoch = 'plaintext';
  /** Alert descriptions this side sent, in order. */
  readonly alerts: number[] = [];
  /** Handshake message types this side sent, in order (before any edit). */
  readonly messages: number[] = [];
  /** Content types of the records this side sent, in order. */
  readonly records: number[] = [];
  private opener: RecordProtector | undefined;
  private sealer: Sealer | undefined;
  private secret: Uint8Array | undefined;
  private input: Uint8Array = new Uint8Array(0);
  private handshakeBytes: Uint8Array = new Uint8Array(0);
  private switchAfterRecord: (() => void) | undefined;

  constructor(
    private readonly side: Side,
    private readonly mitm: Mitm,
  ) {}

  /** Cuts the sender's bytes into records and returns what to deliver. */
  process(bytes: Uint8Array): Uint8Array {
    this.input = concatBytes(this.input, bytes);
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.input.length < 5) break;
      const length = (this.input[3]! << 8) | this.input[4]!;
      if (this.input.length < 5 + length) break;
      const wire = this.input.slice(0, 5 + length);
      this.input = this.input.subarray(5 + length);
      out.push(...this.recordOrOpaque(wire));
    }
    return concatBytes(...out);
  }

  /**
   * A record the sender's keys as we know them cannot open (the two sides derived different
   * secrets from a damaged hello, or chose different suites) goes on untouched: the receiver
   * judges it, as it would without us in the middle.
   */
  private recordOrOpaque(wire: Uint8Array): Uint8Array[] {
    try {
      return this.record(wire);
    } catch {
      this.records.push(wire[0]!);
      return [wire];
    }
  }

  private record(wire: Uint8Array): Uint8Array[] {
    const outerType = wire[0]!;
    let record: TappedRecord;
    if (outerType === ContentType.application_data && this.epoch === 'plaintext') {
      // 0-RTT: protected records right after the ClientHello, before any handshake secret.
      const secrets = this.mitm.secretsOf(this.side);
      const early = this.side === 'client' && !secrets.has(SECRET_NAMES.client.handshake) ? secrets.get('CLIENT_EARLY_TRAFFIC_SECRET') : undefined;
      if (early) this.enterEarly(early, wire);
      else this.enter('handshake');
    }
    if (outerType === ContentType.application_data && this.opener) {
      const { type, content } = this.unprotect(wire);
      record = { from: this.side, epoch: this.epoch, type, content: content.slice(), wire };
    } else {
      record = { from: this.side, epoch: 'plaintext', type: outerType, content: wire.slice(5), wire };
    }
    this.records.push(record.type);
    if (record.type === ContentType.alert) this.alerts.push(record.content[1]!);
    if (record.type === ContentType.handshake) this.follow(record.content);

    const replacement = this.mitm.edit(record);
    const delivered = replacement === undefined ? [record.epoch === 'plaintext' ? wire : this.seal(record.type, record.content)] : replacement.map((o) => this.emit(o, record));
    // Keys the sender switched after this record apply from its next record on.
    this.switchAfterRecord?.();
    this.switchAfterRecord = undefined;
    return delivered;
  }

  private emit(outgoing: Outgoing, original: TappedRecord): Uint8Array {
    if ('wire' in outgoing) return outgoing.wire;
    if ('inner' in outgoing) return this.sealer!.seal(outgoing.inner);
    if (outgoing.plaintext || original.epoch === 'plaintext') return plaintextRecord(outgoing.type, outgoing.content);
    return this.seal(outgoing.type, outgoing.content);
  }

  private seal(type: number, content: Uint8Array): Uint8Array {
    return this.sealer!.seal(concatBytes(content, Uint8Array.of(type)));
  }

  /**
   * Opens a protected record. A client leaves its early keys for the handshake keys after
   * EndOfEarlyData, or without it when the server did not take the 0-RTT data (or asked for a
   * second ClientHello): a record the early keys cannot open is tried under the handshake keys.
   */
  private unprotect(wire: Uint8Array): { type: number; content: Uint8Array } {
    if (this.epoch !== 'early') return this.opener!.unprotect(wire.subarray(0, 5), wire.subarray(5));
    try {
      return this.opener!.unprotect(wire.subarray(0, 5), wire.subarray(5));
    } catch {
      this.enter('handshake');
      return this.opener!.unprotect(wire.subarray(0, 5), wire.subarray(5));
    }
  }

  /** The early keys' suite is the ticket's, which no message names: the one whose keys open `wire`. */
  private enterEarly(secret: Uint8Array, wire: Uint8Array): void {
    const hash = secret.length === 48 ? 'sha384' : 'sha256';
    for (const suite of cipherSuiteParams.values()) {
      if (suite.hash !== hash || !this.mitm.provider.cipherSuites.includes(suite.suite)) continue;
      const { key, iv } = trafficKeys(this.mitm.provider, suite, secret);
      try {
        new RecordProtector(this.mitm.provider.aead(suite.aead, key), iv).unprotect(wire.subarray(0, 5), wire.subarray(5));
      } catch {
        continue;
      }
      this.epoch = 'early';
      this.rekey(secret, suite);
      return;
    }
    throw new Error('mitm: a 0-RTT record that no suite opens under CLIENT_EARLY_TRAFFIC_SECRET');
  }

  /** Reads the sender's handshake stream (as sent) for the messages that change its keys. */
  private follow(content: Uint8Array): void {
    this.handshakeBytes = concatBytes(this.handshakeBytes, content);
    for (;;) {
      if (this.handshakeBytes.length < 4) return;
      const length = (this.handshakeBytes[1]! << 16) | (this.handshakeBytes[2]! << 8) | this.handshakeBytes[3]!;
      if (this.handshakeBytes.length < 4 + length) return;
      const raw = this.handshakeBytes.slice(0, 4 + length);
      this.handshakeBytes = this.handshakeBytes.subarray(4 + length);
      const type = raw[0]!;
      this.messages.push(type);
      if (type === HandshakeType.server_hello) {
        const hello = decodeHandshake(type, raw.subarray(4));
        if (hello.type === HandshakeType.server_hello && !isHelloRetryRequest(hello)) this.mitm.suite = cipherSuiteParams.get(hello.cipherSuite);
      } else if (type === HandshakeType.end_of_early_data && this.epoch === 'early') {
        this.switchAfterRecord = () => this.enter('handshake');
      } else if (type === HandshakeType.finished && this.epoch === 'handshake') {
        this.switchAfterRecord = () => this.enter('application');
      } else if (type === HandshakeType.key_update && this.epoch === 'application') {
        this.switchAfterRecord = () => this.rekey(nextTrafficSecret(this.mitm.provider, this.mitm.suite!.hash, this.secret!));
      }
    }
  }

  private enter(epoch: 'handshake' | 'application'): void {
    const name = SECRET_NAMES[this.side][epoch];
    const secret = this.mitm.secretsOf(this.side).get(name);
    if (!secret || !this.mitm.suite) throw new Error(`mitm: ${this.side} sent ${epoch} records before ${name} was observed`);
    this.epoch = epoch;
    this.rekey(secret);
  }

  private rekey(secret: Uint8Array, suite: CipherSuiteParams = this.mitm.suite!): void {
    this.secret = secret;
    const { key, iv } = trafficKeys(this.mitm.provider, suite, secret);
    this.opener = new RecordProtector(this.mitm.provider.aead(suite.aead, key), iv);
    this.sealer = new Sealer(this.mitm.provider, suite, secret);
  }
}

export class Mitm {
  /** Each side's secrets as it derived them: a damaged hello can make the two disagree. */
  private readonly secrets: Record<Side, Map<SecretName, Uint8Array>> = { client: new Map(), server: new Map() };
  suite: CipherSuiteParams | undefined;
  private readonly edits: RecordEdit[] = [];
  private readonly lanes: Record<Side, Lane>;

  constructor(readonly provider: CryptoProvider) {
    this.lanes = { client: new Lane('client', this), server: new Lane('server', this) };
  }

  /** For `side`'s config's `onSecret` (a copy is kept: the engine zeroizes secrets it is done with). */
  observeFrom(side: Side): (name: SecretName, secret: Uint8Array) => void {
    return (name, secret) => void this.secrets[side].set(name, secret.slice());
  }

  /** The secrets `side` derived: what its records are protected with. */
  secretsOf(side: Side): ReadonlyMap<SecretName, Uint8Array> {
    return this.secrets[side];
  }

  /** For the pipe's `tamper` hook. */
  readonly tamper = (from: Side, bytes: Uint8Array): Uint8Array | undefined => {
    const out = this.lanes[from].process(bytes);
    return out.length > 0 ? out : undefined;
  };

  /** Adds an edit; the first edit that returns a replacement for a record wins. */
  use(...edits: RecordEdit[]): this {
    this.edits.push(...edits);
    return this;
  }

  edit(record: TappedRecord): Outgoing[] | undefined {
    for (const edit of this.edits) {
      const replacement = edit(record);
      if (replacement !== undefined) return replacement;
    }
    return undefined;
  }

  /** Alert descriptions `side` sent, as the wire carried them (decrypted). */
  alertsFrom(side: Side): number[] {
    return this.lanes[side].alerts;
  }

  /** Handshake message types `side` sent. */
  messagesFrom(side: Side): number[] {
    return this.lanes[side].messages;
  }

  /** The real content types of the records `side` sent. */
  recordsFrom(side: Side): number[] {
    return this.lanes[side].records;
  }
}

// ---- building edits --------------------------------------------------------------------

export function plaintextRecord(type: number, content: Uint8Array, version = 0x0303): Uint8Array {
  return concatBytes(Uint8Array.of(type, version >>> 8, version & 0xff, content.length >>> 8, content.length & 0xff), content);
}

/** Splits a handshake record's content into whole messages (header included). */
export function splitMessages(content: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < content.length) {
    const length = (content[at + 1]! << 16) | (content[at + 2]! << 8) | content[at + 3]!;
    if (at + 4 + length > content.length) throw new Error('mitm: a handshake message spans records; edit it with onRecord');
    out.push(content.slice(at, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

/** A handshake message with a new body and a header that says so. */
export function withBody(type: number, body: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(type, body.length >>> 16, (body.length >>> 8) & 0xff, body.length & 0xff), body);
}

type MessageOf<T extends HandshakeMessage['type']> = Extract<HandshakeMessage, { type: T }>;

/**
 * Rewrites handshake messages of `type` sent by `from`: `replace` gets the message's wire bytes
 * and returns the messages to send instead (none drops it), or undefined to keep it. The other
 * messages of the record stay in place.
 */
export function onMessage(from: Side, type: number, replace: (raw: Uint8Array) => Uint8Array[] | undefined): RecordEdit {
  return (record) => {
    if (record.from !== from || record.type !== ContentType.handshake) return undefined;
    let changed = false;
    const messages = splitMessages(record.content).flatMap((raw) => {
      if (raw[0] !== type) return [raw];
      const replacement = replace(raw);
      if (replacement === undefined) return [raw];
      changed = true;
      return replacement;
    });
    if (!changed) return undefined;
    return messages.length === 0 ? [] : [{ type: ContentType.handshake, content: concatBytes(...messages) }];
  };
}

/**
 * Decodes each message of `type` from `from`, lets `mutate` change it in place, and re-encodes
 * it. `mutate` returning false leaves that message alone.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: edits are arrow functions that return nothing, or false to leave the message alone
export function mutate<T extends HandshakeMessage['type']>(from: Side, type: T, mutate: (message: MessageOf<T>) => void | boolean): RecordEdit {
  return onMessage(from, type, (raw) => {
    const message = decodeHandshake(type, raw.subarray(4).slice()) as MessageOf<T>;
    if (mutate(message) === false) return undefined;
    return [encodeHandshake(message)];
  });
}

/** Acts on whole records from `from` whose (real) content type is `type`. */
export function onRecord(from: Side, type: number, replace: (record: TappedRecord) => Outgoing[] | undefined): RecordEdit {
  return (record) => (record.from === from && record.type === type ? replace(record) : undefined);
}

/** Applies `edit` to the `n`th (0-based) record it would change, leaving the others alone. */
export function only(n: number, edit: RecordEdit): RecordEdit {
  let seen = 0;
  return (record) => {
    const result = edit(record);
    if (result === undefined) return undefined;
    return seen++ === n ? result : undefined;
  };
}
