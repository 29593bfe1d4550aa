import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, test } from 'vitest';
import { DerTag, encodeElement, encodeOid } from '../../src/crypto/der.js';
import { parseSpki } from '../../src/crypto/keys.js';
import { TLSError } from '../../src/errors.js';
import { type PssParams, hashByOid, pssParams } from '../../src/x509/public-key.js';
import { certSignatureAlgorithm } from '../../src/x509/signature.js';
import { OID } from '../../src/x509/oids.js';

/**
 * RSASSA-PSS-params (RFC 4055 §3.1) used to be read with pkijs/asn1js; they are now read by the
 * project's strict DER walker (crypto/pss-params.ts), shared with key loading. The old reader
 * is kept here as the oracle: every encoding it read, the new one reads to the same values;
 * everything it refused, the new one refuses with the same error. The only differences are
 * listed below, each a tightening.
 */
function pkijsPssParams(paramsDer: Uint8Array): PssParams {
  let params: pkijs.RSASSAPSSParams;
  try {
    const parsed = asn1js.fromBER(paramsDer);
    if (parsed.offset === -1) throw new TypeError(parsed.result.error);
    params = new pkijs.RSASSAPSSParams({ schema: parsed.result });
  } catch (error) {
    throw new TLSError('CERT_INVALID', 'certificate cannot be parsed: malformed RSASSA-PSS parameters', { alert: 'bad_certificate', cause: error });
  }
  const hash = hashByOid[params.hashAlgorithm.algorithmId];
  let mgfHash: PssParams['mgfHash'];
  if (params.maskGenAlgorithm.algorithmId === OID.mgf1) {
    const mgfParams = params.maskGenAlgorithm.algorithmParams as unknown;
    if (mgfParams instanceof asn1js.Sequence) {
      const inner = mgfParams.valueBlock.value[0];
      if (inner instanceof asn1js.ObjectIdentifier) mgfHash = hashByOid[inner.valueBlock.toString()];
    } else if (mgfParams === undefined) mgfHash = 'SHA-1';
  }
  return { hash, mgfHash, saltLength: params.saltLength, trailerField: params.trailerField };
}

const seq = (...parts: Uint8Array[]) => encodeElement(DerTag.SEQUENCE, ...parts);
const tagged = (n: number, inner: Uint8Array) => encodeElement(DerTag.CONTEXT_0 + n, inner);
const int = (...bytes: number[]) => encodeElement(DerTag.INTEGER, Uint8Array.from(bytes));
const NULL = Uint8Array.of(DerTag.NULL, 0);
const alg = (oid: string, params?: Uint8Array) => seq(encodeOid(oid), ...(params ? [params] : []));
const SHA224 = '2.16.840.1.101.3.4.2.4';
const mgf1 = (hashOid: string, withNull = true) => alg(OID.mgf1, alg(hashOid, withNull ? NULL : undefined));

const wellFormed: [string, Uint8Array][] = [
  ['all defaults (SHA-1, MGF1-SHA-1, salt 20)', seq()],
  ['SHA-256, MGF1-SHA-256, salt 32 (what OpenSSL writes)', seq(tagged(0, alg(OID.sha256, NULL)), tagged(1, mgf1(OID.sha256)), tagged(2, int(32)))],
  ['SHA-384 with absent hash parameters', seq(tagged(0, alg(OID.sha384)), tagged(1, mgf1(OID.sha384, false)), tagged(2, int(48)))],
  ['SHA-512 and an explicit trailerField', seq(tagged(0, alg(OID.sha512, NULL)), tagged(1, mgf1(OID.sha512)), tagged(2, int(64)), tagged(3, int(1)))],
  ['MGF1 over another hash than the message', seq(tagged(0, alg(OID.sha256, NULL)), tagged(1, mgf1(OID.sha1)))],
  ['an unsupported hash', seq(tagged(0, alg(SHA224, NULL)), tagged(1, mgf1(SHA224)))],
  ['an unknown mask generation function', seq(tagged(0, alg(OID.sha256, NULL)), tagged(1, alg('1.2.3.4', NULL)))],
  ['salt 0 and trailerField 2', seq(tagged(2, int(0)), tagged(3, int(2)))],
  ['a salt length needing a leading zero byte', seq(tagged(2, int(0x00, 0x80)))],
];

const malformed: [string, Uint8Array][] = [
  ['not a SEQUENCE', NULL],
  ['a length that overruns', Uint8Array.of(0x30, 0x05, 0xa2, 0x03, 0x02, 0x01)],
  ['an unknown field [4]', seq(tagged(4, int(1)))],
  ['hashAlgorithm that is not an AlgorithmIdentifier', seq(tagged(0, int(1)))],
  ['saltLength that is not an INTEGER', seq(tagged(2, NULL))],
  ['an empty [0]', seq(Uint8Array.of(0xa0, 0x00))],
  ['fields out of order', seq(tagged(2, int(32)), tagged(0, alg(OID.sha256, NULL)))],
  ['a field repeated', seq(tagged(2, int(32)), tagged(2, int(32)))],
];

