import { TLSError } from '../errors.js';
import { ParsedCertificate } from './certificate.js';
import { DerTag, bytesOf, contentOf, encodeElement, encodeOid, type DerNode } from '../crypto/der.js';
import { childrenOf, decodeOid, readRoot } from './der.js';
import { OID } from './oids.js';
import { nativeBytes } from '../wire/native-bytes.js';

/**
 * Loading certificates and private keys from files. Every error is a
 * TLSError(INVALID_ARGUMENT) whose message starts with the source name (usually the file path)
 * and says what is wrong and, where there is one, the openssl command that fixes it.
 */

export interface PemBlock {
  readonly label: string;
  /** RFC 1421 headers ("Proc-Type", "DEK-Info"), present on legacy encrypted keys. */
  readonly headers: ReadonlyMap<string, string>;
  readonly der: Uint8Array;
}

function badInput(sourceName: string, problem: string, cause?: unknown): TLSError {
  return new TLSError('INVALID_ARGUMENT', `${sourceName}: ${problem}`, cause === undefined ? {} : { cause });
}

/**
 * Every PEM block in `text` (RFC 7468). Text between blocks is ignored (bundles carry
 * comments), but a block must be complete, its labels must agree and its base64 must be exact.
 */
export function parsePem(text: string, sourceName: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
  let at = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', at);
    const strayEnd = text.indexOf('-----END ', at);
    if (strayEnd !== -1 && (begin === -1 || strayEnd < begin)) throw badInput(sourceName, `line ${lineOf(strayEnd)}: END line without a BEGIN line`);
    if (begin === -1) break;
    const labelEnd = text.indexOf('-----', begin + 11);
    if (labelEnd === -1) throw badInput(sourceName, `line ${lineOf(begin)}: malformed BEGIN line`);
    const label = text.slice(begin + 11, labelEnd);
    const startLine = lineOf(begin);
    const bodyStart = labelEnd + 5;
    const end = text.indexOf('-----END ', bodyStart);
    const nextBegin = text.indexOf('-----BEGIN ', bodyStart);
    if (end === -1 || (nextBegin !== -1 && nextBegin < end)) {
      throw badInput(sourceName, `the "${label}" block starting on line ${startLine} has no END line (truncated file?)`);
    }
    const endLabelEnd = text.indexOf('-----', end + 9);
    const endLabel = endLabelEnd === -1 ? text.slice(end + 9) : text.slice(end + 9, endLabelEnd);
    if (endLabel !== label) throw badInput(sourceName, `line ${lineOf(end)}: "-----END ${endLabel}-----" closes a "${label}" block`);
    let body = text.slice(bodyStart, end);
    // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") come first, separated from the base64 by a blank line.
    const headers = new Map<string, string>();
    if (body.includes(':')) {
      const lines = body.split(/\r?\n/);
      let k = 0;
      for (; k < lines.length; k++) {
        const header = /^\s*([A-Za-z-]+):\s*(.*?)\s*$/.exec(lines[k]!);
        if (header) headers.set(header[1]!, header[2]!);
        else if (lines[k]!.trim() !== '' || headers.size > 0) break;
      }
      body = lines.slice(k).join('\n');
    }
    blocks.push({ label, headers, der: decodeBase64(body.replace(/\s+/g, ''), sourceName, `the "${label}" block starting on line ${startLine}`) });
    at = endLabelEnd === -1 ? text.length : endLabelEnd + 5;
  }
  return blocks;
}

function decodeBase64(body: string, sourceName: string, what: string): Uint8Array {
  if (body.length === 0) throw badInput(sourceName, `${what} is empty`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw badInput(sourceName, `${what} contains characters that are not base64`);
  if (body.length % 4 !== 0) throw badInput(sourceName, `${what} has truncated base64 (${body.length} characters is not a multiple of 4)`);
  // Validated above, as the conversion requires (Node's Buffer decoder is several times faster than atob).
  return nativeBytes().base64(body);
}

export function encodePem(label: string, der: Uint8Array): string {
  let binary = '';
  for (const b of der) binary += String.fromCharCode(b);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const certificateLabels = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'X.509 CERTIFICATE']);

