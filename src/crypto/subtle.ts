import type { HashName } from './provider.js';

/**
 * The slice of WebCrypto (W3C Web Cryptography API, globalThis.crypto.subtle) the portable
 * providers use, declared here so that the code compiles without the DOM library and imports
 * nothing from `node:` even as types. Every runtime wiretls targets (browsers, workers, Deno,
 * Bun, Node ≥ 19) has the global.
 */

/** An opaque key handle; with `extractable` false its secret bytes never reach JavaScript. */
export interface WebCryptoKey {
  readonly type: 'public' | 'private' | 'secret';
  readonly extractable: boolean;
}

export interface WebCryptoKeyPair {
  readonly publicKey: WebCryptoKey;
  readonly privateKey: WebCryptoKey;
}

export type WebCryptoAlgorithm = { readonly name: string } & Readonly<Record<string, unknown>>;

/** A JSON Web Key (RFC 7517), as far as EC and OKP keys go. */
export interface WebCryptoJwk {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  ext?: boolean;
  key_ops?: string[];
}

export interface WebCryptoSubtle {
  generateKey(algorithm: WebCryptoAlgorithm, extractable: boolean, usages: readonly string[]): Promise<WebCryptoKeyPair | WebCryptoKey>;
  importKey(format: 'raw' | 'spki' | 'pkcs8', data: Uint8Array, algorithm: WebCryptoAlgorithm, extractable: boolean, usages: readonly string[]): Promise<WebCryptoKey>;
  importKey(format: 'jwk', data: WebCryptoJwk, algorithm: WebCryptoAlgorithm, extractable: boolean, usages: readonly string[]): Promise<WebCryptoKey>;
  exportKey(format: 'raw' | 'spki' | 'pkcs8', key: WebCryptoKey): Promise<ArrayBuffer>;
  exportKey(format: 'jwk', key: WebCryptoKey): Promise<WebCryptoJwk>;
  deriveBits(algorithm: WebCryptoAlgorithm, baseKey: WebCryptoKey, length: number): Promise<ArrayBuffer>;
  sign(algorithm: WebCryptoAlgorithm, key: WebCryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: WebCryptoAlgorithm, key: WebCryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

/** globalThis.crypto.subtle, or undefined where there is none (an insecure browser context, say). */
export function subtleCrypto(): WebCryptoSubtle | undefined {
  return (globalThis as { crypto?: { subtle?: WebCryptoSubtle } }).crypto?.subtle;
}

export const webCryptoHash: Record<HashName, string> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
