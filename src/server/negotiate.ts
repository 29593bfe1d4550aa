import type { ServerCertificate } from '../config.js';
import type { CipherSuiteParams } from '../crypto/provider.js';
import { cipherSuiteParams } from '../crypto/suites.js';
import { protocolError } from '../errors.js';
import { refuseSsl3OrOlder } from '../hello-version.js';
import * as ext from '../messages/extensions.js';
import { findExtension } from '../messages/handshake.js';
import { ExtensionType, ProtocolVersion, type PskKeyExchangeMode, type SignatureScheme, extensionTypeName } from '../registry.js';
import type { ClientHello } from '../messages/types.js';
import { bytesEqual, fromUtf8 } from '../wire/bytes.js';
import type { PskOffer } from './resumption.js';

/**
 * Reading a ClientHello and choosing what the server will do with it. Pure functions of the
 * ClientHello and the server's preferences; the state machine acts on the result.
 */

/** The ClientHello extensions the server acts on, parsed and validated. */
export interface ClientHelloOffer {
  serverName: string | undefined;
  groups: readonly number[];
  keyShares: readonly { group: number; keyExchange: Uint8Array }[];
  signatureSchemes: readonly number[];
  alpnProtocols: readonly Uint8Array[];
  recordSizeLimit: number | undefined;
  cookie: Uint8Array | undefined;
  /** The offered tickets with their binders, and the key exchange modes allowed with them. */
  psk: PskOffer | undefined;
  /** psk_key_exchange_modes: whether tickets we issue can be used (RFC 8446 §4.2.9). */
  pskModes: readonly number[];
  offersEarlyData: boolean;
  /** post_handshake_auth: the client will answer a CertificateRequest after the handshake. */
  postHandshakeAuth: boolean;
}

export function readClientHello(hello: ClientHello): ClientHelloOffer {
  checkClientHelloVersion(hello);
  const read = readClientHelloExtensions(hello.extensions);
  checkRequiredExtensions(read);
  checkKeySharesMatchGroups(read.offer);
  return read.offer;
}

function checkClientHelloVersion(hello: ClientHello): void {
  // The version comes first (RFC 8446 §D.2, §D.5): an older client is told protocol_version,
  // not whatever else of TLS 1.3 its hello fails (compression methods, extensions).
  refuseSsl3OrOlder(hello.legacyVersion, 'ClientHello');
  const versions = findExtension(hello.extensions, ExtensionType.supported_versions);
  if (versions === undefined || !ext.parseSupportedVersionsClientHello(versions).includes(ProtocolVersion.TLS1_3)) {
    throw protocolError('tls13_not_supported', 'client does not offer TLS 1.3');
  }
  // RFC 8446 §4.1.2: TLS 1.3 requires exactly the null compression method.
  if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) {
    throw protocolError('compression_not_null', 'ClientHello compression methods must be exactly [null]');
  }
}

/** The offer as its extensions state it, with what the presence checks need to know. */
interface ExtensionsRead {
  offer: ClientHelloOffer;
  sawGroups: boolean;
  sawKeyShare: boolean;
  pskModes: number[] | undefined;
}

function readClientHelloExtensions(extensions: ClientHello['extensions']): ExtensionsRead {
  const offer: ClientHelloOffer = {
    serverName: undefined,
    groups: [],
    keyShares: [],
    signatureSchemes: [],
    alpnProtocols: [],
    recordSizeLimit: undefined,
    cookie: undefined,
    psk: undefined,
    pskModes: [],
    offersEarlyData: false,
    postHandshakeAuth: false,
  };
  const read: ExtensionsRead = { offer, sawGroups: false, sawKeyShare: false, pskModes: undefined };
  for (const { type, data } of extensions) {
    if (ext.extensionAllowedIn(type, 'CH') === false) {
      throw protocolError('extension_not_allowed', `${extensionTypeName(type)} is not allowed in ClientHello`);
    }
    readClientHelloExtension(read, type, data);
  }
  return read;
}

function readClientHelloExtension(read: ExtensionsRead, type: number, data: Uint8Array): void {
  const { offer } = read;
  switch (type) {
    case ExtensionType.server_name:
      offer.serverName = ext.parseServerNameClientHello(data);
      break;
    case ExtensionType.supported_groups:
      offer.groups = ext.parseSupportedGroups(data);
      read.sawGroups = true;
      break;
    case ExtensionType.key_share:
      offer.keyShares = ext.parseKeyShareClientHello(data);
      read.sawKeyShare = true;
      break;
    case ExtensionType.signature_algorithms:
      offer.signatureSchemes = ext.parseSignatureAlgorithms(data);
      break;
    case ExtensionType.application_layer_protocol_negotiation:
      offer.alpnProtocols = ext.parseAlpn(data);
      break;
    case ExtensionType.record_size_limit:
      offer.recordSizeLimit = ext.parseRecordSizeLimit(data);
      break;
    case ExtensionType.cookie:
      offer.cookie = ext.parseCookie(data);
      break;
    case ExtensionType.pre_shared_key: {
      const offered = ext.parsePreSharedKeyClientHello(data);
      offer.psk = { offered, modes: [], bindersLength: ext.pskBindersLength(offered.binders) };
      break;
    }
    case ExtensionType.post_handshake_auth:
      ext.parseEmptyExtension(data);
      offer.postHandshakeAuth = true;
      break;
    case ExtensionType.early_data:
      ext.parseEmptyExtension(data);
      offer.offersEarlyData = true;
      break;
    case ExtensionType.psk_key_exchange_modes:
      read.pskModes = ext.parsePskKeyExchangeModes(data);
      break;
    default:
      // Every other extension is validated by its parser when we know it, and ignored.
      ext.validateExtension(type, data, 'CH');
  }
}

