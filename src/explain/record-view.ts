import type { CipherSuiteParams, CryptoProvider } from '../crypto/provider.js';
import type { TraceEvent } from '../handshake-context.js';
import { ContentType, HandshakeType, alertName, contentTypeName } from '../registry.js';
import { bytesEqual, concatBytes, fromUtf8 } from '../wire/bytes.js';
import { type MessageStart, annotateAlert, annotatePlaintext, recordHeader } from './annotate.js';
import type { HandshakeStream } from './handshake-stream.js';
import { type Region, Walker } from './regions.js';
import { type Protection, type RecordView, type StepId, secretValue } from './view.js';

/**
 * One record of the explanation, byte by byte: its header and fragment as on the wire, and for
 * a protected record the key, IV and nonce that opened it, a second decryption with them (a
 * check of what the engine reported), and the TLSInnerPlaintext inside (RFC 8446 §5.2).
 */

type RecordEvent = Extract<TraceEvent, { kind: 'record' }>;

/** One direction's handshake stream, and the step of the message it is inside. */
export interface Stream {
  readonly handshake: HandshakeStream;
  step?: StepId;
}

/** One direction's traffic keys, and the secret they came from. */
export interface KeyState {
  secretName: string;
  key?: Uint8Array;
  iv?: Uint8Array;
}

/** What a record's view needs of the connection around it. */
export interface RecordContext {
  readonly role: 'client' | 'server';
  readonly from: 'client' | 'server';
  readonly provider: CryptoProvider;
  readonly suite: CipherSuiteParams | undefined;
  /** The step the explanation has reached: where a record with nothing else to go by belongs. */
  readonly cursor: StepId;
  /** Its index among the connection's records. */
  readonly index: number;
}

/** What the record's bytes came to: the wire regions, the content type, and for a protected record how it opened. */
interface Opened {
  readonly wire: Region[];
  readonly contentType: number;
  readonly protection?: Protection;
  readonly note?: string;
}

/** The view of one record, the step it belongs to, and how many Finished messages begin in it. */
export function recordView(
  event: RecordEvent,
  keys: KeyState | undefined,
  stream: Stream,
  handshakeDone: boolean,
  context: RecordContext,
): { view: RecordView; step: StepId; finished: number } {
  const messages: MessageStart[] = [];
  const continued = stream.handshake.pending;
  const opened = event.sequence === undefined ? plaintextRecord(event.bytes, stream, messages) : protectedRecord(event, keys, stream, messages, context);
  const step = recordStep(messages, continued, stream, handshakeDone, opened.contentType, keys, event.inner !== undefined, context.cursor);
  if (stream.handshake.pending) stream.step = step;
  let finished = 0;
  for (const m of messages) if (m.type === HandshakeType.finished) finished++;
  const view: RecordView = {
    index: context.index,
    from: context.from,
    title: recordTitle(event, keys, opened.contentType, messages),
    wire: opened.wire,
    length: event.bytes.length,
    ...(opened.protection ? { protection: opened.protection } : {}),
    ...(opened.note ? { note: opened.note } : {}),
  };
  return { view, step, finished };
}

/** A record in the clear: header, then its content annotated (handshake messages via the stream). */
function plaintextRecord(bytes: Uint8Array, stream: Stream, messages: MessageStart[]): Opened {
  const contentType = bytes[0] ?? 0;
  const wire = new Walker(bytes).all((w) => {
    const header = recordHeader(w, false);
    const fragment = w.sub(Math.min(w.left, bytes.length - 5));
    return [
      header,
      {
        label: 'fragment',
        meaning: `${contentTypeName(contentType)} content, in the clear`,
        rfc: '§5.1',
        children: fragment.all((f) => annotatePlaintext(contentType, f.takeAll(), (content) => stream.handshake.next(content, messages))),
      },
    ];
  });
  return { wire, contentType };
}

/** A protected record: the ciphertext as on the wire, opened again with the keys shown, and what was inside. */
function protectedRecord(event: RecordEvent, keys: KeyState | undefined, stream: Stream, messages: MessageStart[], context: RecordContext): Opened {
  const bytes = event.bytes;
  const aead = context.suite && keys?.key ? context.provider.aead(context.suite.aead, keys.key) : undefined;
  const wire = encryptedWire(bytes, aead?.tagLength ?? 16);
  const sequence = event.sequence!;
  const nonce = keys?.iv ? nonceFor(keys.iv, sequence) : undefined;
  let plaintext: Uint8Array | undefined;
  if (aead && nonce && bytes.length >= 5) {
    plaintext = aead.open(nonce, bytes.subarray(0, 5), bytes.subarray(5));
    aead.dispose();
  }
  let contentType = bytes[0] ?? 0;
  let inner: InnerView | undefined;
  let note: string | undefined;
  if (event.inner) {
    contentType = event.inner.type;
    inner = innerPlaintext(event.inner, plaintext, stream, messages);
  } else {
    note =
      keys?.secretName.includes('handshake') && context.role === 'server'
        ? 'did not open with the handshake keys: 0-RTT data the server rejected, skipped unread (RFC 8446 §4.2.10)'
        : 'did not open (authentication failed)';
  }
  const protection: Protection = {
    secretName: keys?.secretName ?? 'unknown keys',
    sequence,
    ...(keys?.key ? { key: secretValue(keys.key) } : {}),
    ...(keys?.iv ? { iv: secretValue(keys.iv) } : {}),
    ...(nonce ? { nonce: secretValue(nonce) } : {}),
    ...(event.inner !== undefined ? { innerType: event.inner.type } : {}),
    ...(inner?.paddingLength !== undefined ? { paddingLength: inner.paddingLength } : {}),
    ...(inner?.rechecked !== undefined ? { rechecked: inner.rechecked } : {}),
    plain: inner?.plain ?? [],
  };
  return { wire, contentType, protection, ...(note ? { note } : {}) };
}

