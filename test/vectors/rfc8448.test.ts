import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientConnection, type Connection, ServerConnection } from '../../src/connection.js';
import { testProvider } from '../helpers/provider.js';
import type { CryptoProvider, SigningKey } from '../../src/crypto/provider.js';
import { cipherSuiteParams } from '../../src/crypto/suites.js';
import type { SessionTicket } from '../../src/handshake-context.js';
import { type SecretName, trafficKeys } from '../../src/keyschedule.js';
import * as ext from '../../src/messages/extensions.js';
import { buildPadding } from '../helpers/extension-builders.js';
import { decodeHandshake, encodeHandshake } from '../../src/messages/handshake.js';
import { CipherSuite, ExtensionType, NamedGroup, SignatureScheme } from '../../src/registry.js';
import type { CertificateVerify, ClientHello, EncryptedExtensions, RawExtension } from '../../src/messages/types.js';
import { bytesToHex, hexToBytes } from '../../src/wire/bytes.js';
import { certificateSpki } from '../../src/x509/spki.js';
import { pinnedLeafVerifier } from '../helpers/fixtures.js';
import type { ServerConfig } from '../../src/config.js';
import { AntiReplay } from '../../src/server/anti-replay.js';
import type { ResumptionState, TicketStore } from '../../src/config.js';

/**
 * RFC 8448 replayed through the real client and server state machines: each side is fed the
 * other side's records from the trace, with the trace's randoms and ephemeral keys injected,
 * and must put the trace's records on the wire byte for byte and derive its secrets and keys.
 *
 * The trace's peers are NSS. Their ClientHello carries legacy extensions and advertises groups
 * wiretls does not implement; `nssClientHello` configures those (as an application may, through
 * customizeClientHello), everything else is the engine's own output.
 */

interface TraceRecord {
  from: 'client' | 'server';
  label: string;
  hex: string;
}
interface Trace {
  client: Record<string, string>;
  server: Record<string, string>;
  messages: Record<string, string>;
  records: TraceRecord[];
  secrets: Record<string, string>;
  keys: Record<string, { key: string; iv: string }>;
  applicationData?: { client: string; server: string };
  ticket?: { lifetime: number; ageAdd: string; nonce: string; ticket: string; maxEarlyDataSize: number };
  cookie?: string;
}

function loadTrace(name: string): Trace {
  return JSON.parse(readFileSync(new URL(`../../test-vectors/rfc8448/${name}.json`, import.meta.url), 'utf8')) as Trace;
}

const SUITE = cipherSuiteParams.get(CipherSuite.TLS_AES_128_GCM_SHA256)!;
const FFDHE = [0x0100, 0x0101, 0x0102, 0x0103, 0x0104];
/** NSS's signature_algorithms in these traces, legacy TLS 1.2 schemes (DSA, SHA-1) included. */
const NSS_SIGNATURE_ALGORITHMS = [0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202];
const NSS_EXTENSION_ORDER = [0x0000, 0xff01, 0x000a, 0x0023, 0x0033, 0x002a, 0x002b, 0x000d, 0x002c, 0x002d, 0x001c, 0x0015, 0x0029];
const RENEGOTIATION_INFO = 0xff01;
const SESSION_TICKET = 0x0023;