function isDer(input: string | Uint8Array): input is Uint8Array {
  return typeof input !== 'string' && input.length > 0 && input[0] === DerTag.SEQUENCE;
}

function asText(input: string | Uint8Array): string {
  return typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
}

/** The DER of each certificate in a PEM bundle or DER input, without parsing them. */
export function decodePemCertificates(input: string | Uint8Array, sourceName: string): Uint8Array[] {
  if (isDer(input)) return [input];
  const blocks = parsePem(asText(input), sourceName);
  if (blocks.length === 0) throw badInput(sourceName, 'no PEM block found (expected "-----BEGIN CERTIFICATE-----")');
  for (const block of blocks) {
    if (certificateLabels.has(block.label)) continue;
    if (block.label === 'TRUSTED CERTIFICATE') {
      throw badInput(sourceName, 'OpenSSL "TRUSTED CERTIFICATE" blocks are not supported; convert with `openssl x509 -in FILE -out cert.pem`');
    }
    throw badInput(sourceName, `unexpected PEM label "${block.label}" where certificates were expected (keys and certificates go in separate files)`);
  }
  return blocks.map((b) => b.der);
}

/**
 * Certificates from PEM (one or a bundle) or DER, in file order, each checked to be a
 * parseable X.509 certificate. Returns their DER, ready for a Certificate message.
 */
export function loadCertificates(pemOrDer: string | Uint8Array, sourceName: string): Uint8Array[] {
  const ders = decodePemCertificates(pemOrDer, sourceName);
  ders.forEach((der, i) => {
    try {
      new ParsedCertificate(der);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const which = ders.length > 1 ? `certificate ${i + 1} of ${ders.length}` : 'the certificate';
      throw badInput(sourceName, `${which} is not a valid X.509 certificate (${detail})`, error);
    }
  });
  return ders;
}

export type PrivateKeyType = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448';

export interface PrivateKeyDescription {
  readonly type: PrivateKeyType;
  readonly curve?: 'P-256' | 'P-384' | 'P-521';
}

