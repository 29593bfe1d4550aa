import { x25519 } from '@noble/curves/ed25519.js';
import { NamedGroup } from '../../../registry.js';
import { x25519MlKem768 } from '../../hybrid.js';
import { montgomeryGroup } from '../../noble/montgomery.js';
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
  exchange: (random, fixedPrivateKey) => x25519MlKem768(montgomeryGroup(NamedGroup.x25519, x25519, 32), random, fixedPrivateKey),
};
