import { bytesEqual } from '../wire/bytes.js';
import type { ParsedCertificate } from './certificate.js';
import type { CertificateSummary } from './types.js';
import type { CertificateCheck, CertificateError, CertificateErrorCode } from './certificate-error.js';
import type { TrustStore } from './truststore.js';

/**
 * How X509Verifier reached its verdict, step by step, for a person (wiretls explain): which
 * issuers it considered for each certificate, in which order and from where, and why each was
 * taken or refused; every candidate path it validated and where it failed; the identity check.
 * Only built when VerificationContext.observe asks for it: without an observer the verifier
 * does none of this work.
 */
export interface ChainReport {
  readonly peerRole: 'server' | 'client';
  /** In the order they happened. */
  readonly steps: readonly ChainStep[];
}

/** A certificate as the report names it. */
export interface CertificateRef {
  readonly summary: CertificateSummary;
  /** Its position in the chain the peer sent, when the peer sent exactly this certificate. */
  readonly sentAs: number | undefined;
  /** It is one of the trust anchors. */
  readonly anchor: boolean;
}

export type CandidateSource = 'peer' | 'trust store';

/** Why a candidate issuer was taken or refused. */
export type CandidateVerdict =
  /** It is a trust anchor and the path through it validated: the search ends here. */
  | { readonly taken: true; readonly reason: 'trust anchor' }
  /** The path through it, up to an anchor, validated. */
  | { readonly taken: true; readonly reason: 'valid path' }
  /** Its subject is not the issuer name sought (peer certificates only: RFC 5280 §6.1.4 (a)(4) chains by name). */
  | { readonly taken: false; readonly reason: 'name mismatch' }
  /** It is already in the path (the same certificate, or the same name and key). */
  | { readonly taken: false; readonly reason: 'loop' }
  /** Taking it would exceed the verifier's maxDepth. */
  | { readonly taken: false; readonly reason: 'depth limit' }
  /** The search had examined as many candidates as it allows for one verification. */
  | { readonly taken: false; readonly reason: 'search limit' }
  /** No issuer was found above it (see the search for its own issuer). */
  | { readonly taken: false; readonly reason: 'no path above' }
  /**
   * Validation of the (first) path through it failed: `failure` says where and why, `relation`
   * where that is seen from the candidate: the candidate itself; its signature on the
   * certificate below it; a certificate above it; or one below it (the candidate was not the
   * problem).
   */
  | { readonly taken: false; readonly reason: 'invalid'; readonly failure: PathFailure; readonly relation: 'itself' | 'signature' | 'above' | 'below' }
  /** Not examined: an earlier candidate gave a valid path, or the verifier stopped before it. */
  | { readonly taken: false; readonly reason: 'not needed' | 'not reached' };

export interface Candidate {
  readonly certificate: CertificateRef;
  readonly source: CandidateSource;
  /**
   * Its subjectKeyIdentifier against the child's authorityKeyIdentifier: a hint that orders the
   * candidates (matching first); the signature decides.
   */
  readonly keyIdentifier: 'matches' | 'differs' | 'unknown';
  readonly verdict: CandidateVerdict;
}

export interface PathFailure {
  readonly code: CertificateErrorCode;
  readonly check: CertificateCheck;
  /** Position in the failed path of the certificate that failed (0 = leaf). */
  readonly depth: number;
  readonly message: string;
}

export type ChainStep =
  /** A certificate the peer sent that cannot be in any path. */
  | { readonly kind: 'ignored'; readonly index: number; readonly reason: 'unparseable' | 'duplicate' }
  /** The certificate at `depth` is itself a trust anchor (a pinned certificate): the path ends with it. */
  | { readonly kind: 'anchor'; readonly depth: number; readonly certificate: CertificateRef }
  /** The search for the issuer of the certificate at `depth`, in the path built so far. */
  | {
      readonly kind: 'issuer';
      readonly depth: number;
      readonly certificate: CertificateRef;
      /** The issuer name sought. */
      readonly issuer: string;
      /** In the order they were (or would have been) tried, then those passed over. */
      readonly candidates: readonly Candidate[];
    }
  /** A complete candidate path (leaf first, anchor last) and its RFC 5280 §6.1 validation. */
  | { readonly kind: 'path'; readonly certificates: readonly CertificateRef[]; readonly failure: PathFailure | undefined }
  /** The verifier stopped after validating this many candidate paths. */
  | { readonly kind: 'gave up'; readonly paths: number }
  /** The service identity (RFC 9525): the name checked against the leaf. */
  | {
      readonly kind: 'identity';
      readonly serverName: string;
      readonly ok: boolean;
      /** The subjectAltName that matched, when the RFC 9525 check passed. */
      readonly matched: string | undefined;
      readonly reason: string | undefined;
      readonly by: 'RFC 9525' | 'checkServerIdentity';
    }
  /** The verdict (after the caller's override hook, which `overridden` says replaced it). */
  | { readonly kind: 'verdict'; readonly ok: boolean; readonly code: string | undefined; readonly message: string | undefined; readonly overridden: boolean };

