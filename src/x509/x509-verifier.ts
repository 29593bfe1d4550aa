import { TLSError, asTLSError } from '../errors.js';
import { ParsedCertificate, bytesKey } from './certificate.js';
import { CertificateError } from './certificate-error.js';
import type { ChainRecorder } from './chain-report.js';
import { checkIdentity, matchingName } from './identity.js';
import { candidatePaths, type PathSearchReport } from './path.js';
import { WebCryptoSignatureChecker, type SignatureChecker } from './signature.js';
import type { TrustStore } from './truststore.js';
import { validatePath, type KeyPurpose } from './validate.js';
import type { CertificateVerifier, VerificationContext, VerificationResult } from './verifier.js';
import type { CertificateSummary } from './types.js';

export interface X509VerifierOptions {
  /**
   * Trust anchors. Required: the engine runs where there is no system store (browsers,
   * workers); the Node entry's X509Verifier defaults it to Node's bundled Mozilla roots.
   */
  trustStore: TrustStore | Promise<TrustStore>;
  /** Validation time when the context gives none; default: the clock at each verification. */
  now?: Date | (() => Date);
  /** Most certificates in a path, leaf and anchor included (default 10). */
  maxDepth?: number;
  /** RSA keys under this many bits are CERT_WEAK (default 2048). */
  minRsaBits?: number;
  /**
   * Parsed peer certificates kept for reuse, by exact DER (default 256): the same intermediates
   * and leaves come back on every connection, and parsing is most of the cost of a validation.
   * Signatures and every check are still done on each verification. 0 disables.
   */
  parsedCacheSize?: number;
  /** Signature arithmetic; default: a WebCryptoSignatureChecker shared by all verifiers. */
  signatureChecker?: SignatureChecker;
  /**
   * Replaces the RFC 9525 name check for server certificates (like node:tls's
   * checkServerIdentity): return an Error to reject, undefined to accept.
   */
  checkServerIdentity?: (serverName: string, leaf: CertificateSummary) => Error | undefined;
  /**
   * The last word on every verdict (like node:tls's rejectUnauthorized: false, but per
   * connection and with the details): return a result to replace the verdict, or undefined
   * to keep it. The original error stays available as `originalError`.
   */
  override?: (outcome: VerificationOutcome) => VerificationResult | undefined | Promise<VerificationResult | undefined>;
}

export interface VerificationOutcome {
  readonly result: VerificationResult;
  readonly context: VerificationContext;
  /** The peer's certificates as sent (the ones that could be parsed), leaf first. */
  readonly peerCertificates: readonly CertificateSummary[];
  /** The validated path, leaf first, trust anchor last, when one was found. */
  readonly path: readonly CertificateSummary[] | undefined;
}

/** A VerificationResult plus what a getPeerCertificate()/authorizationError API needs. */
export type X509VerificationResult = VerificationResult & {
  readonly peerCertificates: readonly CertificateSummary[];
  readonly path: readonly CertificateSummary[] | undefined;
  /** The verifier's own failure, kept when an override turned it into a success. */
  readonly originalError: TLSError | undefined;
};

/** What evaluate found, before the override hook and the observer see it. */
interface Evaluation {
  readonly result: VerificationResult;
  readonly peerCertificates: CertificateSummary[];
  readonly path: CertificateSummary[] | undefined;
}

/** The peer's certificates, parsed: the leaf, the others as candidate issuers, and all as sent. */
interface PeerChain {
  readonly leaf: ParsedCertificate;
  /** Candidate issuers: the parseable certificates after the leaf, without duplicates. */
  readonly pool: ParsedCertificate[];
  /** Position by position, undefined where a certificate did not parse. */
  readonly sent: (ParsedCertificate | undefined)[];
  readonly peerCertificates: CertificateSummary[];
}

const defaultChecker = new WebCryptoSignatureChecker();

