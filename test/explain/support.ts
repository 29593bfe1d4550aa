import { ClientConnection, ServerConnection } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import type { SessionTicket } from '../../src/handshake-context.js';
import { explain } from '../../src/explain/model.js';
import type { Explanation } from '../../src/explain/view.js';
import { ExplainRecorder } from '../../src/explain/recorder.js';
import { bytesToHex } from '../../src/wire/bytes.js';
import { clientConfig, drain, provider, serverConfig, until } from '../helpers/negative.js';
import { type Endpoint, pipe } from '../helpers/pipe.js';

/**
 * An in-memory connection with an explain recorder on each side: the records each side put on
 * the wire (from the pipe, not from the trace), the key log each side wrote, and the model.
 */
export interface Explained {
  client: ClientConnection;
  server: ServerConnection;
  ends: { client: Endpoint; server: Endpoint };
  recorders: { client: ExplainRecorder; server: ExplainRecorder };
  /** NSS key log name → hex, per side, from onSecret. */
  keyLog: { client: Map<string, string>; server: Map<string, string> };
  /** Every record each side sent, cut from the bytes it handed the transport. */
  wire: { client: Uint8Array[]; server: Uint8Array[] };
  tickets: SessionTicket[];
  model(side: 'client' | 'server'): Explanation;
}

export interface RunOptions {
  client?: Partial<ClientConfig>;
  server?: Partial<ServerConfig>;
  /** After the handshake, on the established connections. */
  after?: (client: ClientConnection, server: ServerConnection) => void | Promise<void>;
  wantTickets?: number;
  /** Wait for a failure instead of a handshake. */
  expectFailure?: boolean;
}

export async function explained(options: RunOptions = {}): Promise<Explained> {
  const recorders = { client: new ExplainRecorder(), server: new ExplainRecorder() };
  const keyLog = { client: new Map<string, string>(), server: new Map<string, string>() };
  const c = new ClientConnection(
    clientConfig({ ...options.client, onKeyDerivation: recorders.client.derivation, onSecret: (name, secret) => keyLog.client.set(name, bytesToHex(secret)) }),
  );
  const s = new ServerConnection(
    await serverConfig({ ...options.server, onKeyDerivation: recorders.server.derivation, onSecret: (name, secret) => keyLog.server.set(name, bytesToHex(secret)) }),
  );
  c.on('trace', recorders.client.trace);
  s.on('trace', recorders.server.trace);
  const tickets: SessionTicket[] = [];
  c.on('session', (t) => tickets.push(t));
  const ends = pipe(c, s, { maxChunk: 300, seed: 7 });
  c.start();
  await until(
    () => (c.session !== undefined && s.session !== undefined && tickets.length >= (options.wantTickets ?? 0)) || c.error !== undefined || s.error !== undefined,
    'handshake',
  );
  await drain(c, s);
  if (!options.expectFailure && (c.error || s.error)) throw c.error ?? s.error;
  if (options.after && !c.error && !s.error) {
    await options.after(c, s);
    await drain(c, s);
  }
  recorders.client.end();
  recorders.server.end();
  const wire = { client: splitRecords(ends.client.wire), server: splitRecords(ends.server.wire) };
  return {
    client: c,
    server: s,
    ends,
    recorders,
    keyLog,
    wire,
    tickets,
    model: (side) =>
      explain(recorders[side].events, { role: side, provider, title: `in-memory ${side}`, session: (side === 'client' ? c : s).session, omitted: recorders[side].omitted }),
  };
}

/** The records in what a side sent, whatever the chunking of its 'send' calls. */
export function splitRecords(chunks: readonly Uint8Array[]): Uint8Array[] {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i + 5 <= all.length; ) {
    const length = (all[i + 3]! << 8) | all[i + 4]!;
    out.push(all.slice(i, i + 5 + length));
    i += 5 + length;
  }
  return out;
}
