import type { CipherSuiteParams, CryptoProvider, HashName } from '../crypto/provider.js';
import { hashOutputLength } from '../crypto/provider.js';
import { cipherSuiteParams } from '../crypto/suites.js';
import type { SessionInfo, TraceEvent } from '../handshake-context.js';
import { type KeyDerivation, hkdfExpandLabel } from '../keyschedule.js';
import * as ext from '../messages/extensions.js';
import { findExtension, isHelloRetryRequest, messageHash } from '../messages/handshake.js';
import { ExtensionType, HandshakeType, cipherSuiteName, namedGroupName, signatureSchemeName } from '../registry.js';
import type { ClientHello, HandshakeMessage } from '../messages/types.js';
import { certificateVerifyContent } from '../peer-auth.js';
import { bytesEqual, bytesToHex } from '../wire/bytes.js';
import { parseCertificate } from '../x509/certificate.js';
import { messageName } from './annotate.js';
import { chainView } from './chain.js';
import { HandshakeStream, handshakeContent } from './handshake-stream.js';
import type { ExplainEvent, Omitted } from './recorder.js';
import { type KeyState, type Stream, recordView } from './record-view.js';
import { type Explanation, type Item, type Line, type RecordView, type Step, type StepId, publicValue, secretValue } from './view.js';

/**
 * The explanation of one connection, built from the engine's trace events and key schedule
 * steps (see recorder.ts), never from printed text. Renderers (text.ts, html.ts) only lay it
 * out. Values the model computes itself (transcript hashes, finished keys, the nonce, a
 * second decryption of each record) are checks of what the engine reported: each says
 * whether it matched.
 */

export interface ExplainOptions {
  role: 'client' | 'server';
  /** For the model's own checks: hashes, HMACs, a second decryption of each record. */
  provider: CryptoProvider;
  /** e.g. "wiretls connect example.com:443". */
  title: string;
  session?: SessionInfo | undefined;
  /** What the recording counted but did not keep (ExplainRecorder.omitted). */
  omitted?: Omitted | undefined;
}

const STEP_TITLES: Record<StepId, string> = {
  hello: '1. Hello: what each side can do, and what they chose',
  'key-share': '2. Key share: a shared secret nobody else can compute',
  certificate: '3. Certificate and verification: who is on the other end',
  keys: '4. Keys: the key schedule of this connection',
  finished: '5. Finished: both ends saw the same handshake',
  after: 'After the handshake: data, tickets, key updates, closing',
};
const STEP_ORDER: StepId[] = ['hello', 'key-share', 'certificate', 'keys', 'finished', 'after'];

/** RFC 8446 §7.1 names of the secrets the key log (NSS format) has. */
const KEY_LOG_NAMES: Record<string, string> = {
  client_early_traffic_secret: 'CLIENT_EARLY_TRAFFIC_SECRET',
  early_exporter_master_secret: 'EARLY_EXPORTER_SECRET',
  client_handshake_traffic_secret: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  server_handshake_traffic_secret: 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  client_application_traffic_secret_0: 'CLIENT_TRAFFIC_SECRET_0',
  server_application_traffic_secret_0: 'SERVER_TRAFFIC_SECRET_0',
  exporter_master_secret: 'EXPORTER_SECRET',
};

interface MessageSeen {
  message: HandshakeMessage;
  raw: Uint8Array;
  from: 'client' | 'server';
  retry: boolean;
}

/** Hashes the model computes to name transcript hashes ("through ServerHello"). */
class Transcripts {
  /** hex of a transcript hash → what it covers. */
  readonly names = new Map<string, string>();
  /** Per message (by index in `messages`): the transcript hash just before it. */
  readonly before = new Map<number, Uint8Array>();

