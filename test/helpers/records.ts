import { internalError } from '../../src/errors.js';
import type { RecordProtector } from '../../src/record/protection.js';
import { MAX_PLAINTEXT_LENGTH } from '../../src/record/framing.js';
import { type PaddingPolicy, alertMessage, plaintextRecords, protectedRecord } from '../../src/record/writer.js';
import { type AlertDescription, type AlertLevel, ContentType } from '../../src/registry.js';

/*
 * Record builders only tests need: a whole message cut into protected records at once, an
 * alert before any keys, and a padding policy. The engine sends one record at a time
 * (src/record/outbound.ts) and pads nothing.
 */

export interface ProtectedRecordOptions {
  /** Most content plus padding per record: 2^14 by default. */
  maxFragment?: number;
  padding?: PaddingPolicy;
}

/**
 * `data` cut into protected records under `protector`; empty application data still makes one
 * (empty) record, as RFC 8446 §5.4 allows.
 */
export function protectedRecords(protector: RecordProtector, type: number, data: Uint8Array, options: ProtectedRecordOptions = {}): Uint8Array[] {
  const maxFragment = options.maxFragment ?? MAX_PLAINTEXT_LENGTH;
  const records: Uint8Array[] = [];
  let offset = 0;
  do {
    const fragment = data.subarray(offset, offset + maxFragment);
    records.push(protectedRecord(protector, type, fragment, maxFragment, options.padding));
    offset += fragment.length;
  } while (offset < data.length);
  return records;
}

/** An alert as a TLSPlaintext record, for before any keys are installed. */
export function plaintextAlertRecord(level: AlertLevel, description: AlertDescription): Uint8Array {
  return plaintextRecords(ContentType.alert, alertMessage(level, description))[0]!;
}

/** Pads each record's content up to a multiple of `block` bytes (as far as the record allows). */
export function padToMultipleOf(block: number): PaddingPolicy {
  if (!Number.isInteger(block) || block < 1) throw internalError(`padding block ${block} must be a positive integer`);
  return (contentLength) => (block - (contentLength % block)) % block;
}
