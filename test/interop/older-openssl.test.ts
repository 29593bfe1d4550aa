import { afterAll, describe, expect, it } from 'vitest';
import { start, stopAll } from '../helpers/processes.js';
import { listenServer } from '../helpers/socket.js';
import { serverConfig } from './openssl.js';

/**
 * OpenSSL limited to TLS 1.2 against the wiretls server (RFC 8446 §D.2): protocol_version.
 * (The other way round OpenSSL refuses our ClientHello itself, which offers no TLS 1.2 suite,
 * so TLS 1.2 ServerHellos are tested in test/engine/older-peers.test.ts.)
 */

afterAll(stopAll);

describe('TLS 1.2-only OpenSSL → protocol_version', () => {
  it('openssl s_client -tls1_2 → wiretls server: the server sends protocol_version', async () => {
    const server = await listenServer(await serverConfig('ecdsa-p256'));
    const client = start('openssl', ['s_client', '-connect', `127.0.0.1:${server.port}`, '-tls1_2', '-servername', 'localhost']);
    try {
      const peer = await server.accept();
      const error = await peer.waitForError();
      expect({ code: error.code, alert: error.alert, reason: error.reason }, error.message).toEqual({
        code: 'PROTOCOL_ERROR',
        alert: 'protocol_version',
        reason: 'tls13_not_supported',
      });
      await client.waitFor(/alert protocol version/i);
    } finally {
      client.stop();
      await server.close();
    }
  }, 20_000);
});