/** NSS's ClientHello shape: legacy extensions, its order, and padding to 512 bytes (RFC 7685). */
function nssClientHello(options: { advertiseFfdhe: boolean; sessionTicket: boolean }) {
  return (hello: ClientHello): void => {
    const byType = new Map<number, RawExtension>(hello.extensions.map((e) => [e.type, e]));
    if (options.advertiseFfdhe) {
      const groups = ext.parseSupportedGroups(byType.get(ExtensionType.supported_groups)!.data);
      byType.set(ExtensionType.supported_groups, { type: ExtensionType.supported_groups, data: ext.buildSupportedGroups([...groups, ...FFDHE]) });
    }
    byType.set(ExtensionType.signature_algorithms, { type: ExtensionType.signature_algorithms, data: ext.buildSignatureAlgorithms(NSS_SIGNATURE_ALGORITHMS) });
    byType.set(RENEGOTIATION_INFO, { type: RENEGOTIATION_INFO, data: new Uint8Array([0]) });
    if (options.sessionTicket) byType.set(SESSION_TICKET, { type: SESSION_TICKET, data: new Uint8Array(0) });
    hello.extensions = NSS_EXTENSION_ORDER.filter((t) => byType.has(t)).map((t) => byType.get(t)!);
    const length = encodeHandshake(hello).length;
    if (length >= 256 && length < 512) {
      // The padding goes before pre_shared_key, which must stay last.
      const at = hello.extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
      const padding = { type: ExtensionType.padding, data: buildPadding(512 - length - 4) };
      hello.extensions.splice(at < 0 ? hello.extensions.length : at, 0, padding);
    }
  };
}

/** NSS's EncryptedExtensions: its supported_groups first, then record_size_limit, server_name. */
function nssEncryptedExtensions(serverGroups: readonly number[]) {
  return (message: EncryptedExtensions): void => {
    const order = [ExtensionType.supported_groups, ExtensionType.record_size_limit, ExtensionType.server_name, ExtensionType.early_data] as number[];
    message.extensions.push({ type: ExtensionType.supported_groups, data: ext.buildSupportedGroups(serverGroups) });
    message.extensions.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  };
}

/** A provider whose randomness and ephemeral keys are the trace's, recording HKDF-Extract outputs. */
function traceProvider(randoms: string[], ephemeral: [NamedGroup, string][]): { provider: CryptoProvider; extracts: Uint8Array[] } {
  const queue = randoms.map(hexToBytes);
  const base = testProvider({
    random: (n) => {
      const next = queue.shift();
      if (!next || next.length !== n) throw new Error(`trace provider: no ${n}-byte random left`);
      return next;
    },
    ephemeralPrivateKeys: new Map(ephemeral.map(([g, k]) => [g, hexToBytes(k)])),
  });
  const extracts: Uint8Array[] = [];
  const provider: CryptoProvider = {
    ...base,
    hkdfExtract: (hash, salt, ikm) => {
      const out = base.hkdfExtract(hash, salt, ikm);
      extracts.push(out.slice());
      return out;
    },
  };
  return { provider, extracts };
}

/**
 * The trace's signatures (RSA-PSS, ECDSA) are randomised and RFC 8448 does not publish every
 * private key, so the signer cannot reproduce them. This key checks that the content it is
 * asked to sign is what the trace's signature covers, then answers with that signature.
 */
function traceSigningKey(provider: CryptoProvider, trace: Trace, who: 'server' | 'client' = 'server'): SigningKey {
  const message = who === 'server' ? trace.messages.CertificateVerify! : trace.messages.ClientCertificateVerify!;
  const verify = decodeHandshake(15, hexToBytes(message).subarray(4)) as CertificateVerify;
  const spki = certificateSpki(hexToBytes(trace[who].certificate!));
  return {
    schemes: [verify.scheme as SignatureScheme],
    async sign(scheme, content) {
      expect(scheme).toBe(verify.scheme);
      expect(await provider.verify(scheme, spki, content, verify.signature)).toBe(true);
      return verify.signature;
    },
  };
}

/** Collects what a connection sends and the secrets it reports. */
function observe(connection: Connection) {
  const sent: string[] = [];
  const data: string[] = [];
  const tickets: SessionTicket[] = [];
  let ended = false;
  connection.on('send', (b) => sent.push(bytesToHex(b)));
  connection.on('data', (b) => data.push(bytesToHex(b)));
  connection.on('session', (t) => tickets.push(t));
  connection.on('end', () => {
    ended = true;
  });
  const errors: Error[] = [];
  connection.on('error', (e) => errors.push(e));
  return { sent, data, tickets, errors, ended: () => ended };
}