/** The protected record's bytes: header, then encrypted TLSInnerPlaintext and tag. */
function encryptedWire(bytes: Uint8Array, tagLength: number): Region[] {
  return new Walker(bytes).all((w) => {
    const header = recordHeader(w, true);
    const body = w.sub(w.left);
    const children = body.all((b) => {
      const out: Region[] = [];
      if (b.left > tagLength) out.push(b.take(b.left - tagLength, 'encrypted TLSInnerPlaintext', 'content, content type and padding, encrypted', '§5.2'));
      out.push(b.rest('authentication tag', `${tagLength} bytes: proves the record was not altered`, '§5.2'));
      return out;
    });
    return [
      header,
      { label: 'encrypted_record', meaning: `${bytes.length - 5} bytes: AEAD-Encrypt(key, nonce, additional_data = header, TLSInnerPlaintext)`, rfc: '§5.2', children },
    ];
  });
}

interface InnerView {
  readonly plain: Region[];
  readonly paddingLength?: number | undefined;
  readonly rechecked?: boolean | undefined;
}

/**
 * TLSInnerPlaintext (§5.2): the content the engine reported, its real content type, and the
 * padding our own decryption found; `rechecked` says whether that decryption agrees.
 */
function innerPlaintext(reported: { type: number; content: Uint8Array }, plaintext: Uint8Array | undefined, stream: Stream, messages: MessageStart[]): InnerView {
  const { type, content } = reported;
  let rechecked: boolean | undefined;
  let paddingLength: number | undefined;
  if (plaintext) {
    rechecked =
      plaintext.length > content.length &&
      bytesEqual(plaintext.subarray(0, content.length), content) &&
      plaintext[content.length] === type &&
      plaintext.subarray(content.length + 1).every((x) => x === 0);
    paddingLength = rechecked ? plaintext.length - content.length - 1 : undefined;
  }
  const inner = concatBytes(content, new Uint8Array([type]), new Uint8Array(paddingLength ?? 0));
  const plain = new Walker(inner).all((p) => {
    const c = p.sub(content.length);
    const out: Region[] = [
      {
        label: 'content',
        meaning: `${contentTypeName(type)}, ${content.length} bytes`,
        rfc: '§5.2',
        children: c.all((cw) => {
          const data = cw.peek(cw.left);
          if (type === ContentType.handshake) return stream.handshake.next(cw.takeAll(), messages);
          if (type === ContentType.alert) return annotateAlert(cw.takeAll());
          return data.length ? [cw.rest('application data', `${data.length} bytes${printable(data)}`, '§5.2', true)] : [];
        }),
      },
      p.number(1, 'ContentType type', (v) => `${contentTypeName(v)} (${v}): the real content type`, '§5.2'),
    ];
    if (p.left > 0) out.push(p.rest('zeros', `${p.left} bytes of padding`, '§5.4'));
    return out;
  });
  return { plain, paddingLength, rechecked };
}

/** Which of the five steps a record belongs to, by the first message that begins in it. */
function recordStep(
  messages: readonly MessageStart[],
  continued: boolean,
  stream: Stream,
  handshakeDone: boolean,
  contentType: number,
  keys: KeyState | undefined,
  opened: boolean,
  cursor: StepId,
): StepId {
  const first = messages[0]?.type;
  if (first === undefined && continued && stream.step) return stream.step;
  if (first === HandshakeType.client_hello || first === HandshakeType.server_hello) return 'hello';
  if (first === HandshakeType.new_session_ticket || first === HandshakeType.key_update || (first !== undefined && handshakeDone)) return 'after';
  if (
    first === HandshakeType.encrypted_extensions ||
    first === HandshakeType.certificate ||
    first === HandshakeType.certificate_request ||
    first === HandshakeType.certificate_verify
  ) {
    return 'certificate';
  }
  if (first === HandshakeType.finished || first === HandshakeType.end_of_early_data) return 'finished';
  if (contentType === ContentType.application_data && keys?.secretName.includes('early')) return 'hello';
  if (contentType === ContentType.application_data && opened) return 'after';
  return handshakeDone ? 'after' : cursor;
}

function recordTitle(event: RecordEvent, keys: KeyState | undefined, contentType: number, messages: readonly MessageStart[]): string {
  const names = messages.map((m) => m.name);
  if (event.sequence !== undefined && !event.inner) return 'protected record that did not open';
  if (contentType === ContentType.handshake) return names.length ? names.join(' + ') : 'handshake (continued)';
  if (contentType === ContentType.alert) {
    const content = event.inner?.content ?? event.bytes.subarray(5);
    return `alert: ${alertName(content[1] ?? 0)}`;
  }
  if (contentType === ContentType.change_cipher_spec) return 'change_cipher_spec (compatibility)';
  return `application data${keys?.secretName.includes('early') ? ' (0-RTT)' : ''}`;
}

/** RFC 8446 §5.3: the 64-bit sequence number, left-padded to the IV's length, XOR the IV. */
function nonceFor(iv: Uint8Array, sequence: number): Uint8Array {
  const nonce = iv.slice();
  let n = BigInt(sequence);
  for (let i = nonce.length - 1; i >= nonce.length - 8; i--) {
    nonce[i]! ^= Number(n & 0xffn);
    n >>= 8n;
  }
  return nonce;
}

function printable(data: Uint8Array): string {
  const text = fromUtf8(data.subarray(0, 64));
  if (text === undefined || !/^[\x20-\x7e\r\n\t]*$/.test(text)) return '';
  return `: ${JSON.stringify(text)}${data.length > 64 ? '…' : ''}`;
}
