import { DerTag, contentOf, type DerNode, type DerReader } from './der.js';

const ID_SHA1 = '1.3.14.3.2.26';
const ID_MGF1 = '1.2.840.113549.1.1.8';

/** RSASSA-PSS-params as encoded, with the RFC's defaults filled in; callers judge the values. */
export interface RsaPssParams {
  /** hashAlgorithm (default id-sha1). */
  readonly hashOid: string;
  /** maskGenAlgorithm (default id-mgf1). */
  readonly mgfOid: string;
  /** The hash of an id-mgf1 maskGenAlgorithm (default id-sha1); undefined for another MGF. */
  readonly mgfHashOid: string | undefined;
  readonly saltLength: number;
  readonly trailerField: number;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1), for keys (crypto/keys.ts) and certificate signatures
 * (x509/) alike, so both read the same encodings:
 *   SEQUENCE { hashAlgorithm [0] HashAlgorithm DEFAULT sha1, maskGenAlgorithm [1] DEFAULT mgf1SHA1,
 *              saltLength [2] INTEGER DEFAULT 20, trailerField [3] INTEGER DEFAULT 1 }
 * Each field is EXPLICITly tagged, at most once and in that order (DER); the integers are
 * non-negative and fit in 32 bits. Anything else fails through `der` (the caller's error type).
 * The parameters of the hash AlgorithmIdentifiers are not examined (RFC 4055 §2.1: absent
 * and NULL must both be accepted).
 */
export function readRsaPssParams(der: DerReader, bytes: Uint8Array, params: DerNode): RsaPssParams {
  der.expectTag(params, DerTag.SEQUENCE);
  let hashOid: string = ID_SHA1;
  let mgfOid: string = ID_MGF1;
  let mgfHashOid: string | undefined = ID_SHA1;
  let saltLength = 20;
  let trailerField = 1;
  let previous = -1;
  for (const field of der.childrenOf(bytes, params)) {
    const number = field.tag - DerTag.CONTEXT_0;
    if (number < 0 || number > 3) throw der.fail(`unexpected field (tag 0x${field.tag.toString(16)}) in RSASSA-PSS-params`);
    if (number <= previous) throw der.fail('RSASSA-PSS-params fields out of order or repeated');
    previous = number;
    const inner = der.readElement(bytes, field.contentStart, field.end);
    if (inner.end !== field.end) throw der.fail('trailing bytes in an RSASSA-PSS-params field');
    switch (number) {
      case 0:
        hashOid = algorithmOid(der, bytes, inner).oid;
        break;
      case 1: {
        const mgf = algorithmOid(der, bytes, inner);
        mgfOid = mgf.oid;
        // MGF1's parameter is the hash AlgorithmIdentifier (RFC 8017 Appendix B.2.1); another
        // MGF's parameters mean nothing to us, and the caller refuses the MGF itself.
        mgfHashOid = mgf.oid === ID_MGF1 && mgf.params !== undefined ? algorithmOid(der, bytes, mgf.params).oid : undefined;
        break;
      }
      case 2:
        saltLength = der.smallIntegerOf(bytes, inner);
        break;
      case 3:
        trailerField = der.smallIntegerOf(bytes, inner);
        break;
    }
  }
  return { hashOid, mgfOid, mgfHashOid, saltLength, trailerField };
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
function algorithmOid(der: DerReader, bytes: Uint8Array, node: DerNode): { oid: string; params: DerNode | undefined } {
  der.expectTag(node, DerTag.SEQUENCE);
  const parts = der.childrenOf(bytes, node);
  if (parts.length < 1 || parts.length > 2) throw der.fail('AlgorithmIdentifier must have one or two fields');
  der.expectTag(parts[0]!, DerTag.OID);
  return { oid: der.decodeOid(contentOf(bytes, parts[0]!)), params: parts[1] };
}