function secretsRecorder() {
  const secrets = new Map<SecretName, string>();
  return { secrets, onSecret: (name: SecretName, secret: Uint8Array) => secrets.set(name, bytesToHex(secret)) };
}

function expectSecrets(trace: Trace, provider: CryptoProvider, extracts: Uint8Array[], secrets: Map<SecretName, string>): void {
  expect(extracts.slice(0, 3).map(bytesToHex)).toEqual([trace.secrets.early, trace.secrets.handshake, trace.secrets.master]);
  const names: [SecretName, string, string][] = [
    ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'clientHandshakeTraffic', 'clientHandshake'],
    ['SERVER_HANDSHAKE_TRAFFIC_SECRET', 'serverHandshakeTraffic', 'serverHandshake'],
    ['CLIENT_TRAFFIC_SECRET_0', 'clientApplicationTraffic', 'clientApplication'],
    ['SERVER_TRAFFIC_SECRET_0', 'serverApplicationTraffic', 'serverApplication'],
  ];
  for (const [name, secretKey, keysKey] of names) {
    expect(secrets.get(name), name).toBe(trace.secrets[secretKey]);
    const { key, iv } = trafficKeys(provider, SUITE, hexToBytes(secrets.get(name)!));
    expect({ key: bytesToHex(key), iv: bytesToHex(iv) }, keysKey).toEqual(trace.keys[keysKey]);
  }
  expect(secrets.get('EXPORTER_SECRET')).toBe(trace.secrets.exporterMaster);
}

function records(trace: Trace, from: 'client' | 'server'): string[] {
  return trace.records.filter((r) => r.from === from).map((r) => r.hex);
}

/** Feeds the client's records to a server, writing and closing where the trace's server does. */
async function feedServer(server: ServerConnection, trace: Trace): Promise<void> {
  for (const r of trace.records) {
    if (r.from !== 'client') continue;
    if (r.label.includes('close_notify')) server.close();
    server.receive(hexToBytes(r.hex));
    await server.idle();
    if (r.label === 'client application data' && trace.applicationData) server.write(hexToBytes(trace.applicationData.server));
  }
}

/** Feeds the server's records to a client, writing and closing where the trace's client does. */
async function feedClient(client: ClientConnection, trace: Trace): Promise<void> {
  for (const r of trace.records) {
    if (r.from !== 'server') continue;
    if (r.label.includes('application data') && trace.applicationData) client.write(hexToBytes(trace.applicationData.client));
    if (r.label.includes('close_notify')) client.close();
    client.receive(hexToBytes(r.hex));
    await client.idle();
  }
}

/** A ticket store standing in for NSS's: it hands out the trace's ticket for the trace's PSK. */
function traceTicketIssuer(trace: Trace): Partial<ServerConfig> {
  const ticket = trace.ticket!;
  const ticketStore: TicketStore = {
    seal(state) {
      expect(bytesToHex(state.psk)).toBe(trace.secrets.resumptionPsk);
      expect(state.lifetime).toBe(ticket.lifetime);
      return hexToBytes(ticket.ticket);
    },
    open: () => undefined,
  };
  return { ticketStore, ticketCount: 1, ticketLifetime: ticket.lifetime, maxEarlyDataSize: ticket.maxEarlyDataSize, antiReplay: new AntiReplay() };
}

interface Replay {
  trace: string;
  clientGroups: NamedGroup[];
  serverGroups: NamedGroup[];
  /** The groups NSS's server advertised in EncryptedExtensions. */
  serverAdvertisedGroups: number[];
  advertiseFfdhe: boolean;
  sessionTicket: boolean;
  compatibilityMode: boolean;
}

