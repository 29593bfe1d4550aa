import type { CertifiedKey } from '../config.js';
import { protocolError } from '../errors.js';
import type { HandshakeContext } from '../handshake-context.js';
import * as ext from '../messages/extensions.js';
import { ExtensionType, HandshakeType, extensionTypeName } from '../registry.js';
import type { CertificateRequest } from '../messages/types.js';
import { certificateVerifyContent } from '../peer-auth.js';
import type { Transcript } from '../transcript.js';

/** What a CertificateRequest asks of the client (RFC 8446 §4.3.2). */
export interface ClientCertificateRequest {
  context: Uint8Array;
  schemes: readonly number[];
}

export function readCertificateRequest(message: CertificateRequest, postHandshake: boolean): ClientCertificateRequest {
  // RFC 8446 §4.3.2: the context is empty in the handshake and names the request after it.
  if (postHandshake ? message.context.length === 0 : message.context.length !== 0) {
    throw protocolError(
      'request_context_mismatch',
      postHandshake ? 'post-handshake CertificateRequest without a context' : 'CertificateRequest context must be empty during the handshake',
    );
  }
  let schemes: number[] | undefined;
  for (const { type, data } of message.extensions) {
    if (ext.extensionAllowedIn(type, 'CR') === false) throw protocolError('extension_not_allowed', `${extensionTypeName(type)} is not allowed in CertificateRequest`);
    if (type === ExtensionType.signature_algorithms) schemes = ext.parseSignatureAlgorithms(data);
    else ext.validateExtension(type, data, 'CR');
  }
  if (!schemes) throw protocolError('missing_signature_algorithms', 'CertificateRequest lacks signature_algorithms');
  return { context: message.context, schemes };
}

/**
 * The client's answer (RFC 8446 §4.4.2, §4.4.3): its chain and a CertificateVerify when it has
 * a certificate whose key can sign with a scheme the server accepts; otherwise an empty
 * Certificate, and the server decides whether that is enough.
 */
export async function sendClientCertificate(
  ctx: HandshakeContext,
  certificate: CertifiedKey | undefined,
  request: ClientCertificateRequest,
  transcript: Transcript,
): Promise<number | undefined> {
  const scheme = certificate?.key.schemes.find((s) => request.schemes.includes(s));
  const entries = certificate && scheme !== undefined ? certificate.chain.map((data) => ({ data, extensions: [] })) : [];
  ctx.sendMessage({ type: HandshakeType.certificate, context: request.context, entries }, transcript);
  if (!certificate || scheme === undefined || entries.length === 0) return undefined;
  const signature = await certificate.key.sign(scheme, certificateVerifyContent('client', transcript.current()));
  ctx.sendMessage({ type: HandshakeType.certificate_verify, scheme, signature }, transcript);
  return scheme;
}
