import { AlertDescription, type AlertName, alertName, isAlertName } from './registry.js';

/**
 * The codes of a certificate verdict, written once: TLSErrorCode, x509's CertificateError (and
 * its alert table) and the CLI's certificate exit status all derive from this list.
 */
export const CERTIFICATE_ERROR_CODES = [
  'CERT_UNTRUSTED',
  'CERT_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_HOSTNAME_MISMATCH',
  'CERT_BAD_SIGNATURE',
  'CERT_INVALID',
  'CERT_WEAK',
] as const;
export type CertificateErrorCode = (typeof CERTIFICATE_ERROR_CODES)[number];

export function isCertificateErrorCode(code: unknown): code is CertificateErrorCode {
  return (CERTIFICATE_ERROR_CODES as readonly unknown[]).includes(code);
}

/**
 * Stable error codes. They are a public contract (the CLI's --json output and exit statuses
 * are built on them): add new ones, never rename.
 */
export type TLSErrorCode =
  /** We detected a protocol violation and sent the fatal alert named in `alert`. */
  | 'PROTOCOL_ERROR'
  /** The peer sent us a fatal alert (named in `alert`). */
  | 'ALERT_RECEIVED'
  | CertificateErrorCode
  /** The transport closed, or the connection was closed, before the operation could finish. */
  | 'CONNECTION_CLOSED'
  /** The caller asked for something impossible (bad option, write after close). */
  | 'INVALID_ARGUMENT'
  /** A bug or a crypto-provider failure: internal_error is sent. */
  | 'INTERNAL_ERROR'
  | 'CONNECT_FAILED'
  | 'TIMEOUT';

/**
 * Every protocol rule a peer can break, named once and mapped to the alert it sends (RFC 8446
 * §6.2), like rustls's PeerMisbehaved and InvalidMessage: a TLSError's `reason` says which
 * check fired, so a program (or a negative test) tells apart two failures that share an
 * alert. The names are a public contract like `code`: add new ones, never rename. No name is
 * also an alert name (test/errors.test.ts checks), so the two never read alike.
 */
