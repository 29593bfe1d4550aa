import { type ServerCertificate, type ServerConfig, pskModesOf } from '../config.js';
import { type CipherSuiteParams, type HashName, isPending } from '../crypto/provider.js';
import { protocolError } from '../errors.js';
import { type HandshakeContext, type HandshakeState, type SessionInfo, expectType, frozenSessionInfo } from '../handshake-context.js';
import { KeySchedule, finishedVerifyData, resumptionPsk } from '../keyschedule.js';
import * as ext from '../messages/extensions.js';
import { HELLO_RETRY_REQUEST_RANDOM, encodeHandshake } from '../messages/handshake.js';
import { ExtensionType, HandshakeType, ProtocolVersion, PskKeyExchangeMode, type SignatureScheme, isNamedGroup } from '../registry.js';
import type { Certificate, ClientHello, EncryptedExtensions, RawExtension, ReceivedMessage } from '../messages/types.js';
import { certificateVerifyContent, receiveFinished } from '../peer-auth.js';
import { Transcript } from '../transcript.js';
import { bytesEqual, utf8, zeroize } from '../wire/bytes.js';
import { type ClientAuthPolicy, ExpectClientCertificate, certificateRequest, withClientIdentity } from './client-auth.js';
import { ServerConnected } from './connected.js';
import { type AcceptedPsk, acceptPsk } from './resumption.js';
import { MAX_TICKET_LIFETIME_SECONDS } from './tickets.js';
import { type ClientHelloOffer, chooseAlpn, chooseCertificate, chooseCipherSuite, chooseGroup, choosePskMode, readClientHello } from './negotiate.js';

/**
 * The TLS 1.3 server handshake (RFC 8446 §2, §4), one class per state:
 * ExpectClientHello → [ExpectSecondClientHello] → ExpectFinished → ServerConnected.
 */

export interface ResolvedServerConfig {
  config: ServerConfig;
  cipherSuites: readonly number[];
  groups: readonly number[];
  signatureSchemes: readonly number[];
}

export class ExpectClientHello implements HandshakeState {
  readonly name = 'ExpectClientHello';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly server: ResolvedServerConfig,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message: hello, raw } = expectType(received, HandshakeType.client_hello, this.name);
    const transcript = new Transcript(this.ctx.provider);
    transcript.update(raw);

    const offer = readClientHello(hello);
    const suite = chooseCipherSuite(hello.cipherSuites, this.server.cipherSuites);
    const binderHash = offer.psk ? hashOf(this.ctx, suite.hash, raw.subarray(0, raw.length - offer.psk.bindersLength)) : undefined;
    const first = { hello, offer, suite, transcript, binderHash, helloRetry: false, sentChangeCipherSpec: false };
    // psk_ke needs no key share (RFC 8446 §4.2.9), so a usable ticket is looked for before
    // any HelloRetryRequest; without one the handshake goes on as a full one.
    if (choosePskMode(offer.pskModes, pskModesOf(this.server.config)) === PskKeyExchangeMode.psk_ke) {
      const psk = acceptOfferedPsk(this.ctx, this.server.config, first);
      if (psk) return serverFlight(this.ctx, this.server, { ...first, keyExchange: undefined, psk });
    }
    const choice = chooseGroup(offer, this.server.groups);
    if (choice.share !== undefined) {
      return serverFlight(this.ctx, this.server, { ...first, keyExchange: { group: choice.group, clientShare: choice.share } });
    }

    // RFC 8446 §4.1.4: ask for a share of the group we chose.
    transcript.selectHash(suite.hash);
    transcript.replaceWithMessageHash();
    const cookie = this.server.config.helloRetryCookie?.();
    const extensions: RawExtension[] = [{ type: ExtensionType.key_share, data: ext.buildKeyShareHelloRetryRequest(choice.group) }];
    if (cookie !== undefined) extensions.push({ type: ExtensionType.cookie, data: ext.buildCookie(cookie) });
    extensions.push({ type: ExtensionType.supported_versions, data: ext.buildSupportedVersionsServerHello(ProtocolVersion.TLS1_3) });
    this.ctx.sendMessage(
      {
        type: HandshakeType.server_hello,
        legacyVersion: ProtocolVersion.TLS1_2,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacySessionIdEcho: hello.legacySessionId,
        cipherSuite: suite.suite,
        legacyCompressionMethod: 0,
        extensions,
      },
      transcript,
    );
    // Appendix D.4: in compatibility mode the server's CCS follows its first handshake message.
    const compat = hello.legacySessionId.length > 0;
    if (compat) this.ctx.sendChangeCipherSpec();
    return new ExpectSecondClientHello(this.ctx, this.server, hello, suite, choice.group, cookie, transcript, compat);
  }
}

