import { describe, expect, it } from 'vitest';
import { TLSError, type TLSErrorCode } from '../../src/errors.js';
import { AlertDescription, ContentType, HandshakeType, handshakeTypeName } from '../../src/messages/registry.js';
import { StatelessTicketStore } from '../../src/server/tickets.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { readFileSync } from 'node:fs';
import { pemChain, pkcs8, pkiPath } from '../helpers/fixtures.js';
import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { Mitm, type RecordEdit, type Side, onMessage } from '../helpers/mitm.js';
import { type Scenario, clientConfig, provider, serverConfig } from '../helpers/negative.js';
import { pipe, settle } from '../helpers/pipe.js';
import { seededRandom } from '../record/support.js';
import { bytesEqual } from '../../src/wire/bytes.js';

/**
 * Seeded mutation fuzzing of every handshake message, both directions, through the keyed man in
 * the middle (encrypted messages are mutated in plaintext and sealed again, so the parsers and
 * state machines behind the record layer see them). Whatever the bytes, each side must end
 * either established or closed with a TLSError carrying a stable code, never INTERNAL_ERROR
 * (which would mean our own code broke on peer input); a side that detects the problem sends
 * its alert as its last record and the peer fails with exactly that alert (or, when a damaged
 * hello left the two with different keys, on the record it cannot read); nothing hangs
 * (a side still waiting once no byte moves must end when the transports close). The seeds are
 * fixed: a failure reproduces.
 */

const ITERATIONS = 60;

/** What bad peer input may end in; INTERNAL_ERROR is deliberately not among them. */
const PEER_ERRORS: readonly TLSErrorCode[] = [
  'PROTOCOL_ERROR', 'ALERT_RECEIVED', 'CONNECTION_CLOSED',
  'CERT_UNTRUSTED', 'CERT_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_HOSTNAME_MISMATCH', 'CERT_BAD_SIGNATURE', 'CERT_INVALID', 'CERT_WEAK',
];

type Mutation = (raw: Uint8Array, random: () => number) => Uint8Array;

const pick = (random: () => number, n: number): number => Math.floor(random() * n);

/** Sets a handshake message's 24-bit length to what follows its 4-byte header. */
function withHonestLength(message: Uint8Array): Uint8Array {
  const body = message.length - 4;
  message[1] = body >>> 16;
  message[2] = (body >>> 8) & 0xff;
  message[3] = body & 0xff;
  return message;
}

/** Kinds of damage a peer or the network does, each keeping the 4-byte header mostly sane. */
const MUTATIONS: Record<string, Mutation> = {
  'flip bits': (raw, random) => {
    const out = raw.slice();
    for (let i = 0, n = 1 + pick(random, 3); i < n; i++) out[pick(random, out.length)]! ^= 1 << pick(random, 8);
    return out;
  },
  'set a byte to 0x00 or 0xff': (raw, random) => {
    const out = raw.slice();
    out[4 + pick(random, Math.max(1, out.length - 4))] = random() < 0.5 ? 0 : 0xff;
    return out;
  },
  truncate: (raw, random) => {
    const length = 4 + pick(random, Math.max(1, raw.length - 4));
    // The header's length stays honest so the body parser, not the reassembler, meets the cut.
    return withHonestLength(raw.slice(0, length));
  },
  'insert bytes': (raw, random) => {
    const at = 4 + pick(random, Math.max(1, raw.length - 3));
    const extra = Uint8Array.from({ length: 1 + pick(random, 8) }, () => pick(random, 256));
    const out = new Uint8Array(raw.length + extra.length);
    out.set(raw.subarray(0, at));
    out.set(extra, at);
    out.set(raw.subarray(at), at + extra.length);
    return withHonestLength(out);
  },
};

const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem')), 'root.pem');

interface Target {
  from: Side;
  type: number;
  /** Mutual TLS, so the client's Certificate and CertificateVerify exist. */
  mutual?: boolean;
}

const TARGETS: Target[] = [
  { from: 'client', type: HandshakeType.client_hello },
  { from: 'server', type: HandshakeType.server_hello },
  { from: 'server', type: HandshakeType.encrypted_extensions },
  { from: 'server', type: HandshakeType.certificate },
  { from: 'server', type: HandshakeType.certificate_verify },
  { from: 'server', type: HandshakeType.finished },
  { from: 'server', type: HandshakeType.certificate_request, mutual: true },
  { from: 'client', type: HandshakeType.certificate, mutual: true },
  { from: 'client', type: HandshakeType.certificate_verify, mutual: true },
  { from: 'client', type: HandshakeType.finished },
  { from: 'server', type: HandshakeType.new_session_ticket },
];

