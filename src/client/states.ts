import { type CipherSuiteParams, type KeyShareSecret, type MaybePromise, isPending } from '../crypto/provider.js';
import { cipherSuiteParams } from '../crypto/suites.js';
import { protocolError } from '../errors.js';
import { refuseSsl3OrOlder } from '../hello-version.js';
import { type HandshakeContext, type HandshakeState, expectType, frozenSessionInfo } from '../handshake-context.js';
import { KeySchedule, finishedVerifyData } from '../keyschedule.js';
import * as ext from '../messages/extensions.js';
import { findExtension, isHelloRetryRequest } from '../messages/handshake.js';
import { ExtensionType, HandshakeType, ProtocolVersion, PskKeyExchangeMode, extensionTypeName, isNamedGroup, namedGroupName } from '../registry.js';
import type { CertificateRequest, ReceivedMessage, ServerHello } from '../messages/types.js';
import { type ChainVerdict, receiveCertificate, receiveCertificateVerify, receiveFinished } from '../peer-auth.js';
import type { Transcript } from '../transcript.js';
import { bytesEqual, fromUtf8, zeroize } from '../wire/bytes.js';
import { type ClientCertificateRequest, readCertificateRequest, sendClientCertificate } from './client-auth.js';
import { type ClientOffer, buildClientHello } from './client-hello.js';
import { type Resumption, bindPsk } from './psk.js';
import { ClientConnected } from './connected.js';

/**
 * The TLS 1.3 client handshake (RFC 8446 §2, §4), one class per state:
 * ExpectServerHello → ExpectEncryptedExtensions → ExpectCertificate → ExpectCertificateVerify
 * → ExpectFinished → ClientConnected.
 */

/** The last 8 bytes of a ServerHello.random from a TLS 1.3 server forced down (RFC 8446 §4.1.3). */
const DOWNGRADE_TLS12 = new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]);
const DOWNGRADE_TLS11 = new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]);

/** Extensions a server may put in ServerHello / HelloRetryRequest (RFC 8446 §4.2 table). */
const SERVER_HELLO_EXTENSIONS = new Set<number>([ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.pre_shared_key]);
const HELLO_RETRY_EXTENSIONS = new Set<number>([ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.cookie]);

/** A server's Certificate answers no request: its certificate_request_context is empty (RFC 8446 §4.4.2). */
const NO_CONTEXT = new Uint8Array(0);

/** A ticket offered in the ClientHello, with the key schedule its PSK starts. */
export interface PskAttempt {
  resumption: Resumption;
  schedule: KeySchedule;
  /** 0-RTT data went out under the early keys, which stay our write keys until EndOfEarlyData. */
  earlyData: boolean;
}

/** What every state after ServerHello carries forward. */
interface NegotiatedHandshake {
  offer: ClientOffer;
  suite: CipherSuiteParams;
  /** The (EC)DHE group; undefined for psk_ke resumption. */
  group: number | undefined;
  transcript: Transcript;
  schedule: KeySchedule;
  clientSecret: Uint8Array;
  serverSecret: Uint8Array;
  helloRetry: boolean;
  /** Whether our change_cipher_spec went out already (it is sent once, RFC 8446 Appendix D.4). */
  sentChangeCipherSpec: boolean;
  /** The server accepted our PSK: no certificate follows. */
  resumed: Resumption | undefined;
  /** We sent 0-RTT data; EncryptedExtensions says whether it was taken. */
  earlyDataSent: boolean;
  /** The server asked for our certificate (set by ExpectCertificate). */
  certificateRequest?: ClientCertificateRequest;
}

interface ServerParameters {
  alpnProtocol: string | undefined;
  serverNameAcknowledged: boolean;
  earlyDataAccepted: boolean;
}

