import { describe, it } from 'vitest';
import { ContentType, ExtensionType, HandshakeType, SignatureScheme } from '../../src/registry.js';
import { type RecordEdit, type Side, mutate, onRecord } from '../helpers/mitm.js';
import { afterHandshake, expectAbort, scenario } from '../helpers/negative.js';

/**
 * Authentication failures (RFC 8446 §4.4, §5.2): Finished and CertificateVerify that do not
 * verify (decrypt_error), a signature scheme nobody offered (illegal_parameter), records whose
 * AEAD tag fails (bad_record_mac), and server Certificate messages that are empty or carry
 * what was not asked for.
 */

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index < 0 ? out.length + index : index]! ^= 0x01;
  return out;
}

/** The first protected record of `epoch` from `from`, with one ciphertext bit flipped. */
function corruptFirstRecord(from: Side, epoch: 'handshake' | 'application'): RecordEdit {
  let done = false;
  return (record) => {
    if (done || record.from !== from || record.epoch !== epoch) return undefined;
    done = true;
    // The byte right after the 5-byte header: inside the encrypted content.
    return [{ wire: flipBit(record.wire, 5) }];
  };
}

describe('Finished (§4.4.4)', { timeout: 15_000 }, () => {
  it('client: a bit flipped in the server verify_data, correctly protected → decrypt_error', async () => {
    const s = await scenario({ edits: [mutate('server', HandshakeType.finished, (f) => void (f.verifyData = flipBit(f.verifyData, 0)))] });
    expectAbort(s, 'client', 'decrypt_error', 'finished_mismatch');
  });

  it('server: a bit flipped in the client verify_data, correctly protected → decrypt_error', async () => {
    const s = await scenario({ edits: [mutate('client', HandshakeType.finished, (f) => void (f.verifyData = flipBit(f.verifyData, -1)))] });
    expectAbort(s, 'server', 'decrypt_error', 'finished_mismatch');
  });
});

describe('record protection (§5.2)', { timeout: 15_000 }, () => {
  it('client: a ciphertext bit flipped in the server handshake flight → bad_record_mac', async () => {
    const s = await scenario({ edits: [corruptFirstRecord('server', 'handshake')] });
    expectAbort(s, 'client', 'bad_record_mac', 'record_decrypt_failed');
  });

  it('server: a ciphertext bit flipped in the client Finished record → bad_record_mac', async () => {
    const s = await scenario({ edits: [corruptFirstRecord('client', 'handshake')] });
    expectAbort(s, 'server', 'bad_record_mac', 'record_decrypt_failed');
  });

  it('server: a ciphertext bit flipped in application data → bad_record_mac', async () => {
    const s = await scenario({ edits: [corruptFirstRecord('client', 'application')] });
    await afterHandshake(s, () => s.client.write(new TextEncoder().encode('hello')));
    expectAbort(s, 'server', 'bad_record_mac', 'record_decrypt_failed');
  });

  it('client: a protected record shorter than the AEAD tag → bad_record_mac', async () => {
    const s = await scenario({
      edits: [onRecord('server', ContentType.application_data, () => [{ wire: Uint8Array.of(ContentType.application_data, 3, 3, 0, 4, 1, 2, 3, 4) }])],
    });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'bad_record_mac', 'record_decrypt_failed');
  });

  it('client: a record protected with the handshake key after the switch to application keys → bad_record_mac', async () => {
    let handshakeRecord: Uint8Array | undefined;
    const s = await scenario({
      edits: [
        (record) => {
          if (record.from === 'server' && record.epoch === 'handshake') handshakeRecord ??= record.wire;
          return undefined;
        },
        onRecord('server', ContentType.application_data, () => [{ wire: handshakeRecord! }]),
      ],
    });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'bad_record_mac', 'record_decrypt_failed');
  });
});

