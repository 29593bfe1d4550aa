import type { TraceEvent } from '../handshake-context.js';
import { ContentType } from '../registry.js';
import { bytesEqual, concatBytes } from '../wire/bytes.js';
import { type MessageStart, annotateMessages } from './annotate.js';
import { type Region, RegionCutter } from './regions.js';

/**
 * One direction's handshake messages, annotated whole and shown record by record. A message
 * may span records (RFC 8446 §5.1: a large Certificate, or any message under a small
 * record_size_limit), so the field walk runs over the reassembled stream and its regions are
 * then cut at the record boundaries: each record shows exactly its own bytes, with the fields
 * and parts of fields it carries, labelled.
 */
export class HandshakeStream {
  private readonly cutter: RegionCutter;
  private readonly messages: readonly MessageStart[];
  private readonly pieces: readonly Uint8Array[];
  private readonly boundaries: ReadonlySet<number>;
  private readonly length: number;
  private index = 0;
  private offset = 0;

  /** `pieces`: the handshake content of each of the direction's records, in order. */
  constructor(pieces: readonly Uint8Array[]) {
    this.pieces = pieces;
    const walk = annotateMessages(concatBytes(...pieces));
    this.cutter = new RegionCutter(walk.regions);
    this.messages = walk.messages;
    this.boundaries = new Set(walk.messages.map((m) => m.offset));
    this.length = pieces.reduce((n, p) => n + p.length, 0);
  }

  /** Whether the records shown so far stop inside a message: the next one continues it. */
  get pending(): boolean {
    return this.offset > 0 && this.offset < this.length && !this.boundaries.has(this.offset);
  }

  /**
   * The next record's handshake content: its regions, and (into `starts`) the messages that
   * begin in it. The records must come in the order the stream was built from.
   */
  next(content: Uint8Array, starts: MessageStart[]): Region[] {
    const expected = this.pieces[this.index];
    if (expected === undefined || !bytesEqual(expected, content)) {
      throw new Error('explain: handshake records out of step with their stream');
    }
    const start = this.offset;
    const end = start + content.length;
    this.index++;
    this.offset = end;
    for (const m of this.messages) if (m.offset >= start && m.offset < end) starts.push(m);
    return this.cutter.cut(start, end);
  }
}

/** The handshake content a record carries, if any (RFC 8446 §5.1, §5.2): what a stream is built from. */
export function handshakeContent(record: Extract<TraceEvent, { kind: 'record' }>): Uint8Array | undefined {
  if (record.sequence !== undefined) return record.inner?.type === ContentType.handshake ? record.inner.content : undefined;
  return record.bytes[0] === ContentType.handshake && record.bytes.length >= 5 ? record.bytes.subarray(5) : undefined;
}