/**
 * A client and a server through the man in the middle with `edit`, run until no byte moves.
 * A side still waiting then waits for bytes that will never come: a damaged length field can
 * promise a body longer than anything the peer sends, which stalls any TLS stack until a
 * timeout. The transports are closed, as such a timeout would, and every side must end.
 */
async function fuzzScenario(edit: RecordEdit, configs: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> }): Promise<Scenario> {
  const mitm = new Mitm(provider).use(edit);
  const client = new ClientConnection(clientConfig({ onSecret: mitm.observeFrom('client'), ...configs.client }));
  const server = new ServerConnection(await serverConfig({ onSecret: mitm.observeFrom('server'), ...configs.server }));
  const ends = pipe(client, server, { tamper: mitm.tamper });
  client.start();
  await settle(client, server);
  if (client.state === 'handshaking' || server.state === 'handshaking') {
    client.transportClosed();
    server.transportClosed();
    await settle(client, server);
  }
  return { client, server, ends, mitm };
}

function other(side: Side): Side {
  return side === 'client' ? 'server' : 'client';
}

function checkOutcome(s: Scenario, what: string): void {
  for (const side of ['client', 'server'] as const) {
    const connection = s[side];
    const error = connection.error;
    if (error === undefined) {
      expect(connection.state, `${what}: ${side} neither failed nor finished`).not.toBe('handshaking');
      continue;
    }
    expect(error, `${what}: ${side}`).toBeInstanceOf(TLSError);
    expect(PEER_ERRORS, `${what}: ${side} failed with ${error.code} (${error.message})`).toContain(error.code);
    expect(connection.state, `${what}: ${side} state`).toBe('closed');
    if (error.code === 'ALERT_RECEIVED' || error.code === 'CONNECTION_CLOSED') continue;
    // The side that found the fault told the peer, as its last record.
    expect(error.alert, `${what}: ${side} error names an alert`).toBeDefined();
    expect(s.mitm.recordsFrom(side).at(-1), `${what}: ${side}'s last record is its alert`).toBe(ContentType.alert);
    expect(s.mitm.alertsFrom(side), `${what}: ${side}'s alerts`).toEqual([AlertDescription[error.alert!]]);
    // The peer heard exactly that alert, or could not read it: a damaged hello can leave the
    // two sides with different keys, and then the peer fails on the unreadable record itself.
    const peer = s[other(side)];
    expect(peer.state, `${what}: ${other(side)} state`).toBe('closed');
    if (peer.error?.code === 'ALERT_RECEIVED') expect(peer.error.alert, `${what}: ${other(side)} heard`).toBe(error.alert);
    else expect({ code: peer.error?.code, alert: peer.error?.alert }, `${what}: ${other(side)} failed itself`).toEqual({ code: 'PROTOCOL_ERROR', alert: 'bad_record_mac' });
  }
}

describe('mutation fuzzing of handshake messages (seeded)', { timeout: 120_000 }, () => {
  for (const target of TARGETS) {
    const name = `${target.from} ${handshakeTypeName(target.type)}`;
    it(`${name}: ${ITERATIONS} mutations, each ends established or with the right alert on both sides`, async () => {
      const random = seededRandom(0x5eed + target.type * 31 + (target.from === 'client' ? 7 : 0));
      const kinds = Object.entries(MUTATIONS);
      const clientCertificate = target.mutual ? { chain: pemChain('client-ecdsa-p256-chain.pem'), key: await provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem')) } : undefined;
      let mutated = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const [kind, mutation] = kinds[i % kinds.length]!;
        let applied = false;
        const edit = onMessage(target.from, target.type, (raw) => {
          if (applied) return undefined;
          applied = true;
          // A damage that happens to change nothing (a zero set to zero) is drawn again.
          let damaged = mutation(raw, random);
          while (bytesEqual(damaged, raw)) damaged = mutation(raw, random);
          return [damaged];
        });
        const s = await fuzzScenario(edit, {
          ...(target.mutual ? { server: { clientAuth: 'require', verifier: new X509Verifier({ trustStore }) }, client: { certificate: clientCertificate! } } : {}),
          ...(target.type === HandshakeType.new_session_ticket ? { server: { ticketStore: new StatelessTicketStore(provider), ticketCount: 1 } } : {}),
        });
        if (applied) mutated++;
        checkOutcome(s, `${name}, iteration ${i} (${kind})`);
      }
      expect(mutated, `the ${name} was there to mutate`).toBe(ITERATIONS);
    });
  }
});
