import type { HandshakeType } from '../registry.js';

/**
 * Typed TLS 1.3 handshake messages (RFC 8446 §4). Extensions stay as an ordered list of raw
 * (type, data) pairs so decode and encode are exact inverses, unknown and GREASE extensions
 * survive untouched, and order (pre_shared_key last) is kept; extensions.ts parses and builds
 * the bodies of the extensions we understand.
 *
 * Byte fields decoded from the wire are views into the received message; a message's `raw`
 * is kept by the handshake layer for the transcript, never re-encoded.
 *
 * Code points (cipher suites, groups, schemes) are plain numbers: a peer may send any value
 * (GREASE, unassigned, one we do not implement) and the codec carries it for the state machine
 * to answer. A plain number is not a NamedGroup or SignatureScheme, so it reaches a provider
 * only through the registry's guards (isNamedGroup, isSignatureScheme).
 */

export interface RawExtension {
  type: number;
  data: Uint8Array;
}

export interface ClientHello {
  type: typeof HandshakeType.client_hello;
  legacyVersion: number;
  random: Uint8Array;
  legacySessionId: Uint8Array;
  cipherSuites: number[];
  legacyCompressionMethods: Uint8Array;
  extensions: RawExtension[];
  /** An older client's extensions field that is present but empty (TLS 1.2 allows it; see hello.ts). */
  emptyExtensionBlock?: true;
}

/** Also the HelloRetryRequest, which is a ServerHello with a special random (RFC 8446 §4.1.3). */
export interface ServerHello {
  type: typeof HandshakeType.server_hello;
  legacyVersion: number;
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  legacyCompressionMethod: number;
  extensions: RawExtension[];
  /** An older server's extensions field that is present but empty (see hello.ts). */
  emptyExtensionBlock?: true;
}

export interface EncryptedExtensions {
  type: typeof HandshakeType.encrypted_extensions;
  extensions: RawExtension[];
}

export interface CertificateRequest {
  type: typeof HandshakeType.certificate_request;
  context: Uint8Array;
  extensions: RawExtension[];
}

export interface CertificateEntry {
  /** DER X.509 certificate (we never negotiate raw public keys). */
  data: Uint8Array;
  extensions: RawExtension[];
}

export interface Certificate {
  type: typeof HandshakeType.certificate;
  context: Uint8Array;
  entries: CertificateEntry[];
}

export interface CertificateVerify {
  type: typeof HandshakeType.certificate_verify;
  scheme: number;
  signature: Uint8Array;
}

export interface Finished {
  type: typeof HandshakeType.finished;
  verifyData: Uint8Array;
}

export interface NewSessionTicket {
  type: typeof HandshakeType.new_session_ticket;
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  extensions: RawExtension[];
}

export interface EndOfEarlyData {
  type: typeof HandshakeType.end_of_early_data;
}

export interface KeyUpdate {
  type: typeof HandshakeType.key_update;
  requestUpdate: number;
}

export type HandshakeMessage =
  | ClientHello
  | ServerHello
  | EncryptedExtensions
  | CertificateRequest
  | Certificate
  | CertificateVerify
  | Finished
  | NewSessionTicket
  | EndOfEarlyData
  | KeyUpdate;

/** A decoded message together with its exact wire bytes (4-byte header included). */
export interface ReceivedMessage<M extends HandshakeMessage = HandshakeMessage> {
  message: M;
  raw: Uint8Array;
}