/** Bounds on the path search (hostile peers can send many same-named certificates). */
const MAX_STEPS = 64;
const MAX_PATHS_VALIDATED = 8;

/**
 * The certificate verifier the handshake calls: path building (path.ts), RFC 5280 validation
 * (validate.ts) and, for servers, RFC 9525 identity (identity.ts). Server certificates are
 * checked for serverAuth, client certificates (mutual TLS) for clientAuth.
 *
 * The identity checked is context.serverName: the connection must pass the host it dialled
 * there, also when it is an IP literal (which RFC 6066 keeps out of SNI). Without a name only
 * the path is validated.
 */
export class X509Verifier implements CertificateVerifier {
  private readonly options: X509VerifierOptions;
  private readonly maxDepth: number;
  private readonly minRsaBits: number;
  private readonly checker: SignatureChecker;
  private store: Promise<TrustStore> | undefined;
  private readonly parsed = new Map<string, ParsedCertificate>();
  private readonly parsedCacheSize: number;

  constructor(options: X509VerifierOptions) {
    // Said now, at construction: found mid-handshake it could only be an internal failure.
    if (options?.trustStore === undefined) {
      throw new TLSError(
        'INVALID_ARGUMENT',
        'X509Verifier needs a trustStore: outside Node there is no system trust store. Pass trustStore: TrustStore.fromPem(<PEM of the CA certificates you trust>)',
      );
    }
    this.options = options;
    this.maxDepth = options.maxDepth ?? 10;
    this.minRsaBits = options.minRsaBits ?? 2048;
    this.checker = options.signatureChecker ?? defaultChecker;
    this.parsedCacheSize = options.parsedCacheSize ?? 256;
    if (this.maxDepth < 1) throw new TLSError('INVALID_ARGUMENT', 'maxDepth must be at least 1');
  }

  /**
   * Never rejects (the CertificateVerifier contract): a failure of our own, of the signature
   * checker or of a caller hook becomes an INTERNAL_ERROR verdict.
   */
  async verify(chain: readonly Uint8Array[], context: VerificationContext): Promise<X509VerificationResult> {
    // Only an observer pays for the report, and only it loads the code that builds one (a
    // bundler's separate chunk). Should that fail to load, the verdict stands without a report.
    const recorder = context.observe
      ? await import('./chain-report.js').then(
          (m) => new m.ChainRecorder(context.peerRole),
          () => undefined,
        )
      : undefined;
    let evaluated: Evaluation;
    try {
      evaluated = await this.evaluate(chain, context, recorder);
    } catch (error) {
      const failure = asTLSError(error);
      return this.observed(context, recorder, { ok: false, error: failure }, false, { peerCertificates: [], path: undefined, originalError: failure });
    }
    const { result, peerCertificates, path } = evaluated;
    let final: VerificationResult = result;
    if (this.options.override) {
      try {
        const replaced = await this.options.override({ result, context, peerCertificates, path });
        if (replaced) final = replaced;
      } catch (error) {
        final = { ok: false, error: asTLSError(error) };
      }
    }
    const originalError = result.ok ? undefined : result.error;
    return this.observed(context, recorder, final, final !== result, { peerCertificates, path, originalError });
  }

  /** Hands the observer its report; an observer that throws fails the verdict like a hook would. */
  private observed(
    context: VerificationContext,
    recorder: ChainRecorder | undefined,
    final: VerificationResult,
    overridden: boolean,
    details: Omit<X509VerificationResult, 'ok' | 'error'>,
  ): X509VerificationResult {
    if (context.observe && recorder) {
      const error = final.ok ? undefined : final.error;
      try {
        context.observe(recorder.finish({ ok: final.ok, code: error?.code, message: error?.message, overridden }));
      } catch (thrown) {
        return { ok: false, error: asTLSError(thrown), ...details };
      }
    }
    return { ...final, ...details };
  }