/** Refused now, read before: each is something DER (X.690 §10, §11) or RFC 4055 does not allow. */
const tightened: [string, Uint8Array][] = [
  ['a negative saltLength', seq(tagged(2, int(0xff)))],
  ['a non-minimal INTEGER', seq(tagged(2, int(0x00, 0x20)))],
  ['a long-form length for a short element', Uint8Array.of(0x30, 0x81, 0x05, 0xa2, 0x03, 0x02, 0x01, 0x20)],
  ['bytes after the AlgorithmIdentifier inside [0]', seq(encodeElement(DerTag.CONTEXT_0, alg(OID.sha256, NULL), NULL))],
];

function outcome(read: (der: Uint8Array) => PssParams, der: Uint8Array): PssParams | { error: string; code: string; alert: string | undefined } {
  try {
    return read(der);
  } catch (error) {
    if (!(error instanceof TLSError)) throw error;
    return { error: error.message, code: error.code, alert: error.alert };
  }
}

describe('RSASSA-PSS-params read by the DER walker as pkijs read them', () => {
  test.each(wellFormed)('%s: the same values', (_name, der) => {
    const expected = pkijsPssParams(der);
    expect(pssParams(der)).toEqual(expected);
  });

  test.each(malformed)('%s: the same CERT_INVALID error', (_name, der) => {
    const expected = outcome(pkijsPssParams, der);
    expect(expected).toMatchObject({ code: 'CERT_INVALID', alert: 'bad_certificate' });
    expect(outcome(pssParams, der)).toEqual(expected);
  });

  test.each(tightened)('%s: now refused with that error', (_name, der) => {
    expect(outcome(pkijsPssParams, der)).not.toHaveProperty('code');
    expect(outcome(pssParams, der)).toEqual({ error: 'certificate cannot be parsed: malformed RSASSA-PSS parameters', code: 'CERT_INVALID', alert: 'bad_certificate' });
  });

  test('MGF1 without its hash parameter (RFC 8017 B.2.1 requires one): pkijs assumed SHA-1, now the MGF is unsupported, as for keys', () => {
    const der = seq(tagged(0, alg(OID.sha256, NULL)), tagged(1, alg(OID.mgf1)), tagged(2, int(32)));
    expect(pkijsPssParams(der).mgfHash).toBe('SHA-1');
    expect(pssParams(der)).toEqual({ hash: 'SHA-256', mgfHash: undefined, saltLength: 32, trailerField: 1 });
    // Either way the certificate signature is refused: before for the hash mismatch, now as unsupported.
    expect(certSignatureAlgorithm(OID.rsassaPss, der)).toMatchObject({ ok: false, reason: /unsupported hash or mask generation function/ });
  });

  test('the signature algorithm verdicts built on them', () => {
    const sha256 = seq(tagged(0, alg(OID.sha256, NULL)), tagged(1, mgf1(OID.sha256)), tagged(2, int(32)));
    expect(certSignatureAlgorithm(OID.rsassaPss, sha256)).toEqual({ ok: true, algorithm: { kind: 'rsa-pss', hash: 'SHA-256', saltLength: 32 } });
    expect(certSignatureAlgorithm(OID.rsassaPss, seq(tagged(0, alg(OID.sha256, NULL)), tagged(1, mgf1(OID.sha1))))).toMatchObject({ ok: false, reason: /MGF1-SHA-1 but SHA-256/ });
    expect(certSignatureAlgorithm(OID.rsassaPss, seq(tagged(0, alg(SHA224, NULL))))).toMatchObject({ ok: false, reason: /unsupported hash/ });
    expect(certSignatureAlgorithm(OID.rsassaPss, seq(tagged(0, alg(OID.sha256, NULL)), tagged(1, mgf1(OID.sha256)), tagged(3, int(2))))).toMatchObject({
      ok: false,
      reason: /trailerField/,
    });
    expect(() => certSignatureAlgorithm(OID.rsassaPss, seq(tagged(4, int(1))))).toThrow(/malformed RSASSA-PSS parameters/);
  });

  test("keys read the same parameters, failing as INVALID_ARGUMENT (a key is the caller's input, not the peer's)", () => {
    // An id-RSASSA-PSS SubjectPublicKeyInfo around a tiny RSAPublicKey, with the given parameters.
    const spki = (params: Uint8Array) => seq(alg(OID.rsassaPss, params), encodeElement(DerTag.BIT_STRING, Uint8Array.of(0), seq(int(0x00, 0xc1, 0x01), int(0x01, 0x00, 0x01))));
    const restricted = parseSpki(spki(seq(tagged(0, alg(OID.sha384, NULL)), tagged(1, mgf1(OID.sha384)), tagged(2, int(48)))));
    expect(restricted).toMatchObject({ type: 'rsa-pss', pssHashes: ['sha384'] });
    // TLS 1.3 salts are as long as the hash: a key demanding more fits no scheme.
    expect(parseSpki(spki(seq(tagged(0, alg(OID.sha256, NULL)), tagged(1, mgf1(OID.sha256)), tagged(2, int(33)))))).toMatchObject({ pssHashes: [] });
    for (const [, der] of [...malformed.slice(1), ...tightened]) {
      let caught: unknown;
      try {
        parseSpki(spki(der));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TLSError);
      expect((caught as TLSError).code).toBe('INVALID_ARGUMENT');
    }
  });
});
