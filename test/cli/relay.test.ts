import { createHash } from 'node:crypto';
import { type Server, type Socket, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Spawned } from '../helpers/processes.js';
import { payload } from '../transports/support.js';
import { ensureBuilt, expectOneLine, runCli, startCli, stopCliProcesses } from './cli.js';

/**
 * `wiretls relay` as a user runs it: spawned, driven by real WebSocket clients (the `ws`
 * package, as a page would be), forwarding to TCP servers of the test's own, stopped with
 * SIGTERM by PID. The SSRF guard is tested with a trap server that counts connections: a
 * refused request must not reach it.
 */

const servers: Server[] = [];
const allSockets: Socket[] = [];

beforeAll(ensureBuilt, 180_000);
afterAll(async () => {
  stopCliProcesses();
  for (const socket of allSockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

interface Relay {
  process: Spawned;
  port: number;
  url(to?: string): string;
  /** SIGTERM by PID; resolves with the exit status. */
  stop(): Promise<number | string>;
}

async function startRelay(args: string[]): Promise<Relay> {
  const process = startCli(['relay', '--listen', '127.0.0.1:0', ...args]);
  const match = await process.waitFor(/listening on 127\.0\.0\.1:(\d+)/, 20_000);
  const port = Number(match[1]);
  return {
    process,
    port,
    url: (to) => `ws://127.0.0.1:${port}/${to === undefined ? '' : `?to=${to}`}`,
    stop: () => {
      globalThis.process.kill(process.process.pid!, 'SIGTERM');
      return process.exited;
    },
  };
}

/** A TCP server on 127.0.0.1:0 that records its sockets; `onSocket` decides what they do (default: read and drop). */
async function tcpServer(onSocket: (socket: Socket) => void = (socket) => socket.resume()): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    allSockets.push(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, sockets };
}

/** How a WebSocket ended: its close code and reason (or that it never opened). */
function closed(ws: WebSocket, ms = 10_000): Promise<{ code: number; reason: string; opened: boolean }> {
  let opened = false;
  ws.on('open', () => (opened = true));
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`WebSocket still open after ${ms} ms`)), ms);
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString(), opened });
    });
  });
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('wiretls relay: usage', () => {
  it('--help prints the relay usage and exits 0', async () => {
    const result = await runCli(['relay', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/usage: wiretls relay --allow HOST:PORT/);
  });

  it.each([
    [[], /--allow HOST:PORT is required/],
    [['--allow', '127.0.0.1'], /"127\.0\.0\.1" is not HOST:PORT/],
    [['--allow', 'a.example:443@evil'], /is not HOST:PORT/],
    [['--allow', '::1:443'], /is not HOST:PORT/],
    [['--allow', 'a.example:0'], /is not HOST:PORT/],
    [['--allow', 'a.example:443', '--listen', 'nowhere'], /--listen: expected HOST:PORT/],
    [['--allow', 'a.example:443', '--idle-timeout', '0'], /--idle-timeout must be between/],
  ])('refuses %j with one line and status 1', async (args, message) => {
    const result = await runCli(['relay', ...(args as string[])]);
    expect(result.status).toBe(1);
    expect(expectOneLine(result.stderr)).toMatch(message as RegExp);
  });

  it('a port in use is one line and status 2', async () => {
    const { port } = await tcpServer();
    const result = await runCli(['relay', '--listen', `127.0.0.1:${port}`, '--allow', '127.0.0.1:1']);
    expect(result.status).toBe(2);
    expect(expectOneLine(result.stderr)).toMatch(/cannot listen on 127\.0\.0\.1:\d+/);
  });
});

describe('wiretls relay: forwarding', () => {
  it('relays 8 MiB each way, hash-checked, logs the connection and exits 0 on SIGTERM', async () => {
    const echo = await tcpServer((socket) => socket.pipe(socket));
    const relay = await startRelay(['--allow', `127.0.0.1:${echo.port}`]);
    const ws = new WebSocket(relay.url(`127.0.0.1:${echo.port}`));
    const end = closed(ws);
    await opened(ws);
    const data = payload(8 << 20, 5);
    const hash = createHash('sha256');
    let received = 0;
    const done = new Promise<void>((resolve) =>
      ws.on('message', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        if (received >= data.length) resolve();
      }),
    );
    for (let offset = 0; offset < data.length; offset += 64 * 1024) ws.send(data.subarray(offset, offset + 64 * 1024));
    await done;
    expect(received).toBe(data.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    ws.close(1000);
    expect((await end).code).toBe(1000);
    const line = await relay.process.waitFor(/127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+: .*\n/);
    expect(line[0]).toContain(`-> 127.0.0.1:${echo.port}: ${data.length} bytes up, ${data.length} bytes down`);
    expect(line[0]).toMatch(/\d+\.\d{3} s, client closed \(1000\)/);
    expect(await relay.stop()).toBe(0);
  });

  it('with one --allow entry, ?to= may be omitted; the destination closing closes the WebSocket with 1000', async () => {
    const hello = await tcpServer((socket) => socket.end('hello from tcp'));
    const relay = await startRelay(['--allow', `127.0.0.1:${hello.port}`]);
    const ws = new WebSocket(relay.url());
    const messages: Buffer[] = [];
    ws.on('message', (chunk: Buffer) => messages.push(chunk));
    const end = await closed(ws);
    expect(end.code).toBe(1000);
    expect(Buffer.concat(messages).toString()).toBe('hello from tcp');
    await relay.process.waitFor(/destination closed/);
    expect(await relay.stop()).toBe(0);
  });

  it('--json: one JSON object per line with peer, destination, bytes, duration and reason', async () => {
    const hello = await tcpServer((socket) => socket.end('0123456789'));
    const relay = await startRelay(['--json', '--allow', `127.0.0.1:${hello.port},127.0.0.1:1`]);
    const refused = new WebSocket(relay.url('127.0.0.1:2'));
    await closed(refused);
    const ws = new WebSocket(relay.url(`127.0.0.1:${hello.port}`));
    await closed(ws);
    await relay.process.waitFor(/"event":"connection".*\n/);
    expect(await relay.stop()).toBe(0);
    const records = relay.process
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records[0]).toMatchObject({ event: 'listening', address: `127.0.0.1:${relay.port}`, message: `listening on 127.0.0.1:${relay.port}` });
    expect(records[1]).toMatchObject({ event: 'refused', to: '127.0.0.1:2', reason: 'not in --allow' });
    expect(records[2]).toMatchObject({ event: 'connection', to: `127.0.0.1:${hello.port}`, bytesUp: 0, bytesDown: 10, reason: 'destination closed' });
    expect(records[2]!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(typeof records[2]!.durationMs).toBe('number');
  });

  it('an unreachable destination closes the WebSocket with 1011 and says why', async () => {
    const gone = await tcpServer();
    await new Promise((resolve) => gone.server.close(resolve));
    const relay = await startRelay(['--allow', `127.0.0.1:${gone.port}`]);
    const end = await closed(new WebSocket(relay.url()));
    expect(end).toMatchObject({ code: 1011, reason: 'cannot connect to destination: ECONNREFUSED' });
    await relay.process.waitFor(/cannot connect to destination: ECONNREFUSED/);
    expect(await relay.stop()).toBe(0);
  });

  it('a text message ends the connection with 1003', async () => {
    const sink = await tcpServer();
    const relay = await startRelay(['--allow', `127.0.0.1:${sink.port}`]);
    const ws = new WebSocket(relay.url());
    const end = closed(ws);
    await opened(ws);
    ws.send('GET / HTTP/1.0\r\n\r\n');
    expect((await end).code).toBe(1003);
    await relay.process.waitFor(/text message from the client/);
    expect(await relay.stop()).toBe(0);
  });

  it('a message over 1 MiB ends the connection with 1009 (messages are bounded too)', async () => {
    const sink = await tcpServer();
    const relay = await startRelay(['--allow', `127.0.0.1:${sink.port}`]);
    const ws = new WebSocket(relay.url());
    const end = closed(ws);
    await opened(ws);
    ws.send(new Uint8Array((1 << 20) + 1));
    expect((await end).code).toBe(1009);
    await relay.process.waitFor(/client error: Max payload size exceeded/);
    expect(await relay.stop()).toBe(0);
  });

  it('--idle-timeout: a silent connection is closed (1001) and logged', async () => {
    const sink = await tcpServer();
    const relay = await startRelay(['--idle-timeout', '1', '--allow', `127.0.0.1:${sink.port}`]);
    const started = Date.now();
    const end = await closed(new WebSocket(relay.url()), 10_000);
    expect(end).toMatchObject({ code: 1001, reason: 'idle timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await relay.process.waitFor(/idle timeout/);
    expect(await relay.stop()).toBe(0);
  });

  it('SIGTERM closes open connections (1001), logs them and exits 0', async () => {
    const sink = await tcpServer();
    const relay = await startRelay(['--allow', `127.0.0.1:${sink.port}`]);
    const ws = new WebSocket(relay.url());
    const end = closed(ws);
    await opened(ws);
    ws.send(Buffer.from('some bytes'));
    while (sink.sockets.length === 0) await sleep(10);
    const sinkClosed = new Promise((resolve) => sink.sockets[0]!.on('close', resolve));
    expect(await relay.stop()).toBe(0);
    expect(await end).toMatchObject({ code: 1001, reason: 'relay shutting down' });
    await sinkClosed;
    expect(relay.process.output()).toMatch(/10 bytes up, 0 bytes down, .* relay shutting down/);
  });
});

describe('wiretls relay: back-pressure', () => {
  it('a client that does not read stops the destination (bounded buffers), and nothing is lost', async () => {
    const SIZE = 48 << 20;
    const data = payload(SIZE, 9);
    let accepted = 0;
    const source = await tcpServer((socket) => {
      // Writes as fast as the relay takes it; `accepted` is what the kernel took.
      let offset = 0;
      const pump = (): void => {
        while (offset < SIZE) {
          const chunk = data.subarray(offset, offset + 256 * 1024);
          offset += chunk.length;
          const more = socket.write(chunk, () => (accepted += chunk.length));
          if (!more) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
    const relay = await startRelay(['--allow', `127.0.0.1:${source.port}`]);
    const ws = new WebSocket(relay.url());
    await opened(ws);
    // The client stops reading: its TCP window fills, then the relay's bufferedAmount, then
    // the relay pauses the destination and the destination's window fills.
    ws.pause();
    await sleep(1500);
    const stalled = accepted;
    expect(stalled).toBeLessThan(SIZE / 2);
    await sleep(500);
    expect(accepted - stalled).toBeLessThan(1 << 20);
    const hash = createHash('sha256');
    let received = 0;
    const done = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    ws.on('message', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
    });
    ws.resume();
    await done;
    expect(received).toBe(SIZE);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    process.stdout.write(`[relay] client paused: the destination got ${(stalled / 2 ** 20).toFixed(1)} MiB of 48 MiB out\n`);
    expect(await relay.stop()).toBe(0);
  }, 60_000);

  it('a destination that does not read stops the relay reading the WebSocket', async () => {
    const SIZE = 48 << 20;
    let sinkSocket: Socket | undefined;
    const sink = await tcpServer((socket) => {
      sinkSocket = socket;
      socket.pause();
    });
    const relay = await startRelay(['--allow', `127.0.0.1:${sink.port}`]);
    const ws = new WebSocket(relay.url());
    await opened(ws);
    const data = payload(SIZE, 11);
    for (let offset = 0; offset < SIZE; offset += 256 * 1024) ws.send(data.subarray(offset, offset + 256 * 1024));
    await sleep(2000);
    // What the relay took is what left the client's buffer: bounded by the kernel windows and
    // one message, far from 48 MiB.
    const taken = SIZE - ws.bufferedAmount;
    expect(taken).toBeLessThan(SIZE / 2);
    process.stdout.write(`[relay] destination paused: ${(taken / 2 ** 20).toFixed(1)} MiB of 48 MiB left the client\n`);
    const hash = createHash('sha256');
    let received = 0;
    const done = new Promise<void>((resolve) =>
      sinkSocket!.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        if (received === SIZE) resolve();
      }),
    );
    sinkSocket!.resume();
    await done;
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    ws.close(1000);
    expect(await relay.stop()).toBe(0);
  }, 60_000);
});

describe('wiretls relay: the SSRF guard', () => {
  it('refuses every destination not spelled exactly like an --allow entry, before any TCP connection', async () => {
    const trap = await tcpServer();
    const other = await tcpServer();
    const relay = await startRelay(['--allow', `localhost:${trap.port}`, '--allow', `127.0.0.1:${other.port}`]);
    const t = trap.port;
    const tricks = [
      `127.0.0.1:${t}`, // the same host under another name: not listed
      `LOCALHOST:${t}`, // different case
      `Localhost:${t}`,
      `localhost.:${t}`, // trailing dot
      `localhost:0${t}`, // leading zero
      `localhost:${t}@evil.example`, // userinfo-style trick
      `evil.example@localhost:${t}`,
      `localhost:${t}/path`,
      `localhost:${t}%00`,
      `localhost`, // missing port
      `localhost:`, // empty port
      `[::1]:${t}`, // IPv6 loopback: not listed
      `[::ffff:127.0.0.1]:${t}`,
      `[0:0:0:0:0:0:0:1]:${t}`,
      `::1:${t}`, // IPv6 without brackets
      `2130706433:${t}`, // 127.0.0.1 as an integer
      `0x7f.0.0.1:${t}`,
      `127.1:${t}`,
      ` localhost:${t}`,
      `localhost:${t} `,
      `localhost:${t + 65536}`, // port overflow
      `unlisted.example:${t}`, // a DNS name that is not listed
    ];
    for (const to of tricks) {
      const end = await closed(new WebSocket(relay.url(encodeURIComponent(to))));
      expect(end, to).toMatchObject({ code: 1008, reason: 'destination not allowed', opened: true });
    }
    // Two `to` parameters (even both allowed), and none with two entries.
    const twice = await closed(new WebSocket(`ws://127.0.0.1:${relay.port}/?to=localhost:${t}&to=127.0.0.1:${other.port}`));
    expect(twice.code).toBe(1008);
    const none = await closed(new WebSocket(relay.url()));
    expect(none.code).toBe(1008);
    await sleep(200);
    expect(trap.sockets).toHaveLength(0);
    expect(other.sockets).toHaveLength(0);
    const output = relay.process.output();
    expect(output.match(/ refused /g)).toHaveLength(tricks.length + 2);
    expect(output).toContain(`refused ${JSON.stringify(`localhost:${t}@evil.example`)}: not HOST:PORT`);
    expect(output).toContain(`refused "127.0.0.1:${t}": not in --allow`);
    expect(output).toContain('several "to" parameters');
    // Control: the exact spelling does reach the trap, so the zero above means refused.
    const ws = new WebSocket(relay.url(`localhost:${t}`));
    await opened(ws);
    while (trap.sockets.length === 0) await sleep(10);
    ws.close(1000);
    expect(await relay.stop()).toBe(0);
  }, 60_000);

  it('a refused request with a newline cannot forge a log line', async () => {
    const relay = await startRelay(['--allow', '127.0.0.1:1']);
    await closed(new WebSocket(relay.url(encodeURIComponent('x\n127.0.0.1:1 -> 127.0.0.1:1: 0 bytes up'))));
    await relay.process.waitFor(/refused/);
    expect(await relay.stop()).toBe(0);
    const lines = relay.process.output().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/refused "x\\n127/);
  });
});
