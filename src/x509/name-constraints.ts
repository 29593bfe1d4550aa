import { DerTag, bytesOf, childrenOf, readRoot } from '../crypto/der.js';
import { bytesEqual } from '../wire/bytes.js';
import type { ParsedCertificate } from './certificate.js';
import type { GeneralNameValue } from './types.js';

/*
 * Name constraints (RFC 5280 §4.2.1.10), evaluated for validate.ts, which imports this module
 * only when a CA on the path carries the extension: rare enough on the public web that a
 * browser bundle loads it on demand. The extension itself is parsed with the certificate.
 */

/** RFC 5280 §4.2.1.10: the first violation of `ca`'s name constraints by `cert`, or undefined. */
export function nameConstraintViolation(ca: ParsedCertificate, cert: ParsedCertificate): string | undefined {
  const { permitted, excluded } = ca.nameConstraints!;
  const names: GeneralNameValue[] = [...cert.subjectAltNames];
  // The subject is a directoryName too (§4.2.1.10: "Restrictions apply to the subject
  // distinguished name and apply to subject alternative names").
  if (rdnsOf(cert.subjectDer).length > 0) names.push({ type: 'dirName', value: cert.subject, bytes: cert.subjectDer });
  for (const name of names) {
    const typed = (list: readonly GeneralNameValue[]) => list.filter((c) => c.type === name.type);
    const allowed = typed(permitted);
    const denied = typed(excluded);
    if (allowed.length === 0 && denied.length === 0) continue;
    if (name.type !== 'dns' && name.type !== 'ip' && name.type !== 'dirName') {
      // We cannot evaluate e-mail/URI/other constraints, and a constraint we cannot check must
      // not be treated as satisfied.
      return `${name.type} name "${name.value}" is subject to ${name.type} name constraints, which are not supported`;
    }
    const hit = (c: GeneralNameValue) => constraintMatches(c, name, false);
    if (allowed.length > 0 && !allowed.some(hit)) {
      return `${name.type === 'dirName' ? 'subject' : name.type.toUpperCase() + ' name'} "${name.value}" is outside the permitted subtrees (${allowed.map((c) => c.value || '""').join(', ')})`;
    }
    const blocked = denied.find((c) => constraintMatches(c, name, true));
    if (blocked) return `${name.type === 'dirName' ? 'subject' : name.type.toUpperCase() + ' name'} "${name.value}" is in the excluded subtree "${blocked.value}"`;
  }
  return undefined;
}

function constraintMatches(constraint: GeneralNameValue, name: GeneralNameValue, excluding: boolean): boolean {
  switch (name.type) {
    case 'dns':
      return dnsWithin(name.value, constraint.value, excluding);
    case 'ip': {
      const c = constraint.bytes!;
      const ip = name.bytes!;
      if (c.length !== ip.length * 2) return false; // IPv4 constraints do not bind IPv6 names and vice versa
      for (let k = 0; k < ip.length; k++) if ((ip[k]! & c[ip.length + k]!) !== (c[k]! & c[ip.length + k]!)) return false;
      return true;
    }
    case 'dirName': {
      const base = rdnsOf(constraint.bytes!);
      const subject = rdnsOf(name.bytes!);
      return base.length <= subject.length && base.every((rdn, k) => bytesEqual(rdn, subject[k]!));
    }
    default:
      return false;
  }
}

/**
 * Whether DNS name `name` is in the subtree `constraint`: "example.com" covers itself and every
 * name made by adding labels on the left; ".example.com" (a common form) only the latter; ""
 * covers everything. For an exclusion, a wildcard SAN "*.example.com" is also caught by
 * "host.example.com", a name the wildcard would match.
 */
function dnsWithin(name: string, constraint: string, excluding: boolean): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const c = constraint.toLowerCase().replace(/\.$/, '');
  if (c === '') return true;
  const within = c.startsWith('.') ? n.endsWith(c) : n === c || n.endsWith('.' + c);
  if (within) return true;
  if (excluding && n.startsWith('*.')) {
    const rest = n.slice(2);
    const dot = c.indexOf('.');
    return dot > 0 && c.slice(dot + 1) === rest;
  }
  return false;
}

/**
 * The RDN SETs of a Name, as DER (compared byte for byte). A Name that does not parse matches
 * nothing and its error is dropped, so crypto/der's reader serves: it is the X.509 one but for
 * the error it throws, and importing it rather than x509/der.ts keeps this lazy chunk
 * from splitting another file off the main chunk.
 */
function rdnsOf(nameDer: Uint8Array): Uint8Array[] {
  try {
    const root = readRoot(nameDer, DerTag.SEQUENCE);
    return childrenOf(nameDer, root).map((n) => bytesOf(nameDer, n));
  } catch {
    return [];
  }
}
