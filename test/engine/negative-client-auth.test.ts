import { describe, it } from 'vitest';
import type { CertifiedKey } from '../../src/config.js';
import * as ext from '../../src/messages/extensions.js';
import { encodeHandshake } from '../../src/messages/handshake.js';
import { ContentType, ExtensionType, HandshakeType, SignatureScheme } from '../../src/registry.js';
import { pinnedLeafVerifier } from '../helpers/fixtures.js';
import { mutate, onMessage, onRecord, only, withBody } from '../helpers/mitm.js';
import { afterHandshake, expectAbort, scenario } from '../helpers/negative.js';
import { clientCertificateOf } from '../helpers/peers.js';

/**
 * Client authentication broken by one side, each case reaching exactly one rule (RFC 8446
 * §4.3.2, §4.4.2, §4.6.2): the CertificateRequest as the client checks it, in the handshake
 * and after it, and the client's post-handshake answer as the server checks it.
 */

/** A client with a certificate, so it offers post_handshake_auth, and a server that trusts it. */
async function mutualOptions(server: { clientAuth?: 'require' } = {}) {
  const certificate: CertifiedKey = await clientCertificateOf();
  return { client: { certificate }, server: { ...server, verifier: pinnedLeafVerifier(certificate.chain[0]!) } };
}

describe('CertificateRequest in the handshake (the client decides)', { timeout: 15_000 }, () => {
  it('a non-empty certificate_request_context → illegal_parameter', async () => {
    const s = await scenario({
      ...(await mutualOptions({ clientAuth: 'require' })),
      edits: [mutate('server', HandshakeType.certificate_request, (cr) => void (cr.context = Uint8Array.of(1)))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'request_context_mismatch');
  });

  it('key_share, which has no place in a CertificateRequest → illegal_parameter', async () => {
    const s = await scenario({
      ...(await mutualOptions({ clientAuth: 'require' })),
      edits: [mutate('server', HandshakeType.certificate_request, (cr) => void cr.extensions.push({ type: ExtensionType.key_share, data: Uint8Array.of(0, 0x1d) }))],
    });
    expectAbort(s, 'client', 'illegal_parameter', 'extension_not_allowed');
  });

  it('signature_algorithms_cert but no signature_algorithms → missing_extension', async () => {
    // The extensions block may not be empty (<2..2^16-1>): the one left names schemes too.
    const certOnly = { type: ExtensionType.signature_algorithms_cert, data: ext.buildSignatureAlgorithms([SignatureScheme.ed25519]) };
    const s = await scenario({
      ...(await mutualOptions({ clientAuth: 'require' })),
      edits: [mutate('server', HandshakeType.certificate_request, (cr) => void (cr.extensions = [certOnly]))],
    });
    expectAbort(s, 'client', 'missing_extension', 'missing_signature_algorithms');
  });
});

describe('post-handshake authentication (§4.6.2)', { timeout: 15_000 }, () => {
  it('client: a CertificateRequest with an empty context → illegal_parameter', async () => {
    const s = await scenario({
      ...(await mutualOptions()),
      edits: [mutate('server', HandshakeType.certificate_request, (cr) => void (cr.context = new Uint8Array(0)))],
    });
    await afterHandshake(s, () => s.server.requestClientCertificate());
    expectAbort(s, 'client', 'illegal_parameter', 'request_context_mismatch');
  });

  it('client: a CertificateRequest although it did not offer post_handshake_auth → unexpected_message', async () => {
    const request = encodeHandshake({
      type: HandshakeType.certificate_request,
      context: Uint8Array.of(7),
      extensions: [{ type: ExtensionType.signature_algorithms, data: ext.buildSignatureAlgorithms([SignatureScheme.ed25519]) }],
    });
    const s = await scenario({ edits: [onRecord('server', ContentType.application_data, () => [{ type: ContentType.handshake, content: request }])] });
    await afterHandshake(s, () => s.server.write(Uint8Array.of(1)));
    expectAbort(s, 'client', 'unexpected_message', 'post_handshake_auth_not_offered');
  });

  it('server: a client Certificate that answers another request context → illegal_parameter', async () => {
    const s = await scenario({
      ...(await mutualOptions()),
      edits: [mutate('client', HandshakeType.certificate, (c) => void (c.context = Uint8Array.of(...c.context, 0)))],
    });
    await afterHandshake(s, () => s.server.requestClientCertificate());
    expectAbort(s, 'server', 'illegal_parameter', 'request_context_mismatch');
  });

  it('server: an OCSP status in the client CertificateEntry, never requested → unsupported_extension', async () => {
    const s = await scenario({
      ...(await mutualOptions()),
      edits: [mutate('client', HandshakeType.certificate, (c) => void c.entries[0]!.extensions.push({ type: ExtensionType.status_request, data: Uint8Array.of(1, 0, 0, 1, 0) }))],
    });
    await afterHandshake(s, () => s.server.requestClientCertificate());
    expectAbort(s, 'server', 'unsupported_extension', 'unsolicited_extension');
  });

  it('server: a KeyUpdate where the post-handshake Finished belongs → unexpected_message', async () => {
    // The client's first Finished ends the handshake; the second answers the request.
    const keyUpdate = withBody(HandshakeType.key_update, Uint8Array.of(0));
    const s = await scenario({
      ...(await mutualOptions()),
      edits: [
        only(
          1,
          onMessage('client', HandshakeType.finished, () => [keyUpdate]),
        ),
      ],
    });
    await afterHandshake(s, () => s.server.requestClientCertificate());
    expectAbort(s, 'server', 'unexpected_message', 'unexpected_handshake_message');
  });
});