  constructor(provider: CryptoProvider, hash: HashName, messages: readonly MessageSeen[]) {
    const digest = (parts: readonly Uint8Array[]): Uint8Array => {
      const h = provider.hash(hash);
      for (const p of parts) h.update(p);
      return h.digest();
    };
    this.names.set(bytesToHex(digest([])), 'Hash("")');
    let entries: Uint8Array[] = [];
    let labels: string[] = [];
    let base: { entries: Uint8Array[]; labels: string[] } | undefined;
    let finished = 0;
    messages.forEach((m, index) => {
      const type = m.message.type;
      // RFC 8446 §4.4.1: tickets and key updates are not part of the transcript.
      if (type === HandshakeType.new_session_ticket || type === HandshakeType.key_update) return;
      if (base && type === HandshakeType.certificate_request) {
        // Post-handshake authentication: each request continues the handshake's transcript.
        entries = [...base.entries];
        labels = [...base.labels];
      }
      if (m.retry && entries.length === 1) {
        entries = [messageHash(digest(entries))];
        labels = ['message_hash(ClientHello1)'];
      }
      this.before.set(index, digest(entries));
      entries.push(m.raw);
      labels.push(messageName(type, m.retry));
      this.names.set(bytesToHex(digest(entries)), labels.length === 1 ? `Hash(${labels[0]})` : `Hash(${labels[0]} … ${labels[labels.length - 1]})`);
      if (type === HandshakeType.finished && !base && ++finished === 2) base = { entries: [...entries], labels: [...labels] };
    });
  }
}

export function explain(events: readonly ExplainEvent[], options: ExplainOptions): Explanation {
  return new Builder(events, options).build();
}

class Builder {
  private readonly role: 'client' | 'server';
  private readonly peer: 'client' | 'server';
  private readonly provider: CryptoProvider;
  private readonly steps = new Map<StepId, Step>();
  private readonly messages: MessageSeen[] = [];
  private readonly records: RecordView[] = [];
  private suite: CipherSuiteParams | undefined;
  /** hex of a secret value → its name, to name the inputs of later steps. */
  private readonly secretNames = new Map<string, string>();
  private readonly derivationValues = new Map<string, Uint8Array>();
  private transcripts: Transcripts | undefined;
  private cursor: StepId = 'hello';
  /** Each chain report's first sentence, for its step's plain words. */
  private readonly chainSummaries: [StepId, string][] = [];
  private failure: Extract<TraceEvent, { kind: 'failed' }>['error'] | undefined;
  /** Per Finished message (index in `messages`): the sender's newest application secret then. */
  private readonly applicationSecretAt = new Map<number, string | undefined>();

  constructor(
    private readonly events: readonly ExplainEvent[],
    private readonly options: ExplainOptions,
  ) {
    this.role = options.role;
    this.peer = options.role === 'client' ? 'server' : 'client';
    this.provider = options.provider;
    for (const id of STEP_ORDER) this.steps.set(id, { id, title: STEP_TITLES[id], summary: [], items: [] });
  }

  private step(id: StepId): Step {
    return this.steps.get(id)!;
  }

  private add(id: StepId, item: Item): void {
    this.step(id).items.push(item);
  }

  private sender(direction: 'sent' | 'received'): 'client' | 'server' {
    return direction === 'sent' ? this.role : this.peer;
  }

  build(): Explanation {
    // First pass: the messages in order (the transcript needs the suite, known from the
    // ServerHello, before any hash can be computed).
    for (const e of this.events) {
      if (e.kind !== 'trace' || e.event.kind !== 'message') continue;
      const { message, raw, direction } = e.event;
      const retry = message.type === HandshakeType.server_hello && isHelloRetryRequest(message);
      this.messages.push({ message, raw, from: this.sender(direction), retry });
      if (message.type === HandshakeType.server_hello && !this.suite) this.suite = cipherSuiteParams.get(message.cipherSuite);
    }
    if (this.suite) this.transcripts = new Transcripts(this.provider, this.suite.hash, this.messages);

    this.walk();
    if (this.step('keys').items.length > 0)
      this.step('keys').summary.push(
        'Every secret of TLS 1.3 comes from one chain of HKDF steps (RFC 8446 §7.1): HKDF-Extract mixes in a new input (the PSK or zeros, then the shared secret, then zeros), and Derive-Secret branches off a secret for each purpose, bound by a label and by the hash of the transcript so far. Below is that chain as this connection walked it, each value as the engine derived it; the key log (SSLKEYLOGFILE) holds the traffic secrets under their NSS names.',
      );
    if (this.step('after').items.length > 0)
      this.step('after').summary.push(
        'Application data goes in records under the application traffic keys. Tickets (NewSessionTicket) let the client resume later; KeyUpdate moves one direction to its next traffic secret; close_notify says the sender is done.',
      );
    this.explainHello();
    this.explainCertificates();
    for (const [step, text] of this.chainSummaries) this.step(step).summary.push(text);
    this.explainFinished();
    this.explainBinders();
    const outcome = this.outcome();
    return {
      title: this.options.title,
      role: this.role,
      outcome,
      facts: this.facts(),
      steps: STEP_ORDER.map((id) => this.step(id)).filter((s) => s.items.length > 0 || s.summary.length > 0),
      records: this.records,
    };
  }

