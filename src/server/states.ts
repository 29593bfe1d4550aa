import type { ServerConfig } from '../config.js';
import type { CipherSuiteParams } from '../crypto/provider.js';
import { protocolError } from '../errors.js';
import { type HandshakeContext, type HandshakeState, type SessionInfo, expectType } from '../handshake-context.js';
import { KeySchedule, finishedVerifyData } from '../keyschedule.js';
import * as ext from '../messages/extensions.js';
import { HELLO_RETRY_REQUEST_RANDOM } from '../messages/handshake.js';
import { ExtensionType, HandshakeType, ProtocolVersion } from '../messages/registry.js';
import type { ClientHello, EncryptedExtensions, RawExtension, ReceivedMessage } from '../messages/types.js';
import { certificateVerifyContent, checkFinished } from '../peer-auth.js';
import { Transcript } from '../transcript.js';
import { bytesEqual, utf8, zeroize } from '../wire/bytes.js';
import { ServerConnected } from './connected.js';
import { type ClientHelloOffer, chooseAlpn, chooseCertificate, chooseCipherSuite, chooseGroup, readClientHello } from './negotiate.js';

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
    this.ctx.trace({ kind: 'message', direction: 'received', message: hello, raw });

    const offer = readClientHello(hello);
    const suite = chooseCipherSuite(hello.cipherSuites, this.server.cipherSuites);
    const choice = chooseGroup(offer, this.server.groups);
    if (choice.share !== undefined) {
      return serverFlight(this.ctx, this.server, hello, offer, suite, choice.group, choice.share, transcript, false, false);
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
    this.transcript.update(raw);
    this.ctx.trace({ kind: 'message', direction: 'received', message: hello, raw });
    const offer = readClientHello(hello);

    // RFC 8446 §4.1.2: the second ClientHello repeats the first but for the retried parts.
    if (
      !bytesEqual(hello.random, this.first.random) ||
      !bytesEqual(hello.legacySessionId, this.first.legacySessionId) ||
      hello.cipherSuites.length !== this.first.cipherSuites.length ||
      hello.cipherSuites.some((s, i) => s !== this.first.cipherSuites[i])
    ) {
      throw protocolError('illegal_parameter', 'second ClientHello differs from the first');
    }
    if (!hello.cipherSuites.includes(this.suite.suite)) throw protocolError('illegal_parameter', 'second ClientHello drops the chosen suite');
    if (offer.offersEarlyData) throw protocolError('illegal_parameter', 'early_data in the second ClientHello');
    if (this.cookie !== undefined && (offer.cookie === undefined || !bytesEqual(offer.cookie, this.cookie))) {
      throw protocolError('illegal_parameter', 'second ClientHello does not echo the cookie');
    }
    if (this.cookie === undefined && offer.cookie !== undefined) throw protocolError('illegal_parameter', 'cookie that was never sent');
    const share = offer.keyShares.length === 1 && offer.keyShares[0]!.group === this.group ? offer.keyShares[0]! : undefined;
    if (!share) throw protocolError('illegal_parameter', 'second ClientHello lacks exactly one share for the requested group');
    return serverFlight(this.ctx, this.server, hello, offer, this.suite, this.group, share.keyExchange, this.transcript, true, this.sentChangeCipherSpec);
  }
}

/**
 * ServerHello, then (protected) EncryptedExtensions, Certificate, CertificateVerify, Finished,
 * and the switch to application keys for sending (RFC 8446 §2).
 */
