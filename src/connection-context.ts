import type { CommonConfig } from './config.js';
import type { CipherSuiteParams, CryptoProvider } from './crypto/provider.js';
import type { TLSError } from './errors.js';
import type { Epoch, HandshakeContext, SessionInfo, SessionTicket, TraceEvent, TrafficSecrets } from './handshake-context.js';
import type { SecretName, SecretObserver } from './keyschedule.js';
import { Listeners } from './listeners.js';
import { encodeHandshake } from './messages/handshake.js';
import type { HandshakeMessage } from './messages/types.js';
import { InboundRecords } from './record/inbound.js';
import { OutboundRecords } from './record/outbound.js';
import { AlertDescription, HandshakeType } from './registry.js';
import { TrafficKeys } from './traffic-keys.js';
import type { Transcript } from './transcript.js';

/** What a Connection reports, with `on(event, listener)`. */
export interface ConnectionEvents {
  /** Bytes for the transport, in order. */
  send: (bytes: Uint8Array) => void;
  /** The handshake completed; application data may flow both ways. */
  handshake: (info: SessionInfo) => void;
  /** Application data from the peer. */
  data: (bytes: Uint8Array) => void;
  /** The peer sent close_notify: it will send no more data (we still may). */
  end: () => void;
  /** A fatal error; the alert (if any) was sent and the connection is closed. */
  error: (error: TLSError) => void;
  /** The server issued a ticket (clients only). */
  session: (ticket: SessionTicket) => void;
  /** Structured trace of the handshake (for --trace). */
  trace: (event: TraceEvent) => void;
  /**
   * Server: post-handshake client authentication completed; `info` is the session info from
   * now on (a new object when a certificate was accepted; what 'handshake' gave stays as it was).
   */
  authenticated: (info: SessionInfo) => void;
}

/**
 * What a handshake step did that the application hears of. The step only records it (in
 * ConnectionParts.events); the connection delivers it once the next state is in place, so no
 * listener runs while the state machine is between states (see event-delivery.ts).
 */
export type StepEvent =
  /** `afterwards`: see HandshakeContext.complete (the server sends its tickets then). */
  | { kind: 'handshake'; info: SessionInfo; afterwards: ((open: boolean) => void) | undefined }
  | { kind: 'session'; ticket: SessionTicket }
  | { kind: 'authenticated'; info: SessionInfo };

/** The parts of a connection its state machine drives; made once per connection. */
export interface ConnectionParts {
  readonly config: CommonConfig;
  readonly listeners: Listeners<ConnectionEvents>;
  readonly inbound: InboundRecords;
  readonly outbound: OutboundRecords;
  readonly keys: TrafficKeys;
  /** A ClientHello was sent or received: its random names the connection in key logs. */
  clientRandom: Uint8Array;
  /** What the step in progress did for the application, in order; delivered after it. */
  readonly events: StepEvent[];
}

/** Until a ClientHello names the connection; and for good when no key log wants the name. */
const UNKNOWN_CLIENT_RANDOM = new Uint8Array(32);

/** A connection's listeners: none yet for each of its events. */
export function connectionListeners(): Listeners<ConnectionEvents> {
  return new Listeners<ConnectionEvents>({
    send: undefined,
    handshake: undefined,
    data: undefined,
    end: undefined,
    error: undefined,
    session: undefined,
    trace: undefined,
    authenticated: undefined,
  });
}

/** What the parts report to the connection that owns them. */
export interface PartsOwner {
  readonly listeners: Listeners<ConnectionEvents>;
  /** The content of a received alert record (not yet checked). */
  alert(content: Uint8Array): void;
}

/** The record layer's two directions and the traffic keys, wired to the owner's events. */
export function connectionParts(role: 'client' | 'server', config: CommonConfig, earlyDataSkipLimit: number, owner: PartsOwner): ConnectionParts {
  const listeners = owner.listeners;
  const tracer = {
    get tracing() {
      return listeners.has('trace');
    },
    trace: (event: TraceEvent): void => listeners.emit('trace', event),
  };
  const keys = new TrafficKeys(config.provider, role, { onKeyDerivation: config.onKeyDerivation, keyUpdateAfterRecords: config.keyUpdateAfterRecords });
  const inbound = new InboundRecords(
    { maxHandshakeMessageSize: config.maxHandshakeMessageSize, earlyDataSkipLimit },
    { alert: (content) => owner.alert(content), data: (content) => listeners.emit('data', content) },
    tracer,
  );
  const outbound = new OutboundRecords(role, {
    get tracing() {
      return tracer.tracing;
    },
    trace: tracer.trace,
    send: (record) => listeners.emit('send', record),
    nextKey: () => keys.nextWriter(),
  });
  return {
    config,
    listeners,
    inbound,
    outbound,
    keys,
    clientRandom: UNKNOWN_CLIENT_RANDOM,
    events: [],
  };
}