  /** Second pass, in event order: records, key schedule steps, verifications, the failure. */
  private walk(): void {
    const keys: Record<'read' | 'write', KeyState | undefined> = { read: undefined, write: undefined };
    // Each direction's handshake messages are walked whole, then shown record by record.
    const pieces: Record<'sent' | 'received', Uint8Array[]> = { sent: [], received: [] };
    for (const e of this.events) {
      if (e.kind !== 'trace' || e.event.kind !== 'record') continue;
      const content = handshakeContent(e.event);
      if (content) pieces[e.event.direction].push(content);
    }
    const streams: Record<'sent' | 'received', Stream> = { sent: { handshake: new HandshakeStream(pieces.sent) }, received: { handshake: new HandshakeStream(pieces.received) } };
    let finishedSeen = 0;
    let messageIndex = 0;
    for (const e of this.events) {
      if (e.kind === 'derivation') {
        this.derivation(e.step, keys);
        continue;
      }
      const event = e.event;
      switch (event.kind) {
        case 'message':
          // A post-handshake Finished is keyed by the sender's application secret of that moment.
          if (event.message.type === HandshakeType.finished) {
            this.applicationSecretAt.set(messageIndex, this.latest(`${this.sender(event.direction)}_application_traffic_secret_`));
          }
          messageIndex++;
          break;
        case 'record': {
          const direction = event.direction === 'sent' ? 'write' : 'read';
          const record = recordView(event, keys[direction], streams[event.direction], finishedSeen >= 2, {
            role: this.role,
            from: this.sender(event.direction),
            provider: this.provider,
            suite: this.suite,
            cursor: this.cursor,
            index: this.records.length,
          });
          this.records.push(record.view);
          this.add(record.step, { kind: 'record', record: record.view });
          if (record.step !== 'after' && STEP_ORDER.indexOf(record.step) > STEP_ORDER.indexOf(this.cursor)) this.cursor = record.step;
          finishedSeen += record.finished;
          break;
        }
        case 'verified':
          this.add(finishedSeen >= 2 ? 'after' : /Finished/.test(event.what) ? 'finished' : 'certificate', {
            kind: 'check',
            check: { ok: event.ok, title: `${event.what}: ${event.ok ? 'verified' : 'failed'}`, lines: this.verificationLines(event.what, event.detail) },
          });
          break;
        case 'chain': {
          const step = finishedSeen >= 2 ? 'after' : 'certificate';
          const view = chainView(event.report);
          // The outcome in plain words at the top of the step (after what was sent); the searches on demand.
          this.chainSummaries.push([step, view.plain[0] ?? view.title]);
          this.add(step, { kind: 'chain', chain: view });
          break;
        }
        case 'failed':
          this.failure = event.error;
          this.add(finishedSeen >= 2 ? 'after' : this.cursor, {
            kind: 'check',
            check: {
              ok: false,
              title: `The connection failed here: ${event.error.code}${event.error.alert ? ` (${event.error.alert})` : ''}`,
              // The rule is PROTOCOL_REASONS's stable name of the check that refused.
              lines: [{ label: 'reason', text: event.error.message }, ...(event.error.reason ? [{ label: 'rule', text: event.error.reason }] : [])],
            },
          });
          break;
        default:
          break;
      }
    }
  }

