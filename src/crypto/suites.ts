import { CipherSuite } from '../registry.js';
import type { CipherSuiteParams } from './provider.js';

/** RFC 8446 §B.4 and RFC 8439: the TLS 1.3 suites wiretls implements. */
export const cipherSuiteParams: ReadonlyMap<number, CipherSuiteParams> = new Map<number, CipherSuiteParams>([
  [CipherSuite.TLS_AES_128_GCM_SHA256, { suite: CipherSuite.TLS_AES_128_GCM_SHA256, aead: 'AES-128-GCM', keyLength: 16, ivLength: 12, hash: 'sha256' }],
  [CipherSuite.TLS_AES_256_GCM_SHA384, { suite: CipherSuite.TLS_AES_256_GCM_SHA384, aead: 'AES-256-GCM', keyLength: 32, ivLength: 12, hash: 'sha384' }],
  [
    CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    {
      suite: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
      aead: 'CHACHA20-POLY1305',
      keyLength: 32,
      ivLength: 12,
      hash: 'sha256',
    },
  ],
]);