class ExpectSecondClientHello implements HandshakeState {
  readonly name = 'ExpectSecondClientHello';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly server: ResolvedServerConfig,
    private readonly first: ClientHello,
    private readonly suite: CipherSuiteParams,
    private readonly group: number,
    private readonly cookie: Uint8Array | undefined,
    private readonly transcript: Transcript,
    private readonly sentChangeCipherSpec: boolean,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message: hello, raw } = expectType(received, HandshakeType.client_hello, this.name);
    const offer = readClientHello(hello);
    // The binder covers message_hash(ClientHello1), the HelloRetryRequest and this ClientHello
    // up to its binders (RFC 8446 §4.2.11.2).
    const binderHash = offer.psk ? this.transcript.currentWith(raw.subarray(0, raw.length - offer.psk.bindersLength)) : undefined;
    this.transcript.update(raw);

    // RFC 8446 §4.1.2: the second ClientHello repeats the first but for the retried parts. Its
    // cipher suites are the first's, so the suite we chose from them is still offered.
    if (
      !bytesEqual(hello.random, this.first.random) ||
      !bytesEqual(hello.legacySessionId, this.first.legacySessionId) ||
      hello.cipherSuites.length !== this.first.cipherSuites.length ||
      hello.cipherSuites.some((s, i) => s !== this.first.cipherSuites[i])
    ) {
      throw protocolError('second_client_hello_changed', 'second ClientHello differs from the first');
    }
    if (offer.offersEarlyData) throw protocolError('early_data_after_hello_retry', 'early_data in the second ClientHello');
    if (this.cookie !== undefined && (offer.cookie === undefined || !bytesEqual(offer.cookie, this.cookie))) {
      throw protocolError('cookie_not_echoed', 'second ClientHello does not echo the cookie');
    }
    if (this.cookie === undefined && offer.cookie !== undefined) throw protocolError('cookie_not_sent', 'cookie that was never sent');
    const share = offer.keyShares.length === 1 && offer.keyShares[0]!.group === this.group ? offer.keyShares[0]! : undefined;
    if (!share) throw protocolError('hello_retry_key_share_mismatch', 'second ClientHello lacks exactly one share for the requested group');
    return serverFlight(this.ctx, this.server, {
      hello,
      offer,
      suite: this.suite,
      keyExchange: { group: this.group, clientShare: share.keyExchange },
      transcript: this.transcript,
      binderHash,
      helloRetry: true,
      earlyDataInFirstHello: this.first.extensions.some((e) => e.type === ExtensionType.early_data),
      sentChangeCipherSpec: this.sentChangeCipherSpec,
    });
  }
}

/** What the server knows once it has a ClientHello it can answer with a ServerHello. */
interface AcceptedHello {
  hello: ClientHello;
  offer: ClientHelloOffer;
  suite: CipherSuiteParams;
  /** The (EC)DHE group and the client's share in it; undefined for psk_ke resumption. */
  keyExchange?: { group: number; clientShare: Uint8Array } | undefined;
  /** A PSK accepted before the group was chosen (psk_ke). */
  psk?: AcceptedPsk;
  transcript: Transcript;
  /** Transcript hash the PSK binders cover, when the client offered PSKs. */
  binderHash: Uint8Array | undefined;
  helloRetry: boolean;
  /** After a HelloRetryRequest: the first ClientHello offered 0-RTT, which we dropped unread. */
  earlyDataInFirstHello?: boolean;
  sentChangeCipherSpec: boolean;
}

