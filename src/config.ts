import type { CryptoProvider, SigningKey } from './crypto/provider.js';
import { cipherSuiteParams } from './crypto/suites.js';
import { TLSError } from './errors.js';
import { utf8 } from './wire/bytes.js';
import type { ClientHello, EncryptedExtensions } from './messages/types.js';
import { type CipherSuite, type NamedGroup, PskKeyExchangeMode, SignatureScheme } from './registry.js';
import type { SessionTicket } from './handshake-context.js';
import type { DerivationObserver, SecretName } from './keyschedule.js';
import type { CertificateVerifier } from './x509/verifier.js';

/** The default signature schemes, strongest and cheapest-to-verify first. */
const DEFAULT_SIGNATURE_SCHEMES: readonly SignatureScheme[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ed25519,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed448,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha512,
];

/** What both sides configure. Lists are in preference order; omitted lists mean the provider's. */
export interface CommonConfig {
  provider: CryptoProvider;
  cipherSuites?: readonly CipherSuite[];
  /** Groups we support (supported_groups on the client, acceptable groups on the server). */
  groups?: readonly NamedGroup[];
  /** Schemes we accept from the peer in CertificateVerify. */
  signatureSchemes?: readonly SignatureScheme[];
  /** ALPN protocol names in preference order. */
  alpnProtocols?: readonly string[];
  /**
   * RFC 8449 record_size_limit we announce (64..16385): the largest TLSInnerPlaintext we are
   * willing to receive. Undefined: not announced (the protocol maximum applies).
   */
  recordSizeLimit?: number;
  /** Validates the peer's certificate chain. */
  verifier?: CertificateVerifier;
  /**
   * Called with every traffic secret as it is derived, with the ClientHello.random that names
   * the connection in the NSS key log format (SSLKEYLOGFILE). Secrets are sensitive.
   */
  onSecret?: (name: SecretName, secret: Uint8Array, clientRandom: Uint8Array) => void;
  /**
   * Called with every step of the key schedule and its values (wiretls explain): secrets,
   * more of them than onSecret sees. Values are lent for the call.
   */
  onKeyDerivation?: DerivationObserver;
  /**
   * Cap on a Certificate message we accept (bytes; default 64 KiB), the one handshake message
   * whose syntax allows up to 16 MiB; it bounds memory. Every other message is capped at the
   * most its syntax allows (RFC 8446 §4): a ClientHello at about 128 KiB.
   */
  maxHandshakeMessageSize?: number;
  /**
   * Records we send under one application traffic key before updating it by ourselves with a
   * KeyUpdate (RFC 8446 §5.5, §4.6.3). The AEAD's own limit applies whatever this says (2^24
   * records for AES-GCM; ChaCha20-Poly1305 has none short of the sequence number); a lower
   * value updates sooner. A positive integer.
   */
  keyUpdateAfterRecords?: number;
  /**
   * How a resumed session may be keyed (RFC 8446 §4.2.9), in preference order: psk_dhe_ke
   * adds a fresh (EC)DHE exchange, psk_ke uses the PSK alone — one key exchange cheaper, but
   * whoever learns the resumption secret can read the session (no forward secrecy). A client
   * offers, and a server selects, only the modes listed here. Default: psk_dhe_ke alone.
   */
  pskKeyExchangeModes?: readonly PskKeyExchangeMode[];
}

export interface ClientConfig extends CommonConfig {
  /** Sent as SNI unless it is an IP literal; also the name the server certificate must match. */
  serverName?: string;
  /** Groups to send key shares for in the first ClientHello (default: the first group). */
  keyShareGroups?: readonly NamedGroup[];
  /**
   * When false, a failed certificate check is reported (authorized = false) but the handshake
   * continues, like node:tls's rejectUnauthorized. Default true.
   */
  rejectUnauthorized?: boolean;
  /** RFC 8446 Appendix D.4: a legacy_session_id and change_cipher_spec records. Default true. */
  compatibilityMode?: boolean;
  /**
   * Last chance to adjust the outgoing ClientHello (extension order, extra extensions), for
   * interop testing and fingerprint control. The key shares and offers the engine made must
   * stay as they are: replies are checked against the engine's own state.
   */
  customizeClientHello?: (hello: ClientHello) => void;
  /**
   * Sent when the server asks for a client certificate (mutual TLS), in the handshake or
   * after it (post_handshake_auth is offered when this is set).
   */
  certificate?: CertifiedKey;
  /** A ticket from an earlier connection (the `session` event) to resume with. */
  session?: SessionTicket;
  /**
   * 0-RTT data sent with the ClientHello when `session` allows early data (RFC 8446 §2.3).
   * It can be replayed by an attacker: send only what is safe to repeat. Whether the server
   * took it is `session.earlyData` ('accepted' / 'rejected'); rejected data is the caller's
   * to send again.
   */
  earlyData?: Uint8Array;
  /** Clock (ms since the epoch) for ticket ages; for tests. */
  now?: () => number;
}

