import { describe, expect, it } from 'vitest';
import * as ext from '../../src/messages/extensions.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ExtensionType, HandshakeType } from '../../src/registry.js';
import type { ClientHello } from '../../src/messages/types.js';
import { onMessage } from '../helpers/mitm.js';
import { expectAbort, scenario } from '../helpers/negative.js';

/**
 * Size limits a handshake message meets (RFC 8446 §4, §6): each type may be as long as its
 * syntax allows and no longer; a length beyond that cannot decode (decode_error), while a
 * Certificate is bounded by configuration (illegal_parameter above it).
 */

/** Sum of an extension block's bytes, headers included. */
const blockLength = (hello: ClientHello): number => hello.extensions.reduce((n, e) => n + 4 + e.data.length, 0);

/**
 * Grows signature_algorithms with schemes nobody implements (after the real ones) until the
 * extension block is exactly 2^16-1 bytes (or one short: schemes are 2 bytes each).
 */
function fillSignatureAlgorithms(hello: ClientHello): void {
  const entry = hello.extensions.find((e) => e.type === ExtensionType.signature_algorithms)!;
  const real = ext.parseSignatureAlgorithms(entry.data);
  const room = 0xffff - blockLength(hello);
  const extra = Math.floor(room / 2);
  entry.data = ext.buildSignatureAlgorithms([...real, ...Array.from({ length: extra }, (_, i) => 0x1000 + i)]);
}

describe('handshake messages as long as their syntax allows', { timeout: 30_000 }, () => {
  it('server: a ClientHello over 64 KiB (extension block of 2^16-1 bytes) completes', async () => {
    let size = 0;
    const s = await scenario({
      client: {
        customizeClientHello: (hello) => {
          fillSignatureAlgorithms(hello);
          size = encodeHandshake(hello).length;
        },
      },
    });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(s.server.session?.version).toBe('TLSv1.3');
    expect(size).toBeGreaterThan(65_536);
    expect(size).toBeGreaterThanOrEqual(65_609);
  });

  it('server: a ClientHello of about 128 KiB (2^15-1 cipher suites and a full extension block) completes', async () => {
    let size = 0;
    const s = await scenario({
      client: {
        customizeClientHello: (hello) => {
          // Unknown suites after the real ones: cipher_suites<2..2^16-2> is full.
          hello.cipherSuites = [...hello.cipherSuites, ...Array.from({ length: 0x7fff - hello.cipherSuites.length }, (_, i) => 0x2000 + i)];
          fillSignatureAlgorithms(hello);
          size = encodeHandshake(hello).length;
        },
      },
    });
    expect(s.client.error ?? s.server.error).toBeUndefined();
    expect(size).toBeGreaterThan(131_000);
  });
});

describe('over the syntactic maximum → decode_error (§6), on the header', { timeout: 15_000 }, () => {
  // 131,104 = 0x020020: more than any Finished (48 bytes at most) and than the old 64 KiB cap.
  const finishedHeader = Uint8Array.of(HandshakeType.finished, 0x02, 0x00, 0x20);

  it('client: a server Finished declaring 131,104 bytes → decode_error', async () => {
    const s = await scenario({ edits: [onMessage('server', HandshakeType.finished, () => [finishedHeader])] });
    expectAbort(s, 'client', 'decode_error', 'message_too_long');
  });

  it('server: a client Finished declaring 131,104 bytes → decode_error', async () => {
    const s = await scenario({ edits: [onMessage('client', HandshakeType.finished, () => [finishedHeader])] });
    expectAbort(s, 'server', 'decode_error', 'message_too_long');
  });

  it('client: a Finished of 49 bytes (one more than SHA-384 gives) → decode_error', async () => {
    const s = await scenario({ edits: [onMessage('server', HandshakeType.finished, () => [Uint8Array.of(HandshakeType.finished, 0, 0, 49, ...new Uint8Array(49))])] });
    expectAbort(s, 'client', 'decode_error', 'message_too_long');
  });

  it('client: a Finished of 33 bytes under a SHA-256 suite → decode_error (exactly Hash.length)', async () => {
    const s = await scenario({ edits: [onMessage('server', HandshakeType.finished, () => [Uint8Array.of(HandshakeType.finished, 0, 0, 33, ...new Uint8Array(33))])] });
    expectAbort(s, 'client', 'decode_error', 'finished_wrong_length');
  });

  it('client: EncryptedExtensions declaring 2^16 + 2 bytes → decode_error', async () => {
    const s = await scenario({ edits: [onMessage('server', HandshakeType.encrypted_extensions, () => [Uint8Array.of(HandshakeType.encrypted_extensions, 0x01, 0x00, 0x02)])] });
    expectAbort(s, 'client', 'decode_error', 'message_too_long');
  });

  it('client: a Certificate within its syntax but over maxHandshakeMessageSize → illegal_parameter (configuration, not syntax)', async () => {
    const s = await scenario({ client: { maxHandshakeMessageSize: 200 } });
    expectAbort(s, 'client', 'illegal_parameter', 'certificate_too_large');
  });
});