  /** The verifier's own verdict, before the override hook and the observer: parse, path, identity. */
  private async evaluate(chain: readonly Uint8Array[], context: VerificationContext, recorder: ChainRecorder | undefined): Promise<Evaluation> {
    const failure = (error: CertificateError, peerCertificates: CertificateSummary[], path?: CertificateSummary[]): Evaluation => {
      error.peerCertificates = peerCertificates;
      return { result: { ok: false, error }, peerCertificates, path };
    };
    if (chain.length === 0) {
      return failure(
        new CertificateError('CERT_INVALID', 'empty', `the ${context.peerRole} sent no certificate`, {
          alert: context.peerRole === 'client' ? 'certificate_required' : 'decode_error',
        }),
        [],
      );
    }
    // 1. Parse what the peer sent.
    const peer = this.parsePeerChain(chain, context, recorder);
    if (peer instanceof CertificateError) return failure(peer, []);
    const { peerCertificates } = peer;
    // 2. Build candidate paths and validate them in turn; the first valid one wins.
    const valid = await this.findValidPath(chain, peer, context, recorder);
    if (valid instanceof CertificateError) return failure(valid, peerCertificates);
    const path = valid.map((c) => c.summary);
    // 3. The service identity (servers only; mutual TLS has no reference name for clients).
    const mismatch = this.checkPeerIdentity(peer.leaf, context, recorder);
    if (mismatch) return failure(mismatch, peerCertificates, path);
    return { result: { ok: true }, peerCertificates, path };
  }

  /**
   * The leaf must parse; extra certificates that do not are ignored, as they cannot be anybody's
   * issuer, and so are duplicates (by fingerprint, the leaf included).
   */
  private parsePeerChain(chain: readonly Uint8Array[], context: VerificationContext, recorder: ChainRecorder | undefined): PeerChain | CertificateError {
    let leaf: ParsedCertificate;
    try {
      leaf = this.parse(chain[0]!);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return new CertificateError('CERT_INVALID', 'parse', `the ${context.peerRole}'s certificate (certificate 0) ${detail}`, { depth: 0, cause: error });
    }
    const peerCertificates = [leaf.summary];
    const pool: ParsedCertificate[] = [];
    const sent: (ParsedCertificate | undefined)[] = [leaf];
    const seen = new Set<string>();
    for (const [i, der] of chain.entries()) {
      if (i === 0) continue;
      try {
        const cert = this.parse(der);
        peerCertificates.push(cert.summary);
        sent.push(cert);
        const key = cert.summary.fingerprint256;
        if (seen.has(key) || key === leaf.summary.fingerprint256) {
          recorder?.ignored(i, 'duplicate');
          continue;
        }
        seen.add(key);
        pool.push(cert);
      } catch {
        sent.push(undefined);
        recorder?.ignored(i, 'unparseable');
      }
    }
    return { leaf, pool, sent, peerCertificates };
  }

  /** The first candidate path that validates, else the first path's failure or why none was found. */
  private async findValidPath(
    chain: readonly Uint8Array[],
    { leaf, pool, sent }: PeerChain,
    context: VerificationContext,
    recorder: ChainRecorder | undefined,
  ): Promise<ParsedCertificate[] | CertificateError> {
    const store = await (this.store ??= Promise.resolve(this.options.trustStore));
    const now = context.now ?? (typeof this.options.now === 'function' ? this.options.now() : this.options.now) ?? new Date();
    const purpose: KeyPurpose = context.peerRole === 'server' ? 'serverAuth' : 'clientAuth';
    const report: PathSearchReport = { deadEnd: [leaf], depthLimited: false, stepsExhausted: false };
    const signatureMemo = new WeakMap();
    let firstError: CertificateError | undefined;
    let attempts = 0;
    recorder?.begin(sent, pool, store);
    for (const candidate of candidatePaths(leaf, pool, store, { maxDepth: this.maxDepth, maxSteps: MAX_STEPS }, report, recorder)) {
      const error = await validatePath(candidate, { now, purpose, checker: this.checker, minRsaBits: this.minRsaBits, signatureMemo });
      recorder?.path(candidate, error);
      if (!error) return candidate;
      firstError ??= error;
      if (++attempts >= MAX_PATHS_VALIDATED) {
        recorder?.gaveUp(attempts);
        break;
      }
    }
    return firstError ?? untrusted(report, chain.length, store, this.maxDepth);
  }

