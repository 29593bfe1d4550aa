import type { Duplex } from 'node:stream';
import type { ClientConfig } from '../config.js';
import { ClientConnection } from '../connection.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TLSError, asTLSError } from '../errors.js';
import type { SessionTicket, TraceEvent } from '../handshake-context.js';
import type { DerivationObserver } from '../keyschedule.js';
import type { CipherSuite, NamedGroup, PskKeyExchangeMode, SignatureScheme } from '../registry.js';
import type { X509Verifier } from '../x509/x509-verifier.js';
import type { TrustStore } from '../x509/truststore.js';
import { type PemInput, loadServerCertificates } from './credentials.js';
import { appendToKeylogFile, keylogLine } from './keylog.js';
import { type PeerCertificate, toPeerCertificate } from './peer-certificate.js';
import { defaultProvider } from './provider.js';
import { deserializeSession } from './session.js';
import { TLSSocket } from './tls-socket.js';
import { sharedVerifier, verifierOn } from './verifier-cache.js';

/** node:tls's connect options that wiretls honours, plus wiretls's own protocol knobs. */
export interface ConnectOptions {
  host?: string;
  port?: number | string;
  /** An established transport to run TLS over instead of opening a TCP connection. */
  socket?: Duplex;
  /** SNI and the name the certificate must match; defaults to `host` unless it is an IP. */
  servername?: string;
  ca?: PemInput;
  cert?: PemInput;
  key?: PemInput;
  ALPNProtocols?: readonly (string | Uint8Array)[];
  /** Default true: a certificate that fails verification aborts the handshake. */
  rejectUnauthorized?: boolean;
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
  /** A `session` event's Buffer, to resume with (RFC 8446 §2.2). */
  session?: Buffer;
  /**
   * 0-RTT data sent with the ClientHello when `session` allows it (wiretls's own option;
   * node:tls has no client 0-RTT). An attacker can replay it: only what is safe to repeat.
   * getSessionInfo().earlyData says whether the server took it; rejected data is yours to resend.
   */
  earlyData?: Uint8Array;
  /** Only 'TLSv1.3' (or lower, which still means TLS 1.3) is meaningful: wiretls speaks 1.3 only. */
  minVersion?: string;
  maxVersion?: string;
  allowHalfOpen?: boolean;
  timeout?: number;
  provider?: CryptoProvider;
  cipherSuites?: readonly CipherSuite[];
  groups?: readonly NamedGroup[];
  keyShareGroups?: readonly NamedGroup[];
  signatureSchemes?: readonly SignatureScheme[];
  recordSizeLimit?: number;
  /** See CommonConfig.keyUpdateAfterRecords: records under one key before an automatic KeyUpdate. */
  keyUpdateAfterRecords?: number;
  /** See CommonConfig.pskKeyExchangeModes: psk_ke is used only when listed here. */
  pskKeyExchangeModes?: readonly PskKeyExchangeMode[];
  /** Called for every handshake trace event (what `wiretls connect --trace` prints). */
  onTrace?: (event: TraceEvent) => void;
  /** Every key schedule step with its values (`wiretls connect --explain`): secrets. */
  onKeyDerivation?: DerivationObserver;
}

const VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * Opens a TLS 1.3 connection like node:tls's connect(): returns the socket at once, emits
 * 'secureConnect' when the handshake is done and 'error' with a TLSError (stable `code`) when
 * it fails. Usable as `createConnection` for node:https agents.
 */
