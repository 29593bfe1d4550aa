import { gcm } from '@noble/ciphers/aes.js';
import type { NobleAeadSpec } from './aead-cipher.js';

/** AES-GCM (NIST SP 800-38D) as noble builds it; it cannot encrypt into a caller's buffer. */
export const nobleAesGcm128: NobleAeadSpec = { keyLength: 16, construct: gcm, encryptsInto: false };
export const nobleAesGcm256: NobleAeadSpec = { keyLength: 32, construct: gcm, encryptsInto: false };
