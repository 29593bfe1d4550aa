import { type ClientConfig, pskModesOf } from '../config.js';
import { type KeyShareSecret, type MaybePromise, isPending } from '../crypto/provider.js';
import { advertisedSignatureSchemes } from '../crypto/signature-schemes.js';
import { TLSError } from '../errors.js';
import * as ext from '../messages/extensions.js';
import { ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, type PskKeyExchangeMode } from '../registry.js';
import type { ClientHello, RawExtension } from '../messages/types.js';
import { utf8 } from '../wire/bytes.js';
import { type Resumption, pskExtensionPlaceholder, usableTicket } from './psk.js';

/** What the client offered; every reply is checked against this, not against the wire. */
export interface ClientOffer {
  readonly config: ClientConfig;
  readonly cipherSuites: readonly number[];
  readonly groups: readonly NamedGroup[];
  readonly signatureSchemes: readonly number[];
  readonly random: Uint8Array;
  readonly legacySessionId: Uint8Array;
  /** The SNI host name sent, if any (never an IP literal, RFC 6066 §3). */
  readonly sniHostName: string | undefined;
  readonly alpnProtocols: readonly Uint8Array[];
  /** The ticket offered for resumption, if any. */
  readonly resumption: Resumption | undefined;
  /** 0-RTT data, when the ticket allows it. */
  readonly earlyData: Uint8Array | undefined;
  /** psk_key_exchange_modes sent (RFC 8446 §4.2.9). */
  readonly pskModes: readonly PskKeyExchangeMode[];
}

/** The first ClientHello's invariant parts, chosen once and reused by a second ClientHello. */
export function makeOffer(config: ClientConfig, resolved: { cipherSuites: readonly number[]; groups: readonly NamedGroup[]; signatureSchemes: readonly number[] }): ClientOffer {
  const random = config.provider.random(32);
  const compat = config.compatibilityMode ?? true;
  const sniHostName = config.serverName !== undefined && !isIpLiteral(config.serverName) ? config.serverName : undefined;
  const resumption = usableTicket(config.session, sniHostName, resolved.cipherSuites, (config.now ?? Date.now)());
  const early = config.earlyData;
  return {
    config,
    ...resolved,
    random,
    legacySessionId: compat ? config.provider.random(32) : new Uint8Array(0),
    sniHostName,
    alpnProtocols: (config.alpnProtocols ?? []).map(utf8),
    resumption,
    earlyData: early !== undefined && resumption && early.length <= resumption.ticket.maxEarlyDataSize ? early : undefined,
    pskModes: pskModesOf(config),
  };
}

/**
 * Builds a ClientHello carrying `shares`; when answering a HelloRetryRequest, with its `cookie`
 * and never early data (RFC 8446 §4.1.2). A PSK offer goes last with a zero binder, which
 * `bindPsk` fills in once the message is final.
 */
export function buildClientHello(offer: ClientOffer, shares: readonly KeyShareSecret[], retry?: { cookie: Uint8Array | undefined; keepPsk: boolean }): ClientHello {
  const extensions: RawExtension[] = [];
  const add = (type: number, data: Uint8Array): void => {
    extensions.push({ type, data });
  };
  if (offer.sniHostName !== undefined) add(ExtensionType.server_name, ext.buildServerNameClientHello(offer.sniHostName));
  add(ExtensionType.supported_groups, ext.buildSupportedGroups(offer.groups));
  add(ExtensionType.signature_algorithms, ext.buildSignatureAlgorithms(advertisedSignatureSchemes(offer.signatureSchemes)));
  add(ExtensionType.key_share, ext.buildKeyShareClientHello(shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))));
  add(ExtensionType.supported_versions, ext.buildSupportedVersionsClientHello([ProtocolVersion.TLS1_3]));
  // Sent even without a PSK: servers issue tickets only to clients that can use them.
  add(ExtensionType.psk_key_exchange_modes, ext.buildPskKeyExchangeModes(offer.pskModes));
  if (offer.alpnProtocols.length > 0) add(ExtensionType.application_layer_protocol_negotiation, ext.buildAlpn(offer.alpnProtocols));
  if (offer.config.recordSizeLimit !== undefined) add(ExtensionType.record_size_limit, ext.buildRecordSizeLimit(offer.config.recordSizeLimit));
  // RFC 8446 §4.2.6: offered when we have a certificate to answer a later request with.
  if (offer.config.certificate) add(ExtensionType.post_handshake_auth, new Uint8Array(0));
  if (retry?.cookie !== undefined) add(ExtensionType.cookie, ext.buildCookie(retry.cookie));
  if (offer.earlyData !== undefined && !retry) add(ExtensionType.early_data, new Uint8Array(0));
  const now = (offer.config.now ?? Date.now)();
  const psk = offer.resumption && (!retry || retry.keepPsk) ? offer.resumption : undefined;
  if (psk) add(ExtensionType.pre_shared_key, pskExtensionPlaceholder(psk, now));

  const hello: ClientHello = {
    type: HandshakeType.client_hello,
    legacyVersion: ProtocolVersion.TLS1_2,
    random: offer.random,
    legacySessionId: offer.legacySessionId,
    cipherSuites: [...offer.cipherSuites],
    legacyCompressionMethods: new Uint8Array([0]),
    extensions,
  };
  offer.config.customizeClientHello?.(hello);
  return hello;
}

/**
 * Generates the ephemeral keys for the groups the first ClientHello carries shares for: at once
 * when the provider answers at once, as one promise when it does not (WebCrypto).
 */
export function initialKeyShares(offer: ClientOffer): MaybePromise<KeyShareSecret[]> {
  const wanted = offer.config.keyShareGroups ?? defaultShareGroups(offer.groups);
  const shares = wanted.map((group) => {
    if (!offer.groups.includes(group)) throw new TLSError('INVALID_ARGUMENT', `key share group 0x${group.toString(16)} is not in groups`);
    const algorithm = offer.config.provider.keyExchange(group);
    if (!algorithm) throw new TLSError('INVALID_ARGUMENT', `provider has no key exchange for group 0x${group.toString(16)}`);
    return algorithm.generate();
  });
  return shares.some(isPending) ? Promise.all(shares) : (shares as KeyShareSecret[]);
}

/**
 * One share for our first group; when that is the post-quantum hybrid, also X25519, which
 * every TLS 1.3 server has (as browsers do), so servers without ML-KEM need no HelloRetryRequest.
 */
function defaultShareGroups(groups: readonly NamedGroup[]): NamedGroup[] {
  const first = groups[0]!;
  if (first === NamedGroup.X25519MLKEM768 && groups.includes(NamedGroup.x25519)) return [first, NamedGroup.x25519];
  return [first];
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}
