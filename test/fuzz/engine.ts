import { ClientConnection, type Connection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { CryptoProvider, SigningKey } from '../../src/crypto/provider.js';
import type { SessionTicket } from '../../src/handshake-context.js';
import { TLSError } from '../../src/errors.js';
import { AlertDescription, type AlertName, ContentType, HandshakeType, NamedGroup } from '../../src/registry.js';
import { StatelessTicketStore } from '../../src/server/tickets.js';
import { bytesEqual, concatBytes } from '../../src/wire/bytes.js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { pinnedLeafVerifier } from '../helpers/fixtures.js';
import { Mitm, type RecordEdit, type Side, splitMessages } from '../helpers/mitm.js';
import { TEST_PROVIDERS, type TestProviderName } from '../helpers/provider.js';
import { Rng, subSeed } from './random.js';

/**
 * Engine fuzzing with an oracle. One case = (provider, target, seed): a real client and a real
 * server, joined in memory through the keyed man in the middle (test/helpers/mitm.ts), run
 * turn by turn with no timer; the man in the middle damages one handshake message (the
 * target) with a mutation drawn from the seed, and the seed also draws every random byte and
 * ephemeral key of both sides and the chunking of every delivery. So a case replays exactly.
 *
 * The oracle, for every case:
 * 1. Within MAX_TURNS deliveries each way, no byte is left in flight.
 * 2. Then each side has either completed or failed: a side that does neither once its input
 *    is exhausted would hang a real connection until a timer, and fails the case.
 * 3. No failure is INTERNAL_ERROR or anything but a TLSError (our code broke on peer input).
 * 4. Both completed: only for a message outside the transcript (NewSessionTicket, KeyUpdate),
 *    and then both export the same keying material (RFC 8446 §7.5), so both hold the same
 *    transcript and secrets, and a message each way arrives intact under the current keys.
 * 5. Otherwise both failed, and the first to fail (the detector) did so with an alert the
 *    target allows for that side (see TARGETS), sent as its only alert and its last record; the
 *    peer then failed with ALERT_RECEIVED naming that alert, or, when the damage left the two
 *    with different keys, with bad_record_mac on the record it could not open.
 *
 * Mutations keep the handshake framing honest (the 24-bit length says what follows): a length
 * that promises more than is sent makes any TLS stack wait for the rest, a wait only a timer
 * ends, which is not a fault this oracle can judge. Everything else in the message is fair game.
 */

export const MAX_TURNS = 12;

type AlertsBySide = Partial<Record<Side, readonly AlertName[]>>;

export interface EngineTarget {
  /** Stable name, part of the reproduction string. */
  readonly name: string;
  readonly from: Side;
  readonly type: number;
  /** Which message of that type and sender (0: the first). */
  readonly occurrence?: number;
  /**
   * plain: a full handshake; mutual: with a client certificate; tickets: the server sends one;
   * retry: the server asks for another key share (HelloRetryRequest); resume: a first,
   * undamaged handshake gets a ticket that the case's ClientHello offers (PSK with binder);
   * keyupdate: once connected, the target's sender sends KeyUpdate(update_requested).
   */
  readonly setup: 'plain' | 'mutual' | 'tickets' | 'retry' | 'resume' | 'keyupdate';
  /**
   * The alerts the RFC lets each side answer damage to this message with. A damaged message
   * that enters the receiver's transcript leaves the two transcripts different, so whatever
   * the receiver accepts, the next Finished (decrypt_error, §4.4.4) or the next record under
   * keys derived from the transcript (bad_record_mac, §5.2) fails.
   */
  readonly detectors: AlertsBySide;
  /**
   * Not part of a transcript (NewSessionTicket, KeyUpdate): damage that leaves a valid message
   * can be accepted by both sides, so completing is a possible outcome. For every other target
   * the damaged bytes enter one side's transcript only, and completing would mean a check failed.
   */
  readonly mayComplete?: boolean;
}

/** Malformed (§6: decode_error) or well-formed but wrong (illegal_parameter), or a type out of order (unexpected_message). */
const CODEC: readonly AlertName[] = ['decode_error', 'illegal_parameter', 'unexpected_message'];

export const TARGETS: readonly EngineTarget[] = [
  {
    name: 'client_hello',
    from: 'client',
    type: HandshakeType.client_hello,
    setup: 'plain',
    detectors: {
      // §4.1.1 negotiation failures, §4.2 extension rules, §4.2.1 versions, §9.2 mandatory extensions.
      server: [...CODEC, 'handshake_failure', 'protocol_version', 'missing_extension', 'insufficient_security'],
      // The server answered a ClientHello the client did not send: a suite, group, session id
      // or extension it never offered (§4.1.3, §4.1.4, §4.2: illegal_parameter /
      // unsupported_extension), or keys from a different transcript (bad_record_mac).
      client: ['illegal_parameter', 'unsupported_extension', 'bad_record_mac', 'decode_error'],
    },
  },
  {
    name: 'server_hello',
    from: 'server',
    type: HandshakeType.server_hello,
    setup: 'plain',
    detectors: {
      client: [...CODEC, 'handshake_failure', 'protocol_version', 'missing_extension', 'unsupported_extension', 'bad_record_mac'],
      // The client derived other keys and the server cannot open its Finished.
      server: ['bad_record_mac'],
    },
  },
  {
    name: 'encrypted_extensions',
    from: 'server',
    type: HandshakeType.encrypted_extensions,
    setup: 'plain',
    detectors: { client: [...CODEC, 'unsupported_extension', 'decrypt_error'] },
  },
  {
    name: 'server_certificate',
    from: 'server',
    type: HandshakeType.certificate,
    setup: 'plain',
    detectors: { client: [...CODEC, 'bad_certificate', 'unsupported_certificate', 'unsupported_extension', 'decrypt_error'] },
  },
  {
    name: 'server_certificate_verify',
    from: 'server',
    type: HandshakeType.certificate_verify,
    setup: 'plain',
    detectors: { client: [...CODEC, 'decrypt_error'] },
  },
  {
    name: 'server_finished',
    from: 'server',
    type: HandshakeType.finished,
    setup: 'plain',
    detectors: { client: [...CODEC, 'decrypt_error'] },
  },
  {
    name: 'certificate_request',
    from: 'server',
    type: HandshakeType.certificate_request,
    setup: 'mutual',
    // §4.3.2: signature_algorithms "MUST be specified" (missing_extension, §9.2).
    detectors: { client: [...CODEC, 'unsupported_extension', 'missing_extension', 'handshake_failure', 'decrypt_error'] },
  },
  {
    name: 'client_certificate',
    from: 'client',
    type: HandshakeType.certificate,
    setup: 'mutual',
    detectors: { server: [...CODEC, 'bad_certificate', 'unsupported_certificate', 'unsupported_extension', 'certificate_required', 'decrypt_error'] },
  },
  {
    name: 'client_certificate_verify',
    from: 'client',
    type: HandshakeType.certificate_verify,
    setup: 'mutual',
    detectors: { server: [...CODEC, 'decrypt_error'] },
  },
  {
    name: 'client_finished',
    from: 'client',
    type: HandshakeType.finished,
    setup: 'plain',
    detectors: { server: [...CODEC, 'decrypt_error'] },
  },
  {
    name: 'new_session_ticket',
    from: 'server',
    type: HandshakeType.new_session_ticket,
    setup: 'tickets',
    mayComplete: true,
    // Not in the transcript: a ticket whose damage is still well-formed is just a ticket
    // (resuming with it fails later, on the server's side), so completing is allowed too.
    detectors: { client: [...CODEC, 'unsupported_extension'] },
  },
  {
    name: 'hello_retry_request',
    from: 'server',
    type: HandshakeType.server_hello,
    setup: 'retry',
    detectors: {
      // §4.1.4: an HRR that would not change the ClientHello, or names what was not offered.
      client: [...CODEC, 'handshake_failure', 'protocol_version', 'missing_extension', 'unsupported_extension', 'bad_record_mac'],
      // The client answered an HRR the server did not send (its transcript holds the real one).
      server: [...CODEC, 'handshake_failure', 'bad_record_mac', 'decrypt_error'],
    },
  },
  {
    name: 'second_client_hello',
    from: 'client',
    type: HandshakeType.client_hello,
    occurrence: 1,
    setup: 'retry',
    detectors: {
      // §4.1.2: the second ClientHello must be the first one with the changes HRR asked for.
      server: [...CODEC, 'handshake_failure', 'protocol_version', 'missing_extension', 'insufficient_security'],
      client: ['illegal_parameter', 'unsupported_extension', 'bad_record_mac', 'decode_error'],
    },
  },
  {
    name: 'resumption_client_hello',
    from: 'client',
    type: HandshakeType.client_hello,
    setup: 'resume',
    detectors: {
      // As for client_hello, and a binder that does not verify is decrypt_error (§4.2.11.2).
      server: [...CODEC, 'handshake_failure', 'protocol_version', 'missing_extension', 'insufficient_security', 'decrypt_error'],
      client: ['illegal_parameter', 'unsupported_extension', 'bad_record_mac', 'decode_error'],
    },
  },
  {
    name: 'client_key_update',
    from: 'client',
    type: HandshakeType.key_update,
    setup: 'keyupdate',
    mayComplete: true,
    // §4.6.3: a request_update other than 0 or 1 is illegal_parameter. Not in a transcript: a
    // KeyUpdate whose damage left it valid (no update requested) is one, and data still flows.
    detectors: { server: CODEC },
  },
  {
    name: 'server_key_update',
    from: 'server',
    type: HandshakeType.key_update,
    setup: 'keyupdate',
    mayComplete: true,
    detectors: { client: CODEC },
  },
];

export function targetByName(name: string): EngineTarget {
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no engine target ${name}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  return target;
}

// ---- mutations --------------------------------------------------------------------------

/** Sets a handshake message's 24-bit length to what follows its 4-byte header. */
function withHonestLength(message: Uint8Array): Uint8Array {
  const body = message.length - 4;
  message[1] = body >>> 16;
  message[2] = (body >>> 8) & 0xff;
  message[3] = body & 0xff;
  return message;
}

export type Mutation = (raw: Uint8Array, rng: Rng) => Uint8Array;

/** A body position, or the end for insertions. */
const at = (raw: Uint8Array, rng: Rng, end = 0): number => 4 + rng.below(Math.max(1, raw.length - 4 + end));

/** The TLS 1.3 handshake types, and values that are not. */
const TYPE_BYTES = [...Object.values(HandshakeType), 0, 0xff, 3, 25, 254];

export const MUTATIONS: Readonly<Record<string, Mutation>> = {
  'flip bits': (raw, rng) => {
    const out = raw.slice();
    if (out.length === 4) return out;
    for (let i = 0, n = 1 + rng.below(3); i < n; i++) out[at(out, rng)]! ^= 1 << rng.below(8);
    return out;
  },
  'set a byte': (raw, rng) => {
    const out = raw.slice();
    if (out.length > 4) out[at(out, rng)] = rng.pick([0, 0xff, 1, rng.below(256)]);
    return out;
  },
  // Length fields inside the body are 8, 16 or 24 bits wide: boundary values at any offset.
  'set a 16-bit value': (raw, rng) => {
    const out = raw.slice();
    if (out.length < 6) return out;
    const i = 4 + rng.below(out.length - 5);
    const old = (out[i]! << 8) | out[i + 1]!;
    const v = rng.pick([0, 1, 0xffff, old + 1, old - 1, old + 8, old - 8]) & 0xffff;
    out[i] = v >>> 8;
    out[i + 1] = v & 0xff;
    return out;
  },
  truncate: (raw, rng) => withHonestLength(raw.slice(0, at(raw, rng))),
  'insert bytes': (raw, rng) => {
    const i = at(raw, rng, 1);
    return withHonestLength(concatBytes(raw.subarray(0, i), rng.bytes(1 + rng.below(8)), raw.subarray(i)));
  },
  'delete bytes': (raw, rng) => {
    const i = at(raw, rng);
    return withHonestLength(concatBytes(raw.subarray(0, i), raw.subarray(Math.min(raw.length, i + 1 + rng.below(8)))));
  },
  'duplicate a slice': (raw, rng) => {
    const i = at(raw, rng);
    const slice = raw.subarray(i, Math.min(raw.length, i + 1 + rng.below(16)));
    return withHonestLength(concatBytes(raw.subarray(0, i), slice, raw.subarray(i)));
  },
  'change the type': (raw, rng) => {
    const out = raw.slice();
    out[0] = rng.pick(TYPE_BYTES);
    return out;
  },
};

// ---- one case ---------------------------------------------------------------------------

/** What one case needs that does not depend on the seed: built once per provider kind. */
export interface EngineEnvironment {
  readonly providerName: TestProviderName;
  readonly chain: readonly Uint8Array[];
  readonly key: SigningKey;
}

/**
 * test-vectors/pki, found from this file upwards: the fuzzer also runs compiled, from
 * dist-bench/test/fuzz/, where the relative path of the sources does not hold.
 */
function pkiFile(name: string): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const candidate = new URL(`test-vectors/pki/${name}`, dir);
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
    if (dir.pathname === '/') throw new Error(`test-vectors/pki/${name} not found above ${import.meta.url}`);
  }
}

