/**
 * wiretls for any JavaScript runtime (browsers, workers, Deno, Bun, Node): the sans-I/O engine,
 * the portable crypto providers and the X.509 layer. Nothing reachable from here imports a
 * `node:` module or needs Buffer (test/package checks both), so bundlers take this file for
 * the "browser", "worker", "workerd", "deno", "bun" and "default" conditions and for
 * `wiretls/engine`. There is no system trust store here: an X509Verifier needs `trustStore`.
 * The Node entry (index.ts) re-exports all of this plus the node:tls-shaped API.
 */
export { ClientConnection, ServerConnection, Connection, type ConnectionEvents, type ConnectionState } from './connection.js';
export type { ClientConfig, ServerConfig, ServerCertificate, CommonConfig } from './config.js';
export type { SessionInfo, SessionTicket, TraceEvent } from './handshake-context.js';
export { PROTOCOL_REASONS, type ProtocolReason, TLSError, type TLSErrorCode, isProtocolReason } from './errors.js';
export { CipherSuite, NamedGroup, SignatureScheme, AlertDescription } from './registry.js';

// Crypto providers. defaultProvider() here is webcryptoProvider(); the Node entry's is the native one.
export type { CryptoProvider, SigningKey, AeadCipher, KeyExchangeAlgorithm } from './crypto/provider.js';
export { webcryptoProvider, type WebCryptoProviderOptions, type WebCryptoExtra } from './crypto/webcrypto/index.js';
// What WebCrypto lacks, opted into with webcryptoProvider({ extras }); a bundle carries only those named.
export { x25519mlkem768 } from './crypto/webcrypto/extras/x25519mlkem768.js';
export { chacha20poly1305 } from './crypto/webcrypto/extras/chacha20poly1305.js';
export { x448 } from './crypto/webcrypto/extras/x448.js';
export { ed448 } from './crypto/webcrypto/extras/ed448.js';
export { defaultProvider } from './crypto/default-provider.js';
export { nobleProvider, type NobleProviderOptions } from './crypto/noble/index.js';

// Certificates: explicit trust anchors, PEM and key loading, the verifier.
export type { CertificateVerifier, VerificationContext, VerificationResult } from './x509/verifier.js';
export type { ChainReport, ChainStep } from './x509/chain-report.js';
export { X509Verifier, type X509VerifierOptions, TrustStore, loadCertificates, loadPrivateKey } from './x509/index.js';

// Transports: the sans-I/O engine over Web Streams and WebSockets.
export { connectStreams, acceptStreams, type ByteStreams, type TLSStreams, type TLSStreamOptions } from './transports/web-streams.js';
export { webSocketStreams, type WebSocketLike, type WebSocketEvent, type WebSocketStreamOptions } from './transports/websocket.js';
