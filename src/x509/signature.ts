import { DerTag, bytesOf, contentOf, encodeElement, encodeOid } from '../crypto/der.js';
import { ecdsaDerToCompact } from '../crypto/keys.js';
import { bytesKey } from './certificate.js';
import { childrenOf, decodeOid, malformed, readRoot } from './der.js';
import { pssParams } from './public-key.js';
import type { CertHash, NamedCurve, PublicKeyInfo } from './types.js';
import { OID } from './oids.js';
import { type WebCryptoAlgorithm, subtleCrypto } from '../crypto/subtle.js';

/** A certificate signature algorithm, decoded from its AlgorithmIdentifier. */
export type CertSignatureAlgorithm =
  | { readonly kind: 'rsa-pkcs1'; readonly hash: CertHash | 'MD5' }
  | { readonly kind: 'rsa-pss'; readonly hash: CertHash; readonly saltLength: number }
  | { readonly kind: 'ecdsa'; readonly hash: CertHash }
  | { readonly kind: 'ed25519' }
  | { readonly kind: 'ed448' };

export type SignatureAlgorithmResult = { readonly ok: true; readonly algorithm: CertSignatureAlgorithm } | { readonly ok: false; readonly reason: string };

/** Maps signatureAlgorithm (OID and DER parameters) to what we verify, or says why not. */
export function certSignatureAlgorithm(oid: string, paramsDer: Uint8Array | undefined): SignatureAlgorithmResult {
  const ok = (algorithm: CertSignatureAlgorithm): SignatureAlgorithmResult => ({ ok: true, algorithm });
  switch (oid) {
    case OID.md5WithRSAEncryption:
      return ok({ kind: 'rsa-pkcs1', hash: 'MD5' });
    case OID.sha1WithRSAEncryption:
      return ok({ kind: 'rsa-pkcs1', hash: 'SHA-1' });
    case OID.sha256WithRSAEncryption:
      return ok({ kind: 'rsa-pkcs1', hash: 'SHA-256' });
    case OID.sha384WithRSAEncryption:
      return ok({ kind: 'rsa-pkcs1', hash: 'SHA-384' });
    case OID.sha512WithRSAEncryption:
      return ok({ kind: 'rsa-pkcs1', hash: 'SHA-512' });
    case OID.ecdsaWithSHA1:
      return ok({ kind: 'ecdsa', hash: 'SHA-1' });
    case OID.ecdsaWithSHA256:
      return ok({ kind: 'ecdsa', hash: 'SHA-256' });
    case OID.ecdsaWithSHA384:
      return ok({ kind: 'ecdsa', hash: 'SHA-384' });
    case OID.ecdsaWithSHA512:
      return ok({ kind: 'ecdsa', hash: 'SHA-512' });
    case OID.ed25519:
    case OID.ed448:
      // RFC 8410 §3: the parameters MUST be absent.
      if (paramsDer) return { ok: false, reason: 'EdDSA signature algorithm with parameters' };
      return ok({ kind: oid === OID.ed25519 ? 'ed25519' : 'ed448' });
    case OID.rsassaPss: {
      if (!paramsDer) return { ok: false, reason: 'RSASSA-PSS without parameters' };
      const p = pssParams(paramsDer);
      if (!p.hash || !p.mgfHash) return { ok: false, reason: 'RSASSA-PSS with an unsupported hash or mask generation function' };
      // WebCrypto (and every sane profile, RFC 8446 §4.2.3 included) ties MGF1's hash to the message hash.
      if (p.mgfHash !== p.hash) return { ok: false, reason: `RSASSA-PSS with MGF1-${p.mgfHash} but ${p.hash} message hash` };
      if (p.trailerField !== 1) return { ok: false, reason: 'RSASSA-PSS trailerField other than 1' };
      return ok({ kind: 'rsa-pss', hash: p.hash, saltLength: p.saltLength });
    }
    default:
      return { ok: false, reason: `signature algorithm ${oid} is not supported` };
  }
}