export class ExpectServerHello implements HandshakeState {
  readonly name = 'ExpectServerHello';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly offer: ClientOffer,
    private readonly shares: readonly KeyShareSecret[],
    private readonly transcript: Transcript,
    private readonly psk: PskAttempt | undefined,
    /** Set after a HelloRetryRequest: the suite it chose, which ServerHello must repeat. */
    private readonly retriedSuite?: number,
    private readonly sentChangeCipherSpec = false,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message: hello, raw } = expectType(received, HandshakeType.server_hello, this.name);
    refuseSsl3OrOlder(hello.legacyVersion, 'ServerHello');
    if (isHelloRetryRequest(hello)) {
      this.checkCommonFields(hello);
      return this.handleHelloRetryRequest(hello, raw);
    }

    // 1. The version: only TLS 1.3, announced in supported_versions. It comes first: an older
    // server answers by its own rules (a session id of its own, RFC 5246 §7.4.1.3), and is
    // told protocol_version, not what TLS 1.3 would make of its fields.
    const versionData = findExtension(hello.extensions, ExtensionType.supported_versions);
    if (versionData === undefined) {
      const tail = hello.random.subarray(24);
      if (bytesEqual(tail, DOWNGRADE_TLS12) || bytesEqual(tail, DOWNGRADE_TLS11)) {
        throw protocolError('downgrade_detected', 'server signals a downgrade from TLS 1.3 (RFC 8446 §4.1.3)');
      }
      throw protocolError('tls13_not_supported', 'server does not support TLS 1.3');
    }
    checkSelectedVersion(ext.parseSupportedVersionsServerHello(versionData));
    this.checkCommonFields(hello);
    checkLegacyVersion(hello);
    checkExtensionsAllowed(hello.extensions, SERVER_HELLO_EXTENSIONS, 'ServerHello');

    // 2. The suite, repeated from a HelloRetryRequest if there was one.
    const suite = this.offeredSuite(hello.cipherSuite);
    if (this.retriedSuite !== undefined && hello.cipherSuite !== this.retriedSuite) {
      throw protocolError('hello_retry_suite_changed', 'ServerHello cipher suite differs from the HelloRetryRequest');
    }
    const resumed = this.acceptedPsk(hello, suite);

    // 3. The key share must answer one of ours; resuming, none means psk_ke (RFC 8446 §4.2.9).
    const { group, completed } = this.keyExchange(hello, resumed);
    // Awaited only when pending (WebCrypto): a synchronous provider costs no extra microtask.
    const sharedSecret = isPending(completed) ? await completed : completed;

    // 4. Handshake secrets over ClientHello..ServerHello.
    this.transcript.selectHash(suite.hash);
    this.transcript.update(raw);
    const schedule = resumed ? this.psk!.schedule : new KeySchedule(this.ctx.provider, suite.hash, undefined, this.ctx.onSecret);
    schedule.enterHandshake(sharedSecret);
    if (sharedSecret) zeroize(sharedSecret);
    const secrets = schedule.handshakeTrafficSecrets(this.transcript.current());
    this.ctx.installReadKeys(suite, secrets.server, 'handshake');
    // After 0-RTT our early keys stay in use until EndOfEarlyData (RFC 8446 §4.5).
    const earlyDataSent = this.psk?.earlyData === true && this.retriedSuite === undefined;
    if (!earlyDataSent) this.ctx.installWriteKeys(suite, secrets.client, 'handshake');

    return new ExpectEncryptedExtensions(this.ctx, {
      offer: this.offer,
      suite,
      group,
      transcript: this.transcript,
      schedule,
      clientSecret: secrets.client,
      serverSecret: secrets.server,
      helloRetry: this.retriedSuite !== undefined,
      sentChangeCipherSpec: this.sentChangeCipherSpec,
      resumed: resumed ? this.psk!.resumption : undefined,
      earlyDataSent,
    });
  }

  /**
   * The (EC)DHE part of the ServerHello. A full handshake and psk_dhe_ke need a share answering
   * one of ours; psk_ke has none. Each mode is acceptable only if we offered it (§4.2.9).
   */
  private keyExchange(hello: ServerHello, resumed: boolean): { group: number | undefined; completed: MaybePromise<Uint8Array> | undefined } {
    const shareData = findExtension(hello.extensions, ExtensionType.key_share);
    if (shareData === undefined) {
      if (resumed && this.offer.pskModes.includes(PskKeyExchangeMode.psk_ke)) return { group: undefined, completed: undefined };
      throw protocolError('missing_key_share', 'ServerHello has no key_share');
    }
    if (resumed && !this.offer.pskModes.includes(PskKeyExchangeMode.psk_dhe_ke)) {
      throw protocolError('unoffered_psk_mode', 'ServerHello resumes with (EC)DHE (psk_dhe_ke), which was not offered');
    }
    const serverShare = ext.parseKeyShareServerHello(shareData);
    const ours = this.shares.find((s) => s.group === serverShare.group);
    if (!ours) throw protocolError('unoffered_key_share_group', `ServerHello key share for ${namedGroupName(serverShare.group)} answers none of ours`);
    return { group: serverShare.group, completed: ours.complete(serverShare.keyExchange) };
  }

  /** RFC 8446 §4.2.11: the server may select our (only) PSK, with a suite of the PSK's hash. */
  private acceptedPsk(hello: ServerHello, suite: CipherSuiteParams): boolean {
    const data = findExtension(hello.extensions, ExtensionType.pre_shared_key);
    if (data === undefined) return false;
    if (!this.psk || (this.retriedSuite !== undefined && !this.pskKeptAfterRetry)) {
      throw protocolError('unsolicited_extension', 'ServerHello selects a PSK that was not offered');
    }
    if (ext.parsePreSharedKeyServerHello(data) !== 0) throw protocolError('unoffered_psk_identity', 'ServerHello selects a PSK identity that was not offered');
    if (suite.hash !== this.psk.resumption.suite.hash) throw protocolError('psk_hash_mismatch', "ServerHello suite does not match the PSK's hash");
    return true;
  }

  /** After a HelloRetryRequest, the PSK is offered again only if the suite's hash fits it. */
  private get pskKeptAfterRetry(): boolean {
    const retried = this.retriedSuite === undefined ? undefined : cipherSuiteParams.get(this.retriedSuite);
    return this.psk !== undefined && retried?.hash === this.psk.resumption.suite.hash;
  }

  private checkCommonFields(hello: ServerHello): void {
    if (!bytesEqual(hello.legacySessionIdEcho, this.offer.legacySessionId)) {
      throw protocolError('session_id_not_echoed', 'ServerHello legacy_session_id_echo does not echo ours');
    }
    if (hello.legacyCompressionMethod !== 0) throw protocolError('compression_not_null', 'ServerHello compression method is not null');
  }

  private offeredSuite(suite: number): CipherSuiteParams {
    const params = cipherSuiteParams.get(suite);
    if (!params || !this.offer.cipherSuites.includes(suite)) {
      throw protocolError('unoffered_cipher_suite', `server chose cipher suite 0x${suite.toString(16)}, which was not offered`);
    }
    return params;
  }

  /** RFC 8446 §4.1.4: answer once, with a share for the requested group and the cookie. */
  private async handleHelloRetryRequest(retry: ServerHello, raw: Uint8Array): Promise<HandshakeState> {
    if (this.retriedSuite !== undefined) throw protocolError('second_hello_retry', 'a second HelloRetryRequest');
    const versionData = findExtension(retry.extensions, ExtensionType.supported_versions);
    if (versionData === undefined) throw protocolError('missing_supported_versions', 'HelloRetryRequest without supported_versions');
    checkSelectedVersion(ext.parseSupportedVersionsServerHello(versionData));
    checkLegacyVersion(retry);
    checkExtensionsAllowed(retry.extensions, HELLO_RETRY_EXTENSIONS, 'HelloRetryRequest');
    const suite = this.offeredSuite(retry.cipherSuite);

    const groupData = findExtension(retry.extensions, ExtensionType.key_share);
    const cookieData = findExtension(retry.extensions, ExtensionType.cookie);
    if (groupData === undefined && cookieData === undefined) {
      throw protocolError('hello_retry_changes_nothing', 'HelloRetryRequest would not change the ClientHello');
    }
    let shares = this.shares;
    if (groupData !== undefined) {
      const group = ext.parseKeyShareHelloRetryRequest(groupData);
      if (!isNamedGroup(group) || !this.offer.groups.includes(group)) {
        throw protocolError('hello_retry_unoffered_group', `HelloRetryRequest asks for ${namedGroupName(group)}, which was not offered`);
      }
      if (this.shares.some((s) => s.group === group)) {
        throw protocolError('hello_retry_group_already_shared', `HelloRetryRequest asks for ${namedGroupName(group)}, which already had a share`);
      }
      const algorithm = this.ctx.provider.keyExchange(group);
      if (!algorithm) throw protocolError('hello_retry_group_unavailable', `no key exchange for ${namedGroupName(group)}`);
      const generated = algorithm.generate();
      shares = [isPending(generated) ? await generated : generated];
    }
    const cookie = cookieData === undefined ? undefined : ext.parseCookie(cookieData);

    // The transcript restarts from message_hash(ClientHello1) (RFC 8446 §4.4.1).
    this.transcript.selectHash(suite.hash);
    this.transcript.replaceWithMessageHash();
    this.transcript.update(raw);

    const compat = this.offer.legacySessionId.length > 0;
    if (compat && !this.sentChangeCipherSpec) this.ctx.sendChangeCipherSpec();
    // RFC 8446 §4.1.2: no early data in the second ClientHello, which itself goes in the clear;
    // the PSK stays only if the chosen suite's hash fits it, with a binder over the new transcript.
    if (this.psk?.earlyData) this.ctx.clearWriteKeys();
    const keepPsk = this.psk !== undefined && suite.hash === this.psk.resumption.suite.hash;
    const second = buildClientHello(this.offer, shares, { cookie, keepPsk });
    if (keepPsk) bindPsk(this.ctx.provider, second, this.psk!.schedule, (truncated) => this.transcript.currentWith(truncated));
    this.ctx.sendMessage(second, this.transcript);
    const psk = keepPsk ? { ...this.psk!, earlyData: false } : undefined;
    return new ExpectServerHello(this.ctx, this.offer, shares, this.transcript, psk, retry.cipherSuite, compat || this.sentChangeCipherSpec);
  }
}

