import { internalError } from '../../errors.js';
import type { AeadCipher, AeadName } from '../provider.js';
import { NobleAead, type NobleAeadSpec } from './aead-cipher.js';
import { nobleAesGcm128, nobleAesGcm256 } from './aes-gcm.js';
import { nobleChaCha20Poly1305 } from './chacha.js';

const constructions: Record<AeadName, NobleAeadSpec> = {
  'AES-128-GCM': nobleAesGcm128,
  'AES-256-GCM': nobleAesGcm256,
  'CHACHA20-POLY1305': nobleChaCha20Poly1305,
};

export function nobleAead(name: AeadName, key: Uint8Array): AeadCipher {
  const spec = constructions[name];
  if (spec === undefined) throw internalError(`unknown AEAD ${String(name)}`);
  return new NobleAead(name, spec, key);
}
