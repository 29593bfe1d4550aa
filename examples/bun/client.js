/**
 * TLS 1.3 in Bun with wiretls. Bun.connect is callback-based, so a few lines turn it into the
 * {readable, writable} pair connectStreams takes, with back-pressure: data waits in the
 * readable's queue, and a write that Bun only partly took waits for the drain event.
 *
 *   bun examples/bun/client.js HOST PORT [SERVERNAME] [CA.pem]
 */
import { CipherSuite, NamedGroup, TrustStore, X509Verifier, connectStreams, webcryptoProvider } from 'wiretls';

const [host = '127.0.0.1', port = '8443', serverName = host, caFile = 'ca.pem'] = process.argv.slice(2);
const nameOf = (table, value) => Object.keys(table).find((key) => table[key] === value) ?? value;

async function bunStreams(hostname, port) {
  let reader;
  let unsent; // what the socket did not take yet
  let drained;
  const readable = new ReadableStream({ start: (controller) => void (reader = controller) });
  const socket = await Bun.connect({
    hostname,
    port,
    socket: {
      data: (_, chunk) => reader.enqueue(new Uint8Array(chunk)),
      end: () => reader.close(),
      error: (_, error) => reader.error(error),
      drain: (s) => {
        if (unsent?.length) unsent = unsent.subarray(Math.max(0, s.write(unsent)));
        if (!unsent?.length) drained?.();
      },
    },
  });
  const writable = new WritableStream({
    async write(chunk) {
      const taken = socket.write(chunk);
      if (taken < 0) throw new Error('the socket is closed');
      unsent = chunk.subarray(taken);
      if (unsent.length > 0) await new Promise((resolve) => (drained = resolve));
    },
    close: () => void socket.end(),
    abort: () => void socket.terminate(),
  });
  return { readable, writable };
}

const tls = connectStreams(await bunStreams(host, Number(port)), {
  provider: webcryptoProvider(),
  serverName,
  verifier: new X509Verifier({ trustStore: TrustStore.fromPem(await Bun.file(caFile).text(), caFile) }),
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
