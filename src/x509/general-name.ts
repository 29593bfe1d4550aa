import { DerTag, bytesOf, contentOf, type DerNode } from '../crypto/der.js';
import { childrenOf, invalid } from './der.js';
import { formatIpAddress } from './ip-address.js';
import { formatName } from './name.js';
import type { GeneralNameValue } from './types.js';

/** A GeneralName as node:tls prints a subjectAltName entry: "DNS:…", "IP:…", "email:…". */
export function formatGeneralName(name: GeneralNameValue): string {
  const prefix = { dns: 'DNS', ip: 'IP', email: 'email', uri: 'URI', dirName: 'DirName', other: 'othername' }[name.type];
  return `${prefix}:${name.value}`;
}

/** One GeneralName (RFC 5280 §4.2.1.6), IMPLICIT tags except directoryName. */
export function readGeneralName(der: Uint8Array, node: DerNode, inConstraint: boolean): GeneralNameValue {
  const content = contentOf(der, node);
  switch (node.tag) {
    case 0x81: // rfc822Name
    case 0x82: // dNSName
    case 0x86: {
      // uniformResourceIdentifier; IA5String: anything outside ASCII is an encoding error, and
      // would defeat name matching.
      const value = String.fromCharCode(...content);
      if (!/^[\x20-\x7e]*$/.test(value)) throw invalid('GeneralName with non-ASCII characters');
      return { type: node.tag === 0x81 ? 'email' : node.tag === 0x82 ? 'dns' : 'uri', value };
    }
    case 0x87: {
      const allowed = inConstraint ? [8, 32] : [4, 16];
      if (!allowed.includes(content.length)) throw invalid(`iPAddress of ${content.length} bytes`);
      const half = inConstraint ? content.length / 2 : content.length;
      const text = formatIpAddress(content.subarray(0, half)) + (inConstraint ? `/${maskLength(content.subarray(half))}` : '');
      return { type: 'ip', value: text, bytes: content };
    }
    case 0xa4: {
      const [name] = childrenOf(der, node);
      if (!name || name.tag !== DerTag.SEQUENCE || name.end !== node.end) throw invalid('malformed directoryName');
      const dn = bytesOf(der, name);
      return { type: 'dirName', value: formatName(dn), bytes: dn };
    }
    default:
      return { type: 'other', value: `[${node.tag & 0x1f}]` };
  }
}

function maskLength(mask: Uint8Array): string {
  let bits = 0;
  for (const b of mask) bits += (b.toString(2).match(/1/g) ?? []).length;
  return String(bits);
}
