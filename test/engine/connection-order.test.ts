import { describe, expect, it } from 'vitest';
import type { CryptoProvider, KeyExchangeAlgorithm, SigningKey } from '../../src/crypto/provider.js';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import { ContentType } from '../../src/registry.js';
import { utf8 } from '../../src/wire/bytes.js';
import { serverChain, serverKey } from '../helpers/fixtures.js';
import { plaintextRecord } from '../helpers/mitm.js';
import { clientConfig, drain, plaintextAlert, provider, realClientHello, serverConfig, until } from '../helpers/negative.js';
import { pipe } from '../helpers/pipe.js';

/**
 * The orders the connection keeps on purpose while a step is pending (RFC 8446 gives none of
 * them; each is what a transport or an application relies on): nothing overtakes the client's
 * first flight while its key shares are still being made, records that arrive while a state's
 * handle() is pending wait for it, and nothing is sent after our close_notify. The order of
 * data written on 'handshake' and the server's tickets is in resumption.test.ts.
 */

/** A gate the test opens by hand. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** `provider` whose client key shares are generated only once `until` opens (as WebCrypto's are, later). */
function slowKeyShares(until: Promise<void>): CryptoProvider {
  return {
    ...provider,
    keyExchange(group) {
      const algorithm = provider.keyExchange(group);
      if (!algorithm) return undefined;
      const slow: KeyExchangeAlgorithm = {
        group: algorithm.group,
        generate: async () => {
          await until;
          return algorithm.generate();
        },
        respond: (peerShare) => algorithm.respond(peerShare),
      };
      return slow;
    },
  };
}

/** The content type of each record in `sent` (each a whole record). */
const types = (sent: Uint8Array[]): number[] => sent.map((r) => r[0]!);

describe('orders the connection keeps while a step is pending', { timeout: 15_000 }, () => {
  it('client: write() and close() during an asynchronous first flight wait for the ClientHello; nothing follows the close_notify', async () => {
    const keys = gate();
    const c = new ClientConnection(clientConfig({ provider: slowKeyShares(keys.wait) }));
    const s = new ServerConnection(await serverConfig());
    const sent: Uint8Array[] = [];
    c.on('send', (bytes) => sent.push(bytes.slice()));
    pipe(c, s);
    c.start();
    c.write(utf8('held back'));
    c.close();
    expect(() => c.write(utf8('after close'))).toThrowError(expect.objectContaining({ code: 'CONNECTION_CLOSED' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent, 'nothing before the ClientHello is ready').toEqual([]);
    keys.open();
    await until(() => sent.length >= 2, 'the first flight and the close_notify');
    await drain(c, s);
    // The ClientHello, then close_notify in the clear: the held-back write never goes out
    // after it, even when the server's flight completes the client's handshake.
    expect(types(sent)).toEqual([ContentType.handshake, ContentType.alert]);
    expect(Array.from(sent[1]!.subarray(5))).toEqual([1, 0]);
  });

  it('server: records that arrive while a handshake step is pending wait for it', async () => {
    const signing = gate();
    const key = await provider.importSigningKey(serverKey('ed25519'));
    const slowKey: SigningKey = {
      schemes: key.schemes,
      sign: async (scheme, message) => {
        await signing.wait;
        return key.sign(scheme, message);
      },
    };
    const s = new ServerConnection(await serverConfig({ certificates: [{ chain: serverChain('ed25519'), key: slowKey }] }));
    const sent: Uint8Array[] = [];
    const order: string[] = [];
    s.on('send', (bytes) => {
      sent.push(bytes.slice());
      order.push(`send ${bytes[0]}`);
    });
    s.on('error', (error) => order.push(`error ${error.code} ${error.alert}`));
    const hello = plaintextRecord(ContentType.handshake, await realClientHello());
    // The ClientHello and, in the same chunk, the client's alert: the alert is read only once
    // the flight the ClientHello asked for is out.
    s.receive(new Uint8Array([...hello, ...plaintextAlert('handshake_failure')]));
    let idle = false;
    void s.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // ServerHello and the compatibility change_cipher_spec left before the signature was asked
    // for; the alert behind the ClientHello was not read.
    expect(types(sent), 'only what preceded the pending signature').toEqual([ContentType.handshake, ContentType.change_cipher_spec]);
    expect(s.error).toBeUndefined();
    expect(idle).toBe(false);
    signing.open();
    await until(() => s.error !== undefined, 'the server to read the alert');
    await until(() => idle, 'idle() to resolve');
    expect(s.error).toMatchObject({ code: 'ALERT_RECEIVED', alert: 'handshake_failure' });
    // The rest of the flight (protected), then the error: the alert was read after it.
    const rest = order.slice(2);
    expect(rest.length).toBeGreaterThan(1);
    expect(rest.slice(0, -1).every((o) => o === `send ${ContentType.application_data}`)).toBe(true);
    expect(rest.at(-1)).toBe('error ALERT_RECEIVED handshake_failure');
  });
});
