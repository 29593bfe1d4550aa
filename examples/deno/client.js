/**
 * TLS 1.3 in Deno over Deno.connect's Web Streams, with wiretls instead of Deno.connectTls
 * (for what the built-in does not give: your own verifier, PQ groups, exporters, a trace).
 *
 *   deno run --allow-net --allow-read examples/deno/client.js HOST PORT [SERVERNAME] [CA.pem]
 *
 * ('wiretls' resolves from the project's node_modules or an import map: npm:wiretls.)
 */
import { CipherSuite, NamedGroup, TrustStore, X509Verifier, connectStreams, webcryptoProvider } from 'wiretls';

const [host = '127.0.0.1', port = '8443', serverName = host, caFile] = Deno.args;
const nameOf = (table, value) => Object.keys(table).find((key) => table[key] === value) ?? value;
// Deno has no system store wiretls can read: give the trust anchors.
const trustStore = TrustStore.fromPem(await Deno.readTextFile(caFile ?? 'ca.pem'), caFile ?? 'ca.pem');

const conn = await Deno.connect({ hostname: host, port: Number(port) });
const tls = connectStreams(conn, { provider: webcryptoProvider(), serverName, verifier: new X509Verifier({ trustStore }) });
try {
  const session = await tls.handshake;
  console.error(`connected: ${nameOf(CipherSuite, session.cipherSuite)}, ${nameOf(NamedGroup, session.group)}`);
  const writer = tls.writable.getWriter();
  await writer.write(new TextEncoder().encode(`GET / HTTP/1.0\r\nHost: ${serverName}\r\n\r\n`));
  writer.releaseLock();
  // Ends at the server's close_notify; rejects with a TLSError if the connection is cut.
  await tls.readable.pipeTo(Deno.stdout.writable, { preventClose: true });
} catch (error) {
  console.error(`failed: ${error.code ?? ''} ${error.message}`);
  Deno.exitCode = 1;
} finally {
  await tls.close();
}