/** Which issuer keys can make which signatures; undefined when they fit. */
export function keyAlgorithmMismatch(algorithm: CertSignatureAlgorithm, key: PublicKeyInfo): string | undefined {
  const fits = (() => {
    switch (algorithm.kind) {
      case 'rsa-pkcs1':
        return key.kind === 'rsa'; // an id-RSASSA-PSS key is for PSS only (RFC 4055 §1.2)
      case 'rsa-pss':
        return key.kind === 'rsa' || (key.kind === 'rsa-pss' && (key.pssHash === undefined || key.pssHash === algorithm.hash));
      case 'ecdsa':
        return key.kind === 'ec';
      case 'ed25519':
        return key.kind === 'ed25519';
      case 'ed448':
        return key.kind === 'ed448';
    }
  })();
  return fits ? undefined : `an ${key.description} key cannot make a ${describeAlgorithm(algorithm)} signature`;
}

export function describeAlgorithm(a: CertSignatureAlgorithm): string {
  switch (a.kind) {
    case 'rsa-pkcs1':
      return `RSA PKCS#1 v1.5 ${a.hash}`;
    case 'rsa-pss':
      return `RSA-PSS ${a.hash}`;
    case 'ecdsa':
      return `ECDSA ${a.hash}`;
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
  }
}

/**
 * Verifies one certificate signature. The x509 layer has already decided that the algorithm is
 * acceptable and fits the key; a checker only does the arithmetic. Resolves false for a
 * signature that does not verify (or a key the implementation cannot load); never rejects for
 * those. A crypto provider can be plugged in here later.
 */
