import { x448 as x448Curve } from '@noble/curves/ed448.js';
import { NamedGroup } from '../../../registry.js';
import { KeyExchanges } from '../../key-exchange.js';
import { montgomeryGroup } from '../../noble/montgomery.js';
import type { GroupExtra } from '../extras.js';

/** The x448 group (RFC 7748, RFC 8446 §4.2.7) for webcryptoProvider(), on noble: WebCrypto has no standard X448. */
export const x448: GroupExtra = {
  kind: 'group',
  group: NamedGroup.x448,
  exchange(random, fixedPrivateKey) {
    const exchanges = new KeyExchanges(new Map([[NamedGroup.x448, montgomeryGroup(NamedGroup.x448, x448Curve, 56)]]));
    return fixedPrivateKey === undefined ? exchanges.fresh(NamedGroup.x448, random)! : exchanges.withPrivateKey(NamedGroup.x448, fixedPrivateKey, random);
  },
};