/** Ed25519 signatures are deterministic (RFC 8032 §5.1.6): the same seed signs the same bytes. */
export async function engineEnvironment(providerName: TestProviderName): Promise<EngineEnvironment> {
  const provider = TEST_PROVIDERS[providerName]();
  const pems = pkiFile('server-ed25519-chain.pem').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const chain = pems.map((pem) => new Uint8Array(new X509Certificate(pem).raw));
  const key = new Uint8Array(createPrivateKey(pkiFile('server-ed25519-key.pem')).export({ type: 'pkcs8', format: 'der' }));
  return { providerName, chain, key: await provider.importSigningKey(key) };
}

export interface EngineResult {
  /** 'completed' or '<detector side>: <alert>'. */
  readonly outcome: string;
  /** The mutation applied. */
  readonly mutation: string;
  /** What broke the oracle; undefined when the case passed. */
  readonly problem: string | undefined;
  readonly turns: number;
}

/** The string `npm run fuzz -- --replay` takes to run this one case again. */
export function engineCaseId(env: EngineEnvironment, target: EngineTarget, seed: number): string {
  return `engine:${env.providerName}:${target.name}:${seed}`;
}

/** A fixed clock: ticket contents and ages must not depend on when the case runs. */
const EPOCH = Date.UTC(2026, 0, 1);