/**
 * The offered PSK we can resume with, binder verified, if any (RFC 8446 §4.2.11). It needs a
 * ticket store, and a mode both sides allow: psk_ke when no key share is used, psk_dhe_ke
 * otherwise.
 */
function acceptOfferedPsk(ctx: HandshakeContext, config: ServerConfig, accepted: AcceptedHello): AcceptedPsk | undefined {
  const { offer, suite, binderHash } = accepted;
  const mode = accepted.keyExchange ? PskKeyExchangeMode.psk_dhe_ke : PskKeyExchangeMode.psk_ke;
  if (!config.ticketStore || !offer.psk || !binderHash || !offer.psk.modes.includes(mode) || !pskModesOf(config).includes(mode)) return undefined;
  const now = (config.now ?? Date.now)();
  return acceptPsk(ctx.provider, config.ticketStore, offer.psk, suite, offer.serverName, now, binderHash, ctx.onSecret);
}

function hashOf(ctx: HandshakeContext, hash: HashName, data: Uint8Array): Uint8Array {
  const h = ctx.provider.hash(hash);
  h.update(data);
  return h.digest();
}

/**
 * ServerHello, then (protected) EncryptedExtensions, CertificateRequest (if we ask),
 * Certificate, CertificateVerify (not when resuming), Finished, and the switch to application
 * keys for sending (RFC 8446 §2); one step per message, in that order.
 */
async function serverFlight(ctx: HandshakeContext, server: ResolvedServerConfig, accepted: AcceptedHello): Promise<HandshakeState> {
  const { suite, transcript } = accepted;
  // 1. Everything that can fail on the client's choices is decided before anything is sent.
  const choices = await chooseServerParameters(ctx, server, accepted);
  // 2. ServerHello and the handshake secrets.
  const { schedule, secrets, clientEarlySecret } = sendServerHello(ctx, accepted, choices);
  // 3. EncryptedExtensions: what we accepted of the client's offers.
  sendEncryptedExtensions(ctx, server.config, accepted.offer, choices, transcript);
  const clientAuth = sendCertificateRequest(ctx, server, choices, transcript);
  // 4. Certificate and CertificateVerify over the transcript so far (full handshakes only).
  if (choices.credentials) {
    sendCertificate(ctx, choices.credentials.certificate, transcript);
    await sendCertificateVerify(ctx, choices.credentials, transcript);
  }
  // 5. Finished, then application keys for sending: 0.5-RTT data may follow.
  const app = sendFinished(ctx, suite, schedule, secrets.server, transcript);
  const finish: ClientFinishedContext = {
    suite,
    schedule,
    transcript,
    clientSecret: secrets.client,
    serverSecret: secrets.server,
    app,
    info: handshakeInfo(accepted, choices),
    pskModes: accepted.offer.pskModes,
    postHandshakeAuth: accepted.offer.postHandshakeAuth,
  };
  return expectClientFlight(ctx, server, finish, clientEarlySecret, choices, clientAuth);
}

/** What the server settles before it sends anything: each choice that can fail the handshake. */
interface ServerChoices {
  psk: AcceptedPsk | undefined;
  alpn: { wire: Uint8Array; name: string } | undefined;
  /** The certificate and the scheme it signs with; undefined when resuming. */
  credentials: Credentials | undefined;
  earlyData: SessionInfo['earlyData'];
  /** Our (EC)DHE share and the shared secret; undefined for psk_ke resumption. */
  dhe: { group: number; publicKey: Uint8Array; sharedSecret: Uint8Array } | undefined;
}

interface Credentials {
  certificate: ServerCertificate;
  scheme: SignatureScheme;
}

