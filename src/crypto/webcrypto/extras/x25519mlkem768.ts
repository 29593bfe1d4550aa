import { NamedGroup } from '../../../messages/registry.js';
import { x25519MlKem768 } from '../../hybrid.js';
import { x25519DhGroup } from '../x25519-noble.js';
import type { GroupExtra } from '../extras.js';

/**
 * The X25519MLKEM768 hybrid (draft-ietf-tls-ecdhe-mlkem) for webcryptoProvider(), on noble:
 * WebCrypto has no ML-KEM. Its X25519 half is noble's too, so the hybrid is one synchronous
 * step (ML-KEM-768 and X25519 together cost about what one WebCrypto round trip does). With
 * this extra the provider prefers the hybrid, as browsers and the other providers do.
 */
export const x25519mlkem768: GroupExtra = {
  kind: 'group',
  group: NamedGroup.X25519MLKEM768,
  exchange: (random, fixedPrivateKey) => x25519MlKem768(x25519DhGroup(), random, fixedPrivateKey),
};
