import { describe, expect, it } from 'vitest';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ContentType, HandshakeType } from '../../src/registry.js';
import { concatBytes } from '../../src/wire/bytes.js';
import { type Outgoing, type RecordEdit, type TappedRecord, onMessage, onRecord, withBody } from '../helpers/mitm.js';
import { afterHandshake, expectAbort, scenario } from '../helpers/negative.js';

/**
 * Messages out of order (RFC 8446 §4: "receiving a message out of order ... MUST abort with an
 * unexpected_message alert"), handshake messages where none may be, and data before its time
 * (§5.1). Every case is unexpected_message; the tests differ in who detects it and where.
 */

const encryptedExtensions = () => encodeHandshake({ type: HandshakeType.encrypted_extensions, extensions: [] });
const keyUpdate = () => encodeHandshake({ type: HandshakeType.key_update, requestUpdate: 0 });
const newSessionTicket = () =>
  encodeHandshake({ type: HandshakeType.new_session_ticket, lifetime: 60, ageAdd: 0, nonce: new Uint8Array(0), ticket: Uint8Array.of(1), extensions: [] });
const applicationData = (text: string): Outgoing => ({ type: ContentType.application_data, content: new TextEncoder().encode(text) });
const unchanged = (record: TappedRecord): Outgoing => ({ type: record.type, content: record.content });

/** Drops every message of `type` sent by `from`. */
const drop = (from: 'client' | 'server', type: number) => onMessage(from, type, () => []);

/** Puts `extra` right after each message of `type` from `from`, in the same record. */
const after = (from: 'client' | 'server', type: number, extra: () => Uint8Array) => onMessage(from, type, (raw) => [raw, extra()]);

/** Replaces each message of `type` from `from` with `replacement`. */
const replace = (from: 'client' | 'server', type: number, replacement: () => Uint8Array) => onMessage(from, type, () => [replacement()]);

/** Sends `first` in a record of its own, under the same keys, before the sender's first protected handshake record. */
const beforeProtectedHandshake = (from: 'client' | 'server', first: Outgoing): RecordEdit => {
  let done = false;
  return onRecord(from, ContentType.handshake, (record) => {
    if (done || record.epoch !== 'handshake') return undefined;
    done = true;
    return [first, unchanged(record)];
  });
};

/** Replaces the sender's next application data record with a handshake message. */
const nextRecordIs = (from: 'client' | 'server', message: () => Uint8Array) =>
  onRecord(from, ContentType.application_data, () => [{ type: ContentType.handshake, content: message() }]);

/** Remembers the client's first ClientHello so a test can send it again. */
function rememberClientHello(): { edit: RecordEdit; hello: () => Uint8Array } {
  let hello: Uint8Array | undefined;
  return {
    edit: onMessage('client', HandshakeType.client_hello, (raw) => {
      hello ??= raw;
      return undefined;
    }),
    hello: () => hello!,
  };
}

