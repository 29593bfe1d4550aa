import type { CipherSuiteParams, CryptoProvider } from './crypto/provider.js';
import type { TrafficSecrets } from './handshake-context.js';
import { type DerivationObserver, exportKeyingMaterial, nextTrafficSecret, trafficKeys } from './keyschedule.js';
import { RecordProtector, type RecordProtectorOptions, keyUpdateThreshold } from './record/protection.js';
import type { Epoch } from './record/trace.js';
import { zeroize } from './wire/bytes.js';

export interface TrafficKeyOptions {
  /** Sees every key schedule step with its values (wiretls explain); see KeyDerivation. */
  onKeyDerivation: DerivationObserver | undefined;
  /** Our own usage limit for an application key, below the AEAD's (config.keyUpdateAfterRecords). */
  keyUpdateAfterRecords: number | undefined;
}

/**
 * Traffic secrets → record protectors (RFC 8446 §7.3), and the application secrets a
 * connection keeps after the handshake for KeyUpdate (§7.2) and exporters (§7.5).
 */
export class TrafficKeys {
  /** Where write protectors build records; see Connection.useRecordBuffers. */
  allocate: ((length: number) => Uint8Array) | undefined;
  private secrets: TrafficSecrets | undefined;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly role: 'client' | 'server',
    private readonly options: TrafficKeyOptions,
  ) {}

  /** The handshake is done: these secrets serve KeyUpdate and exporters from now on. */
  established(secrets: TrafficSecrets): void {
    this.secrets = secrets;
  }

  get isEstablished(): boolean {
    return this.secrets !== undefined;
  }

  writer(suite: CipherSuiteParams, secret: Uint8Array, epoch: Epoch): RecordProtector {
    const { key, iv } = this.keys('write', suite, secret);
    const options: RecordProtectorOptions = {};
    if (this.allocate) options.allocate = this.allocate;
    // Handshake and early keys protect a bounded number of records; only application keys
    // live long enough to reach a usage limit.
    if (epoch === 'application') options.keyUpdateThreshold = Math.min(this.options.keyUpdateAfterRecords ?? Number.POSITIVE_INFINITY, keyUpdateThreshold(suite.aead));
    const protector = new RecordProtector(this.provider.aead(suite.aead, key), iv, options);
    key.fill(0);
    return protector;
  }

  /** `innerPlaintextLimit`: the largest TLSInnerPlaintext the peer may send us (RFC 8449). */
  reader(suite: CipherSuiteParams, secret: Uint8Array, innerPlaintextLimit: number): RecordProtector {
    const { key, iv } = this.keys('read', suite, secret);
    const protector = new RecordProtector(this.provider.aead(suite.aead, key), iv, { innerPlaintextLimit });
    key.fill(0);
    return protector;
  }

  /** After our KeyUpdate: our next application secret and its protector. */
  nextWriter(): RecordProtector {
    const { suite, secret } = this.advance(this.role === 'client' ? 'clientApplication' : 'serverApplication', 'write');
    return this.writer(suite, secret, 'application');
  }

  /** After the peer's KeyUpdate: its next application secret and its protector. */
  nextReader(innerPlaintextLimit: number): RecordProtector {
    const { suite, secret } = this.advance(this.role === 'client' ? 'serverApplication' : 'clientApplication', 'read');
    return this.reader(suite, secret, innerPlaintextLimit);
  }

  /** The current (post-KeyUpdate) application traffic secret of one side. */
  applicationSecret(side: 'client' | 'server'): Uint8Array {
    return this.secrets![side === 'client' ? 'clientApplication' : 'serverApplication'];
  }

  /** RFC 8446 §7.5 / RFC 5705 keying material exporter. */
  exportKeyingMaterial(length: number, label: string, context: Uint8Array): Uint8Array {
    const secrets = this.secrets!;
    return exportKeyingMaterial(this.provider, secrets.suite.hash, secrets.exporter, label, context, length);
  }

  /** A failed connection exports nothing and updates no key: its secrets can go. */
  forget(): void {
    if (this.secrets) zeroize(this.secrets.clientApplication, this.secrets.serverApplication, this.secrets.exporter);
  }

  /** application_traffic_secret_N+1 (RFC 8446 §7.2), through the derivation observer if any. */
  private advance(which: 'clientApplication' | 'serverApplication', direction: 'read' | 'write'): { suite: CipherSuiteParams; secret: Uint8Array } {
    const secrets = this.secrets!;
    const previous = secrets[which];
    const next = nextTrafficSecret(this.provider, secrets.suite.hash, previous);
    this.options.onKeyDerivation?.({
      output: `${direction}_traffic_update`,
      operation: 'HKDF-Expand-Label',
      secret: previous,
      label: 'traffic upd',
      context: new Uint8Array(0),
      value: next,
    });
    secrets[which] = next;
    zeroize(previous);
    return { suite: secrets.suite, secret: next };
  }

  /** RFC 8446 §7.3, for the derivation observer: which key and IV a traffic secret gave. */
  private keys(direction: 'read' | 'write', suite: CipherSuiteParams, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
    const { key, iv } = trafficKeys(this.provider, suite, secret);
    const observe = this.options.onKeyDerivation;
    if (observe) {
      observe({ output: `${direction}_key`, operation: 'HKDF-Expand-Label', secret, label: 'key', context: new Uint8Array(0), value: key });
      observe({ output: `${direction}_iv`, operation: 'HKDF-Expand-Label', secret, label: 'iv', context: new Uint8Array(0), value: iv });
    }
    return { key, iv };
  }
}
