import type { CertificateSummary } from '../x509/types.js';

/** The subset of node:tls's PeerCertificate that wiretls fills in. */
export interface PeerCertificate {
  subject: Record<string, string>;
  issuer: Record<string, string>;
  subjectaltname: string;
  valid_from: string;
  valid_to: string;
  fingerprint256: string;
  serialNumber: string;
  raw: Buffer;
  /** With getPeerCertificate(true): the next certificate of the chain as sent. */
  issuerCertificate?: PeerCertificate;
}

/** "O=Example, CN=host" → { O: 'Example', CN: 'host' } (a repeated attribute keeps the last). */
function nameObject(dn: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of dn.split(/,\s*(?=[A-Za-z0-9.]+=)/)) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * node:tls's subjectaltname spelling (OpenSSL's): "IP Address:" and IPv6 as eight upper-case
 * groups without zero compression ("0:0:0:0:0:0:0:1"), so code that parses node's string —
 * checkServerIdentity implementations do — reads ours the same way.
 */
function altNameText(name: string): string {
  if (!name.startsWith('IP:')) return name;
  const address = name.slice(3);
  return `IP Address:${address.includes(':') ? expandIpv6(address) : address}`;
}

function expandIpv6(text: string): string {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16).toString(16).toUpperCase()).join(':');
}

/** node:tls prints dates like "Jan  1 00:00:00 2025 GMT". */
function opensslDate(date: Date): string {
  const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const day = String(date.getUTCDate()).padStart(2, ' ');
  const time = date.toISOString().slice(11, 19);
  return `${month} ${day} ${time} ${date.getUTCFullYear()} GMT`;
}

export function toPeerCertificate(summaries: readonly CertificateSummary[], detailed: boolean): PeerCertificate | Record<string, never> {
  if (summaries.length === 0) return {};
  const convert = (index: number): PeerCertificate => {
    const s = summaries[index]!;
    const cert: PeerCertificate = {
      subject: nameObject(s.subject),
      issuer: nameObject(s.issuer),
      subjectaltname: s.subjectAltNames.map(altNameText).join(', '),
      valid_from: opensslDate(s.notBefore),
      valid_to: opensslDate(s.notAfter),
      fingerprint256: s.fingerprint256,
      serialNumber: s.serialNumber,
      raw: Buffer.from(s.raw),
    };
    if (detailed && index + 1 < summaries.length) cert.issuerCertificate = convert(index + 1);
    return cert;
  };
  return convert(0);
}
