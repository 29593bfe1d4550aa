/**
 * TLS 1.3 from a Cloudflare Worker with raw TCP: connect() from 'cloudflare:sockets' gives a
 * socket with Web Streams, and wiretls runs TLS over them (with your own trust anchors, PQ
 * groups, exporters... which the socket's built-in startTls() does not offer).
 *
 *   wrangler.toml:  main = "examples/cloudflare-worker/worker.js"
 *                   [vars] TLS_HOST = "db.example.com"  TLS_PORT = "443"  TLS_SERVERNAME = "db.example.com"
 *                   CA_PEM = the trust anchors (PEM): a Worker has no system store
 *   wrangler dev (or workerd serve), then: curl http://127.0.0.1:8787/
 */
import { connect } from 'cloudflare:sockets';
import { CipherSuite, NamedGroup, TLSError, TrustStore, X509Verifier, connectStreams, webcryptoProvider } from 'wiretls';

const nameOf = (table, value) => Object.keys(table).find((key) => table[key] === value) ?? value;

export default {
  async fetch(request, env) {
    const hostname = env.TLS_HOST ?? '127.0.0.1';
    const port = Number(env.TLS_PORT ?? 8443);
    const serverName = env.TLS_SERVERNAME ?? hostname;
    const socket = connect({ hostname, port });
    try {
      const tls = connectStreams(socket, {
        provider: webcryptoProvider(),
        serverName,
        verifier: new X509Verifier({ trustStore: TrustStore.fromPem(env.CA_PEM, 'CA_PEM') }),
      });
      const session = await tls.handshake;
      const writer = tls.writable.getWriter();
      await writer.write(new TextEncoder().encode(`GET ${new URL(request.url).pathname} HTTP/1.0\r\nHost: ${serverName}\r\n\r\n`));
      writer.releaseLock();
      // Stream the server's answer straight into the Response (back-pressure reaches the
      // socket); once it ended with the server's close_notify, close our side and the socket.
      const body = tls.readable.pipeThrough(new TransformStream({ flush: () => void tls.close() }));
      return new Response(body, {
        headers: { 'x-tls': `${nameOf(CipherSuite, session.cipherSuite)} ${nameOf(NamedGroup, session.group)}` },
      });
    } catch (error) {
      await socket.close().catch(() => undefined);
      const code = error instanceof TLSError ? error.code : 'ERROR';
      return new Response(`TLS to ${hostname}:${port} failed: ${code}: ${error.message}\n`, { status: 502 });
    }
  },
};
