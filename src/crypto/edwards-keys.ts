import { bytesToHex } from '../wire/bytes.js';

/**
 * Edwards public keys every provider refuses, whatever its library would take, so that all
 * providers accept exactly the same keys (noble's strict mode refuses these; OpenSSL and the
 * WebCrypto implementations built on it or on BoringSSL would not):
 * - non-canonical encodings (y ≥ p): RFC 8032 §5.1.3 / §5.2.3 strict decoding;
 * - points of small order, and x = 0 with the sign bit set (an invalid encoding of those same
 *   points): with such a key one signature verifies for many messages (noble's strict mode
 *   rejects them for non-repudiation). There are only a handful, listed here as encodings:
 *   Ed25519 has 8 points of order dividing 8, Ed448 has 4 of order dividing 4.
 */
const SMALL_ORDER_ED25519 = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000', // identity
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // (0, -1), order 2
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '0000000000000000000000000000000000000000000000000000000000000000', // (±sqrt(-1), 0), order 4
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
]);
const ED448_P_MINUS_1 = 'fe' + 'ff'.repeat(27) + 'fe' + 'ff'.repeat(27);
const SMALL_ORDER_ED448 = new Set([
  '01' + '00'.repeat(55) + '00', // identity
  '01' + '00'.repeat(55) + '80',
  ED448_P_MINUS_1 + '00', // (0, -1), order 2
  ED448_P_MINUS_1 + '80',
  '00'.repeat(56) + '00', // (±1, 0), order 4
  '00'.repeat(56) + '80',
]);

export function acceptableEdwardsKey(type: 'ed25519' | 'ed448', publicKey: Uint8Array): boolean {
  const encoding = bytesToHex(publicKey);
  if (type === 'ed25519') {
    if (SMALL_ORDER_ED25519.has(encoding)) return false;
    // p = 2^255 - 19: y (the low 255 bits) is ≥ p iff bytes 1-30 are 0xff, byte 31 is 0x7f
    // without the sign bit, and byte 0 is at least 0xed.
    if ((publicKey[31]! & 0x7f) !== 0x7f) return true;
    for (let i = 30; i >= 1; i--) if (publicKey[i] !== 0xff) return true;
    return publicKey[0]! < 0xed;
  }
  if (SMALL_ORDER_ED448.has(encoding)) return false;
  // p = 2^448 - 2^224 - 1, little-endian in bytes 0-55: bytes 29-55 are 0xff, byte 28 is 0xfe,
  // bytes 0-27 are 0xff. Byte 56 holds only the sign bit of x.
  if ((publicKey[56]! & 0x7f) !== 0) return false;
  for (let i = 55; i >= 29; i--) if (publicKey[i] !== 0xff) return true;
  if (publicKey[28] !== 0xfe) return publicKey[28]! < 0xfe;
  for (let i = 27; i >= 0; i--) if (publicKey[i] !== 0xff) return true;
  return false;
}