/** A certificate chain with the private key of its leaf. */
export interface CertifiedKey {
  /** DER certificates, leaf first. */
  chain: readonly Uint8Array[];
  key: SigningKey;
}

export interface ServerCertificate extends CertifiedKey {
  /** Server names this certificate is for (exact or "*.example.com"); empty: any name. */
  serverNames?: readonly string[];
}

export interface ServerConfig extends CommonConfig {
  /** At least one; the first that fits the client's server name and signature schemes is used. */
  certificates: readonly ServerCertificate[];
  /**
   * Produces the cookie sent in a HelloRetryRequest (RFC 8446 §4.2.2); the second ClientHello
   * must echo it. Undefined: no cookie (the server keeps its HelloRetryRequest state).
   */
  helloRetryCookie?: () => Uint8Array;
  /**
   * Certificates for the name the client asked for (like node:tls's SNICallback); undefined or
   * an empty list falls back to `certificates`. A rejection aborts with internal_error.
   */
  certificatesForName?: (serverName: string) => Promise<readonly ServerCertificate[] | undefined>;
  /**
   * Client certificates (mutual TLS): 'none' (default) asks for none; 'optional' asks and
   * accepts an empty answer; 'require' ends a handshake without one (certificate_required).
   * A certificate that is sent is checked by `verifier` (for clientAuth).
   */
  clientAuth?: 'none' | 'optional' | 'require';
  /** DER distinguished names of acceptable client CAs, sent as certificate_authorities. */
  certificateAuthorities?: readonly Uint8Array[];
  /** When false, a client certificate that fails verification is reported, not fatal. Default true. */
  rejectUnauthorized?: boolean;
  /**
   * Issues and redeems session tickets (RFC 8446 §4.6.1); share one store between the
   * connections of a server. Undefined: no tickets, no resumption.
   */
  ticketStore?: TicketStore;
  /** NewSessionTickets sent after each full handshake (default 2). */
  ticketCount?: number;
  /** Ticket lifetime in seconds (default 2 hours, at most 7 days). */
  ticketLifetime?: number;
  /**
   * Most 0-RTT bytes accepted on a resumed connection (announced in tickets); 0 (default)
   * refuses early data. Accepting it also needs `antiReplay`.
   */
  maxEarlyDataSize?: number;
  /** Refuses replayed 0-RTT ClientHellos (RFC 8446 §8); shared by a server's connections. */
  antiReplay?: ReplayGuard;
  /** Clock (ms since the epoch) for ticket ages; for tests. */
  now?: () => number;
  /** Last chance to adjust EncryptedExtensions (interop testing); semantics must not change. */
  customizeEncryptedExtensions?: (extensions: EncryptedExtensions) => void;
}

/**
 * What a session ticket must remember to resume a session on the server (RFC 8446 §4.6.1);
 * a TicketStore seals it into the ticket and opens it again.
 */
export interface ResumptionState {
  psk: Uint8Array;
  cipherSuite: number;
  /** When the ticket was issued (ms since the epoch). */
  issuedAt: number;
  /** Seconds, as announced in the NewSessionTicket. */
  lifetime: number;
  ageAdd: number;
  maxEarlyDataSize: number;
  alpnProtocol: string | undefined;
  serverName: string | undefined;
  /** The client's certificate chain when the original handshake authenticated it. */
  clientCertificates: readonly Uint8Array[];
}

