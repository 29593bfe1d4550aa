import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { NobleAeadSpec } from './aead-cipher.js';

/** ChaCha20-Poly1305 (RFC 8439) as noble builds it, encrypting in place where asked. */
export const nobleChaCha20Poly1305: NobleAeadSpec = { keyLength: 32, construct: chacha20poly1305, encryptsInto: true };
