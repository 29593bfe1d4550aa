import { describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { acceptStreams, connectStreams } from '../../src/transports/web-streams.js';
import { webSocketStreams } from '../../src/transports/websocket.js';
import { clientConfig, serverConfig } from '../interop/openssl.js';
import { FakeWebSocket, fakeWebSocketPair } from './fake-websocket.js';
import { payload, readAll, rejection, sha256, sleep, within, writeAll } from './support.js';

/**
 * webSocketStreams over a fake WHATWG WebSocket: open, binary messages both ways, the close
 * codes that mean an end and those that mean an error, text frames, bufferedAmount
 * back-pressure, pause/resume where the socket has them, and TLS over a pair of them.
 */

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

describe('webSocketStreams', () => {
  it('waits for open, sets binaryType, and carries binary messages both ways as bytes', async () => {
    const { a, b } = fakeWebSocketPair();
    const streams = webSocketStreams(a);
    expect(a.binaryType).toBe('arraybuffer');
    b.binaryType = 'arraybuffer';
    const received: Uint8Array[] = [];
    b.addEventListener('message', (event) => received.push(new Uint8Array(event.data as ArrayBuffer)));
    const writer = streams.writable.getWriter();
    let written = false;
    const write = writer.write(bytes('early')).then(() => (written = true));
    await sleep(20);
    // Still CONNECTING: nothing sent (a WHATWG send() would throw here).
    expect(written).toBe(false);
    a.open();
    b.open();
    await write;
    await sleep(10);
    expect(received.map(text)).toEqual(['early']);
    b.send(bytes('answer'));
    const reader = streams.readable.getReader();
    const { value } = await reader.read();
    expect(value).toBeInstanceOf(Uint8Array);
    expect(text(value!)).toBe('answer');
  });

  it('a close with 1000 (or no status) ends the readable; later writes fail with CONNECTION_CLOSED', async () => {
    for (const code of [1000, undefined]) {
      const { a, b } = fakeWebSocketPair();
      a.open();
      b.open();
      const streams = webSocketStreams(a);
      b.send(bytes('last words'));
      b.close(code);
      const { data } = await readAll(streams.readable, 5_000);
      expect(text(data)).toBe('last words');
      const error = await rejection(streams.writable.getWriter().write(bytes('x')));
      expect(error).toBeInstanceOf(TLSError);
      expect(error.code).toBe('CONNECTION_CLOSED');
      // Its listeners are gone: nothing keeps the adapter alive.
      expect(a.listenerCount()).toBe(0);
    }
  });

  it('any other close code is an error naming the code and the reason (the relay refusing: 1008)', async () => {
    const { a, b } = fakeWebSocketPair();
    a.open();
    b.open();
    const streams = webSocketStreams(a);
    b.close(1008, 'destination not allowed');
    const error = await rejection(readAll(streams.readable));
    expect(error).toBeInstanceOf(TLSError);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.message).toBe('the WebSocket closed with code 1008: destination not allowed');
    await expect(rejection(streams.writable.getWriter().write(bytes('x')))).resolves.toBe(error);
  });

  it('a socket that fails before it opens: CONNECT_FAILED on both streams', async () => {
    const { a } = fakeWebSocketPair();
    const streams = webSocketStreams(a);
    const write = streams.writable.getWriter().write(bytes('hello'));
    a.drop();
    const error = await rejection(write);
    expect(error.code).toBe('CONNECT_FAILED');
    expect(error.message).toMatch(/connection reset/);
    await expect(rejection(streams.readable.getReader().read())).resolves.toBe(error);
  });

  it('a socket already closed is refused with CONNECT_FAILED', async () => {
    const { a } = fakeWebSocketPair();
    a.readyState = 3;
    const streams = webSocketStreams(a);
    const error = await rejection(streams.readable.getReader().read());
    expect(error.code).toBe('CONNECT_FAILED');
  });

  it('an abrupt drop after open is CONNECTION_CLOSED', async () => {
    const { a, b } = fakeWebSocketPair();
    a.open();
    b.open();
    const streams = webSocketStreams(a);
    a.drop();
    const error = await rejection(streams.readable.getReader().read());
    expect(error.code).toBe('CONNECTION_CLOSED');
  });

  it('an error event waits for the close event, whose code and reason lead the message', async () => {
    const { a, b } = fakeWebSocketPair();
    a.open();
    b.open();
    const streams = webSocketStreams(a);
    a.emit('error', { message: 'write EPIPE' });
    a.emit('close', { code: 1008, reason: 'destination not allowed' });
    const error = await rejection(streams.readable.getReader().read());
    expect(error.message).toBe('the WebSocket closed with code 1008: destination not allowed (the WebSocket failed: write EPIPE)');
    // An error with no close after it still ends the streams.
    const lone = fakeWebSocketPair();
    lone.a.open();
    const alone = webSocketStreams(lone.a);
    lone.a.emit('error', {});
    expect((await rejection(alone.readable.getReader().read(), 5_000)).message).toBe('the WebSocket failed');
  });

  it('a text message is not part of the byte stream: error, and the socket is closed (4000)', async () => {
    const { a, b } = fakeWebSocketPair();
    a.open();
    b.open();
    const streams = webSocketStreams(a);
    a.receive('GET / HTTP/1.1');
    const error = await rejection(streams.readable.getReader().read());
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.message).toMatch(/text message/);
    expect(a.closeCalls).toEqual([{ code: 4000, reason: 'binary frames only' }]);
  });

  it('back-pressure: writes wait while bufferedAmount is above the high-water mark', async () => {
    const { a, b, network } = fakeWebSocketPair();
    a.open();
    b.open();
    const streams = webSocketStreams(a, { writableHighWaterMark: 100_000 });
    network.hold();
    const writer = streams.writable.getWriter();
    let done = 0;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) writes.push(writer.write(new Uint8Array(40_000)).then(() => void done++));
    await sleep(100);
    // Three writes fit under 100 000 bytes queued; the third took it over, so it waits.
    expect(a.bufferedAmount).toBe(120_000);
    expect(done).toBe(2);
    network.release();
    await within(Promise.all(writes), 5_000, 'writes');
    expect(done).toBe(10);
    await sleep(20);
    expect(a.bufferedAmount).toBe(0);
  });

  it('a pausable socket (ws) is paused while the readable is full and resumed when read', async () => {
    const { a, b } = fakeWebSocketPair();
    let paused = 0;
    let resumed = 0;
    const pausable = Object.assign(a, { pause: () => void paused++, resume: () => void resumed++ });
    a.open();
    b.open();
    const streams = webSocketStreams(pausable, { readableHighWaterMark: 10_000 });
    for (let i = 0; i < 3; i++) b.send(new Uint8Array(6_000));
    await sleep(20);
    expect(paused).toBe(1);
    expect(resumed).toBe(0);
    const reader = streams.readable.getReader();
    await reader.read();
    await reader.read();
    await sleep(0);
    expect(resumed).toBe(1);
  });

  it('cancelling the readable and closing the writable close the socket with 1000', async () => {
    const one = fakeWebSocketPair();
    one.a.open();
    await webSocketStreams(one.a).readable.cancel();
    expect(one.a.closeCalls).toEqual([{ code: 1000, reason: undefined }]);
    const two = fakeWebSocketPair();
    two.a.open();
    two.b.open();
    const streams = webSocketStreams(two.a);
    await writeAll(streams.writable, bytes('bye'));
    expect(two.a.closeCalls).toEqual([{ code: 1000, reason: undefined }]);
  });

  it('aborting the writable closes the socket with 4000 and errors the readable', async () => {
    const { a } = fakeWebSocketPair();
    a.open();
    const streams = webSocketStreams(a);
    await streams.writable.abort(new Error('stop'));
    expect(a.closeCalls).toEqual([{ code: 4000, reason: 'aborted' }]);
    await expect(rejection(streams.readable.getReader().read())).resolves.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });
});