function configs(
  env: EngineEnvironment,
  target: EngineTarget,
  provider: CryptoProvider,
  mitm: Mitm,
  rng: Rng,
  resume: Resumption | undefined,
): { client: ClientConfig; server: ServerConfig } {
  const now = (): number => EPOCH;
  // One case in four offers the default groups (X25519MLKEM768 first, a 1216-byte share that
  // takes most of the ClientHello); the others x25519 first, so that damage lands on the rest
  // of the hello as often, and a case costs a third.
  const groups = rng.chance(0.25) ? {} : { groups: [NamedGroup.x25519, NamedGroup.secp256r1] };
  const client: ClientConfig = {
    ...groups,
    provider,
    serverName: 'localhost',
    verifier: pinnedLeafVerifier(env.chain[0]!),
    onSecret: mitm.observeFrom('client'),
    now,
  };
  const server: ServerConfig = { provider, certificates: [{ chain: env.chain, key: env.key }], onSecret: mitm.observeFrom('server'), now, ticketCount: 0 };
  switch (target.setup) {
    case 'mutual':
      // The client presents the same Ed25519 chain; the server pins its leaf.
      client.certificate = { chain: env.chain, key: env.key };
      server.clientAuth = 'require';
      server.verifier = pinnedLeafVerifier(env.chain[0]!);
      break;
    case 'tickets':
      server.ticketStore = new StatelessTicketStore(provider, { now });
      server.ticketCount = 1;
      break;
    case 'retry':
      // The client's one key share (its first group) is not one the server takes: §4.1.4.
      server.groups = [NamedGroup.secp256r1];
      break;
    case 'resume':
      server.ticketStore = resume!.ticketStore;
      server.ticketCount = 1;
      if (resume!.ticket) client.session = resume!.ticket;
      break;
    case 'plain':
    case 'keyupdate':
      break;
  }
  return { client, server };
}