async function serverFlight(
  ctx: HandshakeContext,
  server: ResolvedServerConfig,
  hello: ClientHello,
  offer: ClientHelloOffer,
  suite: CipherSuiteParams,
  group: number,
  clientShare: Uint8Array,
  transcript: Transcript,
  helloRetry: boolean,
  sentChangeCipherSpec: boolean,
): Promise<HandshakeState> {
  const { config } = server;
  const provider = ctx.provider;

  // 1. Everything that can fail on the client's choices is decided before anything is sent.
  const candidates = (offer.serverName !== undefined && (await config.certificatesForName?.(offer.serverName))) || config.certificates;
  const { certificate, scheme } = chooseCertificate(candidates, offer.serverName, offer.signatureSchemes.filter((s) => server.signatureSchemes.includes(s)));
  const alpn = chooseAlpn(offer.alpnProtocols, (config.alpnProtocols ?? []).map(utf8));
  const exchange = provider.keyExchange(group as never)!;
  const { publicKey, sharedSecret } = exchange.respond(clientShare);

  // 2. ServerHello and the handshake secrets.
  transcript.selectHash(suite.hash);
  ctx.sendMessage(
    {
      type: HandshakeType.server_hello,
      legacyVersion: ProtocolVersion.TLS1_2,
      random: provider.random(32),
      legacySessionIdEcho: hello.legacySessionId,
      cipherSuite: suite.suite,
      legacyCompressionMethod: 0,
      extensions: [
        { type: ExtensionType.key_share, data: ext.buildKeyShareServerHello({ group, keyExchange: publicKey }) },
        { type: ExtensionType.supported_versions, data: ext.buildSupportedVersionsServerHello(ProtocolVersion.TLS1_3) },
      ],
    },
    transcript,
  );
  if (hello.legacySessionId.length > 0 && !sentChangeCipherSpec) ctx.sendChangeCipherSpec();
  const schedule = new KeySchedule(provider, suite.hash, undefined, ctx.onSecret);
  schedule.enterHandshake(sharedSecret);
  zeroize(sharedSecret);
  const hs = schedule.handshakeTrafficSecrets(transcript.current());
  ctx.installWriteKeys(suite, hs.server, 'handshake');

  // 3. EncryptedExtensions: what we accepted of the client's offers.
  const encrypted: EncryptedExtensions = { type: HandshakeType.encrypted_extensions, extensions: [] };
  if (offer.serverName !== undefined) encrypted.extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  if (alpn) encrypted.extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: ext.buildAlpn([alpn.wire]) });
  if (offer.recordSizeLimit !== undefined) {
    ctx.setPeerRecordSizeLimit(offer.recordSizeLimit);
    encrypted.extensions.push({ type: ExtensionType.record_size_limit, data: ext.buildRecordSizeLimit(config.recordSizeLimit ?? 16385) });
  }
  config.customizeEncryptedExtensions?.(encrypted);
  ctx.sendMessage(encrypted, transcript);

  // 4. Certificate and CertificateVerify over the transcript so far.
  ctx.sendMessage(
    { type: HandshakeType.certificate, context: new Uint8Array(0), entries: certificate.chain.map((data) => ({ data, extensions: [] })) },
    transcript,
  );
  const signature = await certificate.key.sign(scheme as never, certificateVerifyContent('server', transcript.current()));
  ctx.sendMessage({ type: HandshakeType.certificate_verify, scheme, signature }, transcript);

  // 5. Finished, then application keys for sending: 0.5-RTT data may follow.
  ctx.sendMessage({ type: HandshakeType.finished, verifyData: finishedVerifyData(provider, suite.hash, hs.server, transcript.current()) }, transcript);
  schedule.enterMaster();
  const app = schedule.applicationSecrets(transcript.current());
  ctx.installWriteKeys(suite, app.server, 'application');
  ctx.installReadKeys(suite, hs.client, 'handshake');

  const info: SessionInfo = {
    version: 'TLSv1.3',
    cipherSuite: suite.suite,
    group,
    signatureScheme: undefined,
    alpnProtocol: alpn?.name,
    serverName: offer.serverName,
    helloRetry,
    resumed: false,
    earlyData: offer.offersEarlyData ? 'rejected' : 'not_offered',
    peerCertificates: [],
    authorized: false,
    authorizationError: undefined,
  };
  return new ExpectClientFinished(ctx, suite, schedule, transcript, hs.client, hs.server, app, info);
}

class ExpectClientFinished implements HandshakeState {
  readonly name = 'ExpectClientFinished';

  constructor(
    private readonly ctx: HandshakeContext,
    private readonly suite: CipherSuiteParams,
    private readonly schedule: KeySchedule,
    private readonly transcript: Transcript,
    private readonly clientSecret: Uint8Array,
    private readonly serverSecret: Uint8Array,
    private readonly app: { client: Uint8Array; server: Uint8Array; exporter: Uint8Array },
    private readonly info: SessionInfo,
  ) {}

  async handle(received: ReceivedMessage): Promise<HandshakeState> {
    const { message, raw } = expectType(received, HandshakeType.finished, this.name);
    this.ctx.trace({ kind: 'message', direction: 'received', message, raw });
    checkFinished(this.ctx.provider, this.suite.hash, message, this.clientSecret, this.transcript.current());
    this.ctx.trace({ kind: 'verified', what: 'client Finished', ok: true });
    this.transcript.update(raw);
    this.ctx.installReadKeys(this.suite, this.app.client, 'application');
    const resumptionMaster = this.schedule.resumptionMasterSecret(this.transcript.current());
    zeroize(this.clientSecret, this.serverSecret);
    this.ctx.complete(this.info, {
      suite: this.suite,
      clientApplication: this.app.client,
      serverApplication: this.app.server,
      exporter: this.app.exporter,
    });
    return new ServerConnected(this.ctx, resumptionMaster);
  }
}