const REPLAYS: Replay[] = [
  {
    trace: 'simple-1rtt',
    clientGroups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1],
    serverGroups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1],
    serverAdvertisedGroups: [0x001d, 0x0017, 0x0018, 0x0019, ...FFDHE],
    advertiseFfdhe: true,
    sessionTicket: true,
    compatibilityMode: false,
  },
  {
    trace: 'hello-retry-request',
    clientGroups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1],
    // NSS's server prefers P-256 strictly; a wiretls server that takes no X25519 asks the same.
    serverGroups: [NamedGroup.secp256r1, NamedGroup.secp384r1],
    serverAdvertisedGroups: [0x0017, 0x0018, 0x001d],
    advertiseFfdhe: false,
    sessionTicket: false,
    compatibilityMode: false,
  },
  {
    trace: 'compatibility-mode',
    clientGroups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1],
    serverGroups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1],
    serverAdvertisedGroups: [0x001d, 0x0017, 0x0018, 0x0019, ...FFDHE],
    advertiseFfdhe: true,
    sessionTicket: false,
    compatibilityMode: true,
  },
];

const SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384];

function clientRandoms(trace: Trace, replay: Replay): string[] {
  return replay.compatibilityMode ? [trace.client.random!, trace.client.legacySessionId!] : [trace.client.random!];
}

function clientEphemeral(trace: Trace): [NamedGroup, string][] {
  const keys: [NamedGroup, string][] = [[NamedGroup.x25519, trace.client.x25519PrivateKey!]];
  if (trace.client.secp256r1PrivateKey) keys.push([NamedGroup.secp256r1, trace.client.secp256r1PrivateKey]);
  return keys;
}

function serverEphemeral(trace: Trace): [NamedGroup, string][] {
  return trace.server.x25519PrivateKey ? [[NamedGroup.x25519, trace.server.x25519PrivateKey]] : [[NamedGroup.secp256r1, trace.server.secp256r1PrivateKey!]];
}

describe('RFC 8448 replays', () => {
  for (const replay of REPLAYS) {
    const trace = loadTrace(replay.trace);

    it(`${replay.trace}: the client puts the trace's records on the wire and derives its secrets`, async () => {
      const { provider, extracts } = traceProvider(clientRandoms(trace, replay), clientEphemeral(trace));
      const recorder = secretsRecorder();
      const client = new ClientConnection({
        provider,
        serverName: 'server',
        cipherSuites: SUITES,
        groups: replay.clientGroups,
        keyShareGroups: [NamedGroup.x25519],
        recordSizeLimit: 16385,
        compatibilityMode: replay.compatibilityMode,
        verifier: pinnedLeafVerifier(hexToBytes(trace.server.certificate!)),
        customizeClientHello: nssClientHello(replay),
        onSecret: recorder.onSecret,
      });
      const seen = observe(client);
      client.start();
      await feedClient(client, trace);
      expect(seen.errors).toEqual([]);
      expect(seen.sent).toEqual(records(trace, 'client'));
      expect(seen.ended()).toBe(true);
      expectSecrets(trace, provider, extracts, recorder.secrets);
      if (trace.applicationData) expect(seen.data).toEqual([trace.applicationData.server]);
      if (trace.ticket) {
        expect(seen.tickets).toHaveLength(1);
        const ticket = seen.tickets[0]!;
        expect(bytesToHex(ticket.ticket)).toBe(trace.ticket.ticket);
        expect(bytesToHex(ticket.psk)).toBe(trace.secrets.resumptionPsk);
        expect(ticket.lifetime).toBe(trace.ticket.lifetime);
        expect(ticket.ageAdd.toString(16).padStart(8, '0')).toBe(trace.ticket.ageAdd);
        expect(ticket.maxEarlyDataSize).toBe(trace.ticket.maxEarlyDataSize);
      }
    });

    it(`${replay.trace}: the server puts the trace's records on the wire and derives its secrets`, async () => {
      // §3's server issues one ticket: its age_add comes from the provider's randomness, the
      // ticket bytes (NSS's own format) from a store that checks what it is asked to seal.
      const randoms = trace.ticket ? [trace.server.random!, trace.ticket.ageAdd] : [trace.server.random!];
      const { provider, extracts } = traceProvider(randoms, serverEphemeral(trace));
      const recorder = secretsRecorder();
      const server = new ServerConnection({
        provider,
        certificates: [{ chain: [hexToBytes(trace.server.certificate!)], key: traceSigningKey(provider, trace) }],
        cipherSuites: SUITES,
        groups: replay.serverGroups,
        recordSizeLimit: 16385,
        customizeEncryptedExtensions: nssEncryptedExtensions(replay.serverAdvertisedGroups),
        ...(trace.cookie ? { helloRetryCookie: () => hexToBytes(trace.cookie!) } : {}),
        ...(trace.ticket ? traceTicketIssuer(trace) : {}),
        onSecret: recorder.onSecret,
      });
      const seen = observe(server);
      await feedServer(server, trace);
      expect(seen.errors).toEqual([]);
      expect(seen.sent).toEqual(records(trace, 'server'));
      expect(seen.ended()).toBe(true);
      expectSecrets(trace, provider, extracts, recorder.secrets);
      if (trace.applicationData) expect(seen.data).toEqual([trace.applicationData.client]);
    });
  }
});