class ExpectEncryptedExtensions implements HandshakeState {
  readonly name = 'ExpectEncryptedExtensions';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly hs: NegotiatedHandshake,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message, raw } = expectType(received, HandshakeType.encrypted_extensions, this.name);
    const { offer } = this.hs;
    const params: ServerParameters = { alpnProtocol: undefined, serverNameAcknowledged: false, earlyDataAccepted: false };
    for (const { type, data } of message.extensions) {
      switch (type) {
        case ExtensionType.server_name:
          if (offer.sniHostName === undefined) throw unsolicited(type);
          ext.parseEmptyExtension(data);
          params.serverNameAcknowledged = true;
          break;
        case ExtensionType.supported_groups:
          // The server's preferences, for later connections; validated, otherwise informational.
          ext.parseSupportedGroups(data);
          break;
        case ExtensionType.application_layer_protocol_negotiation: {
          if (offer.alpnProtocols.length === 0) throw unsolicited(type);
          const chosen = ext.parseAlpn(data);
          // RFC 7301 §3.1: exactly one name, which must be one we offered.
          if (chosen.length !== 1 || !offer.alpnProtocols.some((p) => bytesEqual(p, chosen[0]!))) {
            throw protocolError('unoffered_alpn_protocol', 'server selected an ALPN protocol that was not offered');
          }
          params.alpnProtocol = fromUtf8(chosen[0]!);
          break;
        }
        case ExtensionType.early_data:
          if (!this.hs.earlyDataSent) throw unsolicited(type);
          ext.parseEmptyExtension(data);
          // RFC 8446 §4.2.10: early data is accepted only together with our (first) PSK.
          if (!this.hs.resumed) throw protocolError('early_data_without_psk', 'server accepted early data without selecting our PSK');
          params.earlyDataAccepted = true;
          break;
        case ExtensionType.record_size_limit: {
          if (offer.config.recordSizeLimit === undefined) throw unsolicited(type);
          this.ctx.setPeerRecordSizeLimit(ext.parseRecordSizeLimit(data));
          break;
        }
        default:
          // RFC 8446 §4.2: a known extension that has no place in EncryptedExtensions is
          // illegal_parameter; one we never offered is unsupported_extension.
          if (ext.extensionAllowedIn(type, 'EE') === false) {
            throw protocolError('extension_not_allowed', `${extensionTypeName(type)} is not allowed in EncryptedExtensions`);
          }
          throw unsolicited(type);
      }
    }
    // RFC 8446 §4.2.10: our 0-RTT data was sent for the ticket's suite and ALPN protocol.
    const ticket = this.hs.resumed?.ticket;
    if (params.earlyDataAccepted && (ticket!.cipherSuite !== this.hs.suite.suite || ticket!.alpnProtocol !== params.alpnProtocol)) {
      throw protocolError('early_data_parameters_mismatch', "server accepted early data with another suite or ALPN protocol than the ticket's");
    }
    this.hs.transcript.update(raw);
    // A resumed session is authenticated by the PSK: Finished follows directly (RFC 8446 §2.2).
    if (this.hs.resumed) {
      const verdict = { authorized: this.hs.resumed.ticket.authorized, error: undefined };
      return new ExpectFinished(this.ctx, this.hs, params, [], verdict, undefined);
    }
    return new ExpectCertificate(this.ctx, this.hs, params);
  }
}