type MutableCandidate = {
  certificate: CertificateRef;
  source: CandidateSource;
  keyIdentifier: Candidate['keyIdentifier'];
  verdict: CandidateVerdict;
  cert: ParsedCertificate;
  tried: boolean;
};

interface Search {
  readonly prefix: readonly ParsedCertificate[];
  readonly step: { kind: 'issuer'; depth: number; certificate: CertificateRef; issuer: string; candidates: MutableCandidate[] };
}

/** Hooks the path search (path.ts) calls while it runs. */
export interface PathSearchObserver {
  /** `path`'s last certificate is itself a trust anchor. */
  anchor(path: readonly ParsedCertificate[]): void;
  /** The issuer candidates of `path`'s last certificate, each list in the order it will try them. */
  issuers(path: readonly ParsedCertificate[], anchors: readonly ParsedCertificate[], intermediates: readonly ParsedCertificate[]): void;
  /** It tries `candidate` as the issuer of `path`'s last certificate. */
  trying(path: readonly ParsedCertificate[], candidate: ParsedCertificate): void;
  /** It will not try these candidates, for this reason. */
  stopped(path: readonly ParsedCertificate[], candidates: readonly ParsedCertificate[], reason: 'depth limit' | 'search limit'): void;
}

/**
 * Builds a ChainReport while X509Verifier runs; `finish` works out each candidate's verdict from
 * the paths validated through it.
 */
export class ChainRecorder implements PathSearchObserver {
  private readonly steps: (ChainStep | Search['step'])[] = [];
  private readonly searches: Search[] = [];
  private readonly validated: { path: readonly ParsedCertificate[]; failure: PathFailure | undefined }[] = [];
  /** The peer's certificates as parsed, by their position in what it sent (holes: unparseable). */
  private sent: readonly (ParsedCertificate | undefined)[] = [];
  /** The verifier's pool: the peer's other certificates, without duplicates. */
  private pool: readonly ParsedCertificate[] = [];
  private store: TrustStore | undefined;

  constructor(private readonly peerRole: 'server' | 'client') {}

  /** The search is about to start. */
  begin(sent: readonly (ParsedCertificate | undefined)[], pool: readonly ParsedCertificate[], store: TrustStore): void {
    this.sent = sent;
    this.pool = pool;
    this.store = store;
  }

  ref(cert: ParsedCertificate): CertificateRef {
    const index = this.sent.findIndex((c) => c !== undefined && (c === cert || bytesEqual(c.der, cert.der)));
    return { summary: cert.summary, sentAs: index === -1 ? undefined : index, anchor: this.store?.contains(cert) ?? false };
  }

  ignored(index: number, reason: 'unparseable' | 'duplicate'): void {
    this.steps.push({ kind: 'ignored', index, reason });
  }

  anchor(path: readonly ParsedCertificate[]): void {
    this.steps.push({ kind: 'anchor', depth: path.length - 1, certificate: this.ref(path[path.length - 1]!) });
  }

  issuers(path: readonly ParsedCertificate[], anchors: readonly ParsedCertificate[], intermediates: readonly ParsedCertificate[]): void {
    const current = path[path.length - 1]!;
    const candidate = (cert: ParsedCertificate, source: CandidateSource, verdict: CandidateVerdict): MutableCandidate => ({
      certificate: this.ref(cert),
      source,
      keyIdentifier: current.authorityKeyId && cert.subjectKeyId ? (bytesEqual(current.authorityKeyId, cert.subjectKeyId) ? 'matches' : 'differs') : 'unknown',
      verdict,
      cert,
      tried: false,
    });
    const pending: CandidateVerdict = { taken: false, reason: 'not reached' };
    const candidates = [...anchors.map((a) => candidate(a, 'trust store', pending)), ...intermediates.map((c) => candidate(c, 'peer', pending))];
    const listed = (cert: ParsedCertificate) => candidates.some((c) => c.cert === cert);
    // Same name, left out because they are already in the path.
    for (const a of this.store?.issuersOf(current) ?? []) if (!listed(a)) candidates.push(candidate(a, 'trust store', { taken: false, reason: 'loop' }));
    for (const cert of this.pool) {
      // A pool certificate that is an anchor is offered through the store (path.ts).
      if (listed(cert) || path.includes(cert) || this.store?.contains(cert)) continue;
      const sameName = bytesEqual(cert.subjectDer, current.issuerDer);
      candidates.push(candidate(cert, 'peer', { taken: false, reason: sameName ? 'loop' : 'name mismatch' }));
    }
    const step = { kind: 'issuer' as const, depth: path.length - 1, certificate: this.ref(current), issuer: current.issuer, candidates };
    this.searches.push({ prefix: [...path], step });
    this.steps.push(step);
  }

