/**
 * WebCrypto's types, read off the global `crypto` that every runtime we target has, so that
 * portable code never writes `import type … from 'node:crypto'` for them: the engine's import
 * graph stays free of `node:` even in type positions (test/package checks it).
 */
export type SubtleCrypto = typeof globalThis.crypto.subtle;
export type CryptoKey = Awaited<ReturnType<SubtleCrypto['importKey']>>;
/** The algorithm argument of importKey (RsaHashedImportParams, EcKeyImportParams, a name, …). */
export type ImportAlgorithm = Parameters<SubtleCrypto['importKey']>[2];