export const PROTOCOL_REASONS = {
  // Malformed messages (RFC 8446 §6.2 decode_error): the codec cannot read what was sent.
  /** A length or field runs past the end of its message or vector. */
  length_overrun: 'decode_error',
  /** A vector's length is outside the <min..max> of its definition. */
  length_out_of_range: 'decode_error',
  /** Bytes are left over after a message, vector or extension body was read. */
  trailing_bytes: 'decode_error',
  /** A field holds a value its definition does not allow. */
  value_out_of_range: 'decode_error',
  /** A handshake message's length is more than its type can ever be. */
  message_too_long: 'decode_error',
  /** A server_name host name that is not a DNS name in printable ASCII (RFC 6066 §3). */
  invalid_host_name: 'decode_error',
  /** The bytes are not a TLS record at all (RFC 8446 §5.1). */
  not_a_tls_record: 'decode_error',
  /** An alert record that is not exactly one two-byte alert (RFC 8446 §6). */
  malformed_alert: 'decode_error',
  /** A Finished whose verify_data has the wrong length for the hash (RFC 8446 §4.4.4). */
  finished_wrong_length: 'decode_error',
  /** The server's Certificate lists no certificate (RFC 8446 §4.4.2.4). */
  empty_certificate_list: 'decode_error',

  // Records (RFC 8446 §5).
  /** A record content type TLS 1.3 does not have (§5). */
  unknown_content_type: 'unexpected_message',
  /** A handshake or alert record with no content (§5.1, §5.4). */
  empty_record: 'unexpected_message',
  /** The length field of a record is beyond the limit for its type (§5.1, §5.2). */
  record_too_long: 'record_overflow',
  /** A protected record longer than 2^14 + 256 (§5.2). */
  ciphertext_too_long: 'record_overflow',
  /** A decrypted TLSInnerPlaintext beyond 2^14 + 1 or the record_size_limit (§5.4, RFC 8449 §4). */
  plaintext_too_long: 'record_overflow',
  /** AEAD authentication of a record failed (§5.2). */
  record_decrypt_failed: 'bad_record_mac',
  /** A protected record whose inner plaintext is all zeros: no content type (§5.4). */
  missing_content_type: 'unexpected_message',
  /** A protected record carrying change_cipher_spec or an unknown type (§5). */
  invalid_inner_content_type: 'unexpected_message',
  /** A change_cipher_spec that is not the single byte 0x01 (§5). */
  invalid_change_cipher_spec: 'unexpected_message',
  /** change_cipher_spec before the first ClientHello or after the peer's Finished (§5). */
  unexpected_change_cipher_spec: 'unexpected_message',
  /** More change_cipher_spec records than a compatible peer sends (CVE-2020-25648). */
  too_many_change_cipher_specs: 'unexpected_message',
  /** A plaintext record other than an alert after keys were installed (§5). */
  unprotected_record: 'unexpected_message',
  /** Application data before the handshake began (§2). */
  application_data_before_handshake: 'unexpected_message',
  /** Application data under handshake keys (§2). */
  application_data_under_handshake_keys: 'unexpected_message',
  /** Another record between the fragments of one handshake message (§5.1). */
  interleaved_application_data: 'unexpected_message',
  /** A handshake message whose fragments straddle a key change (§5.1). */
  handshake_spans_key_change: 'unexpected_message',
  /** More 0-RTT data, read or skipped, than max_early_data_size (§4.2.10). */
  too_much_early_data: 'unexpected_message',
  /** record_size_limit below 64 (RFC 8449 §4). */
  record_size_limit_too_small: 'illegal_parameter',

  // Handshake messages and their order (§4).
  /** A handshake type no TLS 1.3 peer sends (§4, §6.2). */
  unknown_handshake_type: 'unexpected_message',
  /** A handshake message the current state does not take (§4). */
  unexpected_handshake_message: 'unexpected_message',
  /** A Certificate message over the configured size limit. */
  certificate_too_large: 'illegal_parameter',
  /** KeyUpdate.request_update other than 0 or 1 (§4.6.3). */
  invalid_key_update_request: 'illegal_parameter',
  /** A post-handshake CertificateRequest to a client that did not offer post_handshake_auth (§4.6.2). */
  post_handshake_auth_not_offered: 'unexpected_message',
  /** NewSessionTicket lifetime over seven days (§4.6.1). */
  ticket_lifetime_too_long: 'illegal_parameter',

  // Extensions (§4.2).
  duplicate_extension: 'illegal_parameter',
  /** pre_shared_key is not the ClientHello's last extension (§4.2.11). */
  psk_not_last: 'illegal_parameter',
  /** An extension in a message the table of §4.2 does not allow it in. */
  extension_not_allowed: 'illegal_parameter',
  /** An extension in a response that the request did not contain (§4.2). */
  unsolicited_extension: 'unsupported_extension',
  /** server_name with two host names (RFC 6066 §3). */
  duplicate_host_name: 'illegal_parameter',
  /** key_share with two shares of one group (§4.2.8). */
  duplicate_key_share_group: 'illegal_parameter',
  /** pre_shared_key with unequal numbers of identities and binders (§4.2.11). */
  psk_binder_count_mismatch: 'illegal_parameter',
  missing_signature_algorithms: 'missing_extension',
  /** supported_groups without key_share or the other way round (§9.2). */
  missing_groups_or_key_share: 'missing_extension',
  missing_key_share: 'missing_extension',
  /** pre_shared_key without psk_key_exchange_modes (§4.2.9). */
  missing_psk_key_exchange_modes: 'missing_extension',

  // Hello messages and negotiation (§4.1).
  /** A hello whose legacy_version is SSL 3.0 or older (§D.5). */
  obsolete_legacy_version: 'protocol_version',
  /** The peer does not offer or select TLS 1.3 (§4.2.1). */
  tls13_not_supported: 'protocol_version',
  /** A HelloRetryRequest without supported_versions (§4.1.4). */
  missing_supported_versions: 'protocol_version',
  /** A ServerHello legacy_version other than 0x0303 (§4.1.3). */
  invalid_legacy_version: 'illegal_parameter',
  /** The downgrade sentinel in ServerHello.random (§4.1.3). */
  downgrade_detected: 'illegal_parameter',
  /** Compression methods other than exactly null (§4.1.2, §4.1.3). */
  compression_not_null: 'illegal_parameter',
  /** legacy_session_id_echo that differs from the ClientHello's (§4.1.3). */
  session_id_not_echoed: 'illegal_parameter',
  unoffered_version: 'illegal_parameter',
  unoffered_cipher_suite: 'illegal_parameter',
  unoffered_key_share_group: 'illegal_parameter',
  unoffered_alpn_protocol: 'illegal_parameter',
  unoffered_psk_identity: 'illegal_parameter',
  unoffered_psk_mode: 'illegal_parameter',
  unoffered_signature_scheme: 'illegal_parameter',
  /** A key share for a group the ClientHello's supported_groups lacks (§4.2.8). */
  key_share_group_not_supported: 'illegal_parameter',
  /** Key shares out of supported_groups order (§4.2.8). */
  key_shares_out_of_order: 'illegal_parameter',
  /** A key share that is not a valid point or encapsulation key, or gives an all-zero secret (§4.2.8.1, §7.4.2). */
  invalid_key_share: 'illegal_parameter',
  /** A resumption suite whose hash is not the PSK's (§4.2.11). */
  psk_hash_mismatch: 'illegal_parameter',
  no_common_cipher_suite: 'handshake_failure',
  no_common_group: 'handshake_failure',
  /** No certificate of ours signs with a scheme the client accepts (§4.4.2.2). */
  no_usable_certificate: 'handshake_failure',
  no_common_alpn_protocol: 'no_application_protocol',

  // HelloRetryRequest and the second ClientHello (§4.1.2, §4.1.4).
  second_hello_retry: 'unexpected_message',
  /** A HelloRetryRequest with neither key_share nor cookie (§4.1.4). */
  hello_retry_changes_nothing: 'illegal_parameter',
  hello_retry_unoffered_group: 'illegal_parameter',
  /** A HelloRetryRequest for a group that already had a share (§4.1.4). */
  hello_retry_group_already_shared: 'illegal_parameter',
  /** A HelloRetryRequest for a group our provider cannot do. */
  hello_retry_group_unavailable: 'illegal_parameter',
  /** The ServerHello's suite differs from the HelloRetryRequest's (§4.1.4). */
  hello_retry_suite_changed: 'illegal_parameter',
  /** A second ClientHello that changes more than §4.1.2 allows. */
  second_client_hello_changed: 'illegal_parameter',
  /** early_data in the second ClientHello (§4.2.10). */
  early_data_after_hello_retry: 'illegal_parameter',
  /** A second ClientHello lacking one share for exactly the requested group (§4.1.2). */
  hello_retry_key_share_mismatch: 'illegal_parameter',
  cookie_not_echoed: 'illegal_parameter',
  cookie_not_sent: 'illegal_parameter',

  // 0-RTT (§4.2.10).
  /** early_data accepted without our PSK selected. */
  early_data_without_psk: 'illegal_parameter',
  /** early_data accepted with another suite or ALPN protocol than the ticket's. */
  early_data_parameters_mismatch: 'illegal_parameter',

  // Authentication (§4.4).
  /**
   * A certificate_request_context that breaks its rule: empty in a CertificateRequest during the
   * handshake and not after it (§4.3.2), echoed exactly by the Certificate that answers (§4.4.2).
   */
  request_context_mismatch: 'illegal_parameter',
  /** A client that sends no certificate where one is required (§4.4.2.4). */
  client_certificate_missing: 'certificate_required',
  /** A CertificateVerify scheme the certificate's key cannot sign with (§4.4.3). */
  signature_scheme_key_mismatch: 'illegal_parameter',
  /** A CertificateVerify signature that does not verify (§4.4.3). */
  bad_certificate_verify_signature: 'decrypt_error',
  /** A Finished that does not verify (§4.4.4). */
  finished_mismatch: 'decrypt_error',
  /** A PSK binder that does not verify (§4.2.11). */
  psk_binder_mismatch: 'decrypt_error',
} as const satisfies Record<string, AlertName>;

