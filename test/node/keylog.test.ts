import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { cipherSuiteParams } from '../../src/crypto/suites.js';
import { trafficKeys } from '../../src/keyschedule.js';
import { CipherSuite, ContentType, HandshakeType, cipherSuiteName } from '../../src/registry.js';
import { connect } from '../../src/node/connect.js';
import { createServer } from '../../src/node/server.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { testProvider } from '../helpers/provider.js';
import { ROOT_PEM, closeServer, listen, serverPem, waitEvent } from './support.js';

/**
 * The 'keylog' event in the NSS key log format (what SSLKEYLOGFILE holds and Wireshark reads),
 * checked two ways: the lines equal node:tls's own key log for the same connection, and the
 * logged secrets decrypt the records actually captured on the wire (RFC 8446 §5.2/§7.3: key
 * and IV from the secret, nonce = IV xor sequence number, AAD = the record header).
 */

const TIMEOUT = 15_000;
const provider = testProvider();
const servers: import('node:net').Server[] = [];
afterAll(() => Promise.all(servers.map(closeServer)));

const LINE =
  /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) ([0-9a-f]{64}) ([0-9a-f]{64}|[0-9a-f]{96})\n$/;

type KeyLog = Map<string, { clientRandom: string; secret: Buffer }>;

function parseKeyLog(lines: Buffer[]): KeyLog {
  const log: KeyLog = new Map();
  for (const line of lines) {
    const match = LINE.exec(line.toString('latin1'));
    if (!match) expect.fail(`not an NSS key log line: ${JSON.stringify(line.toString('latin1'))}`);
    log.set(match[1]!, { clientRandom: match[2]!, secret: Buffer.from(match[3]!, 'hex') });
  }
  return log;
}

interface Record {
  type: number;
  header: Buffer;
  body: Buffer;
}