/** The ticket store a resumption case's two server connections share, and the ticket the first one issued. */
interface Resumption {
  ticketStore: StatelessTicketStore;
  ticket?: SessionTicket;
}

/** A client and a server joined through `mitm`, with what each sent still to deliver and every failure in order. */
class Pair {
  readonly client: ClientConnection;
  readonly server: ServerConnection;
  readonly inFlight: Record<Side, Uint8Array[]> = { client: [], server: [] };
  readonly failures: { side: Side; error: TLSError }[] = [];
  readonly received: Record<Side, Uint8Array[]> = { client: [], server: [] };
  turns = 0;

  constructor(
    config: { client: ClientConfig; server: ServerConfig },
    private readonly mitm: Mitm,
    private readonly chunkRng: Rng,
  ) {
    this.client = new ClientConnection(config.client);
    this.server = new ServerConnection(config.server);
    for (const [side, connection] of [
      ['client', this.client],
      ['server', this.server],
    ] as const) {
      connection.on('send', (bytes) => {
        const delivered = this.mitm.tamper(side, bytes.slice());
        if (delivered) this.inFlight[side].push(delivered);
      });
      connection.on('error', (error) => this.failures.push({ side, error }));
      connection.on('data', (data) => this.received[side].push(data.slice()));
    }
  }