describe('RFC 8448 §4 resumed 0-RTT handshake replay', () => {
  const trace = loadTrace('resumed-0rtt');
  const simple = loadTrace('simple-1rtt');
  const NOW = 1_700_000_000_000;
  const ticket = trace.ticket!;
  const ticketAge = (trace.ticket as unknown as { ticketAgeMs: number }).ticketAgeMs;
  const early = (trace.applicationData as unknown as { clientEarly: string }).clientEarly;

  it('the client resumes with the §3 ticket, sends 0-RTT data and puts the trace on the wire', async () => {
    const { provider, extracts } = traceProvider([trace.client.random!], clientEphemeral(trace));
    const recorder = secretsRecorder();
    const client = new ClientConnection({
      provider,
      serverName: 'server',
      cipherSuites: SUITES,
      groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1],
      recordSizeLimit: 16385,
      compatibilityMode: false,
      verifier: pinnedLeafVerifier(hexToBytes(simple.server.certificate!)),
      customizeClientHello: nssClientHello({ advertiseFfdhe: true, sessionTicket: false }),
      session: {
        ticket: hexToBytes(ticket.ticket),
        psk: hexToBytes(trace.secrets.resumptionPsk!),
        cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
        serverName: 'server',
        alpnProtocol: undefined,
        lifetime: ticket.lifetime,
        ageAdd: parseInt(ticket.ageAdd, 16),
        receivedAt: NOW - ticketAge,
        maxEarlyDataSize: simple.ticket!.maxEarlyDataSize,
        authorized: true,
      },
      earlyData: hexToBytes(early),
      now: () => NOW,
      onSecret: recorder.onSecret,
    });
    const seen = observe(client);
    client.start();
    await feedClient(client, trace);
    expect(seen.errors).toEqual([]);
    expect(seen.sent).toEqual(records(trace, 'client'));
    expect(extracts.slice(0, 3).map(bytesToHex)).toEqual([trace.secrets.early, trace.secrets.handshake, trace.secrets.master]);
    expect(recorder.secrets.get('CLIENT_EARLY_TRAFFIC_SECRET')).toBe(trace.secrets.clientEarlyTraffic);
    expect(client.session).toMatchObject({ resumed: true, earlyData: 'accepted', authorized: true });
    expect(seen.data).toEqual([trace.applicationData!.server]);
  });

  it('the server takes the PSK and the 0-RTT data and puts the trace on the wire', async () => {
    const { provider, extracts } = traceProvider([trace.server.random!], serverEphemeral(trace));
    const recorder = secretsRecorder();
    const state: ResumptionState = {
      psk: hexToBytes(trace.secrets.resumptionPsk!),
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      issuedAt: NOW - ticketAge,
      lifetime: ticket.lifetime,
      ageAdd: parseInt(ticket.ageAdd, 16),
      maxEarlyDataSize: simple.ticket!.maxEarlyDataSize,
      alpnProtocol: undefined,
      serverName: 'server',
      clientCertificates: [],
    };
    const server = new ServerConnection({
      provider,
      certificates: [{ chain: [hexToBytes(simple.server.certificate!)], key: traceSigningKey(provider, simple) }],
      cipherSuites: SUITES,
      groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1],
      recordSizeLimit: 16385,
      customizeEncryptedExtensions: nssEncryptedExtensions([0x001d, 0x0017, 0x0018, 0x0019, ...FFDHE]),
      ticketStore: { seal: () => new Uint8Array(0), open: (t) => (bytesToHex(t) === ticket.ticket ? state : undefined) },
      ticketCount: 0,
      maxEarlyDataSize: simple.ticket!.maxEarlyDataSize,
      antiReplay: new AntiReplay({ now: () => NOW }),
      now: () => NOW,
      onSecret: recorder.onSecret,
    });
    const seen = observe(server);
    await feedServer(server, trace);
    expect(seen.errors).toEqual([]);
    expect(seen.sent).toEqual(records(trace, 'server'));
    expect(extracts.slice(0, 3).map(bytesToHex)).toEqual([trace.secrets.early, trace.secrets.handshake, trace.secrets.master]);
    expect(server.session).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(seen.data).toEqual([early, trace.applicationData!.client]);
  });
});

