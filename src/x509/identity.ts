import type { ParsedCertificate } from './certificate.js';
import { bytesEqual } from '../wire/bytes.js';
import { parseIpAddress } from './ip-address.js';

/**
 * Service identity checks (RFC 9525, which obsoletes RFC 6125): the reference identity is the
 * name the client asked for (SNI / servername); it is compared with the subjectAltName entries
 * of the matching type only. The subject CN is never consulted (RFC 9525 §6.3: CN-ID matching
 * is not allowed), so a certificate without a dNSName SAN matches no DNS name.
 */

export type ReferenceIdentity =
  | { readonly type: 'ip'; readonly bytes: Uint8Array; readonly text: string }
  | { readonly type: 'dns'; readonly name: string; readonly text: string }
  | { readonly type: 'invalid'; readonly text: string; readonly reason: string };

/** Classifies and normalises the name the client asked for. */
function referenceIdentity(serverName: string): ReferenceIdentity {
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
