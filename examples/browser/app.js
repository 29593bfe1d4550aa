/**
 * TLS 1.3 from a web page: the page has no TCP, so it opens a WebSocket to `wiretls relay`,
 * which forwards the bytes to one allowed HOST:PORT. The relay only sees TLS records; the
 * certificate check and the keys stay in the page.
 *
 *   wiretls relay --listen 127.0.0.1:8080 --allow 127.0.0.1:8443
 *   npx esbuild examples/browser/app.js --bundle --format=esm --outfile=examples/browser/app.bundle.js
 *   open examples/browser/index.html?relay=ws://127.0.0.1:8080/&to=127.0.0.1:8443&servername=localhost&ca=ca.pem
 *
 * Query parameters: relay (WebSocket URL), to (HOST:PORT, as allowed on the relay),
 * servername (the name the certificate must carry), ca (URL of the PEM trust anchors: a page
 * has no system store), path (what to GET, default /).
 */
import { CipherSuite, NamedGroup, TrustStore, X509Verifier, connectStreams, webSocketStreams, webcryptoProvider } from 'wiretls';

const params = new URLSearchParams(location.search);
const relay = params.get('relay') ?? 'ws://127.0.0.1:8080/';
const to = params.get('to') ?? '127.0.0.1:8443';
const serverName = params.get('servername') ?? 'localhost';
const out = document.getElementById('out');
const show = (line) => (out.textContent += `${line}\n`);
const nameOf = (table, value) => Object.keys(table).find((key) => table[key] === value) ?? value;

async function main() {
  const ca = await (await fetch(params.get('ca') ?? 'ca.pem')).text();
  // The relay picks the destination from ?to=; it refuses (close code 1008) what it does not allow.
  const ws = new WebSocket(`${relay}?to=${encodeURIComponent(to)}`);
  const tls = connectStreams(webSocketStreams(ws), {
    provider: webcryptoProvider(),
    serverName,
    verifier: new X509Verifier({ trustStore: TrustStore.fromPem(ca, 'ca.pem') }),
  });
  const session = await tls.handshake;
  show(`connected to ${to} through ${relay}: ${nameOf(CipherSuite, session.cipherSuite)}, ${nameOf(NamedGroup, session.group)}`);

  const writer = tls.writable.getWriter();
  await writer.write(new TextEncoder().encode(`GET ${params.get('path') ?? '/'} HTTP/1.0\r\nHost: ${serverName}\r\n\r\n`));
  writer.releaseLock();
  // The answer ends with the server's close_notify; a cut connection rejects instead.
  const decoder = new TextDecoder();
  for await (const chunk of tls.readable) show(decoder.decode(chunk, { stream: true }));
  await tls.close();
  // For whoever drives the page (a test): what was negotiated.
  globalThis.exampleResult = { ok: true, cipherSuite: session.cipherSuite, group: session.group, text: out.textContent };
}

main().catch((error) => {
  // Every failure is a TLSError with a stable code (CERT_UNTRUSTED, ALERT_RECEIVED, CONNECTION_CLOSED...).
  show(`failed: ${error.code ?? ''} ${error.message}`);
  globalThis.exampleResult = { ok: false, code: error.code, message: error.message };
});