class ExpectCertificate implements HandshakeState {
  readonly name = 'ExpectCertificate';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly hs: NegotiatedHandshake,
    private readonly params: ServerParameters,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    if (received.message.type === HandshakeType.certificate_request && !this.hs.certificateRequest) {
      const { message, raw } = received as ReceivedMessage<CertificateRequest>;
      this.hs.certificateRequest = readCertificateRequest(message, false);
      this.hs.transcript.update(raw);
      return this;
    }
    const certificate = expectType(received, HandshakeType.certificate, this.name);
    const config = this.hs.offer.config;
    // A server's Certificate is never empty: receiveCertificate throws rather than return undefined.
    const peer = await receiveCertificate(
      this.ctx,
      certificate,
      {
        peer: 'server',
        context: NO_CONTEXT,
        verifier: config.verifier,
        verification: { peerRole: 'server', ...(config.serverName !== undefined ? { serverName: config.serverName } : {}) },
        reject: config.rejectUnauthorized ?? true,
        required: true,
      },
      this.hs.transcript,
    );
    return new ExpectCertificateVerify(this.ctx, this.hs, this.params, peer!.chain, peer!.verdict);
  }
}

class ExpectCertificateVerify implements HandshakeState {
  readonly name = 'ExpectCertificateVerify';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly hs: NegotiatedHandshake,
    private readonly params: ServerParameters,
    private readonly chain: readonly Uint8Array[],
    private readonly verdict: ChainVerdict,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const verify = expectType(received, HandshakeType.certificate_verify, this.name);
    const scheme = await receiveCertificateVerify(this.ctx, verify, 'server', this.hs.offer.signatureSchemes, this.chain[0]!, this.hs.transcript);
    return new ExpectFinished(this.ctx, this.hs, this.params, this.chain, this.verdict, scheme);
  }
}