async function chooseServerParameters(ctx: HandshakeContext, server: ResolvedServerConfig, accepted: AcceptedHello): Promise<ServerChoices> {
  const { config } = server;
  const { offer, keyExchange } = accepted;
  const now = (config.now ?? Date.now)();
  const psk = accepted.psk ?? acceptOfferedPsk(ctx, config, accepted);
  const alpn = chooseAlpn(offer.alpnProtocols, (config.alpnProtocols ?? []).map(utf8));
  const credentials = psk ? undefined : await chooseCredentials(server, offer);
  const earlyData = decideEarlyData(server, accepted, psk, alpn?.name, now);
  let dhe: ServerChoices['dhe'];
  if (keyExchange) {
    const algorithm = isNamedGroup(keyExchange.group) ? ctx.provider.keyExchange(keyExchange.group) : undefined;
    const response = algorithm!.respond(keyExchange.clientShare);
    // Awaited only when pending (WebCrypto): a synchronous provider costs no extra microtask.
    dhe = { group: keyExchange.group, ...(isPending(response) ? await response : response) };
  }
  return { psk, alpn, credentials, earlyData, dhe };
}

/**
 * RFC 8446 §4.1.3: ServerHello, our change_cipher_spec in compatibility mode (Appendix D.4),
 * then the handshake secrets and the keys we send the rest of the flight under.
 */
function sendServerHello(
  ctx: HandshakeContext,
  accepted: AcceptedHello,
  choices: ServerChoices,
): { schedule: KeySchedule; secrets: { client: Uint8Array; server: Uint8Array }; clientEarlySecret: Uint8Array | undefined } {
  const { hello, suite, transcript } = accepted;
  const { psk, dhe } = choices;
  transcript.selectHash(suite.hash);
  const schedule = psk?.schedule ?? new KeySchedule(ctx.provider, suite.hash, undefined, ctx.onSecret);
  // The early secret needs the transcript through ClientHello, before ServerHello joins it.
  const clientEarlySecret = choices.earlyData === 'accepted' ? schedule.clientEarlyTrafficSecret(transcript.current()) : undefined;
  const extensions: RawExtension[] = [];
  if (psk) extensions.push({ type: ExtensionType.pre_shared_key, data: ext.buildPreSharedKeyServerHello(psk.identityIndex) });
  if (dhe) extensions.push({ type: ExtensionType.key_share, data: ext.buildKeyShareServerHello({ group: dhe.group, keyExchange: dhe.publicKey }) });
  extensions.push({ type: ExtensionType.supported_versions, data: ext.buildSupportedVersionsServerHello(ProtocolVersion.TLS1_3) });
  ctx.sendMessage(
    {
      type: HandshakeType.server_hello,
      legacyVersion: ProtocolVersion.TLS1_2,
      random: ctx.provider.random(32),
      legacySessionIdEcho: hello.legacySessionId,
      cipherSuite: suite.suite,
      legacyCompressionMethod: 0,
      extensions,
    },
    transcript,
  );
  if (hello.legacySessionId.length > 0 && !accepted.sentChangeCipherSpec) ctx.sendChangeCipherSpec();
  schedule.enterHandshake(dhe?.sharedSecret);
  if (dhe) zeroize(dhe.sharedSecret);
  const secrets = schedule.handshakeTrafficSecrets(transcript.current());
  ctx.installWriteKeys(suite, secrets.server, 'handshake');
  return { schedule, secrets, clientEarlySecret };
}

