/**
 * Labelled byte regions: the unit both explain renderers print. A leaf holds bytes; a group
 * holds regions. The leaves of a region tree cover the bytes it describes exactly, in order,
 * and nothing else, so the hex shown for a record concatenates back to the record.
 */
export interface Region {
  /** The field's name, as the RFC's presentation language spells it where it has one. */
  readonly label: string;
  /** One line of plain words: what the field says in this connection. */
  readonly meaning: string;
  /** Where it is defined: "§4.1.2" is RFC 8446; other RFCs are named. */
  readonly rfc?: string;
  readonly bytes?: Uint8Array;
  /** Leaf bytes a redacted page leaves out (application data). */
  readonly secret?: boolean;
  readonly children?: readonly Region[];
}

/** A length or a field ran past the bytes there are: the rest is shown undecoded. */
class WalkError extends Error {}

/**
 * Reads fields off a byte string and labels each. Every byte is consumed by `take`, so a tree
 * built by a Walker covers its bytes exactly; `rest` turns what is left (after an error too)
 * into one opaque leaf.
 */
export class Walker {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get left(): number {
    return this.bytes.length - this.pos;
  }

  peek(length: number): Uint8Array {
    if (length > this.left) throw new WalkError(`${length} bytes wanted, ${this.left} left`);
    return this.bytes.subarray(this.pos, this.pos + length);
  }

  uint(length: number): number {
    let value = 0;
    for (const byte of this.peek(length)) value = value * 256 + byte;
    return value;
  }

  take(length: number, label: string, meaning: string, rfc?: string, secret = false): Region {
    const bytes = this.peek(length);
    this.pos += length;
    return { label, meaning, ...(rfc ? { rfc } : {}), bytes, ...(secret ? { secret } : {}) };
  }

  /** A number field; `meaning` gets the value. */
  number(length: number, label: string, meaning: (value: number) => string, rfc?: string): Region {
    const value = this.uint(length);
    return this.take(length, label, meaning(value), rfc);
  }

  /**
   * A length-prefixed vector (RFC 8446 §3.4): the length leaf, then what `inner` reads from a
   * walker over exactly the body. Whatever `inner` leaves, or cannot read, stays visible.
   */
  vector(lengthBytes: number, label: string, meaning: string, rfc: string | undefined, inner: (body: Walker) => Region[]): Region {
    const length = this.uint(lengthBytes);
    const lengthLeaf = this.take(lengthBytes, `${label} length`, `${length} bytes follow`, '§3.4');
    if (length > this.left) {
      return { label, meaning, ...(rfc ? { rfc } : {}), children: [lengthLeaf, this.rest(`${label} (truncated: ${length} bytes announced)`)] };
    }
    const body = this.sub(length);
    return { label, meaning, ...(rfc ? { rfc } : {}), children: [lengthLeaf, ...body.all(inner)] };
  }

  /** A walker over the next `length` bytes, which this one then skips. */
  sub(length: number): Walker {
    const bytes = this.peek(length);
    this.pos += length;
    return new Walker(bytes);
  }

  /** Runs `inner`, then shows what it left or could not read as undecoded bytes. */
  all(inner: (w: Walker) => Region[]): Region[] {
    const out: Region[] = [];
    try {
      out.push(...inner(this));
    } catch (error) {
      if (!(error instanceof WalkError)) throw error;
      if (this.left > 0) out.push(this.rest(`undecoded (${error.message})`));
      return out;
    }
    if (this.left > 0) out.push(this.rest('trailing bytes'));
    return out;
  }

  /** A walker's remaining bytes as one leaf. */
  rest(label: string, meaning = 'not decoded further', rfc?: string, secret = false): Region {
    return this.take(this.left, label, meaning, rfc, secret);
  }

  /** Consumes the rest without a region: for a caller that labels those bytes itself. */
  takeAll(): Uint8Array {
    const bytes = this.peek(this.left);
    this.pos += bytes.length;
    return bytes;
  }

  /** Reads items until the walker is empty. */
  each(read: (w: Walker, index: number) => Region): Region[] {
    const out: Region[] = [];
    for (let i = 0; this.left > 0; i++) out.push(read(this, i));
    return out;
  }
}

/** A region with where its bytes lie in the byte string its tree describes. */
interface Placed {
  readonly region: Region;
  readonly start: number;
  readonly end: number;
  readonly children?: readonly Placed[];
}

function place(regions: readonly Region[], offset: number): Placed[] {
  const out: Placed[] = [];
  for (const region of regions) {
    if (region.children) {
      const children = place(region.children, offset);
      const end = children.length ? children[children.length - 1]!.end : offset;
      out.push({ region, start: offset, end, children });
      offset = end;
    } else {
      const end = offset + region.bytes!.length;
      out.push({ region, start: offset, end });
      offset = end;
    }
  }
  return out;
}

/**
 * A region tree over one byte string, cut into the pieces the string was carried in (a
 * handshake message across records, RFC 8446 §5.1). Each piece gets the regions it holds
 * bytes of: whole where they fit, else the part inside it, labelled "(continued)" where the
 * field began in an earlier piece and told where it goes on; the leaves of each piece cover
 * exactly its bytes.
 */
export class RegionCutter {
  private readonly placed: Placed[];

  constructor(regions: readonly Region[]) {
    this.placed = place(regions, 0);
  }

  /** The regions over bytes [start, end) of the string. */
  cut(start: number, end: number): Region[] {
    return this.within(this.placed, start, end, 0);
  }

  /**
   * An empty field has no byte to place it by, so it goes with the piece that holds the byte
   * before it in its group (or the group's first byte, when it comes first): it is shown once,
   * inside its group, and whole, with what it holds.
   */
  private within(placed: readonly Placed[], start: number, end: number, groupStart: number): Region[] {
    const out: Region[] = [];
    for (const p of placed) {
      const empty = p.start === p.end;
      const inside = !empty ? p.start < end && p.end > start : p.start > groupStart ? start < p.start && p.start <= end : start <= p.start && p.start < end;
      if (!inside) continue;
      if (p.start >= start && p.end <= end) {
        out.push(p.region);
        continue;
      }
      const from = Math.max(start, p.start);
      const to = Math.min(end, p.end);
      const part = `bytes ${from - p.start + 1}..${to - p.start} of its ${p.end - p.start}${p.end > end ? ', continues in the next record' : ''}`;
      const label = p.start < start ? `${p.region.label} (continued)` : p.region.label;
      const meaning = p.region.meaning ? `${p.region.meaning}; ${part}` : part;
      out.push(
        p.children
          ? { ...p.region, label, meaning, children: this.within(p.children, start, end, p.start) }
          : { ...p.region, label, meaning, bytes: p.region.bytes!.subarray(from - p.start, to - p.start) },
      );
    }
    return out;
  }
}
