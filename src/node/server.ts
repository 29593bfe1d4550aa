import { Server as NetServer, type Socket } from 'node:net';
import type { ServerCertificate, ServerConfig } from '../config.js';
import { ServerConnection } from '../connection.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TLSError } from '../errors.js';
import type { TraceEvent } from '../handshake-context.js';
import type { KeyDerivation } from '../keyschedule.js';
import type { CipherSuite, NamedGroup, PskKeyExchangeMode, SignatureScheme } from '../registry.js';
import { AntiReplay } from '../server/anti-replay.js';
import { StatelessTicketStore } from '../server/tickets.js';
import { type PemInput, loadServerCertificates } from './credentials.js';
import { appendToKeylogFile, keylogLine } from './keylog.js';
import { defaultProvider } from './provider.js';
import { TLSSocket } from './tls-socket.js';
import { sharedVerifier } from './verifier-cache.js';

/** The credentials an SNICallback hands back (node:tls hands back a SecureContext). */
export interface ServerIdentity {
  cert: PemInput;
  key: PemInput;
}

export interface ServerOptions {
  /** One entry per certificate chain, with `key` at the same position (node:tls arrays). */
  cert?: PemInput;
  key?: PemInput;
  SNICallback?: (servername: string, callback: (error: Error | null, identity?: ServerIdentity) => void) => void;
  ALPNProtocols?: readonly string[];
  /**
   * Mutual TLS, as in node:tls: ask each client for a certificate and check it against `ca`
   * (default: the Mozilla roots). With rejectUnauthorized (the default) a client without a
   * valid certificate is refused (certificate_required / the check's alert); with
   * rejectUnauthorized: false it is let in with socket.authorized = false.
   */
  requestCert?: boolean;
  ca?: PemInput;
  rejectUnauthorized?: boolean;
  /**
   * The engine's client-authentication mode, when node's pair above cannot say it: 'optional'
   * lets a client send no certificate but refuses a bad one. Overrides requestCert.
   */
  clientAuth?: 'none' | 'optional' | 'require';
  /**
   * NewSessionTickets after each full handshake (default 2; 0 issues none). Tickets are
   * sealed with a key this server makes at start and rotates, so they resume only here.
   */
  tickets?: number;
  /**
   * Accept this many bytes of 0-RTT data on resumed connections (default 0: refuse). Early
   * data can be replayed by an attacker; a replay cache refuses repeats within 10 s.
   */
  maxEarlyDataSize?: number;
  allowHalfOpen?: boolean;
  /**
   * Milliseconds a client has from connecting to completing the handshake (default 120000, as
   * node:tls): a client that stalls, or whose length fields promise bytes it never sends, is
   * cut off with a TIMEOUT 'tlsClientError' instead of holding the connection forever.
   * 0 disables the limit.
   */
  handshakeTimeout?: number;
  provider?: CryptoProvider;
  cipherSuites?: readonly CipherSuite[];
  groups?: readonly NamedGroup[];
  signatureSchemes?: readonly SignatureScheme[];
  recordSizeLimit?: number;
  /** See CommonConfig.keyUpdateAfterRecords: records under one key before an automatic KeyUpdate. */
  keyUpdateAfterRecords?: number;
  /** See CommonConfig.pskKeyExchangeModes: psk_ke is used only when listed here. */
  pskKeyExchangeModes?: readonly PskKeyExchangeMode[];
  /** Called for every handshake trace event of every connection. */
  onTrace?: (socket: TLSSocket, event: TraceEvent) => void;
  /** Every key schedule step of every connection, with its values (`wiretls serve --explain`): secrets. */
  onKeyDerivation?: (socket: TLSSocket, step: KeyDerivation) => void;
}

/** node:tls's default handshakeTimeout. */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 120_000;

/**
 * A TLS 1.3 server like node:tls's Server: a net.Server whose connections are wrapped in
 * TLSSocket; 'secureConnection' fires after each handshake, 'tlsClientError' when one fails.
 */
export class Server extends NetServer {
  private readonly ready: Promise<ServerConfig>;

