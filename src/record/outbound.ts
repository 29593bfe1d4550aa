import { encodeHandshake } from '../messages/handshake.js';
import type { KeyUpdate } from '../messages/types.js';
import { AlertDescription, AlertLevel, ContentType, HandshakeType, KeyUpdateRequest, ProtocolVersion } from '../registry.js';
import { concatBytes } from '../wire/bytes.js';
import { MAX_PLAINTEXT_LENGTH, maxFragmentForRecordSizeLimit } from './framing.js';
import type { RecordProtector } from './protection.js';
import type { RecordTracer } from './trace.js';
import { type LegacyRecordVersion, alertMessage, changeCipherSpecRecord, plaintextRecords, protectedRecord } from './writer.js';

/**
 * The sending half of the record layer: handshake messages are queued so that a flight shares
 * records (RFC 8448 shows this), data is cut to the peer's record_size_limit, every record is
 * built by writer.ts, and nothing leaves after our close_notify. It also sends KeyUpdate, by
 * request or when the key reaches its usage limit (RFC 8446 §5.5).
 */

/** Where records go, and where our next application traffic key comes from. */
export interface OutboundHost extends RecordTracer {
  /** Bytes for the transport, in order. */
  send(record: Uint8Array): void;
  /** Our next application traffic key (RFC 8446 §7.2), for after the KeyUpdate just sent. */
  nextKey(): RecordProtector;
}

export class OutboundRecords {
  private protector: RecordProtector | undefined;
  /** Handshake bytes waiting to be framed. */
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  private maxFragment = MAX_PLAINTEXT_LENGTH;
  /**
   * RFC 8446 §5.1: the record carrying the first ClientHello may say 0x0301 for old
   * middleboxes; every other plaintext handshake record says 0x0303.
   */
  private plaintextVersion: LegacyRecordVersion;
  /** We sent close_notify: nothing more goes out (RFC 8446 §6.1). */
  private closeNotifySent = false;
  /** A KeyUpdate we sent asked the peer to update and it has not yet: do not answer its request twice. */
  private peerUpdateRequested = false;

  constructor(
    role: 'client' | 'server',
    private readonly host: OutboundHost,
  ) {
    this.plaintextVersion = role === 'client' ? ProtocolVersion.TLS1_0 : ProtocolVersion.TLS1_2;
  }

  get closed(): boolean {
    return this.closeNotifySent;
  }

  /** Queues an encoded handshake message; it goes out with the next flush. */
  queueHandshake(raw: Uint8Array): void {
    this.pending.push(raw);
    this.pendingLength += raw.length;
  }