function checkRequiredExtensions({ offer, sawGroups, sawKeyShare, pskModes }: ExtensionsRead): void {
  // RFC 8446 §9.2: certificate-based handshakes need these, and supported_groups and
  // key_share come together.
  if (offer.signatureSchemes.length === 0) throw protocolError('missing_signature_algorithms', 'ClientHello lacks signature_algorithms');
  if (!sawGroups || !sawKeyShare) throw protocolError('missing_groups_or_key_share', 'ClientHello lacks supported_groups or key_share');
  // RFC 8446 §4.2.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes"
  // extension, servers MUST abort the handshake" (no alert named; the extension is missing).
  if (offer.psk && pskModes === undefined) throw protocolError('missing_psk_key_exchange_modes', 'ClientHello offers a PSK without psk_key_exchange_modes');
  if (offer.psk) offer.psk.modes = pskModes!;
  offer.pskModes = pskModes ?? [];
}

/** RFC 8446 §4.2.8: shares in supported_groups order, at most one per group. */
function checkKeySharesMatchGroups(offer: ClientHelloOffer): void {
  let lastIndex = -1;
  for (const share of offer.keyShares) {
    const index = offer.groups.indexOf(share.group);
    if (index < 0) throw protocolError('key_share_group_not_supported', 'key share for a group not in supported_groups');
    if (index <= lastIndex) throw protocolError('key_shares_out_of_order', 'key shares are duplicated or out of supported_groups order');
    lastIndex = index;
  }
}

export function chooseCipherSuite(offered: readonly number[], ours: readonly number[]): CipherSuiteParams {
  for (const suite of ours) if (offered.includes(suite)) return cipherSuiteParams.get(suite)!;
  throw protocolError('no_common_cipher_suite', 'no cipher suite in common');
}

/**
 * Our most preferred group the client sent a share for; failing that, our most preferred group
 * it supports, which costs a HelloRetryRequest.
 */
export function chooseGroup(offer: ClientHelloOffer, ours: readonly number[]): { group: number; share: Uint8Array } | { group: number; share: undefined } {
  for (const group of ours) {
    const share = offer.keyShares.find((s) => s.group === group);
    if (share) return { group, share: share.keyExchange };
  }
  for (const group of ours) if (offer.groups.includes(group)) return { group, share: undefined };
  throw protocolError('no_common_group', 'no key exchange group in common');
}

/**
 * RFC 8446 §4.2.9: the resumption mode, the first of ours (preference order) the client
 * offered; undefined when none is shared, and then no ticket is used or worth issuing.
 */
export function choosePskMode(offered: readonly number[], ours: readonly PskKeyExchangeMode[]): PskKeyExchangeMode | undefined {
  return ours.find((mode) => offered.includes(mode));
}

/** The first certificate that fits the server name, with the scheme it will sign with. */
export function chooseCertificate(
  certificates: readonly ServerCertificate[],
  serverName: string | undefined,
  clientSchemes: readonly number[],
): { certificate: ServerCertificate; scheme: SignatureScheme } {
  const byName = certificates.filter((c) => serverName === undefined || !c.serverNames?.length || c.serverNames.some((n) => nameMatches(n, serverName)));
  // A client asking for a name we have no certificate for still gets our default one; it will
  // reject it with a clear error, which beats an opaque handshake_failure.
  for (const certificate of byName.length > 0 ? byName : certificates) {
    const scheme = certificate.key.schemes.find((s) => clientSchemes.includes(s));
    if (scheme !== undefined) return { certificate, scheme };
  }
  throw protocolError('no_usable_certificate', 'no certificate can sign with a scheme the client accepts');
}

function nameMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (p.startsWith('*.')) {
    const dot = n.indexOf('.');
    return dot > 0 && n.slice(dot + 1) === p.slice(2);
  }
  return p === n;
}

/** RFC 7301 §3.2: our first preference the client offers; none in common is fatal. */
export function chooseAlpn(offered: readonly Uint8Array[], ours: readonly Uint8Array[]): { wire: Uint8Array; name: string } | undefined {
  if (offered.length === 0 || ours.length === 0) return undefined;
  for (const protocol of ours) {
    if (offered.some((p) => bytesEqual(p, protocol))) return { wire: protocol, name: fromUtf8(protocol) ?? '' };
  }
  throw protocolError('no_common_alpn_protocol', 'no ALPN protocol in common');
}
