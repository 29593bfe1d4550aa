/**
 * A small certificate factory for the x509 rule tests: pkijs builds the TBSCertificate,
 * node:crypto signs it (any algorithm, including the weak ones we must refuse). Keys are
 * generated once per (type, index) and reused, since RSA key generation is slow.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { DerTag as Tag, encodeElement as encodeNode, readElement as readNode } from '../../src/crypto/der.js';
import { OID } from '../../src/x509/oids.js';
import { parseIpAddress } from '../../src/x509/ip-address.js';

export type KeyType = 'p256' | 'p384' | 'p521' | 'rsa2048' | 'rsa1024' | 'rsapss2048' | 'ed25519' | 'ed448';
export const allKeyTypes: KeyType[] = ['p256', 'p384', 'p521', 'rsa2048', 'rsapss2048', 'ed25519', 'ed448'];

export interface TestKey {
  readonly type: KeyType;
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
}

const keys = new Map<string, TestKey>();

export function testKey(type: KeyType, index = 0): TestKey {
  const id = `${type}#${index}`;
  let key = keys.get(id);
  if (!key) {
    const pair = (() => {
      switch (type) {
        case 'p256':
          return generateKeyPairSync('ec', { namedCurve: 'P-256' });
        case 'p384':
          return generateKeyPairSync('ec', { namedCurve: 'P-384' });
        case 'p521':
          return generateKeyPairSync('ec', { namedCurve: 'P-521' });
        case 'rsa2048':
          return generateKeyPairSync('rsa', { modulusLength: 2048 });
        case 'rsa1024':
          return generateKeyPairSync('rsa', { modulusLength: 1024 });
        case 'rsapss2048':
          return generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
        case 'ed25519':
          return generateKeyPairSync('ed25519');
        case 'ed448':
          return generateKeyPairSync('ed448');
      }
    })();
    key = { type, privateKey: pair.privateKey, spki: new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' })) };
    keys.set(id, key);
  }
  return key;
}

export type SigAlg = 'sha1' | 'md5' | 'sha256' | 'sha384' | 'sha512' | 'pss-sha256' | 'pss-sha384' | 'pss-sha512';
export type KeyUsage = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';

export interface CertOptions {
  /** CN, or a full subject in encoding order. */
  subject: string | Array<[string, string]>;
  key?: TestKey;
  /** Absent: self-signed. */
  issuer?: TestCert;
  notBefore?: Date;
  notAfter?: Date;
  /** true / { pathLen } → critical basicConstraints cA=TRUE; false → cA=FALSE; null → no extension. */
  ca?: boolean | { pathLen: number } | null;
  keyUsage?: KeyUsage[] | null;
  /** 'serverAuth' | 'clientAuth' | 'any' or OIDs; null → no extension. */
  eku?: string[] | null;
  /** "DNS:…", "IP:…", "email:…", "URI:…". */
  san?: string[] | null;
  nameConstraints?: { permitted?: string[]; excluded?: string[] };
  extensions?: Array<{ oid: string; critical: boolean; value: Uint8Array }>;
  sigAlg?: SigAlg;
  version?: 1 | 3;
  /** Sign with this key instead of the issuer's (a forged signature). */
  signWith?: TestKey;
  keyIds?: boolean;
}

export interface TestCert {
  readonly der: Uint8Array;
  readonly key: TestKey;
  readonly ski: Uint8Array;
  readonly options: CertOptions;
}

/** Default validity; tests validate at NOW. */
export const NOW = new Date('2030-06-01T00:00:00Z');
const defaultNotBefore = new Date('2025-01-01T00:00:00Z');
const defaultNotAfter = new Date('2035-01-01T00:00:00Z');
let serial = 1;

const purposeOids: Record<string, string> = { serverAuth: OID.serverAuth, clientAuth: OID.clientAuth, any: OID.anyExtendedKeyUsage };
const attrOids: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6' };
const keyUsageBits: Record<KeyUsage, number> = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 };

export function name(subject: CertOptions['subject']): pkijs.RelativeDistinguishedNames {
  const parts = typeof subject === 'string' ? [['O', 'wiretls x509 tests'] as [string, string], ['CN', subject] as [string, string]] : subject;
  const typesAndValues = parts.map(
    ([k, v]) => new pkijs.AttributeTypeAndValue({ type: attrOids[k] ?? k, value: k === 'C' ? new asn1js.PrintableString({ value: v }) : new asn1js.Utf8String({ value: v }) }),
  );
  // One RDN (SET) per attribute, as real certificates have; pkijs alone would put them all in
  // one multi-valued RDN.
  const der = encodeNode(Tag.SEQUENCE, ...typesAndValues.map((tv) => encodeNode(Tag.SET, new Uint8Array(tv.toSchema().toBER()))));
  return new pkijs.RelativeDistinguishedNames({ typesAndValues, valueBeforeDecode: der.slice().buffer });
}