export interface SignatureChecker {
  verify(algorithm: CertSignatureAlgorithm, issuerSpki: Uint8Array, issuerKey: PublicKeyInfo, signedData: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** An imported issuer key; the algorithm details (hash, salt) come with each call. */
type Verifier = (algorithm: CertSignatureAlgorithm, data: Uint8Array, signature: Uint8Array) => Promise<boolean>;

const curveFieldBytes: Record<NamedCurve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/**
 * SignatureChecker on WebCrypto (globalThis.crypto.subtle), for any runtime. Ed448, which
 * browsers' WebCrypto lacks and Node's has only behind an experimental warning, is checked by
 * ed448-signature.ts, loaded on first need. Each issuer key is imported once per
 * algorithm and kept in a bounded cache, since the same intermediates and roots sign every
 * chain a client sees.
 */
export class WebCryptoSignatureChecker implements SignatureChecker {
  private readonly cache = new Map<string, Promise<Verifier | undefined>>();
  private readonly maxEntries: number;
  /** Key imports done (cache misses); for tests and benchmarks. */
  imports = 0;

  constructor(options: { maxCachedKeys?: number } = {}) {
    this.maxEntries = options.maxCachedKeys ?? 256;
  }

  async verify(algorithm: CertSignatureAlgorithm, issuerSpki: Uint8Array, issuerKey: PublicKeyInfo, signedData: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const importAs = importAlgorithm(algorithm, issuerKey);
    if (!importAs) return false;
    const cacheKey = `${importAs.id}|${bytesKey(issuerSpki)}`;
    let verifier = this.cache.get(cacheKey);
    if (verifier) {
      // Refresh its place: the Map's insertion order is the LRU order.
      this.cache.delete(cacheKey);
    } else {
      this.imports++;
      verifier = makeVerifier(algorithm, issuerSpki, issuerKey, importAs).catch(() => undefined);
    }
    this.cache.set(cacheKey, verifier);
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    const verify = await verifier;
    if (!verify) return false;
    try {
      return await verify(algorithm, signedData, signature);
    } catch {
      return false;
    }
  }
}

interface ImportAs {
  readonly id: string;
  readonly params: WebCryptoAlgorithm;
}

function importAlgorithm(a: CertSignatureAlgorithm, key: PublicKeyInfo): ImportAs | undefined {
  switch (a.kind) {
    case 'rsa-pkcs1':
      if (a.hash === 'MD5') return undefined;
      return { id: `pkcs1-${a.hash}`, params: { name: 'RSASSA-PKCS1-v1_5', hash: a.hash } };
    case 'rsa-pss':
      return { id: `pss-${a.hash}`, params: { name: 'RSA-PSS', hash: a.hash } };
    case 'ecdsa':
      if (!key.curve) return undefined;
      return { id: `ecdsa-${key.curve}`, params: { name: 'ECDSA', namedCurve: key.curve } };
    case 'ed25519':
      return { id: 'ed25519', params: { name: 'Ed25519' } };
    case 'ed448':
      return { id: 'ed448', params: { name: 'Ed448' } };
  }
}

async function makeVerifier(a: CertSignatureAlgorithm, spki: Uint8Array, key: PublicKeyInfo, importAs: ImportAs): Promise<Verifier | undefined> {
  if (a.kind === 'ed448') {
    const publicKey = ed448PublicKey(spki);
    // A chunk of its own for bundlers: only chains with an Ed448 issuer load the curve.
    const { ed448Verifier } = await import('./ed448-signature.js');
    const verify = ed448Verifier(publicKey);
    return async (_algorithm, data, signature) => verify(data, signature);
  }
  const subtle = subtleCrypto();
  if (!subtle) return undefined;
  // WebCrypto only imports RSA keys labelled rsaEncryption; an id-RSASSA-PSS key is the same
  // RSAPublicKey under another OID (its parameter restrictions are enforced before we get here).
  const der = key.kind === 'rsa-pss' ? asRsaEncryptionSpki(spki) : spki;
  const cryptoKey = await subtle.importKey('spki', der, importAs.params, false, ['verify']);
  const fieldSize = key.curve ? curveFieldBytes[key.curve] : 0;
  return async (algorithm, data, signature) => {
    switch (algorithm.kind) {
      case 'rsa-pkcs1':
        return subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, cryptoKey, signature, data);
      case 'rsa-pss':
        return subtle.verify({ name: 'RSA-PSS', saltLength: algorithm.saltLength }, cryptoKey, signature, data);
      case 'ecdsa': {
        // X.509 carries ECDSA-Sig-Value (DER SEQUENCE of r, s); WebCrypto wants r || s. The
        // hash is the signature algorithm's, independent of the curve.
        const raw = ecdsaDerToCompact(signature, fieldSize);
        if (!raw) return false;
        return subtle.verify({ name: 'ECDSA', hash: algorithm.hash }, cryptoKey, raw, data);
      }
      case 'ed25519':
      case 'ed448':
        return subtle.verify(importAs.params, cryptoKey, signature, data);
    }
  };
}

/**
 * The 57 key bytes of an Ed448 SubjectPublicKeyInfo (RFC 8410 §4: parameters absent, no unused
 * bits). Read here rather than in ed448-signature.ts so that the lazy chunk needs nothing from
 * the main one; throws for anything else (the checker then answers false).
 */
function ed448PublicKey(spki: Uint8Array): Uint8Array {
  const [algorithm, key] = childrenOf(spki, readRoot(spki, DerTag.SEQUENCE));
  const [oid, ...params] = algorithm?.tag === DerTag.SEQUENCE ? childrenOf(spki, algorithm) : [];
  if (oid?.tag !== DerTag.OID || decodeOid(contentOf(spki, oid)) !== OID.ed448 || params.length > 0 || key?.tag !== DerTag.BIT_STRING) {
    throw malformed('not an Ed448 SubjectPublicKeyInfo');
  }
  const bits = contentOf(spki, key);
  if (bits.length !== 58 || bits[0] !== 0) throw malformed('an Ed448 public key is 57 bytes');
  return bits.subarray(1);
}

function asRsaEncryptionSpki(spki: Uint8Array): Uint8Array {
  const root = readRoot(spki, DerTag.SEQUENCE);
  const [, keyNode] = childrenOf(spki, root);
  const algorithm = encodeElement(DerTag.SEQUENCE, encodeOid(OID.rsaEncryption), new Uint8Array([DerTag.NULL, 0]));
  return encodeElement(DerTag.SEQUENCE, algorithm, bytesOf(spki, keyNode!));
}
