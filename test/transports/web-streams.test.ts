import { describe, expect, it } from 'vitest';
import { TLSError } from '../../src/errors.js';
import { CipherSuite, NamedGroup } from '../../src/registry.js';
import { acceptStreams, connectStreams } from '../../src/transports/web-streams.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { serverChain } from '../helpers/fixtures.js';
import { clientConfig, serverConfig } from '../interop/openssl.js';
import { bytePipe, observed, payload, readAll, rejection, sha256, sleep, within, writeAll } from './support.js';

/**
 * connectStreams / acceptStreams over in-memory Web Streams: the whole adapter contract
 * (handshake, data both ways with back-pressure, close_notify, failures as TLSErrors on both
 * streams and the handshake promise, the transport closed at the end). Unhandled rejections
 * fail a vitest run, so every test also checks that none leak.
 */

async function pair(options: { readableHighWaterMark?: number; pipeHighWaterMark?: number } = {}) {
  const [clientEnd, serverEnd] = bytePipe(options.pipeHighWaterMark);
  const server = acceptStreams(serverEnd, await serverConfig('ecdsa-p256'), options);
  const client = connectStreams(clientEnd, clientConfig(), options);
  return { client, server, clientEnd, serverEnd };
}

describe('connectStreams / acceptStreams in memory', () => {
  it('handshakes and echoes 4 MiB, hash-checked, then both sides close cleanly', async () => {
    const { client, server } = await pair();
    const [clientInfo, serverInfo] = await within(Promise.all([client.handshake, server.handshake]), 10_000, 'handshake');
    expect(clientInfo.cipherSuite).toBe(serverInfo.cipherSuite);
    expect(Object.values(CipherSuite)).toContain(clientInfo.cipherSuite);
    expect(clientInfo.authorized).toBe(true);
    expect(serverInfo.serverName).toBe('localhost');
    expect(client.connection.role).toBe('client');
    expect(server.connection.role).toBe('server');
    // The server echoes; closing the client's writable (close_notify) ends the echo, whose
    // end closes the server's writable (its close_notify), which ends the client's readable.
    const echo = server.readable.pipeTo(server.writable);
    const data = payload(4 << 20, 7);
    const [, received] = await Promise.all([writeAll(client.writable, data, 100_000), readAll(client.readable)]);
    expect(received.bytes).toBe(data.length);
    expect(received.sha256).toBe(sha256(data));
    await within(echo, 10_000, 'echo pipe');
    expect(client.connection.state).toBe('closed');
    expect(server.connection.state).toBe('closed');
    await within(Promise.all([client.close(), server.close()]), 5_000, 'close');
  });

  it('writes before the handshake completes wait for it and arrive in order', async () => {
    const { client, server } = await pair();
    const writer = client.writable.getWriter();
    const writes = [writer.write(new TextEncoder().encode('one ')), writer.write(new TextEncoder().encode('two'))];
    const closed = writer.close();
    const { data } = await readAll(server.readable);
    expect(new TextDecoder().decode(data)).toBe('one two');
    await Promise.all([...writes, closed]);
    await server.close();
  });

  it('back-pressure: a reader that does not read bounds what the sender gets to write', async () => {
    const { client, server, serverEnd } = await pair({ readableHighWaterMark: 32 * 1024 });
    await within(Promise.all([client.handshake, server.handshake]), 10_000, 'handshake');
    const data = payload(8 << 20, 3);
    let written = 0;
    const writer = server.writable.getWriter();
    const sending = (async () => {
      for (let offset = 0; offset < data.length; offset += 16_384) {
        await writer.write(data.subarray(offset, offset + 16_384));
        written = offset + 16_384;
      }
      await writer.close();
    })();
    await sleep(300);
    // The client reads nothing: what left the server is its readable's 32 KiB, one transport
    // chunk and the pipe's two 16 KiB queues, plus one record per boundary; not 8 MiB.
    const stalledAt = written;
    expect(stalledAt).toBeLessThan(256 * 1024);
    expect(serverEnd.written()).toBeLessThan(256 * 1024);
    await sleep(200);
    expect(written).toBe(stalledAt);
    // Reading resumes the flow, and everything arrives intact.
    const received = await readAll(client.readable);
    expect(received.sha256).toBe(sha256(data));
    await within(sending, 10_000, 'sender');
    await client.close();
  });

  it('peer close: the server closing its writable ends the client readable; the client can still write', async () => {
    const { client, server } = await pair();
    await within(Promise.all([client.handshake, server.handshake]), 10_000, 'handshake');
    await writeAll(server.writable, new TextEncoder().encode('bye'));
    const { data } = await readAll(client.readable);
    expect(new TextDecoder().decode(data)).toBe('bye');
    // TLS 1.3 half-close (RFC 8446 §6.1): the client may answer after the server's close_notify.
    await writeAll(client.writable, new TextEncoder().encode('late answer'));
    expect(new TextDecoder().decode((await readAll(server.readable)).data)).toBe('late answer');
    expect(client.connection.state).toBe('closed');
  });

  it('the transport is closed once both close_notify alerts went, and only then', async () => {
    const [clientEnd, serverEnd] = bytePipe();
    const watched = observed(clientEnd);
    const server = acceptStreams(serverEnd, await serverConfig('ecdsa-p256'));
    const client = connectStreams(watched.transport, clientConfig());
    await within(Promise.all([client.handshake, server.handshake]), 10_000, 'handshake');
    await writeAll(server.writable, new Uint8Array(0));
    await readAll(client.readable);
    await sleep(50);
    // Half-closed: the server's close_notify arrived, ours did not go yet.
    expect(watched.events).toEqual([]);
    await client.writable.close();
    await sleep(50);
    // The server closed its transport on our close_notify; ours was closed too (its readable
    // cancelled, unless the server's close ended it first).
    expect(watched.events).toContain('close');
    expect(watched.events).not.toContain('abort');
    expect(watched.events.filter((event) => event === 'cancel' || event === 'end')).toHaveLength(1);
    await within(readAll(server.readable), 5_000, 'server end');
  });

  it('close(): the peer reads what was written, then a clean end', async () => {
    const { client, server } = await pair();
    await within(Promise.all([client.handshake, server.handshake]), 10_000, 'handshake');
    const writer = server.writable.getWriter();
    await writer.write(new TextEncoder().encode('partial'));
    writer.releaseLock();
    await server.close();
    expect(new TextDecoder().decode((await readAll(client.readable)).data)).toBe('partial');
    await client.close();
  });

  it('peer abort without close_notify: CONNECTION_CLOSED on the readable and the writable', async () => {
    const [clientEnd, serverEnd] = bytePipe();
    const client = connectStreams(clientEnd, clientConfig());
    const server = acceptStreams(serverEnd, await serverConfig('ecdsa-p256'), { signal: AbortSignal.timeout(60_000) });
    await within(Promise.all([client.handshake, server.handshake]), 10_000, 'handshake');
    // Aborting the server's writable drops its transport with no alert at all.
    await server.writable.abort(new Error('gone'));
    const error = await rejection(readAll(client.readable));
    expect(error).toBeInstanceOf(TLSError);
    expect(error.code).toBe('CONNECTION_CLOSED');
    expect(error.message).toMatch(/without close_notify/);
    const writeError = await rejection(client.writable.getWriter().write(new Uint8Array(1)));
    expect((writeError as TLSError).code).toBe('CONNECTION_CLOSED');
    await expect(rejection(server.readable.getReader().read())).resolves.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('bad input: bytes that are not TLS fail the handshake with a fatal alert, sent before the transport closes', async () => {
    const [clientEnd, peer] = bytePipe();
    const client = connectStreams(clientEnd, clientConfig());
    const sent = readAll(peer.readable);
    const writer = peer.writable.getWriter();
    await writer.write(new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const error = await rejection(client.handshake);
    expect(error).toBeInstanceOf(TLSError);
    expect(error.code).toBe('PROTOCOL_ERROR');
    const alert = error.alert;
    expect(alert).toBeDefined();
    await expect(rejection(client.readable.getReader().read())).resolves.toBe(error);
    await expect(rejection(client.writable.getWriter().write(new Uint8Array(1)))).resolves.toBe(error);
    // The client closed its transport after the alert: ClientHello, then the alert record.
    const wire = (await within(sent, 5_000, 'transport close')).data;
    const tail = wire.subarray(wire.length - 7);
    expect([...tail.subarray(0, 5)]).toEqual([21, 3, 3, 0, 2]);
    expect(tail[5]).toBe(2);
    expect(tail[6]).toBe((error as TLSError).alertCode);
  });

  it('an untrusted certificate rejects the handshake on both sides with the alert named', async () => {
    const [clientEnd, serverEnd] = bytePipe();
    const server = acceptStreams(serverEnd, await serverConfig('ecdsa-p256'));
    // Trusting only the leaf's own certificate (not a CA) makes the chain untrusted.
    const wrongRoot = TrustStore.fromCertificates([serverChain('rsa2048')[0]!]);
    const client = connectStreams(clientEnd, clientConfig({ verifier: new X509Verifier({ trustStore: wrongRoot }) }));
    const clientError = await rejection(client.handshake);
    expect(clientError.code).toBe('CERT_UNTRUSTED');
    const serverError = await rejection(server.handshake);
    expect(serverError.code).toBe('ALERT_RECEIVED');
    expect(serverError.alert).toBe(clientError.alert);
    await expect(rejection(server.readable.getReader().read())).resolves.toBe(serverError);
  });

  it('cancellation: an AbortSignal ends a handshake the peer never answers, with TIMEOUT', async () => {
    const [clientEnd, silent] = bytePipe();
    const client = connectStreams(clientEnd, clientConfig(), { signal: AbortSignal.timeout(200) });
    const heard = readAll(silent.readable);
    const error = await rejection(client.handshake);
    expect(error.code).toBe('TIMEOUT');
    await expect(rejection(client.readable.getReader().read())).resolves.toBe(error);
    // The transport was aborted: the silent peer's writable is errored, its readable over.
    await expect(rejection(heard)).resolves.toBeDefined();
    await client.close();
  });

  it('cancellation: cancelling the readable sends close_notify and closes the transport', async () => {
    const { client, server } = await pair();
    await within(Promise.all([client.handshake, server.handshake]), 10_000, 'handshake');
    await client.readable.cancel('done');
    expect(new TextDecoder().decode((await readAll(server.readable)).data)).toBe('');
    expect(server.connection.state).not.toBe('handshaking');
    await expect(rejection(client.writable.getWriter().write(new Uint8Array(1)))).resolves.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('close() before the handshake completes rejects the handshake, never hangs', async () => {
    const { client, server } = await pair();
    const closing = client.close();
    await expect(rejection(client.handshake)).resolves.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await within(closing, 5_000, 'close');
    await expect(rejection(server.handshake)).resolves.toBeInstanceOf(TLSError);
  });

  it('a group the server refuses: handshake_failure on both sides', async () => {
    const [clientEnd, serverEnd] = bytePipe();
    const server = acceptStreams(serverEnd, await serverConfig('ecdsa-p256', { groups: [NamedGroup.secp384r1] }));
    const client = connectStreams(clientEnd, clientConfig({ groups: [NamedGroup.x25519] }));
    const [clientError, serverError] = await Promise.all([rejection(client.handshake), rejection(server.handshake)]);
    expect(serverError.code).toBe('PROTOCOL_ERROR');
    expect(serverError.alert).toBe('handshake_failure');
    expect(clientError.code).toBe('ALERT_RECEIVED');
    expect(clientError.alert).toBe('handshake_failure');
  });

  it('a locked transport is refused up front', async () => {
    const [clientEnd] = bytePipe();
    clientEnd.readable.getReader();
    expect(() => connectStreams(clientEnd, clientConfig())).toThrow(TLSError);
  });
});

describe('a peer that stops reading', () => {
  it('cannot hold a failed connection open: its transport is aborted after a grace period', async () => {
    // Queues of one byte: the ClientHello fills the pipe, and the peer never reads it, so the
    // alert the failure sends can never leave.
    const [clientEnd, peer] = bytePipe(1);
    const watched = observed(clientEnd);
    const client = connectStreams(watched.transport, clientConfig());
    const writer = peer.writable.getWriter();
    await writer.write(new TextEncoder().encode('not TLS at all\r\n'));
    const error = await rejection(client.handshake);
    expect(error.code).toBe('PROTOCOL_ERROR');
    const started = Date.now();
    await within(client.close(), 5_000, 'close after failure');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    // The close never got past the stuck write, and an abort waits for that write (WHATWG
    // Streams), so the readable is cancelled: on a socket that ends the write too.
    expect(watched.events).toContain('cancel');
    expect(watched.events).not.toContain('close');
  });
});