/**
 * The connection failed with `error`: its alert goes to the peer when `sendAlert` allows and
 * one is due, then every part lets go of its keys and queues.
 */
export function failParts(parts: ConnectionParts, error: TLSError, sendAlert: boolean): void {
  const { outbound, inbound, keys } = parts;
  // After our close_notify the peer expects nothing more from us, an alert included.
  if (sendAlert && !outbound.closed && error.code !== 'ALERT_RECEIVED' && error.alert !== undefined) {
    try {
      outbound.sendAlert(AlertDescription[error.alert]);
    } catch {
      // The alert is a courtesy; the error the connection reports is what matters.
    }
  }
  outbound.dispose();
  inbound.dispose();
  keys.forget();
}

/**
 * The state machines' view of a connection (HandshakeContext). A class, not an object of
 * closures: the states of an established connection keep it for KeyUpdate and post-handshake
 * authentication, and this way that costs one small object per connection, not a closure per
 * method.
 */
export class ConnectionContext implements HandshakeContext {
  readonly provider: CryptoProvider;

  constructor(private readonly parts: ConnectionParts) {
    this.provider = parts.config.provider;
  }

  /** A new observer for each key schedule that asks (one per handshake); none is kept. */
  get onSecret(): SecretObserver {
    const parts = this.parts;
    const { onSecret, onKeyDerivation } = parts.config;
    const observer = (name: SecretName, secret: Uint8Array): void => {
      parts.listeners.emit('trace', { kind: 'secret', name });
      onSecret?.(name, secret, parts.clientRandom);
    };
    return onKeyDerivation ? Object.assign(observer, { derivation: onKeyDerivation }) : observer;
  }

  sendMessage(message: HandshakeMessage, transcript: Transcript | undefined, encoded?: Uint8Array): Uint8Array {
    const parts = this.parts;
    const raw = encoded ?? encodeHandshake(message);
    if (message.type === HandshakeType.client_hello && parts.config.onSecret) parts.clientRandom = message.random.slice();
    transcript?.update(raw);
    parts.listeners.emit('trace', { kind: 'message', direction: 'sent', message, raw });
    parts.outbound.queueHandshake(raw);
    return raw;
  }

  flush(): void {
    this.parts.outbound.flush();
  }

  sendChangeCipherSpec(): void {
    this.parts.outbound.sendChangeCipherSpec();
  }

  installReadKeys(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void {
    const { inbound, keys, listeners } = this.parts;
    inbound.installKeys(keys.reader(suite, secret, inbound.plaintextLimit), epoch);
    listeners.emit('trace', { kind: 'keys', direction: 'read', epoch });
  }

  installWriteKeys(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): void {
    const { outbound, keys, listeners } = this.parts;
    // What was queued goes out under the old keys before the new ones are derived, so a
    // trace reader (explain) sees the records in the order of the keys that protect them.
    outbound.flush();
    outbound.installKeys(keys.writer(suite, secret, epoch));
    listeners.emit('trace', { kind: 'keys', direction: 'write', epoch });
  }

  clearWriteKeys(): void {
    this.parts.outbound.clearKeys();
  }

  sendEarlyData(data: Uint8Array): void {
    this.parts.outbound.flush();
    this.parts.outbound.sendData(data);
  }

  acceptEarlyData(maxBytes: number): void {
    this.parts.inbound.acceptEarlyData(maxBytes);
  }

  setPeerRecordSizeLimit(limit: number): void {
    const { outbound, inbound, config } = this.parts;
    // RFC 8449 §4: both sides sent the extension, so ours now binds the peer too.
    outbound.limitRecordSize(limit);
    if (config.recordSizeLimit !== undefined) inbound.limitRecordSize(config.recordSizeLimit);
  }

  complete(info: SessionInfo, secrets: TrafficSecrets, afterwards?: (open: boolean) => void): void {
    this.parts.keys.established(secrets);
    this.parts.events.push({ kind: 'handshake', info, afterwards });
  }

  trace(event: TraceEvent): void {
    this.parts.listeners.emit('trace', event);
  }

  get tracing(): boolean {
    return this.parts.listeners.has('trace');
  }

  peerKeyUpdate(updateRequested: boolean): void {
    const { inbound, outbound, keys } = this.parts;
    inbound.installKeys(keys.nextReader(inbound.plaintextLimit), 'application');
    outbound.peerUpdated(updateRequested);
  }

  sessionTicket(ticket: SessionTicket): void {
    this.parts.events.push({ kind: 'session', ticket });
  }

  applicationSecret(side: 'client' | 'server'): Uint8Array {
    return this.parts.keys.applicationSecret(side);
  }

  peerAuthenticated(info: SessionInfo): void {
    this.parts.events.push({ kind: 'authenticated', info });
  }
}