function splitRecords(bytes: Buffer): Record[] {
  const out: Record[] = [];
  for (let offset = 0; offset + 5 <= bytes.length; ) {
    const length = bytes.readUInt16BE(offset + 3);
    out.push({ type: bytes[offset]!, header: bytes.subarray(offset, offset + 5), body: bytes.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return out;
}

/** Opens one record with node:crypto, the key and IV derived from a logged secret. */
function openRecord(suiteCode: number, secret: Buffer, sequence: number, record: Record): { type: number; content: Buffer } {
  const suite = cipherSuiteParams.get(suiteCode)!;
  const { key, iv } = trafficKeys(provider, suite, new Uint8Array(secret));
  const nonce = Buffer.from(iv);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ sequence) >>> 0, 8);
  const algorithm = suite.aead === 'CHACHA20-POLY1305' ? 'chacha20-poly1305' : suite.aead.toLowerCase();
  const decipher = createDecipheriv(algorithm as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  decipher.setAAD(record.header);
  decipher.setAuthTag(record.body.subarray(record.body.length - 16));
  const inner = Buffer.concat([decipher.update(record.body.subarray(0, record.body.length - 16)), decipher.final()]);
  let end = inner.length - 1;
  while (end >= 0 && inner[end] === 0) end--;
  return { type: inner[end]!, content: inner.subarray(0, end) };
}

/**
 * Decrypts one direction of a captured connection: handshake keys until that side's
 * Finished, application keys after it. Returns the application data it carried.
 */
function decryptDirection(suite: number, captured: Buffer, handshakeSecret: Buffer, applicationSecret: Buffer): { appData: Buffer; handshakeTypes: number[] } {
  let secret = handshakeSecret;
  let sequence = 0;
  const appData: Buffer[] = [];
  const handshakeTypes: number[] = [];
  for (const record of splitRecords(captured)) {
    if (record.type !== ContentType.application_data) continue; // ServerHello, change_cipher_spec
    const { type, content } = openRecord(suite, secret, sequence++, record);
    if (type === ContentType.application_data) appData.push(content);
    if (type === ContentType.handshake) {
      handshakeTypes.push(content[0]!);
      // A Finished may share a record with nothing after it: the next record uses new keys.
      if (secret === handshakeSecret && content[0] === HandshakeType.finished) {
        secret = applicationSecret;
        sequence = 0;
      }
    }
  }
  return { appData: Buffer.concat(appData), handshakeTypes };
}

for (const suite of [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256]) {
  const suiteName = cipherSuiteName(suite);
  describe(`key log with ${suiteName}`, () => {
    it(
      "client: the 'keylog' lines equal node:tls's server key log and decrypt the captured records",
      async () => {
        const serverLines: Buffer[] = [];
        const server = tls.createServer({ ...serverPem('ecdsa-p256'), ciphers: suiteName }, (socket) => {
          socket.once('data', () => socket.end('the answer, encrypted'));
        });
        server.on('keylog', (line: Buffer) => serverLines.push(line));
        servers.push(server);
        const port = await listen(server);

        const clientLines: Buffer[] = [];
        // Our own TCP socket, so its 'data' events show the ciphertext (a socket connect() opens
        // itself reads into a shared buffer instead and emits none).
        const tcp = netConnect({ host: '127.0.0.1', port });
        const socket: TLSSocket = connect({ socket: tcp, servername: 'localhost', ca: ROOT_PEM, cipherSuites: [suite] });
        socket.on('keylog', (line: Buffer) => clientLines.push(line));
        const fromServer: Buffer[] = [];
        const fromClient: Buffer[] = [];
        socket.transport.on('data', (chunk: Buffer) => fromServer.push(chunk));
        const write = socket.transport.write.bind(socket.transport);
        socket.transport.write = ((chunk: Uint8Array, ...rest: never[]) => {
          fromClient.push(Buffer.from(chunk));
          return write(chunk, ...rest);
        }) as typeof socket.transport.write;
        const closed = waitEvent(socket, 'close');
        await waitEvent(socket, 'secureConnect');
        socket.write('the question, encrypted');
        const received: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        await closed;

        const log = parseKeyLog(clientLines);
        expect([...log.keys()].sort()).toEqual([
          'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
          'CLIENT_TRAFFIC_SECRET_0',
          'EXPORTER_SECRET',
          'SERVER_HANDSHAKE_TRAFFIC_SECRET',
          'SERVER_TRAFFIC_SECRET_0',
        ]);
        // The same connection, logged by OpenSSL on the other side: identical lines.
        expect(clientLines.map(String).sort()).toEqual(serverLines.map(String).sort());
        // The ClientHello.random that names the connection is the one we sent.
        const clientHello = splitRecords(Buffer.concat(fromClient))[0]!;
        expect(clientHello.body.subarray(6, 38).toString('hex')).toBe(log.get('CLIENT_TRAFFIC_SECRET_0')!.clientRandom);

        const down = decryptDirection(suite, Buffer.concat(fromServer), log.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')!.secret, log.get('SERVER_TRAFFIC_SECRET_0')!.secret);
        expect(down.handshakeTypes.slice(0, 4)).toEqual([HandshakeType.encrypted_extensions, HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished]);
        expect(down.appData.toString()).toBe('the answer, encrypted');
        expect(Buffer.concat(received).toString()).toBe('the answer, encrypted');
        const up = decryptDirection(suite, Buffer.concat(fromClient), log.get('CLIENT_HANDSHAKE_TRAFFIC_SECRET')!.secret, log.get('CLIENT_TRAFFIC_SECRET_0')!.secret);
        expect(up.handshakeTypes).toEqual([HandshakeType.finished]);
        expect(up.appData.toString()).toBe('the question, encrypted');
      },
      TIMEOUT,
    );
  });
}

describe('server key log', () => {
  it(
    "createServer's 'keylog' lines equal node:tls's client key log",
    async () => {
      const serverLines: Buffer[] = [];
      let lineSocket: unknown;
      const server = createServer(serverPem('ed25519'), (socket) => {
        socket.on('data', (chunk: Buffer) => socket.end(chunk));
      });
      server.on('keylog', (line: Buffer, socket: unknown) => {
        serverLines.push(line);
        lineSocket = socket;
      });
      servers.push(server);
      const port = await listen(server);
      const clientLines: Buffer[] = [];
      const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM });
      client.on('keylog', (line: Buffer) => clientLines.push(line));
      await waitEvent(client, 'secureConnect');
      client.write('x');
      await waitEvent(client, 'data');
      client.destroy();
      expect(parseKeyLog(serverLines).size).toBe(5);
      expect(serverLines.map(String).sort()).toEqual(clientLines.map(String).sort());
      expect(lineSocket).toBeDefined();
    },
    TIMEOUT,
  );
});

describe('SSLKEYLOGFILE', () => {
  it(
    'when set, connect() appends the same lines node:tls logs for the connection',
    async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'wiretls-keylog-')), 'keys.log');
      const serverLines: Buffer[] = [];
      const server = tls.createServer({ ...serverPem('ecdsa-p256'), minVersion: 'TLSv1.3' }, (socket) => socket.on('data', (chunk: Buffer) => socket.end(chunk)));
      server.on('keylog', (line: Buffer) => serverLines.push(line));
      servers.push(server);
      const port = await listen(server);
      const previous = process.env.SSLKEYLOGFILE;
      process.env.SSLKEYLOGFILE = file;
      try {
        const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, provider });
        await waitEvent(socket, 'secureConnect');
        socket.write('x');
        await waitEvent(socket, 'data');
        socket.destroy();
      } finally {
        if (previous === undefined) delete process.env.SSLKEYLOGFILE;
        else process.env.SSLKEYLOGFILE = previous;
      }
      const logged = readFileSync(file, 'latin1')
        .split(/(?<=\n)/)
        .filter((l) => l.length > 0);
      expect(logged).toHaveLength(5);
      expect([...logged].sort()).toEqual(serverLines.map((l) => l.toString('latin1')).sort());
    },
    TIMEOUT,
  );
});
