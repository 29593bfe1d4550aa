import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/explain/html.js';
import type { Explanation, RecordView } from '../../src/explain/view.js';
import type { Region } from '../../src/explain/regions.js';
import { renderText } from '../../src/explain/text.js';
import { HandshakeType, NamedGroup, extensionTypeName, isGrease } from '../../src/registry.js';
import type { HandshakeMessage, RawExtension } from '../../src/messages/types.js';
import { AntiReplay } from '../../src/server/anti-replay.js';
import { StatelessTicketStore } from '../../src/server/tickets.js';
import { bytesToHex, concatBytes, utf8 } from '../../src/wire/bytes.js';
import { TrustStore } from '../../src/x509/truststore.js';
import { X509Verifier } from '../../src/x509/x509-verifier.js';
import { pemChain, pinnedLeafVerifier, pkcs8, pkiPath, serverChain, serverKey } from '../helpers/fixtures.js';
import { drain, provider } from '../helpers/negative.js';
import { type Explained, explained } from './support.js';

/**
 * `wiretls explain` pages for every handshake shape, checked against what really happened:
 * the regions of each record concatenate to the bytes that crossed the (in-memory) wire, each
 * record appears exactly once, every secret shown with a key log name equals the key log's
 * value, a redacted page holds no secret at all, and the page is small and quick to make.
 */

const OUT = new URL('../../test-output/explain/', import.meta.url);
mkdirSync(OUT, { recursive: true });

type Side = 'client' | 'server';

/** `<code class="w" data-r="N">hex</code>` in document order. */
function wireRegions(html: string): { record: number; hex: string }[] {
  return [...html.matchAll(/<code class="w" data-r="(\d+)">([^<]*)<\/code>/g)].map((m) => ({ record: Number(m[1]), hex: m[2]!.replace(/\s+/g, '') }));
}

/** Each record's hex, by its data-r number, joined from its regions; each record must appear once. */
function recordsOnPage(html: string): Map<number, string> {
  const out = new Map<number, string>();
  let current = -1;
  for (const { record, hex } of wireRegions(html)) {
    if (record !== current) {
      // Each record's regions are contiguous: a record shown twice would start twice.
      expect(out.has(record), `record ${record} appears more than once`).toBe(false);
      out.set(record, '');
      current = record;
    }
    out.set(record, out.get(record)! + hex);
  }
  return out;
}

/** The records as the model ordered them, per sender, against the bytes each side sent. */
function expectWireMatches(r: Explained, side: Side, model: Explanation, html: string): void {
  const page = recordsOnPage(html);
  expect([...page.keys()].sort((a, b) => a - b)).toEqual(model.records.map((x) => x.index));
  const bySender: Record<Side, string[]> = { client: [], server: [] };
  for (const record of model.records) bySender[record.from].push(page.get(record.index)!);
  const sent = r.wire[side].map(bytesToHex);
  const peer: Side = side === 'client' ? 'server' : 'client';
  const received = r.wire[peer].map(bytesToHex);
  expect(bySender[side]).toEqual(sent);
  // What the side read: everything the peer sent, or (after a failure) a prefix of it.
  expect(received.slice(0, bySender[peer].length)).toEqual(bySender[peer]);
  if (!r.client.error && !r.server.error) expect(bySender[peer]).toEqual(received);
}

function expectKeyLogValues(r: Explained, side: Side, html: string): void {
  const shown = [...html.matchAll(/<code class="s" data-keylog="([A-Z_0-9]+)">([0-9a-f]+)<\/code>/g)];
  expect(shown.length).toBeGreaterThan(0);
  for (const [, name, hex] of shown) expect(hex, name).toBe(r.keyLog[side].get(name!));
  // And every secret of the key log is on the page.
  for (const name of r.keyLog[side].keys())
    expect(
      shown.some((m) => m[1] === name),
      `${name} shown`,
    ).toBe(true);
}