function generalName(text: string, constraint: boolean): pkijs.GeneralName {
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon);
  const value = text.slice(colon + 1);
  switch (kind) {
    case 'DNS':
      return new pkijs.GeneralName({ type: 2, value });
    case 'email':
      return new pkijs.GeneralName({ type: 1, value });
    case 'URI':
      return new pkijs.GeneralName({ type: 6, value });
    case 'DIR':
      return new pkijs.GeneralName({ type: 4, value: name(value.split(',').map((p) => p.split('=') as [string, string])) });
    case 'IP': {
      if (!constraint) return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: parseIpAddress(value)!.slice().buffer }) });
      const [addr, bits] = value.split('/') as [string, string];
      const ip = parseIpAddress(addr)!;
      const mask = new Uint8Array(ip.length);
      for (let i = 0; i < Number(bits); i++) mask[i >> 3]! |= 0x80 >> (i & 7);
      const both = new Uint8Array(ip.length * 2);
      both.set(ip);
      both.set(mask, ip.length);
      return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: both.buffer }) });
    }
    default:
      throw new TypeError(`bad general name ${text}`);
  }
}

function hashAlg(oid: string): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier({ algorithmId: oid, algorithmParams: new asn1js.Null() });
}

function signatureAlgorithm(key: TestKey, sigAlg: SigAlg | undefined): { alg: pkijs.AlgorithmIdentifier; sign: (data: Uint8Array) => Uint8Array } {
  const nodeSign =
    (hash: string | null, extra: object = {}) =>
    (data: Uint8Array) =>
      new Uint8Array(sign(hash, data, { key: key.privateKey, ...extra }));
  switch (key.type) {
    case 'p256':
    case 'p384':
    case 'p521': {
      const hash = sigAlg ?? ({ p256: 'sha256', p384: 'sha384', p521: 'sha512' } as const)[key.type];
      const oid = { sha1: OID.ecdsaWithSHA1, sha256: OID.ecdsaWithSHA256, sha384: OID.ecdsaWithSHA384, sha512: OID.ecdsaWithSHA512 }[hash as 'sha256'];
      return { alg: new pkijs.AlgorithmIdentifier({ algorithmId: oid }), sign: nodeSign(hash) };
    }
    case 'ed25519':
      return { alg: new pkijs.AlgorithmIdentifier({ algorithmId: OID.ed25519 }), sign: nodeSign(null) };
    case 'ed448':
      return { alg: new pkijs.AlgorithmIdentifier({ algorithmId: OID.ed448 }), sign: nodeSign(null) };
    case 'rsa2048':
    case 'rsa1024':
    case 'rsapss2048': {
      const chosen = sigAlg ?? (key.type === 'rsapss2048' ? 'pss-sha256' : 'sha256');
      if (chosen.startsWith('pss-')) {
        const hash = chosen.slice(4) as 'sha256' | 'sha384' | 'sha512';
        const h = hashAlg(OID[hash]);
        const saltLength = { sha256: 32, sha384: 48, sha512: 64 }[hash];
        const params = new pkijs.RSASSAPSSParams({
          hashAlgorithm: h,
          maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.mgf1, algorithmParams: h.toSchema() }),
          saltLength,
        });
        return {
          alg: new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsassaPss, algorithmParams: params.toSchema() }),
          sign: nodeSign(hash, { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }),
        };
      }
      const oid = {
        md5: OID.md5WithRSAEncryption,
        sha1: OID.sha1WithRSAEncryption,
        sha256: OID.sha256WithRSAEncryption,
        sha384: OID.sha384WithRSAEncryption,
        sha512: OID.sha512WithRSAEncryption,
      }[chosen as 'sha256'];
      return { alg: new pkijs.AlgorithmIdentifier({ algorithmId: oid, algorithmParams: new asn1js.Null() }), sign: nodeSign(chosen) };
    }
  }
}

function ext(oid: string, critical: boolean, value: { toBER(): ArrayBuffer } | Uint8Array): pkijs.Extension {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value.toBER());
  return new pkijs.Extension({ extnID: oid, critical, extnValue: bytes.slice().buffer });
}

