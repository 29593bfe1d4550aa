import { describe, expect, it } from 'vitest';
import { type MessageStart, annotateMessages } from '../../src/explain/annotate.js';
import { HandshakeStream } from '../../src/explain/handshake-stream.js';
import type { Region } from '../../src/explain/regions.js';
import { leaves } from '../helpers/regions.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ExtensionType, HandshakeType } from '../../src/registry.js';
import { bytesToHex, concatBytes, utf8 } from '../../src/wire/bytes.js';
import { serverChain } from '../helpers/fixtures.js';

/**
 * A direction's handshake messages walked whole and cut at record boundaries, whatever the
 * boundaries: every record gets exactly its bytes, every field keeps its name (its later parts
 * "(continued)"), and a stream that stops inside a message is shown as far as it goes.
 */

const alpn = concatBytes(new Uint8Array([0, 6, 5]), utf8('hello'));
const stream = concatBytes(
  encodeHandshake({
    type: HandshakeType.encrypted_extensions,
    extensions: [
      { type: ExtensionType.server_name, data: new Uint8Array(0) },
      { type: ExtensionType.application_layer_protocol_negotiation, data: alpn },
    ],
  }),
  encodeHandshake({ type: HandshakeType.certificate, context: new Uint8Array(0), entries: [{ data: serverChain('ed25519')[0]!, extensions: [] }] }),
  encodeHandshake({ type: HandshakeType.finished, verifyData: new Uint8Array(32).fill(7) }),
);
const whole = annotateMessages(stream);

/** The stream's leaves as shown record by record, each field's parts joined again. */
function shownThrough(pieces: Uint8Array[]): { leaves: { label: string; hex: string }[]; starts: MessageStart[] } {
  const handshake = new HandshakeStream(pieces);
  const out: { label: string; hex: string }[] = [];
  const starts: MessageStart[] = [];
  for (const piece of pieces) {
    const regions: Region[] = handshake.next(piece, starts);
    const shown = leaves(regions);
    expect(shown.map((l) => bytesToHex(l.bytes!)).join('')).toBe(bytesToHex(piece));
    shown.forEach((leaf, i) => {
      const label = leaf.label.replace(/ \(continued\)$/, '');
      if (leaf.label !== label) {
        // Only the first leaf of a record can continue one from the record before.
        expect(i).toBe(0);
        expect(out.at(-1)!.label).toBe(label);
        out.at(-1)!.hex += bytesToHex(leaf.bytes!);
      } else out.push({ label, hex: bytesToHex(leaf.bytes!) });
    });
  }
  return { leaves: out, starts };
}

function cutAt(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const bounds = [0, ...points, bytes.length];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end));
}

describe('HandshakeStream', () => {
  const expected = leaves(whole.regions).map((l) => ({ label: l.label, hex: bytesToHex(l.bytes!) }));

  it('walks the messages whole: every field of the three messages, named', () => {
    expect(whole.messages.map((m) => m.name)).toEqual(['EncryptedExtensions', 'Certificate', 'Finished']);
    const labels = expected.map((l) => l.label);
    expect(labels).toEqual(expect.arrayContaining(['ExtensionType', 'ProtocolName length', 'name', 'cert_data length', 'DER certificate', 'verify_data']));
    expect(labels.some((l) => l.startsWith('undecoded') || l === 'trailing bytes')).toBe(false);
  });

  it('cut anywhere in two, or into single bytes: each record has exactly its bytes, the fields join back to the whole walk', () => {
    for (let at = 0; at <= stream.length; at++) {
      const { leaves: shown, starts } = shownThrough(cutAt(stream, [at]));
      expect(shown, `cut at ${at}`).toEqual(expected);
      expect(starts).toEqual(whole.messages);
    }
    const bytewise = shownThrough(
      cutAt(
        stream,
        Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
      ),
    );
    expect(bytewise.leaves).toEqual(expected);
  });

  it('a record that ends inside a header or a field says where it goes on; the next shows the rest as continued', () => {
    // The Certificate's header cut after its type byte, inside its 3-byte length.
    const certificate = whole.messages[1]!.offset;
    const handshake = new HandshakeStream(cutAt(stream, [certificate + 2]));
    const starts: MessageStart[] = [];
    const first = handshake.next(stream.subarray(0, certificate + 2), starts);
    expect(handshake.pending).toBe(true);
    expect(starts.map((s) => s.name)).toEqual(['EncryptedExtensions', 'Certificate']);
    const cut = first.at(-1)!;
    expect(cut.label).toBe('Certificate');
    expect(cut.meaning).toMatch(/bytes 1\.\.2 of its \d+, continues in the next record$/);
    const rest = handshake.next(stream.subarray(certificate + 2), starts);
    expect(starts).toHaveLength(3);
    expect(rest[0]!.label).toBe('Certificate (continued)');
    expect(rest[0]!.children![0]!.label).toBe('handshake header (continued)');
    expect(rest[0]!.children![0]!.children![0]).toMatchObject({ label: 'length (continued)', meaning: expect.stringMatching(/bytes 2\.\.3 of its 3$/) });
    expect(handshake.pending).toBe(false);
  });

  it('a stream that stops inside a message: shown as far as it goes, labelled incomplete, nothing lost', () => {
    const truncated = stream.subarray(0, whole.messages[1]!.offset + 40);
    const { leaves: shown } = shownThrough(cutAt(truncated, [10, 30]));
    expect(shown.map((l) => l.hex).join('')).toBe(bytesToHex(truncated));
    const walk = annotateMessages(truncated);
    expect(walk.regions.at(-1)).toMatchObject({ label: 'Certificate', meaning: expect.stringMatching(/^incomplete: only 36 of its \d+-byte body was recorded$/) });
    expect(leaves(walk.regions).some((l) => /truncated/.test(l.label))).toBe(true);
    // Three bytes of a header: too few to read its length.
    const header = annotateMessages(stream.subarray(0, 3));
    expect(header.messages).toEqual([]);
    expect(header.regions).toMatchObject([{ label: 'handshake header (incomplete)', meaning: '3 of its 4 bytes were recorded' }]);
  });

  it('an empty field at a record boundary is shown once, in its message', () => {
    // Finished with an empty verify_data (malformed, but shown as it came), then another message.
    const finished = encodeHandshake({ type: HandshakeType.finished, verifyData: new Uint8Array(0) });
    const bytes = concatBytes(finished, stream);
    const walk = annotateMessages(bytes);
    expect(leaves(walk.regions.slice(0, 1)).map((l) => l.label)).toEqual(['HandshakeType msg_type', 'length', 'verify_data']);
    for (const at of [2, 4]) {
      const handshake = new HandshakeStream(cutAt(bytes, [at]));
      const first = handshake.next(bytes.subarray(0, at), []);
      const second = handshake.next(bytes.subarray(at), []);
      const where = (regions: Region[]): string[] =>
        leaves(regions)
          .filter((l) => l.label.startsWith('verify_data') && l.bytes!.length === 0)
          .map((l) => l.label);
      // With its message's last byte, and under its message.
      expect([where(first), where(second)], `cut at ${at}`).toEqual(at === 4 ? [['verify_data'], []] : [[], ['verify_data']]);
      const holder = at === 4 ? first[0]! : second[0]!;
      expect(holder.label).toBe(at === 4 ? 'Finished' : 'Finished (continued)');
      expect(leaves([holder]).at(-1)!.label).toBe('verify_data');
    }
  });

  it('records must come in the order the stream was built from', () => {
    const handshake = new HandshakeStream(cutAt(stream, [10]));
    expect(() => handshake.next(stream.subarray(10), [])).toThrow(/out of step/);
  });
});