export function connect(options: ConnectOptions, secureConnectListener?: () => void): TLSSocket {
  checkVersions(options);
  const provider = options.provider ?? defaultProvider();
  // Bad `ca` PEM or `session` data throws here, before any socket exists, as node:tls's
  // connect() does with bad options.
  const shared = sharedVerifier(provider, options.ca);
  const verifier = options.checkServerIdentity ? verifierWithIdentityHook(provider, shared.trustStore, options.checkServerIdentity) : shared.verifier;
  const session = options.session === undefined ? undefined : deserializeSession(options.session);
  const host = options.host ?? 'localhost';
  // allowHalfOpen on TCP always: the peer's FIN after its close_notify must not end our
  // writing side; the TLSSocket's own allowHalfOpen decides when we end.
  const socketOptions = options.allowHalfOpen === undefined ? {} : { allowHalfOpen: options.allowHalfOpen };
  const socket = options.socket
    ? new TLSSocket(options.socket, socketOptions)
    : TLSSocket.connectTcp({ host, port: Number(options.port ?? 443), allowHalfOpen: true }, socketOptions);
  const transport = socket.transport;
  if (secureConnectListener) socket.once('secureConnect', secureConnectListener);
  if (options.timeout !== undefined) socket.setTimeout(options.timeout);
  configure(options, provider, host, verifier, session).then(
    (config) => {
      if (socket.destroyed) return;
      const connection = new ClientConnection({
        ...config,
        onSecret: (name, secret, clientRandom) => {
          const line = keylogLine(name, clientRandom, secret);
          appendToKeylogFile(line);
          if (socket.listenerCount('keylog') > 0) socket.emit('keylog', Buffer.from(line));
        },
      });
      if (options.onTrace) connection.on('trace', options.onTrace);
      socket.attach(connection);
      const begin = (): void => connection.start();
      if (options.socket || !(transport as { connecting?: boolean }).connecting) begin();
      else transport.once('connect', begin);
    },
    (error: unknown) => socket.destroy(asTLSError(error)),
  );
  return socket;
}

function checkVersions(options: ConnectOptions): void {
  for (const [name, value] of [
    ['minVersion', options.minVersion],
    ['maxVersion', options.maxVersion],
  ] as const) {
    if (value !== undefined && !VERSIONS.includes(value)) throw new TLSError('INVALID_ARGUMENT', `${name} must be one of ${VERSIONS.join(', ')}`);
  }
  if (options.maxVersion !== undefined && options.maxVersion !== 'TLSv1.3') {
    throw new TLSError('INVALID_ARGUMENT', 'wiretls speaks TLS 1.3 only; maxVersion below TLSv1.3 leaves nothing to negotiate');
  }
}

/** A connection's own verifier, on the shared trust store, when it brings a checkServerIdentity hook. */
function verifierWithIdentityHook(
  provider: CryptoProvider,
  trustStore: TrustStore | Promise<TrustStore>,
  checkServerIdentity: NonNullable<ConnectOptions['checkServerIdentity']>,
): X509Verifier {
  return verifierOn(provider, trustStore, {
    checkServerIdentity: (name: string, leaf) => checkServerIdentity(name, toPeerCertificate([leaf], false) as PeerCertificate),
  });
}

async function configure(options: ConnectOptions, provider: CryptoProvider, host: string, verifier: X509Verifier, session: SessionTicket | undefined): Promise<ClientConfig> {
  // An IP host is still the name to check (against IP SANs); the engine leaves it out of SNI.
  const serverName = options.servername ?? host;
  const config: ClientConfig = {
    provider,
    serverName,
    verifier,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    alpnProtocols: (options.ALPNProtocols ?? []).map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))),
  };
  if (options.cipherSuites) config.cipherSuites = options.cipherSuites;
  if (options.groups) config.groups = options.groups;
  if (options.keyShareGroups) config.keyShareGroups = options.keyShareGroups;
  if (options.signatureSchemes) config.signatureSchemes = options.signatureSchemes;
  if (options.recordSizeLimit !== undefined) config.recordSizeLimit = options.recordSizeLimit;
  if (options.keyUpdateAfterRecords !== undefined) config.keyUpdateAfterRecords = options.keyUpdateAfterRecords;
  if (options.pskKeyExchangeModes) config.pskKeyExchangeModes = options.pskKeyExchangeModes;
  if (options.onKeyDerivation) config.onKeyDerivation = options.onKeyDerivation;
  if (session) config.session = session;
  if (options.earlyData !== undefined) config.earlyData = options.earlyData;
  if (options.cert !== undefined || options.key !== undefined) {
    // Sent only if the server asks (CertificateRequest); one chain, its key.
    const [certified, ...more] = await loadServerCertificates(provider, options.cert, options.key, 'client certificate');
    if (more.length > 0) throw new TLSError('INVALID_ARGUMENT', 'client certificate: give one cert chain and one key');
    config.certificate = certified!;
  }
  return config;
}