/** Every secret value the engine reported: none may be in a redacted page. */
function secretsOf(r: Explained, side: Side): string[] {
  const out = new Set<string>();
  for (const e of r.recorders[side].events) {
    if (e.kind !== 'derivation') continue;
    for (const v of [e.step.value, e.step.secret, e.step.ikm]) if (v?.some((b) => b !== 0)) out.add(bytesToHex(v));
  }
  for (const hex of r.keyLog[side].values()) out.add(hex);
  return [...out];
}

interface Checked {
  model: Explanation;
  html: string;
  text: string;
}

/** Renders both sides, writes the pages, and runs the checks every page must pass. */
function check(r: Explained, name: string): Record<Side, Checked> {
  const result = {} as Record<Side, Checked>;
  for (const side of ['client', 'server'] as const) {
    const model = r.model(side);
    const html = renderHtml(model, { redact: false });
    writeFileSync(new URL(`${name}-${side}.html`, OUT), html);
    expectWireMatches(r, side, model, html);
    expectKeyLogValues(r, side, html);
    for (const record of model.records) {
      if (record.protection?.innerType !== undefined) expect(record.protection.rechecked, `record ${record.index} decrypts again`).toBe(true);
    }
    const redacted = renderHtml(model, { redact: true });
    writeFileSync(new URL(`${name}-${side}-redacted.html`, OUT), redacted);
    expect(redacted).not.toContain('data-keylog');
    const lower = redacted.toLowerCase();
    for (const secret of secretsOf(r, side)) expect(lower.includes(secret), 'a secret in the redacted page').toBe(false);
    // The regions still concatenate to the wire in a redacted page: bytes on the wire are public.
    expect(recordsOnPage(redacted)).toEqual(recordsOnPage(html));

    const text = renderText(model, { width: 100, colour: false, redact: false });
    expect(text).not.toContain('\x1b[');
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    const redactedText = renderText(model, { width: 100, colour: false, redact: true });
    for (const secret of secretsOf(r, side)) expect(redactedText.replace(/\s/g, '').includes(secret)).toBe(false);
    result[side] = { model, html, text };
  }
  return result;
}

function allChecks(model: Explanation): { ok: boolean | undefined; title: string }[] {
  return model.steps.flatMap((s) => s.items.flatMap((i) => (i.kind === 'check' ? [i.check] : [])));
}

/** One field of a handshake message as the records show it: its part in each record that carries it. */
interface Field {
  label: string;
  pieces: { record: number; label: string; hex: string }[];
}

const withoutContinued = (label: string): string => label.replace(/ \(continued\)$/, '');

/**
 * The fields listed in a message (its extensions, its certificate entries), record by record:
 * `path` names the groups down to the list (each may be "(continued)" in a later record); each
 * group under the list starts a field, each "(continued)" part of one adds to the last field.
 */
function fieldsShown(records: readonly RecordView[], from: Side, path: readonly string[]): Field[] {
  const fields: Field[] = [];
  const hexOf = (region: Region): string => (region.children ? region.children.map(hexOf).join('') : bytesToHex(region.bytes!));
  for (const record of records.filter((x) => x.from === from)) {
    const visit = (regions: readonly Region[], depth: number): void => {
      for (const region of regions) {
        if (!region.children) continue;
        if (depth < path.length) {
          visit(region.children, withoutContinued(region.label) === path[depth] ? depth + 1 : depth);
          continue;
        }
        const piece = { record: record.index, label: region.label, hex: hexOf(region) };
        if (region.label.endsWith(' (continued)')) {
          expect(fields.at(-1)?.label, `${region.label} in record ${record.index} continues the field before it`).toBe(withoutContinued(region.label));
          fields.at(-1)!.pieces.push(piece);
        } else fields.push({ label: region.label, pieces: [piece] });
      }
    };
    visit(record.protection ? record.protection.plain : record.wire, 0);
  }
  return fields;
}

function u(value: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (value >>> (8 * (length - 1 - i))) & 0xff);
}

function encodeExtension(e: RawExtension): Uint8Array {
  return concatBytes(u(e.type, 2), u(e.data.length, 2), e.data);
}

