import type { ChainView, Check, Derivation, Explanation, Item, Line, RecordView, Value } from './view.js';
import type { Region } from './regions.js';

/**
 * The explanation as terminal text: the five steps as headings, plain words first, then each
 * record's fields with their bytes, the key schedule steps and the checks. Colour only when
 * asked (a TTY), wrapped to `width`.
 */
export interface TextOptions {
  width: number;
  colour: boolean;
  /** Secret values are left out: shapes and labels only. */
  redact: boolean;
}

const ANSI = { bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', blue: '\x1b[34m', magenta: '\x1b[35m', cyan: '\x1b[36m', reset: '\x1b[0m' };
type Style = keyof typeof ANSI;

export function renderText(model: Explanation, options: TextOptions): string {
  return new TextRenderer(options).render(model);
}

class TextRenderer {
  private readonly out: string[] = [];
  private readonly width: number;

  constructor(private readonly options: TextOptions) {
    this.width = Math.max(60, Math.min(options.width, 200));
  }

  private paint(text: string, ...styles: Style[]): string {
    if (!this.options.colour || styles.length === 0) return text;
    return `${styles.map((s) => ANSI[s]).join('')}${text}${ANSI.reset}`;
  }

  /** Word-wraps `text` (unstyled) at the width, every line after the first indented by `hang`. */
  private wrap(text: string, indent: number, hang = indent, style: Style[] = []): void {
    const words = text.split(/\s+/).filter(Boolean);
    let line = '';
    let pad = indent;
    for (let word of words) {
      // A word longer than a whole line (a fingerprint, a long name) is cut where it must be.
      while (pad + (line ? line.length + 1 : 0) + word.length > this.width && hang + word.length > this.width) {
        const room = this.width - pad - (line ? line.length + 1 : 0);
        if (room < 8) {
          if (line) this.out.push(' '.repeat(pad) + this.paint(line, ...style));
          line = '';
          pad = hang;
          continue;
        }
        line = line ? `${line} ${word.slice(0, room)}` : word.slice(0, room);
        word = word.slice(room);
        this.out.push(' '.repeat(pad) + this.paint(line, ...style));
        line = '';
        pad = hang;
      }
      if (line && pad + line.length + 1 + word.length > this.width) {
        this.out.push(' '.repeat(pad) + this.paint(line, ...style));
        line = '';
        pad = hang;
      }
      line = line ? `${line} ${word}` : word;
    }
    if (line) this.out.push(' '.repeat(pad) + this.paint(line, ...style));
  }

  /** Hex in rows of whole bytes that fit the width. */
  private hex(hex: string, indent: number, style: Style[] = ['dim']): void {
    const perRow = Math.max(4, Math.floor((this.width - indent) / 3));
    for (let i = 0; i < hex.length; i += perRow * 2) {
      const row = hex.slice(i, i + perRow * 2).replace(/(..)(?!$)/g, '$1 ');
      this.out.push(' '.repeat(indent) + this.paint(row, ...style));
    }
  }

  private value(value: Value, indent: number): void {
    if (value.secret && this.options.redact) {
      this.out.push(' '.repeat(indent) + this.paint(`‹secret, ${value.hex.length / 2} bytes, redacted›`, 'yellow'));
      return;
    }
    this.hex(value.hex, indent, value.secret ? ['magenta'] : ['dim']);
  }

  render(model: Explanation): string {
    this.wrap(`wiretls explain — ${model.title}`, 0, 2, ['bold']);
    this.wrap(`${model.outcome.ok ? '✓' : '✗'} ${model.outcome.text}`, 0, 2, [model.outcome.ok ? 'green' : 'red']);
    if (!this.options.redact) this.wrap("This text contains the connection's traffic secrets: anyone who has it can decrypt the traffic.", 0, 0, ['yellow']);
    this.out.push('');
    const labelWidth = Math.max(...model.facts.map(([k]) => k.length));
    for (const [k, v] of model.facts) {
      const start = this.out.length;
      this.wrap(v, labelWidth + 4);
      this.out[start] = `  ${this.paint(k.padEnd(labelWidth), 'dim')}  ${this.out[start]!.trimStart()}`;
    }
    for (const step of model.steps) {
      this.out.push('');
      this.wrap(`━━ ${step.title} ${'━'.repeat(Math.max(2, this.width - step.title.length - 4))}`, 0, 3, ['bold', 'cyan']);
      for (const paragraph of step.summary) {
        this.wrap(paragraph, 2);
        this.out.push('');
      }
      for (const item of step.items) this.item(item);
    }
    return `${this.out.join('\n')}\n`;
  }

  private item(item: Item): void {
    switch (item.kind) {
      case 'record':
        this.record(item.record);
        break;
      case 'derivation':
        this.derivation(item.derivation);
        break;
      case 'check':
        this.check(item.check);
        break;
      case 'certificate':
        this.wrap(`▣ ${item.certificate.position}`, 2, 4, ['bold']);
        this.lines(item.certificate.lines, 6);
        break;
      case 'chain':
        this.chain(item.chain);
        break;
    }
  }

  /** The chain as built: the verdict in sentences, then every search and path. */
  private chain(chain: ChainView): void {
    this.out.push('');
    this.wrap(`${chain.ok ? '✓' : '✗'} ${chain.title}`, 2, 4, [chain.ok ? 'green' : 'red']);
    for (const p of chain.plain) this.wrap(p, 6, 6);
    for (const check of chain.details) {
      const mark = check.ok === undefined ? '•' : check.ok ? '✓' : '✗';
      this.wrap(`${mark} ${check.title}`, 6, 8, check.ok === undefined ? ['blue'] : [check.ok ? 'green' : 'red']);
      this.lines(check.lines, 10);
    }
  }

  private record(record: RecordView): void {
    const arrow = record.from === 'client' ? 'client → server' : 'server → client';
    this.out.push('');
    this.wrap(`▶ record ${record.index}  ${arrow}  ${record.title}  (${record.length} bytes)`, 2, 4, ['bold', record.from === 'client' ? 'blue' : 'magenta']);
    this.regions(record.wire, 4);
    const p = record.protection;
    if (p) {
      this.wrap(`protected with keys from ${p.secretName}, record ${p.sequence} under them (RFC 8446 §5.2, §5.3):`, 4, 6, ['bold']);
      if (p.key) {
        this.out.push('      key');
        this.value(p.key, 8);
      }
      if (p.iv) {
        this.out.push('      iv');
        this.value(p.iv, 8);
      }
      if (p.nonce) {
        this.wrap(`nonce = iv XOR ${p.sequence} (64-bit sequence number, left-padded)`, 6);
        this.value(p.nonce, 8);
      }
      if (p.rechecked !== undefined) {
        this.wrap(
          `${p.rechecked ? '✓' : '✗'} decrypting again with this key and nonce gives the plaintext below${p.paddingLength ? ` (${p.paddingLength} bytes of padding)` : ''}`,
          6,
          8,
          [p.rechecked ? 'green' : 'red'],
        );
      }
      if (p.plain.length > 0) {
        this.out.push(this.paint('    decrypted TLSInnerPlaintext:', 'bold'));
        this.regions(p.plain, 6);
      }
    }
    if (record.note) this.wrap(`note: ${record.note}`, 4, 6, ['yellow']);
  }

  private regions(regions: readonly Region[], indent: number): void {
    for (const region of regions) {
      const head = `${region.label}${region.meaning ? ` — ${region.meaning}` : ''}${region.rfc ? `  [${region.rfc}]` : ''}`;
      if (region.children) {
        this.wrap(head, indent, indent + 2, ['cyan']);
        this.regions(region.children, indent + 2);
        continue;
      }
      this.wrap(head, indent, indent + 2);
      const bytes = region.bytes!;
      if (region.secret && this.options.redact) this.out.push(' '.repeat(indent + 2) + this.paint(`‹${bytes.length} bytes of application data, redacted›`, 'yellow'));
      else if (bytes.length > 0) this.hex(toHex(bytes), indent + 2);
    }
  }

  private derivation(d: Derivation): void {
    this.out.push('');
    this.wrap(`⚷ ${d.output} = ${d.formula}`, 2, 6, ['bold']);
    this.lines(d.inputs, 6);
    this.wrap(`= ${d.output}${d.value.keyLog ? ` (key log: ${d.value.keyLog})` : ''}`, 6, 8);
    this.value(d.value, 8);
  }

  private check(check: Check): void {
    const mark = check.ok === undefined ? '•' : check.ok ? '✓' : '✗';
    this.out.push('');
    this.wrap(`${mark} ${check.title}`, 2, 4, check.ok === undefined ? ['blue'] : [check.ok ? 'green' : 'red']);
    this.lines(check.lines, 6);
  }

  private lines(lines: readonly Line[], indent: number): void {
    for (const line of lines) {
      this.wrap(`${line.label}${line.text ? `: ${line.text}` : ''}`, indent, indent + 2);
      if (line.value) this.value(line.value, indent + 2);
    }
  }
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
