import type { Candidate, CertificateRef, ChainReport, ChainStep, PathFailure } from '../x509/chain-report.js';
import type { ChainView, Check, Line } from './view.js';

type IssuerStep = Extract<ChainStep, { kind: 'issuer' }>;

/** Why a validation check refuses a certificate, in a few words (the message has the details). */
const CHECK_WORDS: Record<string, string> = {
  signature: 'bad signature',
  algorithm: 'unsupported algorithm',
  validity: 'outside its validity period',
  basicConstraints: 'not a CA',
  pathLength: 'path length constraint exceeded',
  keyUsage: 'key usage does not allow it',
  extendedKeyUsage: 'extended key usage does not allow it',
  nameConstraints: 'name constraints violated',
  criticalExtension: 'unknown critical extension',
  weakKey: 'weak key',
  weakSignature: 'weak signature algorithm',
};

export function chainView(report: ChainReport): ChainView {
  return new ChainWords(report).view();
}

/** The common name (also inside a multi-valued RDN, "O=… + CN=…"), or the whole subject when there is none. */
export function shortName(subject: string): string {
  const cn = /(?:^|, | \+ )CN=(.*?)(?=(?:, | \+ )[A-Za-z0-9.]+=|$)/.exec(subject);
  return `"${cn ? cn[1] : subject}"`;
}

class ChainWords {
  private readonly peer: string;
  private readonly verifier: string;

  constructor(private readonly report: ChainReport) {
    this.peer = report.peerRole;
    this.verifier = report.peerRole === 'server' ? 'client' : 'server';
  }

  view(): ChainView {
    const steps = this.report.steps;
    const verdict = steps.find((s) => s.kind === 'verdict');
    const paths = steps.filter((s) => s.kind === 'path');
    const valid = paths.find((p) => p.failure === undefined);
    const identity = steps.find((s) => s.kind === 'identity');
    const plain: string[] = [];
    if (valid) {
      plain.push(
        `The ${this.verifier} built this path from the ${this.peer}'s certificate to a trust anchor: ${valid.certificates.map((c) => `${shortName(c.summary.subject)} (${this.where(c)})`).join(' ← ')}. ` +
          'Each issuer was found by name (the issuer field of the certificate below it), preferring a matching key identifier, and accepted only when its key verified the signature and every RFC 5280 check passed.',
      );
      const unused = this.unusedSent(valid.certificates);
      if (unused.length > 0) plain.push(`Not used: ${unused.join('; ')}.`);
    } else {
      const first = steps.find((s): s is IssuerStep => s.kind === 'issuer');
      const anchor = steps.find((s) => s.kind === 'anchor');
      if (first) plain.push(...this.noIssuer(steps.indexOf(first), 0));
      else if (anchor && paths[0]?.failure) plain.push(`The ${this.peer}'s certificate is itself a trust anchor (pinned), but it failed a check: ${paths[0].failure.message}.`);
      if (paths.length > 0 && !first) plain.push(...paths.flatMap((p) => (p.failure ? [`Path refused: ${p.failure.message}.`] : [])));
    }
    if (identity) {
      plain.push(
        identity.ok
          ? `The leaf is valid for "${identity.serverName}"${identity.matched ? ` (its subjectAltName ${identity.matched} matches)` : ''}${identity.by === 'checkServerIdentity' ? ', as the checkServerIdentity hook decided' : ', by the RFC 9525 rules'}.`
          : `The leaf is not valid for "${identity.serverName}": ${identity.reason}.`,
      );
    }
    const gaveUp = steps.find((s) => s.kind === 'gave up');
    if (gaveUp) plain.push(`The ${this.verifier} stopped after validating ${gaveUp.paths} candidate paths.`);
    if (verdict?.overridden) plain.push(`The verifier's override hook replaced the verdict: ${verdict.ok ? 'accepted' : `refused (${verdict.message ?? verdict.code})`}.`);

    const ok = verdict?.ok ?? false;
    const title = valid
      ? `How the ${this.peer}'s chain was built: ${valid.certificates.length} certificate${valid.certificates.length > 1 ? 's' : ''}, ending at a trust anchor${identity && !identity.ok ? ', but the name does not match' : ''}`
      : `How the ${this.peer}'s chain was built: no path to a trust anchor`;
    return { ok, title, plain, details: steps.flatMap((s) => this.detail(s)), searches: steps.filter((s) => s.kind === 'issuer').length, paths: paths.length };
  }

