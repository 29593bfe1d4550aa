/**
 * TLS 1.3 in Node over Web Streams: a net.Socket as {readable, writable} (Duplex.toWeb), the
 * same code path as Deno, Bun and Workers. (In Node, wiretls's connect() gives a TLSSocket
 * like node:tls's; this example is for code that wants one Web Streams version everywhere.)
 *
 *   node examples/node/client.mjs HOST PORT [SERVERNAME] [CA.pem]
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { CipherSuite, NamedGroup, TrustStore, X509Verifier, connectStreams, defaultProvider } from 'wiretls';

const [host = '127.0.0.1', port = '8443', serverName = host, caFile] = process.argv.slice(2);
const nameOf = (table, value) => Object.keys(table).find((key) => table[key] === value) ?? value;

const socket = connect({ host, port: Number(port) });
await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
const tls = connectStreams(Duplex.toWeb(socket), {
  provider: defaultProvider(), // node:crypto on Node
  serverName,
  // Without a CA file, Node's X509Verifier uses the system roots.
  verifier: caFile ? new X509Verifier({ trustStore: TrustStore.fromPem(readFileSync(caFile, 'utf8'), caFile) }) : new X509Verifier(),
});
try {
  const session = await tls.handshake;
  console.error(`connected: ${nameOf(CipherSuite, session.cipherSuite)}, ${nameOf(NamedGroup, session.group)}`);
  const writer = tls.writable.getWriter();
  await writer.write(new TextEncoder().encode(`GET / HTTP/1.0\r\nHost: ${serverName}\r\n\r\n`));
  writer.releaseLock();
  for await (const chunk of tls.readable) process.stdout.write(chunk);
} catch (error) {
  console.error(`failed: ${error.code ?? ''} ${error.message}`);
  process.exitCode = 1;
} finally {
  await tls.close();
}
