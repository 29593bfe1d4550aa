import type { ParsedCertificate } from './certificate.js';
import { bytesEqual } from '../wire/bytes.js';

/**
 * Service identity checks (RFC 9525, which obsoletes RFC 6125): the reference identity is the
 * name the client asked for (SNI / servername); it is compared with the subjectAltName entries
 * of the matching type only. The subject CN is never consulted (RFC 9525 §6.3: CN-ID matching
 * is not allowed), so a certificate without a dNSName SAN matches no DNS name.
 */

/** The 4 or 16 octets of an IPv4 or IPv6 literal (brackets and a zone ID allowed), else undefined. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':')) return parseIPv4(s);
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  return parseIPv6(s);
}

function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Leading zeros are refused: inet_aton reads them as octal, so "010.0.0.1" is ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Dotted quad, or RFC 5952 compressed IPv6. */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The longest run of at least two zero groups becomes "::" (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export type ReferenceIdentity =
  | { readonly type: 'ip'; readonly bytes: Uint8Array; readonly text: string }
  | { readonly type: 'dns'; readonly name: string; readonly text: string }
  | { readonly type: 'invalid'; readonly text: string; readonly reason: string };

/** Classifies and normalises the name the client asked for. */
export function referenceIdentity(serverName: string): ReferenceIdentity {
  const ip = parseIpAddress(serverName);
  if (ip) return { type: 'ip', bytes: ip, text: serverName };
  let name = serverName.endsWith('.') ? serverName.slice(0, -1) : serverName;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the class is every non-ASCII character
  if (/[^\x00-\x7f]/.test(name)) {
    // U-labels are compared in their A-label form (RFC 9525 §6.3), which is what CAs put in SANs.
    try {
      name = new URL(`http://${name}/`).hostname;
    } catch {
      return { type: 'invalid', text: serverName, reason: 'is not a valid internationalized domain name' };
    }
  }
  name = name.toLowerCase();
  const labels = name.split('.');
  if (name.length > 253 || labels.some((l) => !/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) {
    return { type: 'invalid', text: serverName, reason: 'is not a valid DNS name' };
  }
  return { type: 'dns', name, text: serverName };
}

/**
 * RFC 9525 §6.3 matching of one dNSName SAN against a normalised DNS reference identity:
 * case-insensitive; "*" only as the complete left-most label, matching exactly one label; and
 * never with fewer than two labels after it, so "*.com" or "*.test" cannot cover a whole
 * top-level domain (the single-label approximation of "no wildcard over a public suffix").
 */
export function matchesDnsName(presented: string, reference: string): boolean {
  let p = presented.toLowerCase();
  if (p.endsWith('.')) p = p.slice(0, -1);
  if (p === '') return false;
  if (!p.includes('*')) return p === reference;
  if (!p.startsWith('*.')) return false; // partial ("f*.example.com") or inner wildcards
  const rest = p.slice(2);
  if (rest.includes('*') || !rest.includes('.')) return false;
  if (!reference.endsWith('.' + rest)) return false;
  const first = reference.slice(0, reference.length - rest.length - 1);
  return first.length > 0 && !first.includes('.');
}

export interface IdentityMismatch {
  /** Why the certificate does not cover the name, for a person. */
  readonly reason: string;
}

/** Undefined when `cert` is valid for `serverName`, else the reason it is not. */
export function checkIdentity(cert: ParsedCertificate, serverName: string): IdentityMismatch | undefined {
  const ref = referenceIdentity(serverName);
  if (ref.type === 'invalid') return { reason: `the requested name "${serverName}" ${ref.reason}` };
  if (ref.type === 'ip') {
    const ips = cert.subjectAltNames.filter((n) => n.type === 'ip');
    if (ips.some((n) => n.bytes !== undefined && bytesEqual(n.bytes, ref.bytes))) return undefined;
    return {
      reason: ips.length
        ? `IP address ${serverName} is not among the certificate's IP addresses (${ips.map((n) => n.value).join(', ')})`
        : `the certificate has no IP address subjectAltName, so it is not valid for ${serverName} (DNS names never match an IP address)`,
    };
  }
  const dns = cert.subjectAltNames.filter((n) => n.type === 'dns');
  if (dns.some((n) => matchesDnsName(n.value, ref.name))) return undefined;
  return {
    reason: dns.length
      ? `"${serverName}" is not among the certificate's DNS names (${dns.map((n) => n.value).join(', ')})`
      : `the certificate has no DNS subjectAltName, so it is not valid for "${serverName}" (the subject CN is not used)`,
  };
}

/** The subjectAltName ("DNS:…", "IP:…") that makes `cert` valid for `serverName`, to show which one did. */
export function matchingName(cert: ParsedCertificate, serverName: string): string | undefined {
  const ref = referenceIdentity(serverName);
  if (ref.type === 'invalid') return undefined;
  const found =
    ref.type === 'ip'
      ? cert.subjectAltNames.find((n) => n.type === 'ip' && n.bytes !== undefined && bytesEqual(n.bytes, ref.bytes))
      : cert.subjectAltNames.find((n) => n.type === 'dns' && matchesDnsName(n.value, ref.name));
  return found && `${found.type === 'ip' ? 'IP' : 'DNS'}:${found.value}`;
}
