import { createHash } from 'node:crypto';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/node/connect.js';
import type { TLSSocket } from '../../src/node/tls-socket.js';
import { ROOT_PEM, closeServer, dataBlock, drain, listen, serverPem, waitEvent } from './support.js';

/**
 * wiretls's connect() as the transport of real HTTP clients, against a node:https server
 * (OpenSSL inside node:tls) with the test PKI's ECDSA P-256 chain: node:https with
 * `createConnection`, an http.Agent that keeps connections alive, and undici's `connect` hook.
 */

const TIMEOUT = 15_000;
let server: https.Server;
let port: number;
/** How many TLS connections the server accepted, to tell reuse from reconnects. */
let tlsConnections = 0;

beforeAll(async () => {
  server = https.createServer({ ...serverPem('ecdsa-p256'), ALPNProtocols: ['http/1.1'] }, (req, res) => {
    if (req.method === 'POST') {
      // Answers with the size and hash of the body: the upload is checked byte for byte.
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
      return;
    }
    const size = Number(new URL(req.url ?? '/', 'https://x').searchParams.get('size') ?? 0);
    res.setHeader('x-protocol', (req.socket as import('node:tls').TLSSocket).getProtocol() ?? '');
    res.setHeader('x-alpn', String((req.socket as import('node:tls').TLSSocket).alpnProtocol));
    if (size > 0) res.end(dataBlock(0, size));
    else res.end(`hello ${req.url}`);
  });
  server.on('secureConnection', () => tlsConnections++);
  port = await listen(server);
});

afterAll(() => closeServer(server));

function wiretls(extra: Record<string, unknown> = {}): TLSSocket {
  return connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ROOT_PEM, ...extra });
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return drain(res).then((r) => r.text);
}

describe('connect() as the transport of node:https', () => {
  it(
    'serves as createConnection of a request',
    async () => {
      let socket: TLSSocket | undefined;
      const req = https.request({
        host: '127.0.0.1',
        port,
        path: '/direct',
        createConnection: () => (socket = wiretls({ ALPNProtocols: ['http/1.1'] })) as unknown as Duplex,
      });
      // http arms the socket's idle timeout on its 'connect' event while it is connecting.
      req.setTimeout(7000);
      req.end();
      const [res] = await waitEvent<[http.IncomingMessage]>(req, 'response');
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-protocol']).toBe('TLSv1.3');
      expect(res.headers['x-alpn']).toBe('http/1.1');
      expect(await readBody(res)).toBe('hello /direct');
      expect((socket!.transport as import('node:net').Socket).timeout).toBe(7000);
    },
    TIMEOUT,
  );

  it(
    'serves as createConnection of a keep-alive Agent: one TLS connection carries several requests, a large upload and download included',
    async () => {
      let opened = 0;
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      // http.Agent calls createConnection(options, callback) with host, port, servername...
      (agent as unknown as { createConnection: (options: { host: string; port: number }) => Duplex }).createConnection = (options) => {
        opened++;
        return connect({ host: options.host, port: Number(options.port), servername: 'localhost', ca: ROOT_PEM }) as unknown as Duplex;
      };
      const get = (path: string, body?: Buffer): Promise<{ status: number | undefined; body: string; bytes: number; sha256: string }> =>
        new Promise((resolve, reject) => {
          const req = https.request({ host: '127.0.0.1', port, path, agent, method: body ? 'POST' : 'GET' }, (res) => {
            drain(res).then((r) => resolve({ status: res.statusCode, body: r.text, bytes: r.bytes, sha256: r.sha256 }), reject);
          });
          req.on('error', reject);
          req.end(body);
        });
      try {
        const before = tlsConnections;
        expect(await get('/one')).toMatchObject({ status: 200, body: 'hello /one' });
        expect(await get('/two')).toMatchObject({ status: 200, body: 'hello /two' });
        const upload = dataBlock(3, 3 << 20);
        const answer = JSON.parse((await get('/upload', upload)).body) as { bytes: number; sha256: string };
        expect(answer).toEqual({ bytes: upload.length, sha256: createHash('sha256').update(upload).digest('hex') });
        const download = await get(`/download?size=${2 << 20}`);
        expect(download.bytes).toBe(2 << 20);
        expect(download.sha256).toBe(
          createHash('sha256')
            .update(dataBlock(0, 2 << 20))
            .digest('hex'),
        );
        expect(opened).toBe(1);
        expect(tlsConnections - before).toBe(1);
      } finally {
        agent.destroy();
      }
    },
    TIMEOUT,
  );
});

describe("connect() as undici's connect", () => {
  it(
    'answers requests through an undici Agent, reusing the connection',
    async () => {
      let opened = 0;
      const agent = new UndiciAgent({
        connections: 1,
        connect: (options, callback) => {
          opened++;
          const socket = connect({ host: options.hostname, port: Number(options.port), servername: 'localhost', ca: ROOT_PEM, ALPNProtocols: ['http/1.1'] });
          socket.once('secureConnect', () => callback(null, socket as unknown as import('node:net').Socket));
          socket.once('error', (error) => callback(error, null));
        },
      });
      try {
        for (const path of ['/a', '/b', '/c']) {
          const res = await undiciRequest(`https://127.0.0.1:${port}${path}`, { dispatcher: agent });
          expect(res.statusCode).toBe(200);
          expect(res.headers['x-alpn']).toBe('http/1.1');
          expect(await res.body.text()).toBe(`hello ${path}`);
        }
        const upload = dataBlock(5, 1 << 20);
        const res = await undiciRequest(`https://127.0.0.1:${port}/up`, { dispatcher: agent, method: 'POST', body: upload });
        expect(await res.body.json()).toEqual({ bytes: upload.length, sha256: createHash('sha256').update(upload).digest('hex') });
        expect(opened).toBe(1);
      } finally {
        await agent.close();
      }
    },
    TIMEOUT,
  );

  it(
    'reports a certificate failure to undici as the Error with the engine code',
    async () => {
      const agent = new UndiciAgent({
        connect: (options, callback) => {
          const socket = connect({ host: options.hostname, port: Number(options.port), servername: 'localhost' });
          socket.once('secureConnect', () => callback(null, socket as unknown as import('node:net').Socket));
          socket.once('error', (error) => callback(error, null));
        },
      });
      try {
        const failure = await undiciRequest(`https://127.0.0.1:${port}/`, { dispatcher: agent }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(Error);
        expect((failure as { code?: string }).code).toBe('CERT_UNTRUSTED');
      } finally {
        await agent.close();
      }
    },
    TIMEOUT,
  );
});
