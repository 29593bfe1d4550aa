import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/connection.js';
import { connect } from '../../src/node/connect.js';
import { TLSSocket } from '../../src/node/tls-socket.js';
import { loadServerCertificates } from '../../src/node/credentials.js';
import { testProvider } from '../helpers/provider.js';
import { ROOT_PEM, drain, expectedHash, sendBlocks, serverPem, sleep } from './support.js';

/**
 * TLS over a transport that is not a TCP socket. This one hands each written chunk to the
 * other end by reference and reports it written at once, as in-memory pipes and message
 * queues do: the bytes of a chunk stay in use after its write callback, until the reader gets
 * to them. Nothing the TLS layer wrote may change under it in the meantime.
 */
function referencePassingPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        other().push(chunk);
        callback();
      },
      final(callback) {
        other().push(null);
        callback();
      },
    });
  ends.push(
    make(() => ends[1]!),
    make(() => ends[0]!),
  );
  return [ends[0]!, ends[1]!];
}

describe('TLSSocket over a transport that keeps written chunks by reference', () => {
  it('delivers 8 MiB intact to a reader that lags behind the writer', async () => {
    const provider = testProvider();
    const [clientSide, serverSide] = referencePassingPair();
    const { cert, key } = serverPem('ecdsa-p256');
    const server = new TLSSocket(serverSide);
    server.attach(new ServerConnection({ provider, certificates: await loadServerCertificates(provider, cert, key) }));
    const client = connect({ socket: clientSide, servername: 'localhost', ca: ROOT_PEM, provider });
    await new Promise((resolve, reject) => {
      client.once('secureConnect', resolve);
      client.once('error', reject);
    });
    const total = 8 * 2 ** 20;
    // The reader starts late: meanwhile the writer runs ahead as far as the pipe lets it.
    server.pause();
    const sending = sendBlocks(client, total, { blockSize: 64 * 1024 });
    await sleep(200);
    const received = drain(server);
    server.resume();
    const failed = new Promise<never>((_, reject) => {
      client.once('error', reject);
      server.once('error', reject);
    });
    const { bytes, sha256 } = await Promise.race([received, failed]);
    await sending;
    expect(bytes).toBe(total);
    expect(sha256).toBe(expectedHash(total, 64 * 1024));
    client.destroy();
    server.destroy();
  }, 30_000);
});