  constructor(options: ServerOptions, secureConnectionListener?: (socket: TLSSocket) => void) {
    super({ allowHalfOpen: true });
    const timeout = options.handshakeTimeout;
    // setTimeout takes at most 2^31 - 1 ms (larger values fire at once).
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0 && timeout <= 0x7fffffff)) {
      throw new TLSError('INVALID_ARGUMENT', 'handshakeTimeout must be a number of milliseconds from 0 (no limit) to 2147483647');
    }
    const provider = options.provider ?? defaultProvider();
    this.ready = buildConfig(provider, options);
    // Report bad credentials once, as an 'error' event, rather than on every connection.
    this.ready.catch((error: unknown) => this.emit('error', error));
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
    this.on('connection', (transport: Socket) => this.accept(transport, options));
  }

  /** Destroys `socket` with TIMEOUT unless its handshake completes within `ms` (0: no limit). */
  private limitHandshake(socket: TLSSocket, ms: number): void {
    if (ms === 0) return;
    const timer = setTimeout(() => socket.destroy(new TLSError('TIMEOUT', `TLS handshake not completed within ${ms} ms`)), ms).unref();
    // Both listeners go with the timer, so an established connection keeps neither.
    const stop = (): void => {
      clearTimeout(timer);
      socket.off('secureConnect', stop);
      socket.off('close', stop);
    };
    socket.once('secureConnect', stop);
    socket.once('close', stop);
  }

  private accept(transport: Socket, options: ServerOptions): void {
    const socket = new TLSSocket(transport, { allowHalfOpen: options.allowHalfOpen ?? false });
    this.limitHandshake(socket, options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    socket.once('secureConnect', () => this.emit('secureConnection', socket));
    socket.on('error', (error: Error) => {
      if (!socket.getProtocol()) this.emit('tlsClientError', error, socket);
    });
    this.ready.then(
      (shared) => {
        if (socket.destroyed) return;
        // Key logging is decided per connection, as node:tls does for 'keylog' listeners; the
        // others share the server's config and format no key log lines.
        const keylog = process.env.SSLKEYLOGFILE || this.listenerCount('keylog') > 0;
        const observe = options.onKeyDerivation;
        const config: ServerConfig = observe ? { ...shared, onKeyDerivation: (step) => observe(socket, step) } : shared;
        const connection = new ServerConnection(
          keylog
            ? {
                ...config,
                onSecret: (name, secret, clientRandom) => {
                  const line = keylogLine(name, clientRandom, secret);
                  appendToKeylogFile(line);
                  if (this.listenerCount('keylog') > 0) this.emit('keylog', Buffer.from(line), socket);
                },
              }
            : config,
        );
        if (options.onTrace) connection.on('trace', (event) => options.onTrace!(socket, event));
        socket.attach(connection);
      },
      () => transport.destroy(),
    );
  }
}

async function buildConfig(provider: CryptoProvider, options: ServerOptions): Promise<ServerConfig> {
  const certificates = await loadServerCertificates(provider, options.cert, options.key, 'server options');
  const config: ServerConfig = { provider, certificates };
  const strict = options.rejectUnauthorized !== false;
  const clientAuth = options.clientAuth ?? (options.requestCert ? (strict ? 'require' : 'optional') : 'none');
  if (clientAuth !== 'none') config.clientAuth = clientAuth;
  // A client certificate may come even with clientAuth 'none': asked for after the handshake
  // by socket.requestClientCertificate(). It is checked against `ca` the same way.
  config.rejectUnauthorized = strict;
  config.verifier = sharedVerifier(provider, options.ca).verifier;
  const tickets = options.tickets ?? 2;
  if (tickets > 0) {
    config.ticketStore = new StatelessTicketStore(provider);
    config.ticketCount = tickets;
    if (options.maxEarlyDataSize) {
      config.maxEarlyDataSize = options.maxEarlyDataSize;
      config.antiReplay = new AntiReplay();
    }
  }
  if (options.ALPNProtocols) config.alpnProtocols = options.ALPNProtocols;
  if (options.cipherSuites) config.cipherSuites = options.cipherSuites;
  if (options.groups) config.groups = options.groups;
  if (options.signatureSchemes) config.signatureSchemes = options.signatureSchemes;
  if (options.recordSizeLimit !== undefined) config.recordSizeLimit = options.recordSizeLimit;
  if (options.keyUpdateAfterRecords !== undefined) config.keyUpdateAfterRecords = options.keyUpdateAfterRecords;
  if (options.pskKeyExchangeModes) config.pskKeyExchangeModes = options.pskKeyExchangeModes;
  const sni = options.SNICallback;
  if (sni) {
    config.certificatesForName = (name) =>
      new Promise<readonly ServerCertificate[] | undefined>((resolve, reject) => {
        sni(name, (error, identity) => {
          if (error) reject(error);
          else if (!identity) resolve(undefined);
          else loadServerCertificates(provider, identity.cert, identity.key, `SNICallback(${name})`).then(resolve, reject);
        });
      });
  }
  return config;
}

export function createServer(options: ServerOptions, secureConnectionListener?: (socket: TLSSocket) => void): Server {
  return new Server(options, secureConnectionListener);
}