describe('CertificateVerify (§4.4.3)', { timeout: 15_000 }, () => {
  it('client: a bit flipped in the signature → decrypt_error', async () => {
    const s = await scenario({ edits: [mutate('server', HandshakeType.certificate_verify, (cv) => void (cv.signature = flipBit(cv.signature, 10)))] });
    expectAbort(s, 'client', 'decrypt_error', 'bad_certificate_verify_signature');
  });

  it('client: a scheme it did not offer → illegal_parameter', async () => {
    const s = await scenario({
      client: { signatureSchemes: [SignatureScheme.ed25519, SignatureScheme.ecdsa_secp256r1_sha256] },
      edits: [mutate('server', HandshakeType.certificate_verify, (cv) => void (cv.scheme = SignatureScheme.rsa_pss_rsae_sha256))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'unoffered_signature_scheme');
  });

  it('client: an offered scheme that does not fit the certificate key (ECDSA for an Ed25519 key) → illegal_parameter (§4.2.3)', async () => {
    const s = await scenario({
      client: { signatureSchemes: [SignatureScheme.ed25519, SignatureScheme.ecdsa_secp256r1_sha256] },
      edits: [mutate('server', HandshakeType.certificate_verify, (cv) => void (cv.scheme = SignatureScheme.ecdsa_secp256r1_sha256))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'signature_scheme_key_mismatch');
  });

  it('client: an empty signature → decrypt_error', async () => {
    const s = await scenario({ edits: [mutate('server', HandshakeType.certificate_verify, (cv) => void (cv.signature = new Uint8Array(0)))] });
    expectAbort(s, 'client', 'decrypt_error', 'bad_certificate_verify_signature');
  });

  it('server: the client accepts no scheme the server key can sign with → handshake_failure', async () => {
    const s = await scenario({ client: { signatureSchemes: [SignatureScheme.rsa_pss_rsae_sha256] } });
    expectAbort(s, 'server', 'handshake_failure', 'no_usable_certificate');
  });
});

describe('server Certificate (§4.4.2)', { timeout: 15_000 }, () => {
  it('client: an empty certificate_list → decode_error', async () => {
    const s = await scenario({ edits: [mutate('server', HandshakeType.certificate, (c) => void (c.entries = []))] });
    expectAbort(s, 'client', 'decode_error', 'empty_certificate_list');
  });

  it('client: a non-empty certificate_request_context → illegal_parameter', async () => {
    const s = await scenario({ edits: [mutate('server', HandshakeType.certificate, (c) => void (c.context = Uint8Array.of(1)))] });
    expectAbort(s, 'client', 'illegal_parameter', 'request_context_mismatch');
  });

  it('client: an OCSP status in a CertificateEntry it did not request → unsupported_extension', async () => {
    const s = await scenario({
      edits: [mutate('server', HandshakeType.certificate, (c) => void c.entries[0]!.extensions.push({ type: ExtensionType.status_request, data: Uint8Array.of(1, 0, 0, 1, 0) }))],
    });
    expectAbort(s, 'client', 'unsupported_extension', 'unsolicited_extension');
  });

  it('client: key_share in a CertificateEntry → illegal_parameter', async () => {
    const s = await scenario({
      edits: [mutate('server', HandshakeType.certificate, (c) => void c.entries[0]!.extensions.push({ type: ExtensionType.key_share, data: Uint8Array.of(0, 0x1d) }))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'extension_not_allowed');
  });

  it('client: a leaf that is not DER, with rejectUnauthorized false → bad_certificate', async () => {
    const s = await scenario({
      client: { rejectUnauthorized: false },
      edits: [mutate('server', HandshakeType.certificate, (c) => void (c.entries[0]!.data = Uint8Array.of(0x30, 0x03, 1, 2)))],
    });
    expectAbort(s, 'client', 'bad_certificate', 'CERT_INVALID');
  });

  it('client: a chain its verifier rejects → the verifier alert (bad_certificate)', async () => {
    const s = await scenario({ edits: [mutate('server', HandshakeType.certificate, (c) => void c.entries.reverse())] });
    expectAbort(s, 'client', 'bad_certificate', 'CERT_UNTRUSTED');
  });
});