export function issue(options: CertOptions): TestCert {
  const key = options.key ?? testKey('p256');
  const issuerKey = options.signWith ?? options.issuer?.key ?? key;
  const ski = new Uint8Array(createHash('sha1').update(key.spki).digest());
  const cert = new pkijs.Certificate();
  cert.version = options.version === 1 ? 0 : 2;
  cert.serialNumber = new asn1js.Integer({ value: serial++ });
  const { alg, sign: signer } = signatureAlgorithm(issuerKey, options.sigAlg);
  cert.signature = alg;
  cert.issuer = options.issuer ? name(options.issuer.options.subject) : name(options.subject);
  cert.subject = name(options.subject);
  const time = (d: Date) => new pkijs.Time({ type: d.getUTCFullYear() >= 2050 ? 1 : 0, value: d });
  cert.notBefore = time(options.notBefore ?? defaultNotBefore);
  cert.notAfter = time(options.notAfter ?? defaultNotAfter);
  cert.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({ schema: asn1js.fromBER(key.spki).result });

  if (options.version !== 1) {
    const extensions: pkijs.Extension[] = [];
    const ca = options.ca === undefined ? false : options.ca;
    if (ca !== null) {
      const pathLen = typeof ca === 'object' ? ca.pathLen : undefined;
      extensions.push(
        ext(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: ca !== false, ...(pathLen !== undefined ? { pathLenConstraint: pathLen } : {}) }).toSchema()),
      );
    }
    const ku = options.keyUsage === undefined ? (ca ? ['keyCertSign', 'cRLSign'] : ['digitalSignature']) : options.keyUsage;
    if (ku) {
      const bits = new Uint8Array(2);
      let highest = 0;
      for (const u of ku as KeyUsage[]) {
        const bit = keyUsageBits[u];
        bits[bit >> 3]! |= 0x80 >> (bit & 7);
        highest = Math.max(highest, bit);
      }
      const length = (highest >> 3) + 1;
      extensions.push(ext(OID.keyUsage, true, new asn1js.BitString({ valueHex: bits.slice(0, length).buffer, unusedBits: length * 8 - highest - 1 })));
    }
    const eku = options.eku === undefined ? (ca ? null : ['serverAuth']) : options.eku;
    if (eku) extensions.push(ext(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: eku.map((p) => purposeOids[p] ?? p) }).toSchema()));
    const san = options.san === undefined ? (ca ? null : ['DNS:localhost', 'DNS:wiretls.test', 'IP:127.0.0.1', 'IP:::1']) : options.san;
    if (san) extensions.push(ext(OID.subjectAltName, false, new pkijs.AltName({ altNames: san.map((s) => generalName(s, false)) }).toSchema()));
    if (options.nameConstraints) {
      const subtrees = (list?: string[]) => list?.map((s) => new pkijs.GeneralSubtree({ base: generalName(s, true) }));
      const permittedSubtrees = subtrees(options.nameConstraints.permitted);
      const excludedSubtrees = subtrees(options.nameConstraints.excluded);
      extensions.push(
        ext(
          OID.nameConstraints,
          true,
          new pkijs.NameConstraints({ ...(permittedSubtrees ? { permittedSubtrees } : {}), ...(excludedSubtrees ? { excludedSubtrees } : {}) }).toSchema(),
        ),
      );
    }
    if (options.keyIds !== false) {
      extensions.push(ext(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: ski.slice().buffer })));
      if (options.issuer) {
        extensions.push(
          ext(
            OID.authorityKeyIdentifier,
            false,
            new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: options.issuer.ski.slice().buffer }) }).toSchema(),
          ),
        );
      }
    }
    for (const e of options.extensions ?? []) extensions.push(ext(e.oid, e.critical, e.value));
    if (extensions.length) cert.extensions = extensions;
  }

  const tbs = new Uint8Array(cert.encodeTBS().toBER());
  const signature = signer(tbs);
  const der = encodeNode(Tag.SEQUENCE, tbs, new Uint8Array(alg.toSchema().toBER()), encodeNode(Tag.BIT_STRING, new Uint8Array([0]), signature));
  return { der, key, ski, options };
}

/** A CA certificate (keyCertSign, cRLSign; self-signed without an issuer). */
export function ca(subject: string, options: Partial<CertOptions> = {}): TestCert {
  return issue({ subject, ca: true, ...options });
}

/** A server leaf for localhost / wiretls.test / 127.0.0.1 / ::1 with serverAuth. */
export function leaf(issuer: TestCert, options: Partial<CertOptions> = {}): TestCert {
  return issue({ subject: 'leaf', issuer, key: testKey('p256', 1), ...options });
}

/** root → intermediate → leaf, all P-256 unless told otherwise. */
export function simplePki(options: { root?: Partial<CertOptions>; intermediate?: Partial<CertOptions>; leaf?: Partial<CertOptions> } = {}) {
  const root = ca('Test Root', { key: testKey('p256', 10), ...options.root });
  const intermediate = ca('Test Intermediate', { issuer: root, key: testKey('p256', 11), ...options.intermediate });
  const end = leaf(intermediate, options.leaf);
  return { root, intermediate, leaf: end };
}

/** Tampers with one byte of the TBS (inside the serial number), so the signature no longer verifies. */
export function tamper(der: Uint8Array): Uint8Array {
  const copy = der.slice();
  const tbs = readNode(der, readNode(der, 0).contentStart);
  const version = readNode(der, tbs.contentStart);
  const serialNumber = readNode(der, version.end);
  copy[serialNumber.end - 1] = copy[serialNumber.end - 1]! ^ 0x01;
  return copy;
}
