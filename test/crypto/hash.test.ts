import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import type { HashName } from '../../src/crypto/provider.js';
import { bytesToHex, utf8 } from '../../src/wire/bytes.js';
import { hex, vectors } from './helpers.js';

const provider = nobleProvider();
const HASHES: HashName[] = ['sha256', 'sha384', 'sha512'];

interface HmacVector {
  name: string;
  key: string;
  data: string;
  sha256: string;
  sha384: string;
  sha512: string;
}
interface HkdfVector {
  section: string;
  hash: HashName;
  ikm: string;
  salt: string;
  info: string;
  length: number;
  prk: string;
  okm: string;
}

describe('HMAC (RFC 4231)', () => {
  const { hmac } = vectors<{ hmac: HmacVector[] }>('rfc4231.json');
  for (const v of hmac) {
    for (const h of HASHES) {
      it(`${v.name}, HMAC-${h.toUpperCase()}`, () => {
        expect(bytesToHex(provider.hmac(h, hex(v.key), hex(v.data)))).toBe(v[h]);
      });
    }
  }
});

describe('HKDF (RFC 5869 A.1-A.3)', () => {
  const { hkdf } = vectors<{ hkdf: HkdfVector[] }>('rfc5869.json');
  for (const v of hkdf) {
    it(`${v.section}: extract gives PRK, expand gives OKM`, () => {
      const prk = provider.hkdfExtract(v.hash, hex(v.salt), hex(v.ikm));
      expect(bytesToHex(prk)).toBe(v.prk);
      expect(bytesToHex(provider.hkdfExpand(v.hash, prk, hex(v.info), v.length))).toBe(v.okm);
    });
  }

  it('agrees with node:crypto hkdf for sha384 and sha512', () => {
    for (const h of ['sha384', 'sha512'] as const) {
      const ikm = utf8('input keying material');
      const salt = utf8('salt');
      const info = utf8('tls13 derived');
      const ours = provider.hkdfExpand(h, provider.hkdfExtract(h, salt, ikm), info, 100);
      expect(bytesToHex(ours)).toBe(Buffer.from(hkdfSync(h, ikm, salt, info, 100)).toString('hex'));
    }
  });

  it('refuses an output longer than 255 * HashLen (internal_error)', () => {
    const prk = new Uint8Array(32);
    expect(provider.hkdfExpand('sha256', prk, new Uint8Array(0), 255 * 32)).toHaveLength(255 * 32);
    expect(() => provider.hkdfExpand('sha256', prk, new Uint8Array(0), 255 * 32 + 1)).toThrowError(expect.objectContaining({ code: 'INTERNAL_ERROR', alert: 'internal_error' }));
  });
});

describe('hash contexts', () => {
  for (const h of HASHES) {
    it(`${h}: digest matches node:crypto; fork() is independent of the original`, () => {
      const ctx = provider.hash(h);
      ctx.update(utf8('client hello|'));
      const forked = ctx.fork();
      ctx.update(utf8('server hello'));
      forked.update(utf8('something else'));
      expect(bytesToHex(ctx.digest())).toBe(createHash(h).update('client hello|server hello').digest('hex'));
      expect(bytesToHex(forked.digest())).toBe(createHash(h).update('client hello|something else').digest('hex'));
    });
  }

  it('an empty transcript hashes to the hash of the empty string', () => {
    expect(bytesToHex(provider.hash('sha256').digest())).toBe(createHash('sha256').digest('hex'));
  });

  it('hmac agrees with node:crypto on a long message', () => {
    const key = new Uint8Array(48).fill(7);
    const data = new Uint8Array(5000).map((_, i) => i & 0xff);
    expect(bytesToHex(provider.hmac('sha384', key, data))).toBe(createHmac('sha384', key).update(data).digest('hex'));
  });
});