  /** Why the search at `index` found no acceptable issuer, following candidates that had none in turn. */
  private noIssuer(index: number, depth: number): string[] {
    const step = this.report.steps[index] as IssuerStep;
    const who = `${shortName(step.certificate.summary.subject)} (${this.where(step.certificate)})`;
    const considered = step.candidates.filter((c) => c.verdict.reason !== 'name mismatch' && c.verdict.reason !== 'not needed' && c.verdict.reason !== 'not reached');
    const out: string[] = [];
    if (considered.length === 0) {
      out.push(
        step.certificate.summary.subject === step.issuer
          ? `${who} is self-signed and is not one of the ${this.verifier}'s trust anchors, so no path can end with it.`
          : `${who} has no issuer: nothing the ${this.peer} sent, and none of the ${this.verifier}'s trust anchors, has the subject ${shortName(step.issuer)} that it names as its issuer.`,
      );
    } else {
      out.push(`${who} had no acceptable issuer. ${considered.map((c) => `${this.candidateName(c)}: ${this.verdictWords(c)}`).join('; ')}.`);
    }
    // Each candidate refused for what is above it: why, in turn (bounded by the path depth).
    if (depth < 16) {
      for (const c of considered) {
        if (c.verdict.reason !== 'no path above' && !(c.verdict.reason === 'invalid' && c.verdict.relation === 'above')) continue;
        const child = this.childSearch(index, c.certificate);
        if (child !== undefined) out.push(...this.noIssuer(child, depth + 1));
      }
    }
    return out;
  }

  /** The search for `cert`'s own issuer, made right after it was tried at `index`. */
  private childSearch(index: number, cert: CertificateRef): number | undefined {
    const steps = this.report.steps;
    const parent = steps[index] as IssuerStep;
    for (let i = index + 1; i < steps.length; i++) {
      const s = steps[i]!;
      if (s.kind !== 'issuer') continue;
      if (s.depth <= parent.depth) return undefined;
      if (s.depth === parent.depth + 1 && s.certificate.summary.fingerprint256 === cert.summary.fingerprint256) return i;
    }
    return undefined;
  }

  private where(c: CertificateRef): string {
    if (c.sentAs !== undefined && c.anchor) return `the ${this.peer}'s certificate ${c.sentAs}, also a trust anchor`;
    if (c.sentAs !== undefined) return `the ${this.peer}'s certificate ${c.sentAs}`;
    return c.anchor ? 'trust anchor' : 'not sent';
  }

  private candidateName(c: Candidate): string {
    return `${shortName(c.certificate.summary.subject)} (${c.source === 'peer' ? `the ${this.peer}'s certificate ${c.certificate.sentAs ?? '?'}` : c.certificate.sentAs !== undefined ? `trust anchor, also sent as the ${this.peer}'s certificate ${c.certificate.sentAs}` : 'trust anchor'})`;
  }

  private verdictWords(c: Candidate): string {
    const v = c.verdict;
    switch (v.reason) {
      case 'trust anchor':
        return 'taken: a trust anchor, and the path ending with it is valid';
      case 'valid path':
        return 'taken: the path through it to a trust anchor is valid';
      case 'name mismatch':
        return `passed over: its subject is not the issuer name sought`;
      case 'loop':
        return 'refused: it is already in the path (a loop)';
      case 'depth limit':
        return 'refused: the path would exceed the depth limit';
      case 'search limit':
        return 'not tried: the search had used up its budget of candidates';
      case 'no path above':
        return 'refused: no issuer of its own leads to a trust anchor';
      case 'not needed':
        return 'not tried: an earlier candidate already gave a valid path';
      case 'not reached':
        return 'not tried: the verifier stopped before it';
      case 'invalid':
        return this.failureWords(v.failure, v.relation);
    }
  }

  private failureWords(failure: PathFailure, relation: 'itself' | 'signature' | 'above' | 'below'): string {
    const what = failure.check === 'validity' ? (failure.code === 'CERT_EXPIRED' ? 'expired' : 'not yet valid') : (CHECK_WORDS[failure.check] ?? failure.check);
    switch (relation) {
      case 'itself':
        return `refused, ${what}: ${failure.message}`;
      case 'signature':
        return `refused, bad signature: ${failure.message}`;
      case 'above':
        return `refused, the path above it failed (${what}): ${failure.message}`;
      case 'below':
        return `acceptable itself, but the path through it failed below it (${what}): ${failure.message}`;
    }
  }

