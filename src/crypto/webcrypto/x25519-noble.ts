import { x25519 } from '@noble/curves/ed25519.js';
import { NamedGroup } from '../../messages/registry.js';
import { type DhGroup, KeyExchanges, type RandomSource } from '../key-exchange.js';
import { montgomeryGroup } from '../noble/montgomery.js';
import type { SyncKeyExchangeAlgorithm } from '../provider.js';
import { defaultRandom } from '../random.js';

/**
 * noble's X25519 for runtimes whose WebCrypto lacks it (older browsers). Imported dynamically by
 * the webcrypto key exchange, so a bundler puts it in a chunk that only those runtimes load.
 */

export function x25519DhGroup(): DhGroup {
  return montgomeryGroup(NamedGroup.x25519, x25519, 32);
}

function exchanges(): KeyExchanges {
  return new KeyExchanges(new Map([[NamedGroup.x25519, x25519DhGroup()]]));
}

export function x25519Fresh(random: RandomSource | undefined): SyncKeyExchangeAlgorithm {
  return exchanges().fresh(NamedGroup.x25519, random ?? defaultRandom)!;
}

export function x25519WithPrivateKey(privateKey: Uint8Array): SyncKeyExchangeAlgorithm {
  return exchanges().withPrivateKey(NamedGroup.x25519, privateKey, defaultRandom);
}
