import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble/index.js';
import { NamedGroup, SignatureScheme } from '../../src/registry.js';
import { bytesToHex, concatBytes, utf8 } from '../../src/wire/bytes.js';
import { hex, vectors } from './helpers.js';

/**
 * The provider against RFC 8448 §3 (Simple 1-RTT Handshake): injected ephemeral keys reproduce
 * the trace's key shares and shared secret, and the trace's CertificateVerify (RSA-PSS over a
 * 1024-bit rsaEncryption key) verifies.
 */
const { section3_x25519: keys } = vectors<{ section3_x25519: Record<string, string> }>('rfc8448-keys.json');
const messages = JSON.parse(readFileSync(new URL('../../test-vectors/messages/rfc8448.json', import.meta.url), 'utf8')) as {
  section3_simple_1rtt: Record<string, string>;
};
const trace = (name: string) => hex(messages.section3_simple_1rtt[name]!);

describe('RFC 8448 §3 with injected ephemeral keys', () => {
  it('client and server x25519 shares and the (EC)DHE secret match the trace', () => {
    const client = nobleProvider({ ephemeralPrivateKeys: new Map([[NamedGroup.x25519, hex(keys.client_private!)]]) });
    const server = nobleProvider({ ephemeralPrivateKeys: new Map([[NamedGroup.x25519, hex(keys.server_private!)]]) });
    const share = client.keyExchange(NamedGroup.x25519)!.generate();
    expect(bytesToHex(share.publicKey)).toBe(keys.client_public);
    expect(bytesToHex(trace('clientHello'))).toContain(keys.client_public);
    const answer = server.keyExchange(NamedGroup.x25519)!.respond(share.publicKey);
    expect(bytesToHex(answer.publicKey)).toBe(keys.server_public);
    expect(bytesToHex(trace('serverHello'))).toContain(keys.server_public);
    expect(bytesToHex(answer.sharedSecret)).toBe(keys.shared);
    expect(bytesToHex(share.complete(answer.publicKey))).toBe(keys.shared);
  });

  it("the server's CertificateVerify (rsa_pss_rsae_sha256) verifies under its certificate's key", async () => {
    const provider = nobleProvider();
    // Certificate: type(1) length(3) context<0..255> certificate_list<u24>: cert_data<u24> ...
    const certificate = trace('certificate');
    const contextLength = certificate[4]!;
    const firstEntry = 4 + 1 + contextLength + 3;
    const certLength = (certificate[firstEntry]! << 16) | (certificate[firstEntry + 1]! << 8) | certificate[firstEntry + 2]!;
    const certDer = certificate.subarray(firstEntry + 3, firstEntry + 3 + certLength);
    const spki = new Uint8Array(new X509Certificate(Buffer.from(certDer)).publicKey.export({ type: 'spki', format: 'der' }));

    // CertificateVerify: type(1) length(3) scheme(2) signature<u16>
    const certificateVerify = trace('certificateVerify');
    const scheme = (certificateVerify[4]! << 8) | certificateVerify[5]!;
    expect(scheme).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    const signature = certificateVerify.subarray(8);

    // RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, Transcript-Hash(CH..Certificate).
    const transcript = provider.hash('sha256');
    for (const name of ['clientHello', 'serverHello', 'encryptedExtensions', 'certificate']) transcript.update(trace(name));
    const content = concatBytes(new Uint8Array(64).fill(0x20), utf8('TLS 1.3, server CertificateVerify'), new Uint8Array(1), transcript.digest());

    expect(await provider.verify(SignatureScheme.rsa_pss_rsae_sha256, spki, content, signature)).toBe(true);
    content[content.length - 1]! ^= 1;
    expect(await provider.verify(SignatureScheme.rsa_pss_rsae_sha256, spki, content, signature)).toBe(false);
  });
});