describe('RFC 8448 §6 client authentication replay', () => {
  const trace = loadTrace('client-authentication');
  const groups = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1];

  it('the client answers the CertificateRequest and puts the trace on the wire', async () => {
    const { provider, extracts } = traceProvider([trace.client.random!], clientEphemeral(trace));
    const recorder = secretsRecorder();
    const client = new ClientConnection({
      provider,
      serverName: 'server',
      cipherSuites: SUITES,
      groups,
      keyShareGroups: [NamedGroup.x25519],
      recordSizeLimit: 16385,
      compatibilityMode: false,
      verifier: pinnedLeafVerifier(hexToBytes(trace.server.certificate!)),
      certificate: { chain: [hexToBytes(trace.client.certificate!)], key: traceSigningKey(provider, trace, 'client') },
      customizeClientHello: nssClientHello({ advertiseFfdhe: true, sessionTicket: false }),
      onSecret: recorder.onSecret,
    });
    const seen = observe(client);
    client.start();
    await feedClient(client, trace);
    expect(seen.errors).toEqual([]);
    expect(seen.sent).toEqual(records(trace, 'client'));
    expectSecrets(trace, provider, extracts, recorder.secrets);
  });

  it('the server asks for, receives and verifies the client certificate, byte for byte', async () => {
    const { provider, extracts } = traceProvider([trace.server.random!], serverEphemeral(trace));
    const recorder = secretsRecorder();
    const server = new ServerConnection({
      provider,
      certificates: [{ chain: [hexToBytes(trace.server.certificate!)], key: traceSigningKey(provider, trace, 'server') }],
      cipherSuites: SUITES,
      groups,
      // NSS's CertificateRequest lists its whole signature_algorithms, legacy schemes included.
      signatureSchemes: NSS_SIGNATURE_ALGORITHMS as SignatureScheme[],
      recordSizeLimit: 16385,
      clientAuth: 'require',
      verifier: pinnedLeafVerifier(hexToBytes(trace.client.certificate!)),
      customizeEncryptedExtensions: nssEncryptedExtensions([0x001d, 0x0017, 0x0018, 0x0019, ...FFDHE]),
      onSecret: recorder.onSecret,
    });
    const seen = observe(server);
    await feedServer(server, trace);
    expect(seen.errors).toEqual([]);
    expect(seen.sent).toEqual(records(trace, 'server'));
    expectSecrets(trace, provider, extracts, recorder.secrets);
    expect(server.session).toMatchObject({ authorized: true, signatureScheme: SignatureScheme.rsa_pss_rsae_sha256 });
    expect(bytesToHex(server.session!.peerCertificates[0]!)).toBe(trace.client.certificate);
  });
});