/** RFC 8446 §4.3.1: the answers to the client's offers that need no key exchange. */
function sendEncryptedExtensions(ctx: HandshakeContext, config: ServerConfig, offer: ClientHelloOffer, choices: ServerChoices, transcript: Transcript): void {
  const encrypted: EncryptedExtensions = { type: HandshakeType.encrypted_extensions, extensions: [] };
  if (offer.serverName !== undefined) encrypted.extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  if (choices.alpn) encrypted.extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: ext.buildAlpn([choices.alpn.wire]) });
  if (offer.recordSizeLimit !== undefined) {
    ctx.setPeerRecordSizeLimit(offer.recordSizeLimit);
    encrypted.extensions.push({ type: ExtensionType.record_size_limit, data: ext.buildRecordSizeLimit(config.recordSizeLimit ?? 16385) });
  }
  if (choices.earlyData === 'accepted') encrypted.extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) });
  config.customizeEncryptedExtensions?.(encrypted);
  ctx.sendMessage(encrypted, transcript);
}

/**
 * RFC 8446 §4.3.2: a client certificate is asked for in full handshakes only, when the policy
 * says so. Returns the policy its answer is judged by; undefined when we did not ask.
 */
function sendCertificateRequest(ctx: HandshakeContext, server: ResolvedServerConfig, choices: ServerChoices, transcript: Transcript): ClientAuthPolicy | undefined {
  const clientAuth = choices.credentials ? clientAuthPolicy(server) : undefined;
  if (clientAuth) ctx.sendMessage(certificateRequest(clientAuth, new Uint8Array(0)), transcript);
  return clientAuth;
}

/** RFC 8446 §4.4.2: our chain, encoded once per certificate (see certificateMessage). */
function sendCertificate(ctx: HandshakeContext, certificate: ServerCertificate, transcript: Transcript): void {
  const { message, encoded } = certificateMessage(certificate);
  ctx.sendMessage(message, transcript, encoded);
}

/** RFC 8446 §4.4.3: our signature over the transcript through Certificate. */
async function sendCertificateVerify(ctx: HandshakeContext, { certificate, scheme }: Credentials, transcript: Transcript): Promise<void> {
  const signature = await certificate.key.sign(scheme, certificateVerifyContent('server', transcript.current()));
  ctx.sendMessage({ type: HandshakeType.certificate_verify, scheme, signature }, transcript);
}

/** RFC 8446 §4.4.4: our Finished, then the application secrets and our application write keys. */
function sendFinished(ctx: HandshakeContext, suite: CipherSuiteParams, schedule: KeySchedule, serverSecret: Uint8Array, transcript: Transcript): ApplicationSecrets {
  ctx.sendMessage({ type: HandshakeType.finished, verifyData: finishedVerifyData(ctx.provider, suite.hash, serverSecret, transcript.current()) }, transcript);
  schedule.enterMaster();
  const app = schedule.applicationSecrets(transcript.current());
  ctx.installWriteKeys(suite, app.server, 'application');
  return app;
}

/** The session info as the handshake leaves it; a client certificate, if asked for, is added later. */
function handshakeInfo(accepted: AcceptedHello, choices: ServerChoices): SessionInfo {
  return frozenSessionInfo({
    version: 'TLSv1.3',
    cipherSuite: accepted.suite.suite,
    group: choices.dhe?.group,
    signatureScheme: undefined,
    alpnProtocol: choices.alpn?.name,
    serverName: accepted.offer.serverName,
    helloRetry: accepted.helloRetry,
    resumed: choices.psk !== undefined,
    earlyData: choices.earlyData,
    peerCertificates: choices.psk?.state.clientCertificates ?? [],
    authorized: false,
    authorizationError: undefined,
  });
}

/**
 * What the client sends next: 0-RTT data up to EndOfEarlyData (RFC 8446 §4.2.10), its
 * certificate if we asked (§4.4.2), its Finished.
 */