describe('the client receives', { timeout: 15_000 }, () => {
  it('EncryptedExtensions instead of ServerHello → unexpected_message', async () => {
    const s = await scenario({ edits: [replace('server', HandshakeType.server_hello, encryptedExtensions)] });
    expectAbort(s, 'client', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('a ClientHello instead of ServerHello → unexpected_message', async () => {
    const ch = rememberClientHello();
    const s = await scenario({ edits: [ch.edit, replace('server', HandshakeType.server_hello, ch.hello)] });
    expectAbort(s, 'client', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('ServerHello and EncryptedExtensions in one plaintext record (a message spanning the key change, §5.1) → unexpected_message', async () => {
    const s = await scenario({ edits: [after('server', HandshakeType.server_hello, encryptedExtensions)] });
    expectAbort(s, 'client', 'unexpected_message', 'handshake_spans_key_change');
  });

  it('Certificate missing: CertificateVerify right after EncryptedExtensions → unexpected_message', async () => {
    const s = await scenario({ edits: [drop('server', HandshakeType.certificate)] });
    expectAbort(s, 'client', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('Finished instead of CertificateVerify → unexpected_message', async () => {
    const s = await scenario({ edits: [drop('server', HandshakeType.certificate_verify)] });
    expectAbort(s, 'client', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('KeyUpdate before the handshake is over (after EncryptedExtensions) → unexpected_message', async () => {
    const s = await scenario({ edits: [after('server', HandshakeType.encrypted_extensions, keyUpdate)] });
    expectAbort(s, 'client', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('NewSessionTicket before the server Finished → unexpected_message', async () => {
    const s = await scenario({ edits: [after('server', HandshakeType.certificate_verify, newSessionTicket)] });
    expectAbort(s, 'client', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('application data under handshake keys, before the server Finished → unexpected_message', async () => {
    const s = await scenario({ edits: [beforeProtectedHandshake('server', applicationData('too early'))] });
    expectAbort(s, 'client', 'unexpected_message', 'application_data_under_handshake_keys');
  });

  it('a ServerHello after the handshake → unexpected_message', async () => {
    let serverHello: Uint8Array | undefined;
    const s = await scenario({
      edits: [
        onMessage('server', HandshakeType.server_hello, (raw) => {
          serverHello ??= raw;
          return undefined;
        }),
        nextRecordIs('server', () => serverHello!),
      ],
    });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('application data between two fragments of a handshake message (§5.1: no interleaving) → unexpected_message', async () => {
    const ticket = newSessionTicket();
    const s = await scenario({
      edits: [
        onRecord('server', ContentType.application_data, (record) => [
          { type: ContentType.handshake, content: ticket.subarray(0, 6) },
          unchanged(record),
          { type: ContentType.handshake, content: ticket.subarray(6) },
        ]),
      ],
    });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'unexpected_message', 'interleaved_application_data');
    expect(s.ends.client.received, 'the interleaved data is not delivered').toEqual([]);
  });

  it('NewSessionTicket in the same record as the server Finished (spanning the key change) → unexpected_message', async () => {
    const s = await scenario({ edits: [after('server', HandshakeType.finished, newSessionTicket)] });
    expectAbort(s, 'client', 'unexpected_message', 'handshake_spans_key_change');
  });

  it('KeyUpdate followed by another message in the same record (spanning the key change) → unexpected_message', async () => {
    const s = await scenario({ edits: [nextRecordIs('server', () => concatBytes(keyUpdate(), newSessionTicket()))] });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'unexpected_message', 'handshake_spans_key_change');
  });

  it('a handshake message of a type TLS 1.3 does not have (hello_verify_request) → unexpected_message', async () => {
    const s = await scenario({ edits: [nextRecordIs('server', () => withBody(3, Uint8Array.of(3, 3, 0)))] });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'unexpected_message', 'unknown_handshake_type');
  });
});

describe('the server receives', { timeout: 15_000 }, () => {
  it('a second ClientHello without HelloRetryRequest, protected, in place of Finished → unexpected_message', async () => {
    const ch = rememberClientHello();
    const s = await scenario({ edits: [ch.edit, replace('client', HandshakeType.finished, ch.hello)] });
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('a second ClientHello without HelloRetryRequest, in the clear right after the first → unexpected_message', async () => {
    const s = await scenario({
      edits: [
        onRecord('client', ContentType.handshake, (record) =>
          record.epoch === 'plaintext' && record.content[0] === HandshakeType.client_hello ? [unchanged(record), unchanged(record)] : undefined,
        ),
      ],
    });
    expectAbort(s, 'server', 'unexpected_message', 'unprotected_record');
  });

  it('KeyUpdate before the handshake is over (instead of Finished) → unexpected_message', async () => {
    const s = await scenario({ edits: [replace('client', HandshakeType.finished, keyUpdate)] });
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('KeyUpdate in the same record as the client Finished (spanning the key change) → unexpected_message', async () => {
    const s = await scenario({ edits: [after('client', HandshakeType.finished, keyUpdate)] });
    expectAbort(s, 'server', 'unexpected_message', 'handshake_spans_key_change');
  });

  it('EndOfEarlyData although no early data was offered → unexpected_message', async () => {
    const s = await scenario({ edits: [replace('client', HandshakeType.finished, () => encodeHandshake({ type: HandshakeType.end_of_early_data }))] });
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('a client Certificate nobody asked for → unexpected_message', async () => {
    const s = await scenario({
      edits: [replace('client', HandshakeType.finished, () => encodeHandshake({ type: HandshakeType.certificate, context: new Uint8Array(0), entries: [] }))],
    });
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('application data under handshake keys, before the client Finished → unexpected_message', async () => {
    const s = await scenario({ edits: [beforeProtectedHandshake('client', applicationData('too early'))] });
    expectAbort(s, 'server', 'unexpected_message', 'application_data_under_handshake_keys');
  });

  it('a ClientHello after the handshake → unexpected_message', async () => {
    const ch = rememberClientHello();
    const s = await scenario({ edits: [ch.edit, nextRecordIs('client', ch.hello)] });
    await afterHandshake(s, () => s.client.write(Uint8Array.of(1)));
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_handshake_message');
  });

  it('a NewSessionTicket from the client → unexpected_message', async () => {
    const s = await scenario({ edits: [nextRecordIs('client', newSessionTicket)] });
    await afterHandshake(s, () => s.client.write(Uint8Array.of(1)));
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_handshake_message');
  });
});
