import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { encodePem } from '../x509/pem.js';

/**
 * A throw-away PKI for `wiretls demo`: an ECDSA P-256 root and a leaf for localhost /
 * 127.0.0.1, valid for one day. pkijs lays out the certificate, node:crypto signs it.
 */

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

interface Issued {
  der: Uint8Array;
  key: KeyObject;
  keyId: Uint8Array;
}

function distinguishedName(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: OID.organization, value: new asn1js.Utf8String({ value: 'wiretls demo' }) }),
      new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: commonName }) }),
    ],
  });
}

function extension(extnID: string, critical: boolean, value: { toBER(): ArrayBuffer }): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
}

/** keyUsage as a DER BIT STRING: digitalSignature is bit 0, keyCertSign bit 5. */
function keyUsage(ca: boolean): asn1js.BitString {
  return ca ? new asn1js.BitString({ valueHex: new Uint8Array([0x04]).buffer, unusedBits: 2 }) : new asn1js.BitString({ valueHex: new Uint8Array([0x80]).buffer, unusedBits: 7 });
}

function issue(commonName: string, issuer: Issued | undefined, ca: boolean): Issued {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const keyId = new Uint8Array(createHash('sha1').update(spki).digest());
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: new Uint8Array([0x01, ...randomBytes(15)]).buffer });
  cert.signature = new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_WITH_SHA256 });
  cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_WITH_SHA256 });
  cert.subject = distinguishedName(commonName);
  cert.issuer = issuer ? distinguishedName('wiretls demo CA') : cert.subject;
  const now = Date.now();
  cert.notBefore = new pkijs.Time({ type: 0, value: new Date(now - 60_000) });
  cert.notAfter = new pkijs.Time({ type: 0, value: new Date(now + 24 * 3600_000) });
  cert.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({ schema: asn1js.fromBER(spki).result });
  cert.extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: ca }).toSchema()),
    extension(OID.keyUsage, true, keyUsage(ca)),
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId.slice().buffer })),
  ];
  if (issuer) {
    cert.extensions.push(
      extension(
        OID.authorityKeyIdentifier,
        false,
        new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: issuer.keyId.slice().buffer }) }).toSchema(),
      ),
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.serverAuth] }).toSchema()),
      extension(
        OID.subjectAltName,
        false,
        new pkijs.AltName({
          altNames: [
            new pkijs.GeneralName({ type: 2, value: 'localhost' }),
            new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: new Uint8Array([127, 0, 0, 1]).buffer }) }),
          ],
        }).toSchema(),
      ),
    );
  }
  const tbs = cert.encodeTBS().toBER();
  const signature = sign('sha256', new Uint8Array(tbs), { key: (issuer ?? { key: privateKey }).key, dsaEncoding: 'der' });
  cert.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(signature).buffer });
  return { der: new Uint8Array(cert.toSchema(true).toBER()), key: privateKey, keyId };
}

export interface DemoPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export function makeDemoPki(): DemoPki {
  const root = issue('wiretls demo CA', undefined, true);
  const leaf = issue('localhost', root, false);
  return {
    caPem: encodePem('CERTIFICATE', root.der),
    certPem: encodePem('CERTIFICATE', leaf.der),
    keyPem: leaf.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
