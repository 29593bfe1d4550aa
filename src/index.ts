/**
 * wiretls: TLS 1.3 in TypeScript. The sans-I/O engine (ClientConnection / ServerConnection)
 * runs over any byte transport; the node:tls-shaped API (connect, createServer) runs it over
 * Node sockets.
 */
export { ClientConnection, ServerConnection, Connection, type ConnectionEvents, type ConnectionState } from './connection.js';
export type { ClientConfig, ServerConfig, ServerCertificate, CommonConfig } from './config.js';
export type { SessionInfo, SessionTicket, TraceEvent } from './handshake-context.js';
export { TLSError, type TLSErrorCode } from './errors.js';
export type { CryptoProvider, SigningKey, AeadCipher, KeyExchangeAlgorithm } from './crypto/provider.js';
export { nobleProvider, type NobleProviderOptions } from './crypto/noble/index.js';
export { nodeProvider, type NodeProviderOptions } from './crypto/node/index.js';
export { defaultProvider } from './node/provider.js';
export { CipherSuite, NamedGroup, SignatureScheme, AlertDescription } from './messages/registry.js';
export type { CertificateVerifier, VerificationContext, VerificationResult } from './x509/verifier.js';
export { X509Verifier, TrustStore, loadCertificates, loadPrivateKey } from './x509/index.js';
export { connectStreams, acceptStreams, type ByteStreams, type TLSStreams, type TLSStreamOptions } from './transports/web-streams.js';
export { webSocketStreams, type WebSocketLike, type WebSocketEvent, type WebSocketStreamOptions } from './transports/websocket.js';
export { connect, type ConnectOptions } from './node/connect.js';
export { createServer, Server, type ServerOptions, type ServerIdentity } from './node/server.js';
export { TLSSocket } from './node/tls-socket.js';
export type { PeerCertificate } from './node/peer-certificate.js';