function extensionLabel(type: number): string {
  return isGrease(type) ? `GREASE 0x${type.toString(16).padStart(4, '0')}` : extensionTypeName(type);
}

/** The record's part of a page: from its anchor to the next record's. */
function section(page: string, start: string, index: number): string {
  const from = page.indexOf(`${start}${index}`);
  expect(from, `record ${index} on the page`).toBeGreaterThanOrEqual(0);
  const next = page.indexOf(start, from + 1);
  return page.slice(from, next < 0 ? undefined : next);
}

/**
 * Each field of `message` (as the engine decoded it) is labelled, with exactly its bytes, in the
 * records that carry it, in order: whole where it fits in one record, else its first part under
 * its own name and the rest as "(continued)" in the sender's next records; and the HTML and
 * text pages show those labels in those records. Returns how many records the fields spanned.
 */
function expectFieldsLabelled(page: Checked, from: Side, path: readonly string[], expected: readonly { label: string; bytes: Uint8Array }[]): number {
  const fields = fieldsShown(page.model.records, from, path);
  expect(fields.map((f) => f.label)).toEqual(expected.map((e) => e.label));
  const senderRecords = page.model.records.filter((x) => x.from === from).map((x) => x.index);
  const text = page.text.replace(/\s+/g, ' ');
  const carrying = new Set<number>();
  fields.forEach((field, i) => {
    expect(field.pieces.map((p) => p.hex).join(''), field.label).toBe(bytesToHex(expected[i]!.bytes));
    field.pieces.forEach((piece, k) => {
      expect(piece.label).toBe(k === 0 ? field.label : `${field.label} (continued)`);
      if (k > 0) expect(senderRecords.indexOf(piece.record), `${piece.label} in the sender's next record`).toBe(senderRecords.indexOf(field.pieces[k - 1]!.record) + 1);
      expect(section(page.html, 'id="record-', piece.record)).toContain(`<b>${piece.label.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</b>`);
      expect(section(text, '▶ record ', piece.record)).toContain(` ${piece.label} — `);
      carrying.add(piece.record);
    });
  });
  return carrying.size;
}

function messagesOf(r: Explained, side: Side, type: number): HandshakeMessage[] {
  return r.recorders[side].events.flatMap((e) => (e.kind === 'trace' && e.event.kind === 'message' && e.event.message.type === type ? [e.event.message] : []));
}

function extensionsOf(message: HandshakeMessage | undefined): { label: string; bytes: Uint8Array }[] {
  expect(message && 'extensions' in message).toBe(true);
  return (message as { extensions: RawExtension[] }).extensions.map((e) => ({ label: extensionLabel(e.type), bytes: encodeExtension(e) }));
}

function certificateEntriesOf(message: HandshakeMessage | undefined): { label: string; bytes: Uint8Array }[] {
  expect(message?.type).toBe(HandshakeType.certificate);
  if (message?.type !== HandshakeType.certificate) return [];
  return message.entries.map((e, i) => {
    const extensions = concatBytes(...e.extensions.map(encodeExtension));
    return { label: `CertificateEntry ${i}`, bytes: concatBytes(u(e.data.length, 3), e.data, u(extensions.length, 2), extensions) };
  });
}

const trustStore = TrustStore.fromPem(readFileSync(pkiPath('root.pem')), 'root.pem');
const clientCertificate = async () => ({ chain: pemChain('client-ecdsa-p256-chain.pem'), key: await provider.importSigningKey(pkcs8('client-ecdsa-p256-key.pem')) });

