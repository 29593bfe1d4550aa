import { TLSError } from '../errors.js';
import { DerTag, bytesOf } from '../crypto/der.js';
import { bytesEqual } from '../wire/bytes.js';
import { ParsedCertificate, bytesKey } from './certificate.js';
import { childrenOf, readRoot } from './der.js';
import { decodePemCertificates } from './pem.js';

interface Anchor {
  readonly der: Uint8Array;
  parsed?: ParsedCertificate | null; // null: could not be parsed, never offered as an issuer
}

/**
 * The trust anchors. Lookups are by the exact subject name bytes of the certificate whose
 * issuer is sought. Start-up costs nothing: the index (PEM decode and a DER walk to the subject
 * of each root) is built on the first lookup, and an anchor is parsed in full only when it is a
 * candidate issuer for some chain, then kept parsed.
 */
export class TrustStore {
  private readonly sources: () => Uint8Array[];
  private index: Map<string, Anchor[]> | undefined;
  private count = 0;
  private parsedCount = 0;
  readonly description: string;

  private constructor(sources: () => Uint8Array[], description: string) {
    this.sources = sources;
    this.description = description;
  }

  /**
   * Anchors from PEM text (one bundle, or several) or DER. The PEM is checked now, so a bad
   * file fails at start-up with its name; the certificates themselves are parsed on demand.
   */
  static fromPem(pem: string | Uint8Array | readonly (string | Uint8Array)[], sourceName = 'trust anchors'): TrustStore {
    const inputs = Array.isArray(pem) ? pem : [pem as string | Uint8Array];
    const ders = inputs.flatMap((input, i) => decodePemCertificates(input, inputs.length > 1 ? `${sourceName} [${i}]` : sourceName));
    for (const der of ders) subjectOf(der, sourceName);
    return new TrustStore(() => ders, `${ders.length} anchor(s) from ${sourceName}`);
  }

  static fromCertificates(ders: readonly Uint8Array[], description = 'caller-supplied anchors'): TrustStore {
    const copy = [...ders];
    for (const der of copy) subjectOf(der, description);
    return new TrustStore(() => copy, `${copy.length} anchor(s), ${description}`);
  }

  /**
   * Anchors from PEM text produced on first use: nothing is decoded or indexed until a chain
   * needs an issuer, so a large bundle (a runtime's list of ~150 public roots) costs nothing at
   * start-up. `load` is called once; PEM it returns that does not decode fails that lookup.
   */
  static fromPemOnDemand(load: () => readonly (string | Uint8Array)[], description: string): TrustStore {
    let ders: Uint8Array[] | undefined;
    return new TrustStore(() => (ders ??= load().flatMap((pem) => decodePemCertificates(pem, description))), description);
  }

  /** Several stores as one (e.g. the system roots plus a private CA). */
  static combine(...stores: TrustStore[]): TrustStore {
    return new TrustStore(() => stores.flatMap((s) => s.sources()), stores.map((s) => s.description).join(' + '));
  }

  get size(): number {
    this.ensureIndex();
    return this.count;
  }

  /** How many anchors have been parsed in full so far (the rest were only indexed). */
  get parsedAnchors(): number {
    return this.parsedCount;
  }

  /** Anchors whose subject is `cert`'s issuer, parsed. */
  issuersOf(cert: ParsedCertificate): ParsedCertificate[] {
    const list = this.ensureIndex().get(bytesKey(cert.issuerDer));
    if (!list) return [];
    const out: ParsedCertificate[] = [];
    for (const anchor of list) {
      const parsed = this.parse(anchor);
      if (parsed) out.push(parsed);
    }
    return out;
  }

  /** True when exactly this certificate is an anchor (a pinned self-signed leaf, or a root the peer sent). */
  contains(cert: ParsedCertificate): boolean {
    return this.exactly(cert) !== undefined;
  }

  /** The anchor entry for exactly this certificate, parsed (so its cached state is shared). */
  anchorFor(cert: ParsedCertificate): ParsedCertificate | undefined {
    const anchor = this.exactly(cert);
    return anchor ? (this.parse(anchor) ?? undefined) : undefined;
  }

  private exactly(cert: ParsedCertificate): Anchor | undefined {
    return this.ensureIndex()
      .get(bytesKey(cert.subjectDer))
      ?.find((a) => bytesEqual(a.der, cert.der));
  }

  private parse(anchor: Anchor): ParsedCertificate | null {
    if (anchor.parsed === undefined) {
      try {
        anchor.parsed = new ParsedCertificate(anchor.der);
        this.parsedCount++;
      } catch {
        anchor.parsed = null;
      }
    }
    return anchor.parsed;
  }

  private ensureIndex(): Map<string, Anchor[]> {
    if (!this.index) {
      const index = new Map<string, Anchor[]>();
      for (const der of this.sources()) {
        let subject: Uint8Array;
        try {
          subject = subjectOf(der, this.description);
        } catch {
          continue; // a root we cannot even walk is no use as an issuer
        }
        const subjectKey = bytesKey(subject);
        const list = index.get(subjectKey);
        if (list?.some((a) => bytesEqual(a.der, der))) continue;
        if (list) list.push({ der });
        else index.set(subjectKey, [{ der }]);
        this.count++;
      }
      this.index = index;
    }
    return this.index;
  }
}

/** The subject Name's DER, found without a full parse. */
function subjectOf(der: Uint8Array, sourceName: string): Uint8Array {
  try {
    const cert = readRoot(der, DerTag.SEQUENCE);
    const tbs = childrenOf(der, cert)[0];
    if (!tbs || tbs.tag !== DerTag.SEQUENCE) throw new TLSError('CERT_INVALID', 'no tbsCertificate');
    const fields = childrenOf(der, tbs);
    const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
    const subject = fields[offset + 4];
    if (!subject || subject.tag !== DerTag.SEQUENCE) throw new TLSError('CERT_INVALID', 'no subject');
    return bytesOf(der, subject);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TLSError('INVALID_ARGUMENT', `${sourceName}: a trust anchor is not a valid DER certificate (${detail})`, { cause: error });
  }
}