const curveNames: Record<string, 'P-256' | 'P-384' | 'P-521'> = {
  [OID.secp256r1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
};

/**
 * A private key as DER PKCS#8 PrivateKeyInfo, the form the crypto provider's
 * importSigningKey takes. Accepts PEM "PRIVATE KEY" (PKCS#8: RSA, RSA-PSS, EC P-256/384/521,
 * Ed25519, Ed448), "EC PRIVATE KEY" (SEC1) and "RSA PRIVATE KEY" (PKCS#1), which are
 * converted, or the same structures as DER. Encrypted keys are refused with the command that
 * decrypts them.
 */
export function loadPrivateKey(pemOrDer: string | Uint8Array, sourceName: string): Uint8Array {
  if (isDer(pemOrDer)) return derPrivateKey(pemOrDer, sourceName);
  const blocks = parsePem(asText(pemOrDer), sourceName).filter((b) => b.label !== 'EC PARAMETERS'); // `openssl ecparam -genkey` writes one first
  if (blocks.length === 0) throw badInput(sourceName, 'no PEM block found (expected "-----BEGIN PRIVATE KEY-----")');
  if (blocks.length > 1) throw badInput(sourceName, `${blocks.length} PEM blocks (${blocks.map((b) => b.label).join(', ')}) where one private key was expected`);
  const block = blocks[0]!;
  if (block.headers.get('Proc-Type')?.includes('ENCRYPTED')) {
    throw badInput(sourceName, 'the private key is encrypted (legacy PEM encryption); decrypt it with `openssl pkey -in FILE -out key.pem`');
  }
  switch (block.label) {
    case 'PRIVATE KEY':
      return checkPkcs8(block.der, sourceName);
    case 'EC PRIVATE KEY':
      return sec1ToPkcs8(block.der, sourceName);
    case 'RSA PRIVATE KEY':
      return pkcs1ToPkcs8(block.der, sourceName);
    case 'ENCRYPTED PRIVATE KEY':
      throw badInput(sourceName, 'the private key is encrypted (PKCS#8 EncryptedPrivateKeyInfo); decrypt it with `openssl pkey -in FILE -out key.pem`');
    default:
      if (certificateLabels.has(block.label)) throw badInput(sourceName, 'this is a certificate, not a private key');
      throw badInput(sourceName, `unexpected PEM label "${block.label}" (expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)`);
  }
}

/** Type and curve of a PKCS#8 key returned by loadPrivateKey. */
export function describePrivateKey(pkcs8: Uint8Array, sourceName = 'private key'): PrivateKeyDescription {
  const { algorithmOid, curveOid } = pkcs8Fields(pkcs8, sourceName);
  switch (algorithmOid) {
    case OID.rsaEncryption:
      return { type: 'rsa' };
    case OID.rsassaPss:
      return { type: 'rsa-pss' };
    case OID.ecPublicKey: {
      const curve = curveOid === undefined ? undefined : curveNames[curveOid];
      if (!curve) throw badInput(sourceName, `EC private key on unsupported curve ${curveOid ?? '(explicit parameters)'}; use P-256, P-384 or P-521`);
      return { type: 'ec', curve };
    }
    case OID.ed25519:
      return { type: 'ed25519' };
    case OID.ed448:
      return { type: 'ed448' };
    default:
      throw badInput(sourceName, `unsupported private key algorithm ${algorithmOid} (supported: RSA, RSA-PSS, ECDSA P-256/P-384/P-521, Ed25519, Ed448)`);
  }
}

function derPrivateKey(der: Uint8Array, sourceName: string): Uint8Array {
  const top = walk(der, sourceName, (root) => childrenOf(der, root));
  // EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }
  if (top.length === 2 && top[0]!.tag === DerTag.SEQUENCE && top[1]!.tag === DerTag.OCTET_STRING) {
    throw badInput(sourceName, 'the private key is encrypted (PKCS#8 EncryptedPrivateKeyInfo); decrypt it with `openssl pkey -inform DER -in FILE -out key.pem`');
  }
  if (top.length >= 3 && top[0]!.tag === DerTag.INTEGER && top[1]!.tag === DerTag.SEQUENCE) return checkPkcs8(der, sourceName);
  if (top.length >= 2 && top[0]!.tag === DerTag.INTEGER && top[1]!.tag === DerTag.OCTET_STRING) return sec1ToPkcs8(der, sourceName);
  if (top.length === 9 && top.every((n) => n.tag === DerTag.INTEGER)) return pkcs1ToPkcs8(der, sourceName);
  throw badInput(sourceName, 'DER input is not a PKCS#8, SEC1 or PKCS#1 private key');
}

function walk<T>(der: Uint8Array, sourceName: string, f: (root: DerNode) => T): T {
  try {
    return f(readRoot(der, DerTag.SEQUENCE));
  } catch (error) {
    if (error instanceof TLSError && error.code === 'INVALID_ARGUMENT') throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw badInput(sourceName, `the private key is not valid DER (${detail}; truncated file?)`, error);
  }
}

function pkcs8Fields(der: Uint8Array, sourceName: string): { algorithmOid: string; curveOid: string | undefined; privateKey: Uint8Array } {
  return walk(der, sourceName, (root) => {
    // PrivateKeyInfo / OneAsymmetricKey ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING, [0] attributes, [1] publicKey }
    const [version, alg, key] = childrenOf(der, root);
    if (!version || !alg || !key || version.tag !== DerTag.INTEGER || alg.tag !== DerTag.SEQUENCE || key.tag !== DerTag.OCTET_STRING) {
      throw badInput(sourceName, 'not a PKCS#8 PrivateKeyInfo');
    }
    const v = contentOf(der, version);
    if (v.length !== 1 || v[0]! > 1) throw badInput(sourceName, 'unknown PKCS#8 version');
    const [oid, params] = childrenOf(der, alg);
    if (!oid || oid.tag !== DerTag.OID) throw badInput(sourceName, 'PKCS#8 AlgorithmIdentifier without an OID');
    const algorithmOid = decodeOid(contentOf(der, oid));
    const curveOid = params?.tag === DerTag.OID ? decodeOid(contentOf(der, params)) : undefined;
    return { algorithmOid, curveOid, privateKey: contentOf(der, key) };
  });
}

function checkPkcs8(der: Uint8Array, sourceName: string): Uint8Array {
  const { algorithmOid, privateKey } = pkcs8Fields(der, sourceName);
  if (algorithmOid === OID.pbes2) throw badInput(sourceName, 'the private key is encrypted; decrypt it with `openssl pkey -in FILE -out key.pem`');
  const description = describePrivateKey(der, sourceName);
  if (description.type === 'ed25519' || description.type === 'ed448') {
    // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING of 32 (Ed25519) or 57 (Ed448) bytes.
    const expected = description.type === 'ed25519' ? 32 : 57;
    const inner = walkOctetString(privateKey);
    if (inner?.length !== expected) throw badInput(sourceName, `malformed ${description.type} private key (expected ${expected} bytes)`);
  }
  return der;
}

function walkOctetString(der: Uint8Array): Uint8Array | undefined {
  try {
    const node = readRoot(der, DerTag.OCTET_STRING);
    return contentOf(der, node);
  } catch {
    return undefined;
  }
}

function pkcs8(algorithm: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return encodeElement(DerTag.SEQUENCE, new Uint8Array([DerTag.INTEGER, 1, 0]), algorithm, encodeElement(DerTag.OCTET_STRING, privateKey));
}

/** RFC 5915 ECPrivateKey → PKCS#8 with the curve moved into the AlgorithmIdentifier (RFC 5915 §3). */
function sec1ToPkcs8(der: Uint8Array, sourceName: string): Uint8Array {
  return walk(der, sourceName, (root) => {
    const fields = childrenOf(der, root);
    const [version, key] = fields;
    if (!version || !key || version.tag !== DerTag.INTEGER || key.tag !== DerTag.OCTET_STRING || contentOf(der, version)[0] !== 1) {
      throw badInput(sourceName, 'not a SEC1 ECPrivateKey');
    }
    const params = fields.find((f) => f.tag === 0xa0);
    const curve = params ? childrenOf(der, params)[0] : undefined;
    if (!curve || curve.tag !== DerTag.OID) throw badInput(sourceName, 'SEC1 EC key without a named curve; convert it with `openssl pkey -in FILE -out key.pem`');
    const curveOid = decodeOid(contentOf(der, curve));
    if (!curveNames[curveOid]) throw badInput(sourceName, `EC private key on unsupported curve ${curveOid}; use P-256, P-384 or P-521`);
    const algorithm = encodeElement(DerTag.SEQUENCE, encodeOid(OID.ecPublicKey), bytesOf(der, curve));
    return pkcs8(algorithm, der);
  });
}

/** RFC 8017 RSAPrivateKey → PKCS#8 with rsaEncryption (parameters NULL). */
function pkcs1ToPkcs8(der: Uint8Array, sourceName: string): Uint8Array {
  return walk(der, sourceName, (root) => {
    const fields = childrenOf(der, root);
    if (fields.length < 9 || fields.some((f) => f.tag !== DerTag.INTEGER)) throw badInput(sourceName, 'not a PKCS#1 RSAPrivateKey');
    const algorithm = encodeElement(DerTag.SEQUENCE, encodeOid(OID.rsaEncryption), new Uint8Array([DerTag.NULL, 0]));
    return pkcs8(algorithm, der);
  });
}