function expectClientFlight(
  ctx: HandshakeContext,
  server: ResolvedServerConfig,
  finish: ClientFinishedContext,
  clientEarlySecret: Uint8Array | undefined,
  choices: ServerChoices,
  clientAuth: ClientAuthPolicy | undefined,
): HandshakeState {
  const { suite } = finish;
  if (clientEarlySecret) {
    // RFC 8446 §4.2.10: read the client's 0-RTT data until EndOfEarlyData.
    ctx.installReadKeys(suite, clientEarlySecret, 'early');
    zeroize(clientEarlySecret);
    ctx.acceptEarlyData(choices.psk!.state.maxEarlyDataSize);
    return new ExpectEndOfEarlyData(ctx, server, finish);
  }
  ctx.installReadKeys(suite, finish.clientSecret, 'handshake');
  if (!clientAuth) return new ExpectClientFinished(ctx, server, finish);
  return new ExpectClientCertificate(
    ctx,
    clientAuth,
    new Uint8Array(0),
    finish.transcript,
    (identity) => new ExpectClientFinished(ctx, server, { ...finish, info: withClientIdentity(finish.info, identity) }),
  );
}

/**
 * The Certificate message for a server certificate, encoded once: it is the same for every full
 * handshake (empty request context, no entry extensions) and holds the whole chain.
 */
const certificateMessages = new WeakMap<ServerCertificate, { message: Certificate; encoded: Uint8Array }>();

function certificateMessage(certificate: ServerCertificate): { message: Certificate; encoded: Uint8Array } {
  let known = certificateMessages.get(certificate);
  if (known === undefined) {
    const message: Certificate = { type: HandshakeType.certificate, context: new Uint8Array(0), entries: certificate.chain.map((data) => ({ data, extensions: [] })) };
    known = { message, encoded: encodeHandshake(message) };
    certificateMessages.set(certificate, known);
  }
  return known;
}

/** The configured client-certificate policy; `fallback` applies where it says 'none'. */
function clientAuthPolicy(server: ResolvedServerConfig, fallback: 'none' | 'optional' = 'none'): ClientAuthPolicy | undefined {
  const { config } = server;
  const configured = config.clientAuth ?? 'none';
  const mode = configured === 'none' ? fallback : configured;
  if (mode === 'none') return undefined;
  return {
    mode,
    schemes: server.signatureSchemes,
    certificateAuthorities: config.certificateAuthorities ?? [],
    verifier: config.verifier,
    rejectUnauthorized: config.rejectUnauthorized ?? true,
  };
}

async function chooseCredentials(server: ResolvedServerConfig, offer: ClientHelloOffer): Promise<Credentials> {
  const { config } = server;
  const candidates = (offer.serverName !== undefined && (await config.certificatesForName?.(offer.serverName))) || config.certificates;
  return chooseCertificate(
    candidates,
    offer.serverName,
    offer.signatureSchemes.filter((s) => server.signatureSchemes.includes(s)),
  );
}

/**
 * RFC 8446 §4.2.10: 0-RTT is taken only on the first ClientHello, with the ticket's suite and
 * ALPN, when the ticket allowed it, we allow it, and the anti-replay record admits it.
 */
function decideEarlyData(server: ResolvedServerConfig, accepted: AcceptedHello, psk: AcceptedPsk | undefined, alpn: string | undefined, now: number): SessionInfo['earlyData'] {
  if (!accepted.offer.offersEarlyData) return accepted.earlyDataInFirstHello ? 'rejected' : 'not_offered';
  const { config } = server;
  const ok =
    psk !== undefined &&
    psk.identityIndex === 0 &&
    !accepted.helloRetry &&
    (config.maxEarlyDataSize ?? 0) > 0 &&
    psk.state.maxEarlyDataSize > 0 &&
    psk.state.cipherSuite === accepted.suite.suite &&
    psk.state.alpnProtocol === alpn &&
    config.antiReplay?.admit(psk.binder, psk.clientTicketAgeMs, psk.state.issuedAt, now);
  return ok ? 'accepted' : 'rejected';
}

type ApplicationSecrets = { client: Uint8Array; server: Uint8Array; exporter: Uint8Array };

interface ClientFinishedContext {
  suite: CipherSuiteParams;
  schedule: KeySchedule;
  transcript: Transcript;
  clientSecret: Uint8Array;
  serverSecret: Uint8Array;
  app: ApplicationSecrets;
  info: SessionInfo;
  pskModes: readonly number[];
  postHandshakeAuth: boolean;
}