  /** What a chain check checked: the path to a trusted root, and for a server the name. */
  private verificationLines(what: string, detail: string | undefined): Line[] {
    const lines: Line[] = [];
    if (/certificate chain/.test(what)) {
      lines.push({ label: 'checked', text: 'each certificate signed by the next, up to a trusted root; validity dates; key usage (RFC 5280)' });
      const name = this.options.session?.serverName ?? this.sniOffered();
      if (/server/.test(what) && this.role === 'client' && name) lines.push({ label: 'identity', text: `the leaf must name ${name} (RFC 6125, RFC 9525)` });
    }
    if (/CertificateVerify/.test(what)) lines.push({ label: 'checked', text: "the signature below, made with the leaf certificate's key, over the transcript so far" });
    if (detail) lines.push({ label: 'reason', text: detail });
    return lines;
  }

  private sniOffered(): string | undefined {
    const hello = this.messages.find((m) => m.message.type === HandshakeType.client_hello);
    if (!hello || hello.message.type !== HandshakeType.client_hello) return undefined;
    const data = findExtension(hello.message.extensions, ExtensionType.server_name);
    return data === undefined ? undefined : safe(() => ext.parseServerNameClientHello(data), undefined);
  }

  private derivation(step: KeyDerivation, keys: Record<'read' | 'write', KeyState | undefined>): void {
    const valueHex = bytesToHex(step.value);
    const secretName = this.secretNames.get(bytesToHex(step.secret));
    if (step.output === 'read_key' || step.output === 'write_key' || step.output === 'read_iv' || step.output === 'write_iv') {
      const direction = step.output.startsWith('read') ? 'read' : 'write';
      const name = secretName ?? 'a traffic secret';
      if (step.output.endsWith('_key')) keys[direction] = { secretName: name, key: step.value };
      else if (keys[direction]) keys[direction]!.iv = step.value;
      const what = step.output.endsWith('_key') ? 'key' : 'iv';
      this.add(this.stepOfSecret(name), {
        kind: 'derivation',
        derivation: {
          output: `${name} → ${what}`,
          operation: step.operation,
          formula: `HKDF-Expand-Label(${name}, "${what}", "", ${step.value.length})`,
          inputs: [{ label: name, value: secretValue(step.secret, KEY_LOG_NAMES[name]) }],
          value: secretValue(step.value),
          label: what,
          from: name,
        },
      });
      return;
    }
    let output = step.output;
    if (output === 'derived') output = `derived from ${secretName ?? 'the previous secret'}`;
    if (output === 'read_traffic_update' || output === 'write_traffic_update') {
      const side = output.startsWith('write') ? this.role : this.peer;
      const n = Number(/_(\d+)$/.exec(secretName ?? '')?.[1] ?? '0');
      output = `${side}_application_traffic_secret_${n + 1}`;
    }
    this.secretNames.set(valueHex, output);
    this.derivationValues.set(output, step.value);
    const inputs: Line[] = [];
    let formula: string;
    let input: string;
    const hashLength = step.value.length;
    const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);
    if (step.operation === 'HKDF-Extract') {
      const saltName = isZero(step.secret) ? `0 (${step.secret.length} zero bytes)` : (secretName ?? 'salt');
      const ikm = step.ikm ?? new Uint8Array(0);
      const ikmName = isZero(ikm)
        ? `0 (${ikm.length} zero bytes)`
        : output === 'early_secret'
          ? 'PSK'
          : output === 'handshake_secret'
            ? '(EC)DHE shared secret'
            : 'input keying material';
      formula = `HKDF-Extract(salt = ${saltName}, IKM = ${ikmName})`;
      input = ikmName;
      inputs.push({ label: `salt: ${saltName}`, value: isZero(step.secret) ? publicValue(step.secret) : secretValue(step.secret) });
      inputs.push({ label: `IKM: ${ikmName}`, value: isZero(ikm) ? publicValue(ikm) : secretValue(ikm) });
    } else {
      const context = step.context ?? new Uint8Array(0);
      const contextName = context.length === 0 ? '""' : (this.transcripts?.names.get(bytesToHex(context)) ?? 'a transcript hash');
      input = contextName;
      formula =
        step.operation === 'Derive-Secret'
          ? `Derive-Secret(${secretName ?? 'secret'}, "${step.label}", ${contextName})`
          : `HKDF-Expand-Label(${secretName ?? 'secret'}, "${step.label}", ${contextName}, ${hashLength})`;
      inputs.push({ label: secretName ?? 'secret', value: secretValue(step.secret, secretName ? KEY_LOG_NAMES[secretName] : undefined) });
      if (context.length > 0) inputs.push({ label: `context: ${contextName}`, value: publicValue(context) });
    }
    this.add(this.stepOfSecret(output), {
      kind: 'derivation',
      derivation: {
        output,
        operation: step.operation,
        formula,
        inputs,
        value: secretValue(step.value, KEY_LOG_NAMES[output]),
        input,
        ...(step.label !== undefined ? { label: step.label } : {}),
        ...(secretName ? { from: secretName } : {}),
      },
    });
  }

  /** Early and handshake secrets explain the key share; the rest is the key schedule's. */
  private stepOfSecret(name: string): StepId {
    if (/application_traffic_secret_[1-9]/.test(name)) return 'after';
    if (name === 'derived from handshake_secret') return 'keys';
    if (/early|binder|handshake|derived from early/.test(name)) return 'key-share';
    return 'keys';
  }

  private explainHello(): void {
    const hello = this.step('hello');
    const keyShare = this.step('key-share');
    const hellos = this.messages.filter((m) => m.message.type === HandshakeType.client_hello);
    const ch = hellos[0]?.message as ClientHello | undefined;
    if (!ch) {
      hello.summary.push('No ClientHello was exchanged.');
      return;
    }
    const groups = safe(() => ext.parseSupportedGroups(findExtension(ch.extensions, ExtensionType.supported_groups)!).map(namedGroupName), []);
    const shares = safe(() => ext.parseKeyShareClientHello(findExtension(ch.extensions, ExtensionType.key_share)!).map((s) => namedGroupName(s.group)), []);
    const sni = safe(() => ext.parseServerNameClientHello(findExtension(ch.extensions, ExtensionType.server_name)!), undefined);
    hello.summary.push(
      `The client opened with a ClientHello: ${ch.cipherSuites.length} cipher suites (${ch.cipherSuites.map(cipherSuiteName).slice(0, 3).join(', ')}${ch.cipherSuites.length > 3 ? ', …' : ''}), ` +
        `groups ${groups.join(', ') || 'none'}${sni ? `, and the server name ${sni}` : ''}. It already sent key shares for ${shares.join(', ') || 'no group'}, guessing what the server will pick, so the keys can be agreed in one round trip.`,
    );
    const retry = this.messages.find((m) => m.retry);
    if (retry) {
      const group = safe(
        () =>
          namedGroupName(
            ext.parseKeyShareHelloRetryRequest(findExtension(retry.message.type === HandshakeType.server_hello ? retry.message.extensions : [], ExtensionType.key_share)!),
          ),
        undefined,
      );
      hello.summary.push(
        `The server answered with a HelloRetryRequest${group ? `, asking for a key share for ${group}` : ''}: the client sent a second ClientHello. The transcript then starts over from message_hash, a synthetic message holding Hash(ClientHello1) (RFC 8446 §4.4.1).`,
      );
    }
    const sh = this.messages.find((m) => m.message.type === HandshakeType.server_hello && !m.retry);
    if (sh && sh.message.type === HandshakeType.server_hello) {
      const share = safe(
        () => ext.parseKeyShareServerHello(findExtension(sh.message.type === HandshakeType.server_hello ? sh.message.extensions : [], ExtensionType.key_share)!),
        undefined,
      );
      const psk = findExtension(sh.message.extensions, ExtensionType.pre_shared_key) !== undefined;
      hello.summary.push(
        `The server chose ${cipherSuiteName(sh.message.cipherSuite)}${share ? ` and ${namedGroupName(share.group)}` : ''}${psk ? ', and accepted the offered ticket (resumption)' : ''}. Everything after its ServerHello is encrypted.`,
      );
      keyShare.summary.push(
        share
          ? `Each side sent a ${namedGroupName(share.group)} public key (${share.keyExchange.length} bytes from the server). Each combines its own private key with the other's public key and gets the same shared secret, which never crossed the wire. HKDF turns it into the handshake secret and from there into the handshake traffic secrets that protect the rest of the handshake (RFC 8446 §7.1).`
          : 'No key share: a PSK alone (psk_ke) keys this handshake.',
      );
      if (psk) keyShare.summary.push('The early secret comes from the resumption PSK, not from zeros: the ticket binds this handshake to the session it came from.');
    } else if (hellos.length > 0) {
      hello.summary.push('No ServerHello was accepted: the handshake ended before the keys were agreed.');
    }
    const early = findExtension(ch.extensions, ExtensionType.early_data) !== undefined;
    if (early) {
      const info = this.options.session?.earlyData;
      hello.summary.push(
        `The client sent 0-RTT data right after its ClientHello, under the client_early_traffic_secret${info ? `; the server ${info === 'accepted' ? 'accepted it' : 'rejected it (the client sends it again after the handshake)'}` : ''}.`,
      );
    }
  }

  private explainCertificates(): void {
    const step = this.step('certificate');
    const certificates = this.messages.filter((m) => m.message.type === HandshakeType.certificate);
    if (certificates.length === 0 && this.messages.some((m) => m.message.type === HandshakeType.encrypted_extensions)) {
      step.summary.push('No certificate: this handshake was authenticated by the PSK of an earlier, authenticated session.');
    }
    certificates.forEach((m) => {
      if (m.message.type !== HandshakeType.certificate) return;
      const entries = m.message.entries;
      step.summary.push(
        entries.length === 0
          ? `The ${m.from} sent an empty Certificate: it has no certificate to offer.`
          : `The ${m.from} sent a chain of ${entries.length} certificate${entries.length > 1 ? 's' : ''}. The ${m.from === this.role ? 'peer' : 'receiver'} checks that it leads to a trusted root and names the expected identity, then that the CertificateVerify signature over the transcript was made with the leaf's key: only the key's owner could have made it for this handshake.`,
      );
      const summaries = entries.map((entry) => safe(() => parseCertificate(entry.data).summary, undefined));
      entries.forEach((entry, i) => {
        const lines: Line[] = [];
        try {
          const s = parseCertificate(entry.data).summary;
          lines.push({ label: 'subject', text: s.subject }, { label: 'issuer', text: s.issuer });
          // The chain as sent: each certificate should be issued by the next (RFC 8446 §4.4.2).
          const next = summaries[i + 1];
          lines.push({
            label: 'issued by',
            text:
              s.subject === s.issuer
                ? 'itself (self-signed): trusted only if it is a trust anchor'
                : next && next.subject === s.issuer
                  ? `the next certificate in the chain (${i + 1}), whose subject is this issuer`
                  : 'a certificate not in this chain: the verifier looks for it among its trust anchors',
          });
          lines.push({ label: 'valid', text: `${s.notBefore.toISOString()} to ${s.notAfter.toISOString()}` });
          if (s.subjectAltNames.length) lines.push({ label: 'names', text: s.subjectAltNames.join(', ') });
          lines.push({ label: 'key', text: `${s.publicKey}, signed with ${s.signatureAlgorithm}${s.isCA ? ', a CA' : ''}` });
          lines.push({ label: 'SHA-256', text: s.fingerprint256 });
        } catch (error) {
          lines.push({ label: 'unparseable', text: (error as Error).message });
        }
        this.add('certificate', { kind: 'certificate', certificate: { position: `${m.from}'s certificate ${i}${i === 0 ? ' (leaf)' : ''}`, lines } });
      });
    });
    // CertificateVerify: the signed content (RFC 8446 §4.4.3).
    this.messages.forEach((m, index) => {
      if (m.message.type !== HandshakeType.certificate_verify) return;
      const th = this.transcripts?.before.get(index);
      if (!th) return;
      const content = certificateVerifyContent(m.from, th);
      const context = `TLS 1.3, ${m.from} CertificateVerify`;
      this.add('certificate', {
        kind: 'check',
        check: {
          ok: undefined,
          title: `What the ${m.from}'s CertificateVerify signs (${signatureSchemeName(m.message.scheme)})`,
          lines: [
            { label: '64 spaces', value: publicValue(content.subarray(0, 64)) },
            { label: `context "${context}"`, value: publicValue(content.subarray(64, 64 + context.length)) },
            { label: 'separator', value: publicValue(content.subarray(64 + context.length, 65 + context.length)) },
            { label: `transcript: ${this.transcripts?.names.get(bytesToHex(th)) ?? 'hash'}`, value: publicValue(th) },
            { label: 'signature', value: publicValue(m.message.signature) },
          ],
        },
      });
    });
  }

  /** Finished (RFC 8446 §4.4.4), recomputed from the secrets the schedule reported. */
  private explainFinished(): void {
    const suite = this.suite;
    if (!suite) return;
    const hash = suite.hash;
    let done = 0;
    this.messages.forEach((m, index) => {
      if (m.message.type !== HandshakeType.finished) return;
      const postHandshake = done >= 2;
      done++;
      const baseName = postHandshake ? this.applicationSecretAt.get(index) : `${m.from}_handshake_traffic_secret`;
      const base = baseName ? this.derivationValues.get(baseName) : undefined;
      const th = this.transcripts?.before.get(index);
      if (!base || !th || !baseName) return;
      const finishedKey = hkdfExpandLabel(this.provider, hash, base, 'finished', new Uint8Array(0), hashOutputLength[hash]);
      const expected = this.provider.hmac(hash, finishedKey, th);
      const ok = bytesEqual(expected, m.message.verifyData);
      this.add(postHandshake ? 'after' : 'finished', {
        kind: 'check',
        check: {
          ok,
          title: `${m.from} Finished: recomputed ${ok ? 'and equal to' : 'but DIFFERENT from'} the verify_data on the wire`,
          lines: [
            { label: `base key: ${baseName}`, value: secretValue(base, KEY_LOG_NAMES[baseName]) },
            { label: 'finished_key = HKDF-Expand-Label(base key, "finished", "", Hash.length)', value: secretValue(finishedKey) },
            { label: `transcript: ${this.transcripts?.names.get(bytesToHex(th)) ?? 'hash'}`, value: publicValue(th) },
            { label: 'verify_data = HMAC(finished_key, transcript)', value: publicValue(expected) },
          ],
        },
      });
    });
    const finishedStep = this.step('finished');
    if (done > 0) {
      finishedStep.summary.push(
        "Each side sends Finished: an HMAC over the transcript (every handshake message so far) with a key derived from its handshake traffic secret. A middlebox that changed a single byte, or a server without the certificate's private key, could not produce it. After the server's Finished both sides derive the application traffic secrets; after the client's, the handshake is complete.",
      );
    }
  }

  /** PSK binders (RFC 8446 §4.2.11.2), recomputed from binder_key. */
  private explainBinders(): void {
    const suite = this.suite;
    const binderKey = this.derivationValues.get('binder_key');
    if (!suite || !binderKey) return;
    const hash = suite.hash;
    let previous: Uint8Array[] = [];
    this.messages.forEach((m) => {
      if (m.message.type === HandshakeType.server_hello && m.retry) {
        previous = [messageHash(digestOf(this.provider, hash, previous)), m.raw];
        return;
      }
      if (m.message.type !== HandshakeType.client_hello) return;
      const data = findExtension(m.message.extensions, ExtensionType.pre_shared_key);
      if (data === undefined) {
        previous = [m.raw];
        return;
      }
      const offered = safe(() => ext.parsePreSharedKeyClientHello(data), undefined);
      if (!offered || offered.binders.length === 0) return;
      const truncated = m.raw.subarray(0, m.raw.length - ext.pskBindersLength(offered.binders));
      const th = digestOf(this.provider, hash, [...previous, truncated]);
      const finishedKey = hkdfExpandLabel(this.provider, hash, binderKey, 'finished', new Uint8Array(0), hashOutputLength[hash]);
      const binder = this.provider.hmac(hash, finishedKey, th);
      const ok = bytesEqual(binder, offered.binders[0]!);
      this.add('key-share', {
        kind: 'check',
        check: {
          ok,
          title: `PSK binder: recomputed ${ok ? 'and equal to' : 'but DIFFERENT from'} the binder in the ClientHello`,
          lines: [
            { label: 'binder_key', value: secretValue(binderKey) },
            { label: 'finished_key = HKDF-Expand-Label(binder_key, "finished", "", Hash.length)', value: secretValue(finishedKey) },
            { label: `Transcript-Hash(${previous.length ? 'message_hash, HelloRetryRequest, ' : ''}ClientHello up to the binders)`, value: publicValue(th) },
            { label: 'binder = HMAC(finished_key, transcript)', value: publicValue(binder) },
          ],
        },
      });
      previous = [m.raw];
    });
  }

  private latest(prefix: string): string | undefined {
    let found: string | undefined;
    for (const name of this.derivationValues.keys()) if (name.startsWith(prefix)) found = name;
    return found;
  }

  private outcome(): { ok: boolean; text: string } {
    const session = this.options.session;
    if (this.failure) {
      const rule = this.failure.reason ? ` [${this.failure.reason}]` : '';
      return { ok: false, text: `The handshake failed: ${this.failure.code}${this.failure.alert ? ` (${this.failure.alert})` : ''}${rule}: ${this.failure.message}` };
    }
    if (!session) return { ok: false, text: 'The handshake did not complete.' };
    const parts = [`TLS 1.3 with ${cipherSuiteName(session.cipherSuite)}`];
    if (session.group !== undefined) parts.push(namedGroupName(session.group));
    if (session.resumed) parts.push('resumed');
    if (session.helloRetry) parts.push('after a HelloRetryRequest');
    if (session.earlyData !== 'not_offered') parts.push(`0-RTT ${session.earlyData}`);
    parts.push(session.authorized ? 'peer verified' : 'peer NOT verified');
    return { ok: true, text: parts.join(', ') };
  }

  private facts(): [string, string][] {
    const s = this.options.session;
    const facts: [string, string][] = [
      ['this side', this.role],
      [
        'records',
        `${this.records.length} (${this.records.filter((r) => r.from === 'client').length} from the client, ${this.records.filter((r) => r.from === 'server').length} from the server)`,
      ],
    ];
    const omitted = this.options.omitted;
    if (omitted && (omitted.applicationDataRecords > 0 || omitted.events > 0)) {
      const parts: string[] = [];
      if (omitted.applicationDataRecords > 0) parts.push(`${omitted.applicationDataRecords} application data records (${omitted.applicationDataBytes} bytes) past the first MiB`);
      if (omitted.events > 0) parts.push(`${omitted.events} later events`);
      facts.push(['not recorded', parts.join('; ')]);
    }
    if (!s) return facts;
    facts.push(['cipher suite', cipherSuiteName(s.cipherSuite)]);
    facts.push(['key exchange', s.group === undefined ? 'none (psk_ke)' : namedGroupName(s.group)]);
    facts.push(['peer signature', s.signatureScheme === undefined ? 'none' : signatureSchemeName(s.signatureScheme)]);
    if (s.serverName) facts.push(['server name', s.serverName]);
    facts.push(['ALPN', s.alpnProtocol ?? 'none']);
    facts.push(['resumed', s.resumed ? 'yes' : 'no']);
    facts.push(['HelloRetryRequest', s.helloRetry ? 'yes' : 'no']);
    facts.push(['0-RTT', s.earlyData.replace('_', ' ')]);
    facts.push(['peer authenticated', s.authorized ? 'yes' : `no${s.authorizationError ? `: ${s.authorizationError.message}` : ''}`]);
    return facts;
  }
}

function digestOf(provider: CryptoProvider, hash: HashName, parts: readonly Uint8Array[]): Uint8Array {
  const h = provider.hash(hash);
  for (const p of parts) h.update(p);
  return h.digest();
}

function safe<T, D>(read: () => T, fallback: D): T | D {
  try {
    return read();
  } catch {
    return fallback;
  }
}
