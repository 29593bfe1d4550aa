import { DerTag, bitLength, bytesOf, contentOf } from '../crypto/der.js';
import { type RsaPssParams, readRsaPssParams } from '../crypto/pss-params.js';
import { childrenOf, decodeOid, invalid, readElement, readRoot, x509Der } from './der.js';
import { OID } from './oids.js';
import type { CertHash, NamedCurve, PublicKeyInfo } from './types.js';

/** SubjectPublicKeyInfo and RSASSA-PSS parameters, as the certificate parser and the signature checks see them. */

const curveByOid: Record<string, NamedCurve> = {
  [OID.secp256r1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
};

export const hashByOid: Record<string, CertHash> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

/** Key algorithm and size from a DER SubjectPublicKeyInfo. */
export function describePublicKey(spki: Uint8Array): PublicKeyInfo {
  const root = readRoot(spki, DerTag.SEQUENCE);
  const [algNode, keyNode] = childrenOf(spki, root);
  if (!algNode || !keyNode || algNode.tag !== DerTag.SEQUENCE || keyNode.tag !== DerTag.BIT_STRING) throw invalid('bad SubjectPublicKeyInfo');
  const [oidNode, paramsNode] = childrenOf(spki, algNode);
  if (!oidNode || oidNode.tag !== DerTag.OID) throw invalid('bad SubjectPublicKeyInfo algorithm');
  const algorithmOid = decodeOid(contentOf(spki, oidNode));
  const keyBits = contentOf(spki, keyNode);
  if (keyBits[0] !== 0) throw invalid('subjectPublicKey has unused bits');
  switch (algorithmOid) {
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const key = keyBits.subarray(1);
      const seq = readRoot(key, DerTag.SEQUENCE);
      const modulus = readElement(key, seq.contentStart, seq.end);
      if (modulus.tag !== DerTag.INTEGER) throw invalid('bad RSA public key');
      const bits = bitLength(contentOf(key, modulus));
      if (algorithmOid === OID.rsaEncryption) return { kind: 'rsa', algorithmOid, bits, description: `RSA ${bits}` };
      const pssHash = paramsNode ? pssParams(bytesOf(spki, paramsNode)).hash : undefined;
      return { kind: 'rsa-pss', algorithmOid, bits, description: `RSA-PSS ${bits}`, ...(pssHash ? { pssHash } : {}) };
    }
    case OID.ecPublicKey: {
      if (!paramsNode || paramsNode.tag !== DerTag.OID) {
        return { kind: 'ec', algorithmOid, unsupportedCurve: 'explicit parameters', description: 'ECDSA (explicit curve parameters)' };
      }
      const curveOid = decodeOid(contentOf(spki, paramsNode));
      const curve = curveByOid[curveOid];
      if (!curve) return { kind: 'ec', algorithmOid, unsupportedCurve: curveOid, description: `ECDSA curve ${curveOid}` };
      return { kind: 'ec', algorithmOid, curve, description: `ECDSA ${curve}` };
    }
    case OID.ed25519:
      return { kind: 'ed25519', algorithmOid, description: 'Ed25519' };
    case OID.ed448:
      return { kind: 'ed448', algorithmOid, description: 'Ed448' };
    default:
      return { kind: 'unknown', algorithmOid, description: `public key ${algorithmOid}` };
  }
}

export interface PssParams {
  readonly hash: CertHash | undefined;
  readonly mgfHash: CertHash | undefined;
  readonly saltLength: number;
  readonly trailerField: number;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1). Absent fields take the RFC's SHA-1 defaults; an unknown
 * hash comes back undefined so the caller can say "unsupported".
 */
export function pssParams(paramsDer: Uint8Array): PssParams {
  let params: RsaPssParams;
  try {
    params = readRsaPssParams(x509Der, paramsDer, readRoot(paramsDer, DerTag.SEQUENCE));
  } catch (error) {
    throw invalid('malformed RSASSA-PSS parameters', error);
  }
  return {
    hash: hashByOid[params.hashOid],
    mgfHash: params.mgfHashOid === undefined ? undefined : hashByOid[params.mgfHashOid],
    saltLength: params.saltLength,
    trailerField: params.trailerField,
  };
}