  /** The peer's certificates that are not in `path`, and why. */
  private unusedSent(path: readonly CertificateRef[]): string[] {
    const used = new Set(path.map((c) => c.summary.fingerprint256));
    const out: string[] = [];
    for (const s of this.report.steps) {
      if (s.kind === 'ignored') out.push(`the ${this.peer}'s certificate ${s.index} (${s.reason === 'duplicate' ? 'a duplicate' : 'could not be parsed'})`);
    }
    const seen = new Set<string>();
    for (const s of this.report.steps) {
      if (s.kind !== 'issuer') continue;
      for (const c of s.candidates) {
        const fp = c.certificate.summary.fingerprint256;
        if (c.certificate.sentAs === undefined || used.has(fp) || seen.has(fp)) continue;
        if (c.verdict.reason === 'name mismatch' && s.candidates.some((o) => o !== c && o.certificate.summary.fingerprint256 === fp && o.verdict.reason !== 'name mismatch'))
          continue;
        seen.add(fp);
        out.push(
          `${this.candidateName(c)}, ${c.verdict.reason === 'name mismatch' ? `its subject is not the issuer of ${shortName(s.certificate.summary.subject)}` : this.verdictWords(c)}`,
        );
      }
    }
    return out;
  }

  private detail(step: ChainStep): Check[] {
    switch (step.kind) {
      case 'ignored':
        return [
          {
            ok: undefined,
            title: `The ${this.peer}'s certificate ${step.index} is left out`,
            lines: [{ label: 'why', text: step.reason === 'duplicate' ? 'it was sent twice (or is the leaf again)' : "it could not be parsed, so it cannot be anybody's issuer" }],
          },
        ];
      case 'anchor':
        return [
          {
            ok: undefined,
            title: `Certificate ${step.depth} ${shortName(step.certificate.summary.subject)} is itself a trust anchor`,
            lines: [{ label: 'so', text: 'the path ends with it (a pinned certificate)' }],
          },
        ];
      case 'issuer': {
        const taken = step.candidates.find((c) => c.verdict.taken);
        const lines: Line[] = [{ label: 'issuer sought', text: step.issuer }];
        step.candidates.forEach((c, i) => {
          lines.push({
            label: `${i + 1}. ${shortName(c.certificate.summary.subject)}`,
            text: `${c.source === 'peer' ? `sent by the ${this.peer} (certificate ${c.certificate.sentAs ?? '?'})` : 'from the trust store'}; ${KEY_ID_WORDS[c.keyIdentifier]}; ${this.verdictWords(c)}`,
          });
        });
        if (step.candidates.length === 0) lines.push({ label: 'candidates', text: 'none: no certificate sent and no trust anchor has that subject' });
        return [
          {
            ok: taken !== undefined,
            title: `Issuer of certificate ${step.depth} ${shortName(step.certificate.summary.subject)}: ${taken ? shortName(taken.certificate.summary.subject) : 'none acceptable'}`,
            lines,
          },
        ];
      }
      case 'path':
        return [
          {
            ok: step.failure === undefined,
            title: `Path validated (RFC 5280 §6.1): ${step.certificates.map((c) => shortName(c.summary.subject)).join(' ← ')}`,
            lines: step.failure
              ? [{ label: 'refused', text: `${step.failure.code} (${step.failure.check}) at certificate ${step.failure.depth}: ${step.failure.message}` }]
              : [{ label: 'result', text: 'every signature verifies, every certificate is within its validity period, the CAs may issue, key usages and constraints allow it' }],
          },
        ];
      case 'gave up':
        return [{ ok: false, title: `Stopped after ${step.paths} candidate paths`, lines: [] }];
      case 'identity':
        return [
          {
            ok: step.ok,
            title: `Identity: is the leaf valid for "${step.serverName}"? ${step.ok ? 'yes' : 'no'}`,
            lines: [
              {
                label: 'rule',
                text:
                  step.by === 'RFC 9525' ? 'RFC 9525: the name must be among the subjectAltName entries of its type; the subject CN is not used' : 'the checkServerIdentity hook',
              },
              ...(step.matched ? [{ label: 'matched', text: step.matched }] : []),
              ...(step.reason ? [{ label: 'reason', text: step.reason }] : []),
            ],
          },
        ];
      case 'verdict':
        return [];
    }
  }
}

const KEY_ID_WORDS: Record<Candidate['keyIdentifier'], string> = {
  matches: 'its subjectKeyIdentifier matches the authorityKeyIdentifier sought (tried first)',
  differs: 'its subjectKeyIdentifier is not the authorityKeyIdentifier sought (tried after those that match)',
  unknown: 'no key identifiers to compare',
};