  /** Sends the queued handshake messages, sharing records, under the current key. */
  flush(): void {
    if (this.pendingLength === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : concatBytes(...this.pending);
    this.pending = [];
    this.pendingLength = 0;
    // RFC 8446 §6.1: nothing follows our close_notify. What was queued since, such as the
    // tickets of a server closed on 'handshake', is dropped.
    if (this.closeNotifySent) return;
    if (this.protector) this.sendProtected(ContentType.handshake, data);
    else for (const record of plaintextRecords(ContentType.handshake, data, MAX_PLAINTEXT_LENGTH, this.plaintextVersion)) this.sendPlaintext(record);
  }

  /** The first flight is out: later plaintext handshake records say 0x0303 (RFC 8446 §5.1). */
  firstFlightSent(): void {
    this.plaintextVersion = ProtocolVersion.TLS1_2;
  }

  /** Application data (0-RTT included) under the current key; none after close_notify. */
  sendData(data: Uint8Array): void {
    if (this.closeNotifySent) return;
    this.sendProtected(ContentType.application_data, data);
  }

  /** The middlebox-compatibility change_cipher_spec (RFC 8446 Appendix D.4), after the queued messages. */
  sendChangeCipherSpec(): void {
    this.flush();
    this.sendPlaintext(changeCipherSpecRecord());
  }

  /** An alert after the queued messages: under the current key, or in the clear before keys. */
  sendAlert(description: AlertDescription): void {
    this.flush();
    const warning = description === AlertDescription.close_notify || description === AlertDescription.user_canceled;
    const body = alertMessage(warning ? AlertLevel.warning : AlertLevel.fatal, description);
    if (this.protector) this.sendRecord(ContentType.alert, body);
    else for (const record of plaintextRecords(ContentType.alert, body)) this.sendPlaintext(record);
  }

  /**
   * Sends close_notify; from here on nothing is sent (RFC 8446 §6.1): not the handshake
   * messages still queued, not a change_cipher_spec or Finished of a handshake that completes
   * later, not data written before the handshake and held until then.
   */
  close(): void {
    this.pending = [];
    this.pendingLength = 0;
    this.sendAlert(AlertDescription.close_notify);
    this.closeNotifySent = true;
  }

  /** Our records go under new keys from the next one on (queued messages go first). */
  installKeys(protector: RecordProtector): void {
    this.flush();
    this.protector?.dispose();
    this.protector = protector;
  }

  /** Back to unprotected writing: a second ClientHello after 0-RTT goes in the clear. */
  clearKeys(): void {
    this.flush();
    this.protector?.dispose();
    this.protector = undefined;
  }

  /** RFC 8449 §4: the peer's record_size_limit counts the content type byte. */
  limitRecordSize(peerLimit: number): void {
    this.maxFragment = maxFragmentForRecordSizeLimit(peerLimit);
  }

  /** Sends KeyUpdate under the current key, then moves to our next key (RFC 8446 §4.6.3). */
  sendKeyUpdate(requestPeerUpdate: boolean): void {
    const requestUpdate = requestPeerUpdate ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested;
    const message: KeyUpdate = { type: HandshakeType.key_update, requestUpdate };
    const raw = encodeHandshake(message);
    // Not sent through a handshake state, so traced here: --trace shows both sides' updates.
    if (this.host.tracing) this.host.trace({ kind: 'message', direction: 'sent', message, raw });
    this.queueHandshake(raw);
    // Out under the old key before the next one is derived (a trace reader sees that order).
    this.flush();
    this.installKeys(this.host.nextKey());
    if (requestPeerUpdate) this.peerUpdateRequested = true;
  }

  /** The peer moved to its next key: RFC 8446 §4.6.3, answer its request unless it answers ours. */
  peerUpdated(updateRequested: boolean): void {
    if (this.peerUpdateRequested) this.peerUpdateRequested = false;
    else if (updateRequested && !this.closeNotifySent) this.sendKeyUpdate(false);
  }

  /** The connection failed (its alert, if any, was sent): queued messages and the key go. */
  dispose(): void {
    this.pending = [];
    this.pendingLength = 0;
    this.protector?.dispose();
  }

  private sendProtected(type: number, data: Uint8Array): void {
    let offset = 0;
    do {
      const fragment = data.subarray(offset, offset + this.maxFragment);
      // RFC 8446 §5.5: past the key's usage limit, a new key before the next record. Only
      // application traffic keys arm the limit, and the KeyUpdate itself (a handshake record)
      // still goes under the old key, as §4.6.3 requires.
      if (type === ContentType.application_data && this.protector!.keyUpdateDue) this.sendKeyUpdate(false);
      this.sendRecord(type, fragment);
      offset += fragment.length;
    } while (offset < data.length);
  }

  /** Protects one record and sends it; the trace sees it first, while its buffer is ours. */
  private sendRecord(type: number, content: Uint8Array): void {
    if (this.closeNotifySent) return;
    const protector = this.protector!;
    if (!this.host.tracing) {
      this.host.send(protectedRecord(protector, type, content, this.maxFragment));
      return;
    }
    const sequence = protector.recordsProtected;
    const record = protectedRecord(protector, type, content, this.maxFragment);
    this.host.trace({ kind: 'record', direction: 'sent', bytes: record, sequence, inner: { type, content } });
    this.host.send(record);
  }

  /** Sends an unprotected record (hellos, change_cipher_spec, alerts before keys). */
  private sendPlaintext(record: Uint8Array): void {
    if (this.closeNotifySent) return;
    if (this.host.tracing) this.host.trace({ kind: 'record', direction: 'sent', bytes: record });
    this.host.send(record);
  }
}