/** The rule a peer broke; see PROTOCOL_REASONS. */
export type ProtocolReason = keyof typeof PROTOCOL_REASONS;

/** The reasons that are decode errors: the message could not be read as its syntax says. */
export type DecodeReason = { [R in ProtocolReason]: (typeof PROTOCOL_REASONS)[R] extends 'decode_error' ? R : never }[ProtocolReason];

export function isProtocolReason(value: string): value is ProtocolReason {
  return Object.hasOwn(PROTOCOL_REASONS, value);
}

/**
 * Either the alert this error sends (or, for ALERT_RECEIVED, the one received), or the
 * protocol rule that was broken, from which the alert follows: never both, so they cannot
 * disagree.
 */
export type TLSErrorOptions = { cause?: unknown } & ({ alert?: AlertName; reason?: undefined } | { reason: ProtocolReason; alert?: undefined });

export class TLSError extends Error {
  override readonly name = 'TLSError';
  readonly code: TLSErrorCode;
  readonly alert: AlertName | undefined;
  /** Which rule the peer broke (PROTOCOL_ERROR only); stable for programs, the message is for people. */
  readonly reason: ProtocolReason | undefined;

  constructor(code: TLSErrorCode, message: string, options: TLSErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options.reason;
    this.alert = options.reason === undefined ? options.alert : PROTOCOL_REASONS[options.reason];
  }

  /** The alert description byte to put on the wire, when this error sends one. */
  get alertCode(): number | undefined {
    return this.alert === undefined ? undefined : AlertDescription[this.alert];
  }

  toJSON(): { code: TLSErrorCode; alert: AlertName | null; reason: ProtocolReason | null; message: string } {
    return { code: this.code, alert: this.alert ?? null, reason: this.reason ?? null, message: this.message };
  }
}

/** A malformed message: lengths that overrun, values out of range, trailing bytes. */
export function decodeError(reason: DecodeReason, message: string): TLSError {
  return new TLSError('PROTOCOL_ERROR', message, { reason });
}

/** A well-formed message that breaks a protocol rule; PROTOCOL_REASONS gives the alert. */
export function protocolError(reason: ProtocolReason, message: string): TLSError {
  return new TLSError('PROTOCOL_ERROR', message, { reason });
}

export function alertReceived(description: number): TLSError {
  const name = alertName(description);
  const known = isAlertName(name) ? name : undefined;
  return new TLSError('ALERT_RECEIVED', `peer sent fatal alert ${name}`, { alert: known });
}

export function internalError(message: string, cause?: unknown): TLSError {
  return new TLSError('INTERNAL_ERROR', message, { alert: 'internal_error', cause });
}

/** Wraps anything thrown into a TLSError so no untyped exception leaves the engine. */
export function asTLSError(error: unknown): TLSError {
  if (error instanceof TLSError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return internalError(`internal failure: ${detail}`, error);
}