class ExpectFinished implements HandshakeState {
  readonly name = 'ExpectFinished';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly hs: NegotiatedHandshake,
    private readonly params: ServerParameters,
    private readonly chain: readonly Uint8Array[],
    private readonly verdict: ChainVerdict,
    private readonly signatureScheme: number | undefined,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const finished = expectType(received, HandshakeType.finished, this.name);
    const { transcript, schedule, suite, offer } = this.hs;
    const provider = this.ctx.provider;

    // 1. The server's Finished covers everything up to its CertificateVerify.
    receiveFinished(this.ctx, finished, 'server', suite.hash, this.hs.serverSecret, transcript);

    // 2. Application secrets over ClientHello..server Finished; the server may already send data.
    schedule.enterMaster();
    const app = schedule.applicationSecrets(transcript.current());
    this.ctx.installReadKeys(suite, app.server, 'application');

    // 3. Our flight: EndOfEarlyData under the early keys if the server took our 0-RTT data
    // (RFC 8446 §4.5), change_cipher_spec in compatibility mode, then Finished.
    if (this.hs.earlyDataSent) {
      if (this.params.earlyDataAccepted) this.ctx.sendMessage({ type: HandshakeType.end_of_early_data }, transcript);
      this.ctx.installWriteKeys(suite, this.hs.clientSecret, 'handshake');
    }
    if (offer.legacySessionId.length > 0 && !this.hs.sentChangeCipherSpec) this.ctx.sendChangeCipherSpec();
    if (this.hs.certificateRequest) await sendClientCertificate(this.ctx, offer.config.certificate, this.hs.certificateRequest, transcript);
    const verifyData = finishedVerifyData(provider, suite.hash, this.hs.clientSecret, transcript.current());
    this.ctx.sendMessage({ type: HandshakeType.finished, verifyData }, transcript);
    this.ctx.installWriteKeys(suite, app.client, 'application');
    const resumptionMaster = schedule.resumptionMasterSecret(transcript.current());
    zeroize(this.hs.clientSecret, this.hs.serverSecret);