  /** Delivers, turn by turn, until nothing is in flight; false when that takes more than MAX_TURNS. */
  async run(): Promise<boolean> {
    for (; this.inFlight.client.length > 0 || this.inFlight.server.length > 0; this.turns++) {
      if (this.turns >= MAX_TURNS) return false;
      await deliver(this.server, this.inFlight.client.splice(0), this.chunkRng);
      await deliver(this.client, this.inFlight.server.splice(0), this.chunkRng);
    }
    return true;
  }

  get connected(): boolean {
    return this.failures.length === 0 && this.client.session !== undefined && this.server.session !== undefined;
  }
}

/** Runs one case; the result's `problem` says what broke the oracle, if anything did. */
export async function runEngineCase(env: EngineEnvironment, target: EngineTarget, seed: number, mutations: Readonly<Record<string, Mutation>> = MUTATIONS): Promise<EngineResult> {
  const mutationRng = new Rng(subSeed(seed, 0));
  const randomRng = new Rng(subSeed(seed, 1));
  const chunkRng = new Rng(subSeed(seed, 2));
  const configRng = new Rng(subSeed(seed, 3));
  const provider = TEST_PROVIDERS[env.providerName]({ random: (n) => randomRng.bytes(n) });
  const names = Object.keys(mutations);
  const mutationName = names[mutationRng.below(names.length)]!;
  const mutation = mutations[mutationName]!;
  const result = (outcome: string, problem: string | undefined, turns: number): EngineResult => ({ outcome, mutation: mutationName, problem, turns });

  let resume: Resumption | undefined;
  if (target.setup === 'resume') {
    // An undamaged first connection, for the ticket the case's ClientHello offers.
    resume = { ticketStore: new StatelessTicketStore(provider, { now: () => EPOCH }) };
    const mitm = new Mitm(provider);
    const first = new Pair(configs(env, target, provider, mitm, configRng, resume), mitm, chunkRng);
    first.client.on('session', (ticket) => (resume!.ticket ??= ticket));
    first.client.start();
    // A provider whose key generation is asynchronous (WebCrypto) sends the ClientHello later.
    await first.client.idle();
    if (!(await first.run()) || !first.connected || !resume.ticket) return result('setup', 'the first connection issued no ticket to resume with', first.turns);
  }

  let seen = 0;
  let applied = false;
  const edit: RecordEdit = (record) => {
    if (record.from !== target.from || record.type !== ContentType.handshake) return undefined;
    let changed = false;
    const messages = splitMessages(record.content).map((raw) => {
      if (raw[0] !== target.type || seen++ !== (target.occurrence ?? 0)) return raw;
      // A damage that happens to change nothing (a zero set to zero) is drawn again.
      let damaged = mutation(raw, mutationRng);
      for (let i = 0; bytesEqual(damaged, raw) && i < 16; i++) damaged = mutation(raw, mutationRng);
      if (bytesEqual(damaged, raw)) damaged = withHonestLength(concatBytes(raw, Uint8Array.of(0)));
      changed = applied = true;
      return damaged;
    });
    return changed ? [{ type: ContentType.handshake, content: concatBytes(...messages) }] : undefined;
  };

  const mitm = new Mitm(provider).use(edit);
  const pair = new Pair(configs(env, target, provider, mitm, configRng, resume), mitm, chunkRng);
  const { client, server, failures } = pair;
  pair.client.start();
  await pair.client.idle();
  let settled = await pair.run();
  if (settled && target.setup === 'keyupdate' && pair.connected) {
    (target.from === 'client' ? client : server).updateKeys(true);
    settled = await pair.run();
  }
  if (!settled) return result('running', `bytes still in flight after ${MAX_TURNS} turns`, pair.turns);

  if (!applied) return result('unmutated', `no ${target.from} message of type ${target.type} (#${target.occurrence ?? 0}) to mutate`, pair.turns);
  for (const [side, connection] of [
    ['client', client],
    ['server', server],
  ] as const) {
    if (!connection.error && !connection.session) return result('stalled', `${side} neither completed nor failed with its input exhausted`, pair.turns);
  }
  for (const { side, error } of failures) {
    if (!(error instanceof TLSError) || error.code === 'INTERNAL_ERROR') return result(`${side}: internal`, `${side} failed on peer input with ${describe(error)}`, pair.turns);
  }
  if (failures.length === 0) {
    const problem = target.mayComplete ? await checkSameKeys(pair) : `both sides completed although ${target.name} was damaged: a check that should have failed did not`;
    return result('completed', problem, pair.turns);
  }

  const { side: detector, error } = failures[0]!;
  const outcome = `${detector}: ${error.code === 'ALERT_RECEIVED' ? 'received ' : ''}${error.alert ?? 'no alert'}`;
  return result(outcome, checkFailure(target, mitm, detector, error, failures), pair.turns);
}

