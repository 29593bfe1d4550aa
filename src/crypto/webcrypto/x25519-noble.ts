/**
 * noble's X25519 for runtimes whose WebCrypto lacks it (older browsers). Imported dynamically by
 * the webcrypto key exchange, so a bundler puts it in a chunk that only those runtimes load. It
 * holds nothing but the curve: the key-exchange logic around it (montgomeryGroup, KeyExchanges)
 * is the main chunk's, so this chunk shares no module with it and does not split the main
 * chunk into more files (each one gzipped and fetched on its own).
 */
export { x25519 } from '@noble/curves/ed25519.js';
