/**
 * The one registry of TLS code points (RFC 8446 Appendix B and the IANA registries it names).
 * Everything that prints, serialises or checks a code point uses these tables, so a name is
 * spelled the same in traces, JSON output and errors.
 */

function nameTable<T extends Record<string, number>>(table: T): (value: number) => string {
  const byValue = new Map<number, string>();
  for (const [name, value] of Object.entries(table)) byValue.set(value, name);
  return (value) => byValue.get(value) ?? `unknown(0x${value.toString(16).padStart(4, '0')})`;
}

/**
 * A type guard for the values of one table. Decoded code points stay plain numbers (a peer may
 * send any value: GREASE, unassigned, or one we do not implement, and the codecs must carry it
 * so the state machine can answer it), and only this guard turns one into the table's type, so
 * a number from the wire cannot reach a key exchange, signer or verifier unchecked.
 */
function memberGuard<T extends Record<string, number>>(table: T): (value: number) => value is T[keyof T] {
  const values = new Set<number>(Object.values(table));
  return (value): value is T[keyof T] => values.has(value);
}

export const ContentType = {
  invalid: 0,
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];
export const contentTypeName = nameTable(ContentType);

export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;
export type HandshakeType = (typeof HandshakeType)[keyof typeof HandshakeType];
export const handshakeTypeName = nameTable(HandshakeType);

export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  record_size_limit: 28,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
} as const;
export type ExtensionType = (typeof ExtensionType)[keyof typeof ExtensionType];
export const extensionTypeName = nameTable(ExtensionType);

export const AlertLevel = { warning: 1, fatal: 2 } as const;
export type AlertLevel = (typeof AlertLevel)[keyof typeof AlertLevel];

export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription];
export type AlertName = keyof typeof AlertDescription;
export const alertName = nameTable(AlertDescription);

/** Whether `name` is one of ours: alertName gives `unknown(0x…)` for a description we do not list. */
export function isAlertName(name: string): name is AlertName {
  return isKeyOf(AlertDescription, name);
}

export const ProtocolVersion = {
  TLS1_0: 0x0301,
  TLS1_1: 0x0302,
  TLS1_2: 0x0303,
  TLS1_3: 0x0304,
} as const;
export const protocolVersionName = (v: number): string => ({ 769: 'TLSv1', 770: 'TLSv1.1', 771: 'TLSv1.2', 772: 'TLSv1.3' })[v] ?? `unknown(0x${v.toString(16).padStart(4, '0')})`;

export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
  X25519MLKEM768: 0x11ec,
} as const;
export type NamedGroup = (typeof NamedGroup)[keyof typeof NamedGroup];
export const namedGroupName = nameTable(NamedGroup);
export const isNamedGroup = memberGuard(NamedGroup);

export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_AES_128_CCM_8_SHA256: 0x1305,
} as const;
export type CipherSuite = (typeof CipherSuite)[keyof typeof CipherSuite];
export const cipherSuiteName = nameTable(CipherSuite);

export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
} as const;
export type SignatureScheme = (typeof SignatureScheme)[keyof typeof SignatureScheme];
export const signatureSchemeName = nameTable(SignatureScheme);
export const isSignatureScheme = memberGuard(SignatureScheme);

export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;
export type PskKeyExchangeMode = (typeof PskKeyExchangeMode)[keyof typeof PskKeyExchangeMode];

export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;
export type KeyUpdateRequest = (typeof KeyUpdateRequest)[keyof typeof KeyUpdateRequest];

export const CertificateStatusType = { ocsp: 1 } as const;

/** RFC 8701: GREASE values are 0x?A?A with both bytes equal; peers must ignore them. */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

/** Looks a name up in one of the tables above, for configuration given as strings. */
export function lookupCode<T extends Record<string, number>>(table: T, name: string): T[keyof T] | undefined {
  return isKeyOf(table, name) ? table[name] : undefined;
}

function isKeyOf<T extends object>(table: T, name: string): name is Extract<keyof T, string> {
  return Object.hasOwn(table, name);
}