describe('TLS over webSocketStreams', () => {
  it('handshakes and echoes 2 MiB over a WebSocket pair, hash-checked; the close closes both sockets with 1000', async () => {
    const { a, b } = fakeWebSocketPair();
    const server = acceptStreams(webSocketStreams(b), await serverConfig('ecdsa-p256'));
    const client = connectStreams(webSocketStreams(a), clientConfig());
    a.open();
    b.open();
    const [info] = await within(Promise.all([client.handshake, server.handshake]), 10_000, 'handshake');
    expect(info.authorized).toBe(true);
    const echo = server.readable.pipeTo(server.writable);
    const data = payload(2 << 20, 13);
    const [, received] = await Promise.all([writeAll(client.writable, data, 30_000), readAll(client.readable)]);
    expect(received.sha256).toBe(sha256(data));
    await within(echo, 5_000, 'echo');
    await sleep(20);
    expect(a.readyState).toBe(3);
    expect(b.readyState).toBe(3);
    expect([...a.closeCalls, ...b.closeCalls][0]).toEqual({ code: 1000, reason: undefined });
  });

  it('the relay refusing the destination (1008) fails the handshake with the reason in the TLSError', async () => {
    const { a, b } = fakeWebSocketPair();
    const client = connectStreams(webSocketStreams(a), clientConfig());
    a.open();
    b.open();
    b.close(1008, 'destination not allowed');
    const error = await rejection(client.handshake);
    expect(error).toBeInstanceOf(TLSError);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.message).toBe('transport closed during the handshake: the WebSocket closed with code 1008: destination not allowed');
  });

  it('a relay that sends text instead of TLS fails the handshake, and the socket is closed', async () => {
    const socket = new FakeWebSocket(fakeWebSocketPair().network);
    const client = connectStreams(webSocketStreams(socket), clientConfig());
    socket.open();
    socket.receive('hello');
    const error = await rejection(client.handshake);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.message).toMatch(/text message/);
    expect(socket.closeCalls[0]).toEqual({ code: 4000, reason: 'binary frames only' });
  });
});