/**
 * ServerConfig.ticketStore: turns resumption state into ticket bytes and back; `open` returns
 * undefined for any ticket it cannot use (the handshake then goes on as a full one).
 * src/server/tickets.ts has the stateless implementation.
 */
export interface TicketStore {
  seal(state: ResumptionState): Uint8Array;
  open(ticket: Uint8Array): ResumptionState | undefined;
}

/**
 * ServerConfig.antiReplay: whether 0-RTT data from one ClientHello may be accepted (RFC 8446
 * §8). `binder` is unique per ClientHello; the ticket age as the client sees it (ms) and the
 * ticket's issue time let a guard bound the window a replay can fall in. Refusing costs the
 * client a round trip, never the handshake. src/server/anti-replay.ts has the ClientHello
 * recording of §8.2.
 */
export interface ReplayGuard {
  admit(binder: Uint8Array, clientTicketAgeMs: number, issuedAt: number, now?: number): boolean;
}

/** The default schemes a provider can verify, per provider: every connection asks. */
const defaultSchemes = new WeakMap<CryptoProvider, readonly SignatureScheme[]>();

function defaultSignatureSchemes(provider: CryptoProvider): readonly SignatureScheme[] {
  let schemes = defaultSchemes.get(provider);
  if (schemes === undefined) {
    schemes = DEFAULT_SIGNATURE_SCHEMES.filter((s) => provider.signatureSchemes.includes(s));
    defaultSchemes.set(provider, schemes);
  }
  return schemes;
}

/** Fills defaults from the provider and rejects impossible settings up front. */
/** The resumption modes a side offers or accepts, in preference order (see pskKeyExchangeModes). */
export function pskModesOf(config: CommonConfig): readonly PskKeyExchangeMode[] {
  return config.pskKeyExchangeModes ?? [PskKeyExchangeMode.psk_dhe_ke];
}

export function resolveCommon(config: CommonConfig): Required<Pick<CommonConfig, 'cipherSuites' | 'groups' | 'signatureSchemes'>> {
  const { provider } = config;
  const cipherSuites = config.cipherSuites ?? provider.cipherSuites;
  const groups = config.groups ?? provider.groups;
  const signatureSchemes = config.signatureSchemes ?? defaultSignatureSchemes(provider);
  for (const suite of cipherSuites) {
    if (!cipherSuiteParams.has(suite) || !provider.cipherSuites.includes(suite)) {
      throw new TLSError('INVALID_ARGUMENT', `cipher suite 0x${suite.toString(16)} is not supported`);
    }
  }
  for (const group of groups) {
    if (!provider.groups.includes(group)) throw new TLSError('INVALID_ARGUMENT', `group 0x${group.toString(16)} is not supported`);
  }
  if (cipherSuites.length === 0) throw new TLSError('INVALID_ARGUMENT', 'no cipher suites configured');
  if (groups.length === 0) throw new TLSError('INVALID_ARGUMENT', 'no groups configured');
  if (signatureSchemes.length === 0) throw new TLSError('INVALID_ARGUMENT', 'no signature schemes configured');
  const limit = config.recordSizeLimit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 64 || limit > 16385)) {
    throw new TLSError('INVALID_ARGUMENT', 'recordSizeLimit must be an integer in 64..16385');
  }
  const updateAfter = config.keyUpdateAfterRecords;
  if (updateAfter !== undefined && (!Number.isSafeInteger(updateAfter) || updateAfter < 1)) {
    throw new TLSError('INVALID_ARGUMENT', 'keyUpdateAfterRecords must be a positive integer');
  }
  const modes = config.pskKeyExchangeModes;
  if (modes !== undefined) {
    const known: readonly number[] = Object.values(PskKeyExchangeMode);
    if (modes.length === 0 || modes.some((m) => !known.includes(m)) || new Set(modes).size !== modes.length) {
      throw new TLSError('INVALID_ARGUMENT', 'pskKeyExchangeModes must list psk_dhe_ke and/or psk_ke, each once');
    }
  }
  for (const name of config.alpnProtocols ?? []) {
    const length = utf8(name).length;
    if (length < 1 || length > 255) throw new TLSError('INVALID_ARGUMENT', 'ALPN protocol names must be 1..255 bytes');
  }
  return { cipherSuites, groups, signatureSchemes };
}
