import { DerTag, bytesOf, contentOf } from '../crypto/der.js';
import { TLSError } from '../errors.js';
import { bytesToHex } from '../wire/bytes.js';
import { childrenOf, decodeOid, invalid, readRoot } from './der.js';
import { attributeShortName } from './oids.js';

/** A Name as "K=V, K=V" in encoding order (multi-valued RDNs joined by " + "). */
export function formatName(nameDer: Uint8Array): string {
  try {
    const rdns = childrenOf(nameDer, readRoot(nameDer, DerTag.SEQUENCE));
    return rdns
      .map((rdn) =>
        childrenOf(nameDer, rdn)
          .map((atv) => {
            const [oidNode, valueNode] = childrenOf(nameDer, atv);
            if (!oidNode || !valueNode || oidNode.tag !== DerTag.OID) throw invalid('malformed name attribute');
            const oid = decodeOid(contentOf(nameDer, oidNode));
            const text = directoryString(valueNode.tag, contentOf(nameDer, valueNode)) ?? '#' + bytesToHex(bytesOf(nameDer, valueNode));
            return `${attributeShortName[oid] ?? oid}=${text.replace(/([,+"\\<>;])/g, '\\$1')}`;
          })
          .join(' + '),
      )
      .join(', ');
  } catch (error) {
    if (error instanceof TLSError) throw error;
    throw invalid('malformed name', error);
  }
}

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

function directoryString(tag: number, content: Uint8Array): string | undefined {
  switch (tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: false }).decode(content);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString (in practice Latin-1)
    case 0x1a: // VisibleString
      return latin1(content);
    case 0x1e: // BMPString (UTF-16BE)
      return new TextDecoder('utf-16be').decode(content);
    case 0x1c: {
      // UniversalString (UTF-32BE)
      let out = '';
      for (let k = 0; k + 3 < content.length; k += 4) out += String.fromCodePoint(((content[k]! << 24) | (content[k + 1]! << 16) | (content[k + 2]! << 8) | content[k + 3]!) >>> 0);
      return out;
    }
    default:
      return undefined;
  }
}
