/**
 * Chain validation of a 3-certificate path (leaf, intermediate sent by the peer, root in the
 * trust store), as the handshake does it for every server Certificate message.
 *
 *   npx vitest bench --run bench/x509-chain.bench.ts
 *
 * warm: one X509Verifier for all runs: the root is parsed once, the issuer keys are imported
 *       into WebCrypto once and the peer's certificates are parsed once (the steady state of
 *       a client talking to the same servers); both signatures are still verified each run.
 * warm, no parse cache: as warm but the peer's two certificates are parsed on every run
 *       (a client meeting new servers under known CAs).
 * cold: a new trust store, signature checker and verifier per run: every run parses the root
 *       and imports both issuer keys (the first connection of a process).
 * node:crypto: X509Certificate parse + two signature checks + checkIssued + checkHost + dates,
 *       the native floor for the same work (not a full RFC 5280 validation).
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { bench, describe } from 'vitest';
import { WebCryptoSignatureChecker } from '../src/x509/signature.js';
import { TrustStore, X509Verifier, loadCertificates } from '../src/x509/index.js';

const text = (file: string) => readFileSync(new URL(`../test-vectors/pki/${file}`, import.meta.url), 'utf8');
const rootPem = text('root.pem');
const context = { peerRole: 'server' as const, serverName: 'localhost' };

for (const name of ['server-ecdsa-p256', 'server-rsa2048', 'server-ed25519']) {
  const chain = loadCertificates(text(`${name}-chain.pem`), name);
  const warm = new X509Verifier({ trustStore: TrustStore.fromPem(rootPem, 'root.pem'), signatureChecker: new WebCryptoSignatureChecker() });
  const warmNoParseCache = new X509Verifier({
    trustStore: TrustStore.fromPem(rootPem, 'root.pem'),
    signatureChecker: new WebCryptoSignatureChecker(),
    parsedCacheSize: 0,
  });
  const warmSystem = new X509Verifier({
    trustStore: TrustStore.combine(TrustStore.fromPem(rootCertificates, 'system'), TrustStore.fromPem(rootPem, 'root.pem')),
    signatureChecker: new WebCryptoSignatureChecker(),
  });
  const mustPass = (r: { ok: boolean }) => {
    if (!r.ok) throw new Error('benchmark chain did not validate');
  };
  const leafPem = text(`${name}.pem`);
  const intermediatePem = text('intermediate.pem');

  describe(`3-certificate chain, ${name} leaf (ECDSA P-256 intermediate and root)`, () => {
    bench('wiretls warm (root parsed, issuer keys cached)', async () => {
      mustPass(await warm.verify(chain, context));
    });
    bench('wiretls warm, peer certificates parsed each run', async () => {
      mustPass(await warmNoParseCache.verify(chain, context));
    });
    bench('wiretls warm, system roots + test root in the store', async () => {
      mustPass(await warmSystem.verify(chain, context));
    });
    bench('wiretls cold (new store, checker and verifier each run)', async () => {
      const verifier = new X509Verifier({ trustStore: TrustStore.fromPem(rootPem, 'root.pem'), signatureChecker: new WebCryptoSignatureChecker() });
      mustPass(await verifier.verify(chain, context));
    });
    bench('wiretls cold with system roots (re-index ~145 roots each run)', async () => {
      const store = TrustStore.combine(TrustStore.fromPem(rootCertificates, 'system'), TrustStore.fromPem(rootPem, 'root.pem'));
      const verifier = new X509Verifier({ trustStore: store, signatureChecker: new WebCryptoSignatureChecker() });
      mustPass(await verifier.verify(chain, context));
    });
    bench('node:crypto X509Certificate (parse, 2 signatures, issuer, host, dates)', () => {
      const leaf = new X509Certificate(leafPem);
      const intermediate = new X509Certificate(intermediatePem);
      const root = new X509Certificate(rootPem);
      const now = Date.now();
      const ok =
        leaf.checkIssued(intermediate) &&
        intermediate.checkIssued(root) &&
        leaf.verify(intermediate.publicKey) &&
        intermediate.verify(root.publicKey) &&
        leaf.checkHost('localhost') !== undefined &&
        [leaf, intermediate, root].every((c) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo));
      if (!ok) throw new Error('node:crypto reference failed');
    });
  });
}
