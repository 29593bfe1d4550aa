import { internalError } from '../../errors.js';
import { NobleAead } from '../noble/aead-cipher.js';
import { nobleAesGcm128, nobleAesGcm256 } from '../noble/aes-gcm.js';
import type { AeadCipher, AeadName } from '../provider.js';
import type { AeadExtra } from './extras.js';

/**
 * The record AEADs of the webcrypto provider. WebCrypto's AES-GCM only answers with promises and
 * the record layer seals and opens synchronously (one record at a time, in order, on the hot
 * path), so AES-GCM is noble's here; ChaCha20-Poly1305 comes from its extra.
 */
export function webCryptoProviderAead(chacha: AeadExtra | undefined): (name: AeadName, key: Uint8Array) => AeadCipher {
  return (name, key) => {
    switch (name) {
      case 'AES-128-GCM':
        return new NobleAead(name, nobleAesGcm128, key);
      case 'AES-256-GCM':
        return new NobleAead(name, nobleAesGcm256, key);
      default:
        if (chacha !== undefined && name === chacha.aead) return new NobleAead(name, chacha.cipher, key);
        throw internalError(`AEAD ${String(name)} is not in this provider (ChaCha20-Poly1305 needs the chacha20poly1305 extra)`);
    }
  };
}