    const info = frozenSessionInfo({
      version: 'TLSv1.3',
      cipherSuite: suite.suite,
      group: this.hs.group,
      signatureScheme: this.signatureScheme,
      alpnProtocol: this.params.alpnProtocol,
      serverName: offer.sniHostName,
      helloRetry: this.hs.helloRetry,
      resumed: this.hs.resumed !== undefined,
      earlyData: this.hs.earlyDataSent ? (this.params.earlyDataAccepted ? 'accepted' : 'rejected') : offer.earlyData && this.hs.helloRetry ? 'rejected' : 'not_offered',
      peerCertificates: this.chain,
      authorized: this.verdict.authorized,
      authorizationError: this.verdict.error,
    });
    this.ctx.complete(info, { suite, clientApplication: app.client, serverApplication: app.server, exporter: app.exporter });
    return new ClientConnected(this.ctx, suite, resumptionMaster, info, { transcript, certificate: offer.config.certificate }, offer.config.now);
  }
}

function checkSelectedVersion(version: number): void {
  if (version !== ProtocolVersion.TLS1_3) {
    throw protocolError('unoffered_version', `server selected version 0x${version.toString(16)}, which was not offered`);
  }
}

/**
 * RFC 8446 §4.1.3: a server negotiating TLS 1.3 sets legacy_version to 0x0303; anything else
 * next to a supported_versions of TLS 1.3 is a malformed hello (Go and BoringSSL refuse it too).
 */
function checkLegacyVersion(hello: ServerHello): void {
  if (hello.legacyVersion !== ProtocolVersion.TLS1_2) {
    throw protocolError('invalid_legacy_version', `ServerHello legacy_version is 0x${hello.legacyVersion.toString(16).padStart(4, '0')}, not 0x0303`);
  }
}

function checkExtensionsAllowed(extensions: readonly { type: number }[], allowed: ReadonlySet<number>, where: string): void {
  for (const { type } of extensions) {
    if (!allowed.has(type)) {
      if (ext.extensionAllowedIn(type, where === 'ServerHello' ? 'SH' : 'HRR') === false && ext.isKnownExtension(type)) {
        throw protocolError('extension_not_allowed', `${extensionTypeName(type)} is not allowed in ${where}`);
      }
      throw unsolicited(type);
    }
  }
}

/** RFC 8446 §4.2: a reply extension the client never offered is unsupported_extension. */
function unsolicited(type: number) {
  return protocolError('unsolicited_extension', `server sent ${extensionTypeName(type)}, which the client did not offer`);
}