class ExpectEndOfEarlyData implements HandshakeState {
  readonly name = 'ExpectEndOfEarlyData';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly server: ResolvedServerConfig,
    private readonly finish: ClientFinishedContext,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { raw } = expectType(received, HandshakeType.end_of_early_data, this.name);
    this.finish.transcript.update(raw);
    this.ctx.installReadKeys(this.finish.suite, this.finish.clientSecret, 'handshake');
    return new ExpectClientFinished(this.ctx, this.server, this.finish);
  }
}

class ExpectClientFinished implements HandshakeState {
  readonly name = 'ExpectClientFinished';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly server: ResolvedServerConfig,
    private readonly finish: ClientFinishedContext,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const finished = expectType(received, HandshakeType.finished, this.name);
    const { suite, transcript, schedule, app, info } = this.finish;
    receiveFinished(this.ctx, finished, 'client', suite.hash, this.finish.clientSecret, transcript);
    this.ctx.installReadKeys(suite, app.client, 'application');
    const resumptionMaster = schedule.resumptionMasterSecret(transcript.current());
    zeroize(this.finish.clientSecret, this.finish.serverSecret);
    // The tickets go once 'handshake' has been delivered, and now, not a turn later: whatever
    // the application wrote there is on its way, and the tickets follow it in the same transport
    // write (OpenSSL orders them so too: the client gets the first data before it spends time
    // on the tickets). None after a close() on 'handshake'.
    const afterwards = (open: boolean): void => {
      if (open) this.issueTickets(resumptionMaster);
      zeroize(resumptionMaster);
      this.ctx.flush();
    };
    this.ctx.complete(info, { suite, clientApplication: app.client, serverApplication: app.server, exporter: app.exporter }, afterwards);
    // Past this point the transcript matters only to post-handshake authentication.
    const postHandshake = this.finish.postHandshakeAuth ? { policy: clientAuthPolicy(this.server, 'optional')!, transcript, info, pending: [] } : undefined;
    return new ServerConnected(this.ctx, postHandshake);
  }

  /** RFC 8446 §4.6.1: tickets for clients that can use them (a resumption mode we both allow). */
  private issueTickets(resumptionMaster: Uint8Array): void {
    const { config } = this.server;
    const store = config.ticketStore;
    if (!store || choosePskMode(this.finish.pskModes, pskModesOf(config)) === undefined) return;
    const provider = this.ctx.provider;
    const lifetime = Math.min(config.ticketLifetime ?? 7200, MAX_TICKET_LIFETIME_SECONDS);
    const maxEarlyDataSize = config.antiReplay ? (config.maxEarlyDataSize ?? 0) : 0;
    const count = config.ticketCount ?? 2;
    for (let i = 0; i < count; i++) {
      // A distinct nonce per ticket gives each its own PSK.
      const nonce = new Uint8Array([i >> 8, i & 0xff]);
      const ageAdd = new DataView(provider.random(4).buffer).getUint32(0);
      const psk = resumptionPsk(provider, this.finish.suite.hash, resumptionMaster, nonce);
      const ticket = store.seal({
        psk,
        cipherSuite: this.finish.suite.suite,
        issuedAt: (config.now ?? Date.now)(),
        lifetime,
        ageAdd,
        maxEarlyDataSize,
        alpnProtocol: this.finish.info.alpnProtocol,
        serverName: this.finish.info.serverName,
        clientCertificates: this.finish.info.peerCertificates,
      });
      zeroize(psk);
      const extensions = maxEarlyDataSize > 0 ? [{ type: ExtensionType.early_data, data: ext.buildEarlyDataNewSessionTicket(maxEarlyDataSize) }] : [];
      this.ctx.sendMessage({ type: HandshakeType.new_session_ticket, lifetime, ageAdd, nonce, ticket, extensions }, undefined);
    }
  }
}
