import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/explain/html.js';
import { renderText } from '../../src/explain/text.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { pkiPath } from '../helpers/fixtures.js';
import { explained } from './support.js';

/**
 * The chain as built, on the page: the verifier's report (traced as a 'chain' event, before
 * the verdict is acted on) shown in the certificate step, in HTML and as text, for a handshake
 * whose chain was good and for one whose chain led to no trust anchor.
 */

const esc = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
/** The text renderer wraps: compare with whitespace runs collapsed. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

function render(model: Parameters<typeof renderHtml>[0]) {
  return { html: renderHtml(model, { redact: false }), text: flat(renderText(model, { width: 100, colour: false, redact: false })) };
}

describe('explain: the chain as built', () => {
  it('a good chain: the path, why each issuer was taken, the name matched', async () => {
    const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem')), 'root.pem');
    const r = await explained({ client: { verifier: new X509Verifier({ trustStore }) } });
    expect(r.client.session?.authorized).toBe(true);
    const kinds = r.recorders.client.events.flatMap((e) => (e.kind === 'trace' && (e.event.kind === 'chain' || e.event.kind === 'verified') ? [e.event.kind] : []));
    expect(kinds.slice(0, 2)).toEqual(['chain', 'verified']);

    const model = r.model('client');
    const step = model.steps.find((s) => s.id === 'certificate')!;
    const path =
      'The client built this path from the server\'s certificate to a trust anchor: "wiretls test server (Ed25519)" (the server\'s certificate 0) ← ' +
      '"wiretls test intermediate CA" (the server\'s certificate 1) ← "wiretls test root CA" (trust anchor).';
    expect(step.summary.some((p) => p.startsWith(path))).toBe(true);
    const { html, text } = render(model);
    for (const sentence of [
      path,
      'Issuer of certificate 0 "wiretls test server (Ed25519)": "wiretls test intermediate CA"',
      'sent by the server (certificate 1); its subjectKeyIdentifier matches the authorityKeyIdentifier sought (tried first); taken: the path through it to a trust anchor is valid',
      'Issuer of certificate 1 "wiretls test intermediate CA": "wiretls test root CA"',
      'from the trust store; its subjectKeyIdentifier matches the authorityKeyIdentifier sought (tried first); taken: a trust anchor, and the path ending with it is valid',
      'The leaf is valid for "localhost" (its subjectAltName DNS:localhost matches), by the RFC 9525 rules.',
    ]) {
      expect(html).toContain(esc(sentence));
      expect(text).toContain(sentence);
    }
    expect(html).toContain('<details class="steps"><summary>Every step: 2 issuer searches, 1 path validated</summary>');
    // The server, which verified nothing, has no chain report.
    expect(r.recorders.server.events.some((e) => e.kind === 'trace' && e.event.kind === 'chain')).toBe(false);
  });

  it('a failed handshake: which certificate had no acceptable issuer, and why', async () => {
    // A trust store without the test root: the intermediate's issuer is nowhere.
    const trustStore = TrustStore.fromPem(readFileSync(pkiPath('server-ecdsa-p256.pem')), 'an unrelated certificate');
    const r = await explained({ client: { verifier: new X509Verifier({ trustStore }) }, expectFailure: true });
    expect(r.client.error?.code).toBe('CERT_UNTRUSTED');
    const kinds = r.recorders.client.events.flatMap((e) => (e.kind === 'trace' && ['chain', 'failed'].includes(e.event.kind) ? [e.event.kind] : []));
    expect(kinds).toEqual(['chain', 'failed']);

    const model = r.model('client');
    const step = model.steps.find((s) => s.id === 'certificate')!;
    const first =
      '"wiretls test server (Ed25519)" (the server\'s certificate 0) had no acceptable issuer. "wiretls test intermediate CA" (the server\'s certificate 1): refused: no issuer of its own leads to a trust anchor.';
    const why =
      '"wiretls test intermediate CA" (the server\'s certificate 1) has no issuer: nothing the server sent, and none of the client\'s trust anchors, has the subject "wiretls test root CA" that it names as its issuer.';
    expect(step.summary).toContain(first);
    const chain = step.items.find((i) => i.kind === 'chain');
    expect(chain).toMatchObject({ chain: { ok: false, title: "How the server's chain was built: no path to a trust anchor", plain: [first, why] } });
    const { html, text } = render(model);
    for (const sentence of [
      first,
      why,
      'Issuer of certificate 1 "wiretls test intermediate CA": none acceptable',
      'none: no certificate sent and no trust anchor has that subject',
    ]) {
      expect(html).toContain(esc(sentence));
      expect(text).toContain(sentence);
    }
    expect(html).toContain(`✗ ${esc("How the server's chain was built: no path to a trust anchor")}`);
    // And then the failure itself, with the verifier's message.
    expect(text).toContain(`The connection failed here: CERT_UNTRUSTED (unknown_ca)`);
  });
});
