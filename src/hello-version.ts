import { protocolError } from './errors.js';
import { ProtocolVersion } from './registry.js';

/** SSL 3.0's version number, the one below TLS 1.0's. */
const SSL3 = ProtocolVersion.TLS1_0 - 1;

/**
 * RFC 8446 §D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version or
 * ServerHello.legacy_version set to 0x0300 MUST abort the handshake with a "protocol_version"
 * alert", whatever supported_versions offers: SSL 3.0 must not be negotiable even by a peer
 * that also claims TLS 1.3. Values below 0x0300 (SSL 2.0 and garbage) are older still. One rule
 * for both hellos, checked by the server on ClientHello and by the client on ServerHello and
 * HelloRetryRequest, before anything else in them is judged.
 */
export function refuseSsl3OrOlder(legacyVersion: number, hello: 'ClientHello' | 'ServerHello'): void {
  if (legacyVersion <= SSL3) {
    throw protocolError('obsolete_legacy_version', `${hello} legacy_version 0x${legacyVersion.toString(16).padStart(4, '0')} is SSL 3.0 or older`);
  }
}
