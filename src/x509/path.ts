import { bytesEqual } from '../wire/bytes.js';
import { bytesKey, type ParsedCertificate } from './certificate.js';
import type { PathSearchObserver } from './chain-report.js';
import type { TrustStore } from './truststore.js';

export interface PathSearchLimits {
  /** Most certificates in one path, leaf and anchor included. */
  readonly maxDepth: number;
  /** Most issuer candidates examined over the whole search (bounds work on hostile chains). */
  readonly maxSteps: number;
}

/** What the search saw, for the message when no path reaches an anchor. */
export interface PathSearchReport {
  /** The longest partial path that found no issuer (leaf first). */
  deadEnd: readonly ParsedCertificate[];
  depthLimited: boolean;
  stepsExhausted: boolean;
}

/**
 * Candidate certification paths from `leaf` to a trust anchor, leaf first, best first. The
 * peer's other certificates are an unordered pool, because real servers send chains out of
 * order, with extra or stale certificates, with or without the root. At each step:
 *   1. the certificate itself is an anchor: the path ends there (root sent by the peer, or a
 *      pinned self-signed leaf);
 *   2. anchors whose subject is its issuer: complete paths, shortest first;
 *   3. pool certificates whose subject is its issuer: extend, depth first.
 * Candidates whose subjectKeyIdentifier matches the authorityKeyIdentifier come first, others
 * are still tried (key identifiers are hints, signatures decide). Cross-signed intermediates
 * give several paths; the caller validates them in turn and keeps the first valid one.
 */
export function* candidatePaths(
  leaf: ParsedCertificate,
  pool: readonly ParsedCertificate[],
  store: TrustStore,
  limits: PathSearchLimits,
  report: PathSearchReport,
  /** Told each step, for a person (ChainReport); the search is the same with or without it. */
  observer?: PathSearchObserver,
): Generator<ParsedCertificate[]> {
  const bySubject = new Map<string, ParsedCertificate[]>();
  for (const cert of pool) {
    // A pool certificate that is itself an anchor is reached through the store (step 2).
    if (store.contains(cert)) continue;
    const key = bytesKey(cert.subjectDer);
    const list = bySubject.get(key);
    if (list) list.push(cert);
    else bySubject.set(key, [cert]);
  }
  let steps = 0;

  function* extend(path: ParsedCertificate[]): Generator<ParsedCertificate[]> {
    const current = path[path.length - 1]!;
    const pinned = store.anchorFor(current);
    if (pinned) {
      observer?.anchor(path);
      yield [...path.slice(0, -1), pinned];
      return;
    }
    let found = false;
    const anchors = byKeyId(
      current,
      store.issuersOf(current).filter((a) => !inPath(path, a)),
    );
    const intermediates = byKeyId(
      current,
      (bySubject.get(bytesKey(current.issuerDer)) ?? []).filter((c) => !inPath(path, c)),
    );
    observer?.issuers(path, anchors, intermediates);
    if (anchors.length > 0 && path.length + 1 > limits.maxDepth) {
      report.depthLimited = true;
      observer?.stopped(path, anchors, 'depth limit');
    } else {
      for (const anchor of anchors) {
        if (++steps > limits.maxSteps) {
          observer?.stopped(path, [anchor], 'search limit');
          return void (report.stepsExhausted = true);
        }
        found = true;
        observer?.trying(path, anchor);
        yield [...path, anchor];
      }
    }
    for (const next of intermediates) {
      // The next certificate still needs an anchor above it.
      if (path.length + 2 > limits.maxDepth) {
        report.depthLimited = true;
        observer?.stopped(path, intermediates.slice(intermediates.indexOf(next)), 'depth limit');
        break;
      }
      if (++steps > limits.maxSteps) {
        observer?.stopped(path, [next], 'search limit');
        return void (report.stepsExhausted = true);
      }
      found = true;
      observer?.trying(path, next);
      yield* extend([...path, next]);
    }
    if (!found && path.length > report.deadEnd.length) report.deadEnd = path;
  }

  yield* extend([leaf]);
}

/** Same certificate, or same name and key (a re-issued copy): either would make a loop. */
function inPath(path: readonly ParsedCertificate[], cert: ParsedCertificate): boolean {
  return path.some((p) => p === cert || bytesEqual(p.der, cert.der) || (bytesEqual(p.subjectDer, cert.subjectDer) && bytesEqual(p.spki, cert.spki)));
}

function byKeyId(child: ParsedCertificate, candidates: ParsedCertificate[]): ParsedCertificate[] {
  const aki = child.authorityKeyId;
  if (!aki || candidates.length < 2) return candidates;
  const rank = (c: ParsedCertificate) => (c.subjectKeyId === undefined ? 1 : bytesEqual(c.subjectKeyId, aki) ? 0 : 2);
  return [...candidates].sort((a, b) => rank(a) - rank(b));
}
