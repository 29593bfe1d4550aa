/**
 * wiretls for Node: everything in the portable entry (engine.ts: the sans-I/O
 * ClientConnection / ServerConnection, providers, certificates) plus the node:tls-shaped API
 * (connect, createServer) that runs it over Node sockets, the node:crypto provider, and Node's
 * bundled Mozilla roots as the default trust store. Bundlers and other runtimes get engine.ts
 * through the package's exports map.
 */
export * from './engine.js';
// Buffer's byte conversions for the engine (see wire/native-bytes.ts), installed as this loads.
import './node/native-bytes.js';
// Replaces the engine's X509Verifier: the same verifier, with the system roots by default.
export { X509Verifier, type NodeX509VerifierOptions } from './node/x509-verifier.js';
export { systemTrustStore } from './node/system-trust-store.js';
export { nodeProvider, type NodeProviderOptions } from './crypto/node/index.js';
export { defaultProvider } from './node/provider.js';
export { connect, type ConnectOptions } from './node/connect.js';
export { createServer, Server, type ServerOptions, type ServerIdentity } from './node/server.js';
export { TLSSocket } from './node/tls-socket.js';
export type { PeerCertificate } from './node/peer-certificate.js';
