import type { KeyDerivation } from '../keyschedule.js';
import { bytesToHex } from '../wire/bytes.js';
import type { Region } from './regions.js';

/**
 * The shape of an explanation (model.ts builds it, html.ts and text.ts lay it out): steps of
 * plain words and items, each record byte by byte, each key schedule step, each check.
 */

export interface Value {
  readonly hex: string;
  /** A redacted page leaves it out. */
  readonly secret: boolean;
  /** The NSS key log name, when the value is one the key log has. */
  readonly keyLog?: string;
}

export interface Line {
  readonly label: string;
  readonly text?: string;
  readonly value?: Value;
}

export interface Check {
  /** undefined: shown for information, nothing to pass or fail. */
  readonly ok: boolean | undefined;
  readonly title: string;
  readonly lines: readonly Line[];
}

export interface Protection {
  /** The traffic secret the key and IV came from, by its RFC 8446 §7 name. */
  readonly secretName: string;
  readonly sequence: number;
  readonly key?: Value;
  readonly iv?: Value;
  readonly nonce?: Value;
  /** Inner content type and padding (RFC 8446 §5.2, §5.4); undefined if it did not open. */
  readonly innerType?: number;
  readonly paddingLength?: number;
  /** Whether decrypting again with the key and nonce shown gave the plaintext the engine saw. */
  readonly rechecked?: boolean;
  /** TLSInnerPlaintext: content, content type byte, padding. */
  readonly plain: readonly Region[];
}

export interface RecordView {
  readonly index: number;
  readonly from: 'client' | 'server';
  readonly title: string;
  /** The record as on the wire: the leaves concatenate to its bytes. */
  readonly wire: readonly Region[];
  readonly length: number;
  readonly protection?: Protection;
  readonly note?: string;
}

export interface Derivation {
  readonly output: string;
  readonly operation: KeyDerivation['operation'];
  /** The step as RFC 8446 §7.1 writes it, with this connection's inputs named. */
  readonly formula: string;
  readonly inputs: readonly Line[];
  readonly value: Value;
  /** For the diagram: the HKDF label, what the context or IKM was, the secret expanded. */
  readonly label?: string;
  readonly input?: string;
  readonly from?: string;
}

export interface CertificateView {
  readonly position: string;
  readonly lines: readonly Line[];
}

export type Item =
  | { readonly kind: 'record'; readonly record: RecordView }
  | { readonly kind: 'derivation'; readonly derivation: Derivation }
  | { readonly kind: 'check'; readonly check: Check }
  | { readonly kind: 'certificate'; readonly certificate: CertificateView }
  /** How the verifier built (or failed to build) the peer's chain. */
  | { readonly kind: 'chain'; readonly chain: ChainView };

export type StepId = 'hello' | 'key-share' | 'certificate' | 'keys' | 'finished' | 'after';

export interface Step {
  readonly id: StepId;
  readonly title: string;
  /** Plain words first: what happened in this step of this connection. */
  readonly summary: string[];
  readonly items: Item[];
}

export interface Explanation {
  readonly title: string;
  readonly role: 'client' | 'server';
  readonly outcome: { readonly ok: boolean; readonly text: string };
  readonly facts: readonly (readonly [string, string])[];
  readonly steps: readonly Step[];
  readonly records: readonly RecordView[];
}

/**
 * The verifier's ChainReport in words: how the chain was built (which issuer was chosen for
 * each certificate, and why), or why none was, then each step in detail. Plain sentences first
 * (`plain`), the searches, paths and identity check as checks to open on demand (`details`).
 */
export interface ChainView {
  readonly ok: boolean;
  readonly title: string;
  readonly plain: readonly string[];
  readonly details: readonly Check[];
  /** How many issuer searches and validated paths `details` holds. */
  readonly searches: number;
  readonly paths: number;
}

export function secretValue(bytes: Uint8Array, keyLog?: string): Value {
  return { hex: bytesToHex(bytes), secret: true, ...(keyLog ? { keyLog } : {}) };
}

export function publicValue(bytes: Uint8Array): Value {
  return { hex: bytesToHex(bytes), secret: false };
}