  /** RFC 9525 (or the caller's checkServerIdentity) for a server's leaf, when a name was asked for. */
  private checkPeerIdentity(leaf: ParsedCertificate, context: VerificationContext, recorder: ChainRecorder | undefined): CertificateError | undefined {
    if (context.peerRole !== 'server' || context.serverName === undefined || context.serverName === '') return undefined;
    const error = this.identityError(leaf, context.serverName);
    recorder?.identity(context.serverName, error === undefined, {
      by: this.options.checkServerIdentity ? 'checkServerIdentity' : 'RFC 9525',
      ...(error ? { reason: error.message } : this.options.checkServerIdentity ? {} : { matched: matchingName(leaf, context.serverName) }),
    });
    return error;
  }

  private parse(der: Uint8Array): ParsedCertificate {
    if (this.parsedCacheSize === 0) return new ParsedCertificate(der);
    const key = bytesKey(der);
    let cert = this.parsed.get(key);
    if (cert) {
      this.parsed.delete(key); // re-inserted below: Map order is the LRU order
    } else {
      // Our own copy: the caller's buffer may be reused for the next record.
      cert = new ParsedCertificate(new Uint8Array(der));
    }
    this.parsed.set(key, cert);
    if (this.parsed.size > this.parsedCacheSize) this.parsed.delete(this.parsed.keys().next().value!);
    return cert;
  }

  private identityError(leaf: ParsedCertificate, serverName: string): CertificateError | undefined {
    if (this.options.checkServerIdentity) {
      const error = this.options.checkServerIdentity(serverName, leaf.summary);
      if (!error) return undefined;
      if (error instanceof CertificateError) return error;
      return new CertificateError('CERT_HOSTNAME_MISMATCH', 'identity', error.message, { depth: 0, certificate: leaf.summary, cause: error });
    }
    const mismatch = checkIdentity(leaf, serverName);
    if (!mismatch) return undefined;
    return new CertificateError('CERT_HOSTNAME_MISMATCH', 'identity', `certificate 0 (leaf) "${leaf.subject}" is not valid for "${serverName}": ${mismatch.reason}`, {
      depth: 0,
      certificate: leaf.summary,
    });
  }
}

function untrusted(report: PathSearchReport, sent: number, store: TrustStore, maxDepth: number): CertificateError {
  if (report.stepsExhausted) {
    return new CertificateError('CERT_UNTRUSTED', 'path', `gave up building a path after ${MAX_STEPS} candidate issuers (the peer sent ${sent} certificates)`);
  }
  if (report.depthLimited) {
    return new CertificateError('CERT_UNTRUSTED', 'depth', `no path to a trust anchor within the depth limit of ${maxDepth} certificates`);
  }
  const last = report.deadEnd[report.deadEnd.length - 1]!;
  const index = report.deadEnd.length - 1;
  const options = { depth: index, certificate: last.summary };
  if (last.selfIssued) {
    const what = index === 0 ? `the peer's certificate "${last.subject}" is self-signed` : `the chain ends at self-signed "${last.subject}"`;
    return new CertificateError('CERT_UNTRUSTED', 'path', `${what} and is not a trust anchor (trust store: ${store.description})`, options);
  }
  return new CertificateError(
    'CERT_UNTRUSTED',
    'path',
    `incomplete chain: no issuer "${last.issuer}" of certificate ${index} "${last.subject}" among the ${sent} certificate(s) the peer sent ` +
      `or the trust anchors (${store.description}); the peer must send its intermediate certificates (missing issuers are not fetched)`,
    options,
  );
}