describe('wiretls explain pages', () => {
  it('full handshake, data, KeyUpdate both ways, close_notify: every record, every secret, every Finished', async () => {
    const r = await explained({
      after: (c) => {
        c.write(utf8('GET / HTTP/1.1\r\n\r\n'));
        c.updateKeys(true);
        c.close();
      },
    });
    const started = performance.now();
    const model = r.model('client');
    const html = renderHtml(model, { redact: false });
    writeFileSync(new URL('timing.html', OUT), html);
    const elapsed = performance.now() - started;
    console.log(`explain: full-handshake client page ${html.length} bytes, built and written in ${elapsed.toFixed(1)} ms`);
    expect(html.length).toBeLessThan(300 * 1024);
    expect(elapsed).toBeLessThan(200);

    const { client, server } = check(r, 'full');
    for (const side of [client, server]) {
      expect(side.model.steps.map((s) => s.id)).toEqual(['hello', 'key-share', 'certificate', 'keys', 'finished', 'after']);
      const checks = allChecks(side.model);
      expect(checks.filter((c) => c.ok === false)).toEqual([]);
      expect(checks.filter((c) => /Finished: recomputed and equal/.test(c.title))).toHaveLength(2);
    }
    expect(client.html).toContain('client_application_traffic_secret_1');
    expect(client.html).toContain('server_application_traffic_secret_1');
    expect(client.html).toContain('close_notify');
    expect(client.html).toContain('&quot;GET / HTTP/1.1\\r\\n\\r\\n&quot;');
    const flat = client.text.replace(/\s+/g, ' ');
    // On a terminal: colour, and the width it has.
    const coloured = renderText(client.model, { width: 72, colour: true, redact: false });
    expect(coloured).toContain('\x1b[32m✓');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences start with ESC
    for (const line of coloured.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) expect(line.length, line).toBeLessThanOrEqual(72);
    expect(flat).toContain('identity: the leaf must name localhost');
    expect(flat).toContain('Derive-Secret(handshake_secret, "c hs traffic", Hash(ClientHello … ServerHello))');
    expect(flat).toContain('Derive-Secret(master_secret, "c ap traffic", Hash(ClientHello … Finished))');
  });

  it('record_size_limit 64: handshake messages span many records, each piece labelled, the walk stays exact', async () => {
    // A long ALPN name makes EncryptedExtensions span records; a client certificate gives the client a spanning message too.
    const alpnProtocols = ['x'.repeat(120), 'h2'];
    const r = await explained({
      client: { recordSizeLimit: 64, alpnProtocols, certificate: await clientCertificate() },
      server: { recordSizeLimit: 64, alpnProtocols, clientAuth: 'require', verifier: new X509Verifier({ trustStore }) },
      after: (c) => c.write(new Uint8Array(300).fill(0x41)),
    });
    expect(r.client.session?.alpnProtocol).toBe(alpnProtocols[0]);
    const { client, server } = check(r, 'small-records');
    for (const side of [client, server]) {
      expect(side.model.records.length).toBeGreaterThan(20);
      expect(side.html).toContain('(continued)');
      expect(side.html).toContain('continues in the next record');
      expect(allChecks(side.model).filter((c) => c.ok === false)).toEqual([]);
    }
    // The server's flight went out in pieces: the Certificate spans records.
    expect(client.model.records.filter((x) => x.from === 'server' && x.title === 'handshake (continued)').length).toBeGreaterThan(5);
    // Each message is walked whole, so every field is labelled in the records that carry it,
    // in the clear (ClientHello, ServerHello) and decrypted (EncryptedExtensions, Certificate).
    for (const side of ['client', 'server'] as const) {
      const page = side === 'client' ? client : server;
      // The ClientHello and ServerHello go out before the limit is known (and unprotected
      // records are not bound by it, RFC 8449 §4): each in one record, fields still labelled.
      expect(expectFieldsLabelled(page, 'client', ['ClientHello', 'extensions'], extensionsOf(messagesOf(r, side, HandshakeType.client_hello)[0]))).toBe(1);
      expect(expectFieldsLabelled(page, 'server', ['ServerHello', 'extensions'], extensionsOf(messagesOf(r, side, HandshakeType.server_hello)[0]))).toBe(1);
      expect(expectFieldsLabelled(page, 'server', ['EncryptedExtensions', 'extensions'], extensionsOf(messagesOf(r, side, HandshakeType.encrypted_extensions)[0]))).toBeGreaterThan(
        2,
      );
      const [serverCertificate, clientCertificateMessage] = messagesOf(r, side, HandshakeType.certificate);
      expect(expectFieldsLabelled(page, 'server', ['Certificate', 'certificate_list'], certificateEntriesOf(serverCertificate))).toBeGreaterThan(5);
      expect(expectFieldsLabelled(page, 'client', ['Certificate', 'certificate_list'], certificateEntriesOf(clientCertificateMessage))).toBeGreaterThan(5);
      // The leaf's DER, cut across records, still has its name in each.
      expect(page.html).toContain('<b>cert_data (continued)</b>');
      expect(page.text).toContain('DER certificate (continued)');
    }
  });

  it('a chain larger than a 16 KiB record: the Certificate spans records, each entry labelled where it lies', async () => {
    const leafChain = serverChain('ed25519');
    // Certificates the peer may ignore (RFC 8446 §4.4.2 allows unrelated ones), to pass 16 KiB.
    const filler = Array.from({ length: 32 }, (_, i) => serverChain('rsa2048')[i % 2]!);
    const chain = [...leafChain, ...filler];
    expect(chain.reduce((n, c) => n + c.length, 0)).toBeGreaterThan(16384);
    const r = await explained({ server: { certificates: [{ chain, key: await provider.importSigningKey(serverKey('ed25519')) }] } });
    const { client, server } = check(r, 'large-chain');
    for (const side of ['client', 'server'] as const) {
      const page = side === 'client' ? client : server;
      expect(allChecks(page.model).filter((c) => c.ok === false)).toEqual([]);
      const entries = certificateEntriesOf(messagesOf(r, side, HandshakeType.certificate)[0]);
      expect(entries).toHaveLength(chain.length);
      expect(expectFieldsLabelled(page, 'server', ['Certificate', 'certificate_list'], entries)).toBe(2);
      // A full record: 2^14 bytes of plaintext, its content type and the tag.
      expect(page.model.records.some((x) => x.from === 'server' && x.length === 5 + 16384 + 1 + 16)).toBe(true);
      expect(page.html).toContain('<b>certificate_list (continued)</b>');
    }
  });

  it('HelloRetryRequest: message_hash restarts the transcript, the secrets still match', async () => {
    const r = await explained({
      client: { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
      server: { groups: [NamedGroup.secp256r1] },
    });
    expect(r.client.session?.helloRetry).toBe(true);
    const { client, server } = check(r, 'hrr');
    for (const side of [client, server]) {
      expect(side.model.records.map((x) => x.title).slice(0, 3)).toEqual(['ClientHello', 'HelloRetryRequest', expect.stringMatching(/ClientHello|change_cipher_spec/)]);
      expect(side.text.replace(/\s+/g, ' ')).toContain('Hash(message_hash(ClientHello1) … ServerHello)');
      expect(allChecks(side.model).filter((c) => c.ok === false)).toEqual([]);
    }
  });

  it('resumption with 0-RTT accepted: binder recomputed, early secrets match the key log, early records opened', async () => {
    const server = { ticketStore: new StatelessTicketStore(provider), antiReplay: new AntiReplay(), maxEarlyDataSize: 16384 };
    const first = await explained({ server, wantTickets: 1 });
    const r = await explained({ client: { session: first.tickets[0]!, earlyData: utf8('early hello') }, server });
    expect(r.client.session).toMatchObject({ resumed: true, earlyData: 'accepted' });
    const { client, server: s } = check(r, 'resumed-0rtt');
    for (const side of [client, s]) {
      const checks = allChecks(side.model);
      expect(checks.filter((c) => c.ok === false)).toEqual([]);
      expect(checks.some((c) => /PSK binder: recomputed and equal/.test(c.title))).toBe(true);
      expect(side.model.records.some((x) => x.title === 'application data (0-RTT)')).toBe(true);
      expect(side.html).toContain('data-keylog="CLIENT_EARLY_TRAFFIC_SECRET"');
      expect(side.html).toContain('IKM = PSK');
    }
    expect(r.keyLog.client.has('CLIENT_EARLY_TRAFFIC_SECRET')).toBe(true);

    // Resumption after a HelloRetryRequest: the second binder covers message_hash and the HRR.
    const retried = await explained({
      client: { session: first.tickets[0]!, groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
      server: { ...server, groups: [NamedGroup.secp256r1] },
    });
    expect(retried.client.session).toMatchObject({ resumed: true, helloRetry: true });
    const pages = check(retried, 'resumed-hrr');
    for (const side of [pages.client, pages.server]) {
      const binders = allChecks(side.model).filter((c) => c.title.startsWith('PSK binder'));
      expect(binders.map((c) => c.ok)).toEqual([true, true]);
      expect(side.text.replace(/\s+/g, ' ')).toContain('Transcript-Hash(message_hash, HelloRetryRequest, ClientHello up to the binders)');
    }
  });

  it('resumption with 0-RTT rejected: the server shows the early records it could not open and skipped', async () => {
    const store = new StatelessTicketStore(provider);
    const first = await explained({ server: { ticketStore: store, antiReplay: new AntiReplay(), maxEarlyDataSize: 16384 }, wantTickets: 1 });
    const r = await explained({ client: { session: first.tickets[0]!, earlyData: utf8('early hello') }, server: { ticketStore: store } });
    expect(r.client.session).toMatchObject({ resumed: true, earlyData: 'rejected' });
    const { server } = check(r, 'resumed-0rtt-rejected');
    expect(server.model.records.some((x) => x.note?.includes('0-RTT data the server rejected'))).toBe(true);
  });

  it('mutual TLS and post-handshake authentication: both chains, both signatures, the later Finished', async () => {
    const r = await explained({
      server: { clientAuth: 'require', verifier: new X509Verifier({ trustStore }) },
      client: { certificate: await clientCertificate() },
      after: async (c, s) => {
        s.requestClientCertificate();
        await drain(c, s);
        // After a KeyUpdate the next post-handshake Finished is keyed by the new secret.
        c.updateKeys(true);
        await drain(c, s);
        s.requestClientCertificate();
      },
    });
    expect(r.server.session?.authorized).toBe(true);
    const { client, server } = check(r, 'mtls');
    for (const side of [client, server]) {
      expect(side.html).toContain('What the client&#39;s CertificateVerify signs'.replace('&#39;', "'"));
      expect(side.html).toContain('TLS 1.3, client CertificateVerify');
      expect(allChecks(side.model).filter((c) => c.ok === false)).toEqual([]);
      // Handshake Finished both ways, then the client's two post-handshake Finished.
      expect(allChecks(side.model).filter((c) => /Finished: recomputed and equal/.test(c.title))).toHaveLength(4);
      expect(side.text.replace(/\s+/g, ' ')).toContain('base key: client_application_traffic_secret_1');
    }
    expect(server.html).toContain('client certificate chain: verified');
  });

  it('a failed handshake is explained up to its reason: the certificate check, the alert, the record that carried it', async () => {
    const r = await explained({ client: { verifier: pinnedLeafVerifier(serverChain('ecdsa-p256')[0]!) }, expectFailure: true });
    expect(r.client.error?.alert).toBeDefined();
    const { client, server } = check(r, 'failed');
    expect(client.model.outcome.ok).toBe(false);
    expect(client.model.outcome.text).toContain(r.client.error!.alert!);
    // The failure sits in the step where it happened, with the verifier's reason.
    const certificateStep = client.model.steps.find((s) => s.id === 'certificate')!;
    const failure = certificateStep.items.find((i) => i.kind === 'check' && i.check.ok === false);
    expect(failure).toMatchObject({
      check: { title: `The connection failed here: ${r.client.error!.code} (${r.client.error!.alert})`, lines: [{ label: 'reason', text: r.client.error!.message }] },
    });
    expect(client.html).toContain(`The connection failed here: ${r.client.error!.code} (${r.client.error!.alert})`);
    expect(client.model.records.at(-1)!.title).toBe(`alert: ${r.client.error!.alert}`);
    expect(server.model.outcome.text).toContain('ALERT_RECEIVED');
  });
});