/** Hands every byte in flight to `to` in seeded chunks, then waits until it has processed them. */
async function deliver(to: Connection, pieces: Uint8Array[], rng: Rng): Promise<void> {
  for (const piece of pieces) {
    // Mostly whole flights; sometimes cut anywhere, down to single bytes.
    const max = rng.chance(0.75) ? piece.length : rng.pick([1, 5, 6, 100, 1000]);
    for (let offset = 0; offset < piece.length; ) {
      const size = Math.min(piece.length - offset, 1 + rng.below(max));
      to.receive(piece.subarray(offset, offset + size));
      offset += size;
    }
  }
  await to.idle();
}

/**
 * Both completed: the same exporter values (same transcript and master secret), and a message
 * each way arrives intact (the current traffic keys agree in both directions, after any
 * KeyUpdate too).
 */
async function checkSameKeys(pair: Pair): Promise<string | undefined> {
  const label = 'EXPORTER-wiretls-fuzz';
  const a = pair.client.exportKeyingMaterial(32, label);
  const b = pair.server.exportKeyingMaterial(32, label);
  if (!bytesEqual(a, b)) return 'both sides completed with different keys (exporter values differ)';
  const up = new TextEncoder().encode('from the client');
  const down = new TextEncoder().encode('from the server');
  pair.client.write(up);
  pair.server.write(down);
  if (!(await pair.run())) return `data still in flight after ${MAX_TURNS} turns`;
  if (pair.failures.length > 0) return `failed after completing: ${pair.failures.map((f) => `${f.side} ${describe(f.error)}`).join('; ')}`;
  if (!bytesEqual(concatBytes(...pair.received.server), up) || !bytesEqual(concatBytes(...pair.received.client), down)) return 'application data did not arrive intact both ways';
  return undefined;
}

function other(side: Side): Side {
  return side === 'client' ? 'server' : 'client';
}

function describe(error: unknown): string {
  return error instanceof TLSError ? `${error.code}${error.alert ? ` (${error.alert})` : ''}: ${error.message}` : String(error);
}

function checkFailure(target: EngineTarget, mitm: Mitm, detector: Side, error: TLSError, failures: readonly { side: Side; error: TLSError }[]): string | undefined {
  const allowed = target.detectors[detector] ?? [];
  if (error.code === 'ALERT_RECEIVED') return `${detector} failed first, on an alert nobody sent: ${describe(error)}`;
  if (error.alert === undefined || !allowed.includes(error.alert)) {
    return `${detector} detected the damage with ${describe(error)}; allowed for ${target.name} at the ${detector}: ${allowed.join(', ') || 'nothing'}`;
  }
  const peer = other(detector);
  const heard = failures.find((f) => f.side === peer)?.error;
  if (!heard) return `${peer} never failed after ${detector} sent ${error.alert}`;
  if (failures.length !== 2) return `${failures.length} error events, expected one per side`;
  const alerts = mitm.alertsFrom(detector);
  const last = mitm.recordsFrom(detector).at(-1);
  const sentReadably = alerts.length === 1 && alerts[0] === AlertDescription[error.alert] && last === ContentType.alert;
  if (heard.code === 'ALERT_RECEIVED' && heard.alert === error.alert)
    return sentReadably ? undefined : `${detector} sent alerts [${alerts.join(', ')}], expected exactly ${error.alert} as its last record`;
  if (heard.code === 'PROTOCOL_ERROR' && heard.alert === 'bad_record_mac') {
    // The damage left the two sides with different keys (or suites): the peer could not open
    // the alert, and nor could the man in the middle when it was the suite that changed (it
    // follows the suite the server chose): then its last record is one nobody could open.
    const unreadable = alerts.length === 0 && last === ContentType.application_data;
    return sentReadably || unreadable ? undefined : `${detector} sent alerts [${alerts.join(', ')}] (last record type ${last}), expected its ${error.alert} last`;
  }
  return `${peer} should have heard ${error.alert} (or failed to open it: bad_record_mac), got ${describe(heard)}`;
}