  trying(path: readonly ParsedCertificate[], candidate: ParsedCertificate): void {
    const found = this.candidateOf(path, candidate);
    if (found) found.tried = true;
  }

  stopped(path: readonly ParsedCertificate[], candidates: readonly ParsedCertificate[], reason: 'depth limit' | 'search limit'): void {
    for (const cert of candidates) {
      const found = this.candidateOf(path, cert);
      if (found) found.verdict = { taken: false, reason };
    }
  }

  /** One candidate path was validated: `error` is its first failure, undefined when valid. */
  path(path: readonly ParsedCertificate[], error: CertificateError | undefined): void {
    const failure = error && { code: error.code, check: error.check, depth: error.depth ?? 0, message: error.message };
    this.validated.push({ path, failure });
    this.steps.push({ kind: 'path', certificates: path.map((c) => this.ref(c)), failure });
  }

  gaveUp(paths: number): void {
    this.steps.push({ kind: 'gave up', paths });
  }

  identity(serverName: string, ok: boolean, detail: { matched?: string; reason?: string; by: 'RFC 9525' | 'checkServerIdentity' }): void {
    this.steps.push({ kind: 'identity', serverName, ok, matched: detail.matched, reason: detail.reason, by: detail.by });
  }

  finish(verdict: { ok: boolean; code: string | undefined; message: string | undefined; overridden: boolean }): ChainReport {
    const valid = this.validated.some((v) => v.failure === undefined);
    for (const { prefix, step } of this.searches) {
      const depth = prefix.length - 1;
      for (const c of step.candidates) {
        if (c.verdict.reason !== 'not reached') continue;
        if (!c.tried) {
          if (valid) c.verdict = { taken: false, reason: 'not needed' };
          continue;
        }
        const through = this.validated.filter((v) => v.path.length > depth + 1 && prefix.every((p, i) => v.path[i] === p) && v.path[depth + 1] === c.cert);
        const good = through.find((v) => v.failure === undefined);
        if (good) c.verdict = { taken: true, reason: good.path.length === depth + 2 ? 'trust anchor' : 'valid path' };
        else if (through.length === 0) c.verdict = { taken: false, reason: 'no path above' };
        else {
          const failure = through[0]!.failure!;
          c.verdict = { taken: false, reason: 'invalid', failure, relation: relationTo(failure, depth) };
        }
      }
    }
    const steps: ChainStep[] = this.steps.map((s) =>
      s.kind === 'issuer' ? { ...s, candidates: s.candidates.map(({ certificate, source, keyIdentifier, verdict }) => ({ certificate, source, keyIdentifier, verdict })) } : s,
    );
    steps.push({ kind: 'verdict', ...verdict });
    return { peerRole: this.peerRole, steps };
  }

  private candidateOf(path: readonly ParsedCertificate[], cert: ParsedCertificate): MutableCandidate | undefined {
    for (let i = this.searches.length - 1; i >= 0; i--) {
      const { prefix, step } = this.searches[i]!;
      if (prefix.length === path.length && prefix.every((p, j) => p === path[j])) return step.candidates.find((c) => c.cert === cert);
    }
    return undefined;
  }
}

/**
 * Where a path's failure lies from the candidate at `childDepth + 1`: validation (validate.ts)
 * checks certificate i's signature with certificate i+1's key, so a bad signature on the child
 * is the candidate's, a bad signature on the candidate is its issuer's; anything else is about
 * the certificate at the failure's depth.
 */
function relationTo(failure: PathFailure, childDepth: number): 'itself' | 'signature' | 'above' | 'below' {
  if (failure.depth === childDepth + 1) return failure.check === 'signature' ? 'above' : 'itself';
  if (failure.depth === childDepth && failure.check === 'signature') return 'signature';
  return failure.depth > childDepth + 1 ? 'above' : 'below';
}
