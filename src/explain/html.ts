import type { ChainView, Check, Derivation, Explanation, Item, Line, RecordView, Step, Value } from './view.js';
import type { Region } from './regions.js';

/**
 * The explanation as one self-contained HTML page: inline CSS and a few lines of inline
 * script, no network, no external fonts, so it opens from disk anywhere. The five steps are
 * the outline; plain words come first and the bytes sit in <details> to open on demand.
 *
 * Machine-checkable markup (the tests parse it back): each byte region of a record as sent
 * is `<code class="w" data-r="N">hex</code>`, in order, so a record's regions concatenate to
 * its bytes; decrypted regions are class "p"; each secret the key log also has carries
 * data-keylog="NAME".
 */
export interface HtmlOptions {
  /** Secret values are left out: shapes and labels only. */
  redact: boolean;
}

export function renderHtml(model: Explanation, options: HtmlOptions): string {
  return new HtmlRenderer(options).render(model);
}

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function anchor(name: string): string {
  return `kdf-${name.replace(/[^a-z0-9_]+/gi, '-')}`;
}

function spaced(hex: string): string {
  return hex.replace(/(..)(?!$)/g, '$1 ');
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

class HtmlRenderer {
  private readonly out: string[] = [];

  constructor(private readonly options: HtmlOptions) {}

  private model: Explanation | undefined;

  render(model: Explanation): string {
    this.model = model;
    const o = this.out;
    o.push('<!doctype html><html lang="en"><head><meta charset="utf-8">');
    o.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
    o.push(`<title>${esc(model.title)} — wiretls explain</title><style>${CSS}</style></head><body>`);
    o.push('<header>');
    o.push(`<p class="kicker">wiretls explain${this.options.redact ? ' · redacted' : ''}</p><h1>${esc(model.title)}</h1>`);
    o.push(`<p class="outcome ${model.outcome.ok ? 'ok' : 'bad'}">${model.outcome.ok ? '✓' : '✗'} ${esc(model.outcome.text)}</p>`);
    if (this.options.redact) o.push('<p class="note">Redacted: secret values are left out; their names, sizes and how they were derived remain.</p>');
    else
      o.push(
        '<p class="warn">This page contains the traffic secrets of this connection: anyone who has it can decrypt what was sent. Share it only for connections that carried nothing private, or use <code>--explain-redact</code>.</p>',
      );
    o.push('<dl class="facts">');
    for (const [k, v] of model.facts) o.push(`<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`);
    o.push('</dl>');
    o.push('<nav><ul>');
    for (const step of model.steps) o.push(`<li><a href="#${step.id}">${esc(step.title)}</a></li>`);
    o.push('</ul><p class="tools"><button type="button" id="open-all">open all bytes</button> <button type="button" id="close-all">close all</button></p></nav>');
    o.push('</header><main>');
    this.ladder(model);
    for (const step of model.steps) this.step(step);
    o.push('</main>');
    o.push(
      "<footer>Made by <code>wiretls</code> from the engine's own trace and key schedule: every byte as it was on the wire, every secret as it was derived. RFC 8446 sections are given as §; other RFCs by number.</footer>",
    );
    o.push(`<script>${SCRIPT}</script></body></html>`);
    return o.join('');
  }

  /** The conversation at a glance: every record in order, a link to its bytes. */
  private ladder(model: Explanation): void {
    const o = this.out;
    o.push('<section id="glance"><h2>The conversation at a glance</h2><table class="ladder"><thead><tr><th>client</th><th></th><th>server</th></tr></thead><tbody>');
    for (const r of model.records) {
      const link = `<a href="#record-${r.index}">${esc(r.title)}</a> <span class="len">${r.length} B${r.protection ? ' · encrypted' : ''}</span>`;
      o.push(
        r.from === 'client'
          ? `<tr><td class="c">${link}</td><td class="arrow c">──────▶</td><td></td></tr>`
          : `<tr><td></td><td class="arrow s">◀──────</td><td class="s">${link}</td></tr>`,
      );
    }
    o.push('</tbody></table></section>');
  }

  private step(step: Step): void {
    const o = this.out;
    o.push(`<section id="${step.id}"><h2>${esc(step.title)}</h2>`);
    for (const p of step.summary) o.push(`<p class="plain">${esc(p)}</p>`);
    if (step.id === 'keys') this.diagram(this.model!);
    for (const item of step.items) this.item(item);
    o.push('</section>');
  }

  /** The key schedule of RFC 8446 §7.1 as this connection walked it: the main chain and its branches. */
  private diagram(model: Explanation): void {
    const derivations: Derivation[] = [];
    for (const step of model.steps) for (const item of step.items) if (item.kind === 'derivation') derivations.push(item.derivation);
    const chain = derivations.filter((d) => d.operation !== 'HKDF-Expand-Label');
    if (chain.length === 0) return;
    const o = this.out;
    o.push('<div class="diagram"><h4>The key schedule of this connection (RFC 8446 §7.1)</h4><table><tbody>');
    const node = (d: Derivation): string =>
      `<a class="node" href="#${anchor(d.output)}">${esc(d.output)}</a> <span class="short">${d.value.secret && this.options.redact ? '' : `${d.value.hex.slice(0, 16)}…`}</span>`;
    for (const d of chain) {
      if (d.operation === 'HKDF-Extract') {
        o.push(`<tr><td class="in">${esc(d.input ?? '')} →</td><td><span class="arrow">HKDF-Extract</span> → ${node(d)}</td><td></td></tr>`);
      } else if (d.label === 'derived') {
        o.push(`<tr><td></td><td class="arrow">↓ Derive-Secret(${esc(d.from ?? '')}, "derived", "") = salt</td><td></td></tr>`);
      } else {
        o.push(`<tr><td></td><td class="arrow">${esc(d.from ?? '')} ├─</td><td>"${esc(d.label ?? '')}", ${esc(d.input ?? '')} → ${node(d)}</td></tr>`);
      }
    }
    o.push(
      '</tbody></table><p class="note">Then each traffic secret gives a key and an IV: HKDF-Expand-Label(secret, "key", "", key length) and (secret, "iv", "", 12) (RFC 8446 §7.3); they are listed below and with each record.</p></div>',
    );
  }

  private item(item: Item): void {
    switch (item.kind) {
      case 'record':
        this.record(item.record);
        return;
      case 'derivation':
        this.derivation(item.derivation);
        return;
      case 'check':
        this.check(item.check);
        return;
      case 'certificate':
        this.out.push(`<div class="cert"><h4>${esc(item.certificate.position)}</h4>`);
        this.lines(item.certificate.lines);
        this.out.push('</div>');
        return;
      case 'chain':
        this.chain(item.chain);
        return;
    }
  }

  /** The chain as built: the verdict in sentences, each search and path to open on demand. */
  private chain(chain: ChainView): void {
    const o = this.out;
    o.push(`<div class="check chain ${chain.ok ? 'ok' : 'bad'}"><h4>${chain.ok ? '✓' : '✗'} ${esc(chain.title)}</h4>`);
    for (const p of chain.plain) o.push(`<p class="plain">${esc(p)}</p>`);
    const { searches, paths } = chain;
    o.push(`<details class="steps"><summary>Every step: ${searches} issuer search${searches === 1 ? '' : 'es'}, ${paths} path${paths === 1 ? '' : 's'} validated</summary>`);
    for (const check of chain.details) this.check(check);
    o.push('</details></div>');
  }

  private value(value: Value): string {
    if (value.secret && this.options.redact) return `<span class="redacted">‹secret, ${value.hex.length / 2} bytes›</span>`;
    const keylog = value.keyLog ? ` data-keylog="${value.keyLog}"` : '';
    return `<code class="${value.secret ? 's' : 'v'}"${keylog}>${value.hex}</code>`;
  }

  private record(record: RecordView): void {
    const o = this.out;
    const arrow = record.from === 'client' ? 'client → server' : 'server → client';
    const p = record.protection;
    o.push(
      `<details class="record ${record.from}" id="record-${record.index}" data-record="${record.index}"><summary><span class="dir">${arrow}</span> <b>${esc(record.title)}</b> <span class="len">record ${record.index} · ${record.length} bytes${p ? ' · encrypted' : ''}</span></summary>`,
    );
    o.push(`<div class="body"><p class="copy"><button type="button" data-copy="${record.index}">copy hex</button></p>`);
    this.regions(record.wire, `class="w" data-r="${record.index}"`);
    if (p) {
      o.push(`<div class="keys"><p>Protected with the keys from <b>${esc(p.secretName)}</b>; record number ${p.sequence} under them (RFC 8446 §5.2, §5.3).</p><table>`);
      if (p.key) o.push(`<tr><th>key</th><td>${this.value(p.key)}</td></tr>`);
      if (p.iv) o.push(`<tr><th>iv</th><td>${this.value(p.iv)}</td></tr>`);
      if (p.nonce) o.push(`<tr><th>nonce = iv ⊕ ${p.sequence}</th><td>${this.value(p.nonce)}</td></tr>`);
      o.push('</table>');
      if (p.rechecked !== undefined) {
        o.push(
          `<p class="${p.rechecked ? 'ok' : 'bad'}">${p.rechecked ? '✓' : '✗'} Decrypting again with this key and nonce gives the plaintext below${p.paddingLength ? ` (${p.paddingLength} bytes of padding)` : ''}.</p>`,
        );
      }
      o.push('</div>');
      if (p.plain.length > 0) {
        o.push('<h4>Decrypted: TLSInnerPlaintext (content, real content type, padding)</h4>');
        this.regions(p.plain, 'class="p"');
      }
    }
    if (record.note) o.push(`<p class="note">${esc(record.note)}</p>`);
    o.push('</div></details>');
  }

  private regions(regions: readonly Region[], codeAttributes: string): void {
    this.out.push('<table class="fields"><tbody>');
    const visit = (region: Region, depth: number): void => {
      const rfc = region.rfc ? `<td class="rfc">${esc(region.rfc)}</td>` : '<td class="rfc"></td>';
      const pad = ` style="padding-left:${depth * 1.1 + 0.3}em"`;
      if (region.children) {
        this.out.push(`<tr class="group"><td class="hexcell"></td><td${pad}><b>${esc(region.label)}</b></td><td>${esc(region.meaning)}</td>${rfc}</tr>`);
        for (const child of region.children) visit(child, depth + 1);
        return;
      }
      const bytes = region.bytes!;
      const hex =
        region.secret && this.options.redact
          ? `<span class="redacted">‹${bytes.length} bytes of application data›</span>`
          : `<code ${codeAttributes}>${spaced(toHex(bytes))}</code>`;
      this.out.push(`<tr><td class="hexcell">${hex}</td><td${pad}>${esc(region.label)}</td><td>${esc(region.meaning)}</td>${rfc}</tr>`);
    };
    for (const region of regions) visit(region, 0);
    this.out.push('</tbody></table>');
  }

  private derivation(d: Derivation): void {
    const o = this.out;
    o.push(`<div class="kdf" id="${anchor(d.output)}"><p class="formula"><b>${esc(d.output)}</b> = ${esc(d.formula)}</p>`);
    o.push('<table>');
    for (const input of d.inputs) o.push(`<tr><th>${esc(input.label)}</th><td>${input.value ? this.value(input.value) : esc(input.text ?? '')}</td></tr>`);
    o.push(`<tr class="result"><th>= ${esc(d.output)}${d.value.keyLog ? ` <span class="tag">key log: ${d.value.keyLog}</span>` : ''}</th><td>${this.value(d.value)}</td></tr>`);
    o.push('</table></div>');
  }

  private check(check: Check): void {
    const state = check.ok === undefined ? 'info' : check.ok ? 'ok' : 'bad';
    this.out.push(`<div class="check ${state}"><h4>${check.ok === undefined ? '•' : check.ok ? '✓' : '✗'} ${esc(check.title)}</h4>`);
    this.lines(check.lines);
    this.out.push('</div>');
  }

  private lines(lines: readonly Line[]): void {
    if (lines.length === 0) return;
    this.out.push('<table>');
    for (const line of lines)
      this.out.push(`<tr><th>${esc(line.label)}</th><td>${line.text !== undefined ? esc(line.text) : ''}${line.value ? this.value(line.value) : ''}</td></tr>`);
    this.out.push('</table>');
  }
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6577;--line:#dde2ea;--bg:#fbfcfe;--client:#1f5fbf;--server:#7a3db8;--ok:#1b7f3b;--bad:#b3261e;--secret:#8a4b00;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1120px;margin:0 auto;padding:0 1.5rem}
header{padding-top:1.6rem}
.kicker{margin:0;color:var(--muted);font-size:.85rem;letter-spacing:.08em;text-transform:uppercase}
h1{margin:.2rem 0 .6rem;font-size:1.9rem}
h2{margin:2.4rem 0 .6rem;padding-bottom:.3rem;border-bottom:2px solid var(--line);font-size:1.35rem}
h4{margin:.2rem 0 .4rem;font-size:1rem}
.outcome{display:inline-block;margin:0 0 .8rem;padding:.35rem .8rem;border-radius:6px;font-weight:600}
.outcome.ok{background:#e5f4ea;color:var(--ok)}.outcome.bad{background:#fbe9e7;color:var(--bad)}
.warn{margin:.2rem 0 1rem;padding:.5rem .8rem;border-left:4px solid #d08a00;background:#fff6e0;font-size:.92rem}
.note{color:var(--muted);font-size:.92rem}
.facts{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:.15rem 1.2rem;margin:0 0 1rem;font-size:.95rem}
.facts dt{color:var(--muted)}.facts dd{margin:0}
nav ul{display:grid;grid-template-columns:repeat(auto-fill,minmax(30rem,1fr));gap:.25rem 1.4rem;margin:0;padding:0;list-style:none;font-weight:600}
nav a{color:var(--client);text-decoration:none}nav a:hover{text-decoration:underline}
.tools{margin:.6rem 0 0}
button{font:inherit;font-size:.82rem;padding:.15rem .6rem;border:1px solid var(--line);border-radius:5px;background:#fff;cursor:pointer}
.plain{max-width:52rem}
details.record{margin:.7rem 0;border:1px solid var(--line);border-left:5px solid var(--client);border-radius:6px;background:#fff}
details.record.server{border-left-color:var(--server)}
details.record>summary{padding:.5rem .8rem;cursor:pointer;list-style-position:inside}
.dir{font-size:.85rem;color:var(--client);font-weight:600}.server .dir{color:var(--server)}
.len{color:var(--muted);font-size:.85rem;margin-left:.5rem}
.body{padding:0 .8rem .8rem;overflow-x:auto}
.copy{margin:.2rem 0;text-align:right}
table{border-collapse:collapse}
table.fields{width:100%;font-size:.86rem}
.fields td{padding:.14rem .5rem;border-top:1px solid #eef1f5;vertical-align:top}
.fields tr.group td{background:#f5f7fb}
.hexcell{width:27em;max-width:27em}
.hexcell code{display:block;white-space:pre-wrap;word-break:break-all;font:13px/1.45 var(--mono);color:#29415f;max-height:13.5em;overflow-y:auto}
code.p{color:#2d5a2d}
.rfc{white-space:nowrap;color:var(--muted);font-size:.8rem}
.keys{margin:.8rem 0;padding:.5rem .7rem;background:#f6f3fb;border-radius:6px;font-size:.9rem}
.keys p{margin:.2rem 0}
.keys th,.kdf th,.check th,.cert th{padding:.15rem .8rem .15rem 0;text-align:left;font-weight:500;color:var(--muted);vertical-align:top;font-size:.88rem}
code.s,code.v{font:13px/1.45 var(--mono);word-break:break-all}
code.s{color:var(--secret)}
.redacted{font:13px var(--mono);color:#9a9a9a}
.kdf{margin:.8rem 0;padding:.55rem .8rem;border:1px solid var(--line);border-radius:6px;background:#fff}
.kdf .formula{margin:0 0 .3rem;font-family:var(--mono);font-size:.9rem}
.kdf tr.result th{color:var(--fg);font-weight:600}
.tag{font-size:.75rem;padding:0 .35rem;border-radius:4px;background:#eef1f5;color:var(--muted);font-weight:400}
.check{margin:.8rem 0;padding:.5rem .8rem;border-radius:6px;border:1px solid var(--line);background:#fff}
.check.ok{border-left:5px solid var(--ok)}.check.bad{border-left:5px solid var(--bad);background:#fff8f7}.check.info{border-left:5px solid #8aa0bf}
.check.ok h4,p.ok{color:var(--ok)}.check.bad h4,p.bad{color:var(--bad)}
.chain .plain{margin:.3rem 0}
.steps>summary{cursor:pointer;color:var(--muted);font-size:.9rem}
.cert{margin:.8rem 0;padding:.5rem .8rem;border:1px solid var(--line);border-radius:6px;background:#fff;font-size:.92rem}
.diagram{margin:1rem 0;padding:.8rem;border:1px solid var(--line);border-radius:8px;background:#fff;overflow-x:auto}
.diagram table{font-size:.88rem}
.diagram td{padding:.25rem .6rem;vertical-align:middle}
.diagram .node{font-weight:600;font-family:var(--mono);padding:.2rem .5rem;border-radius:5px;background:#eef3fb;white-space:nowrap}
.diagram .in{color:var(--muted);text-align:right}
.diagram .arrow{color:var(--muted)}
.ladder{margin:.5rem 0 1rem;font-size:.92rem}
.ladder th{color:var(--muted);font-weight:600;padding:.1rem .8rem}
.ladder td{padding:.12rem .8rem}
.ladder td.c{text-align:right}.ladder td.s{text-align:left}
.ladder .arrow{font-family:var(--mono);white-space:nowrap}.ladder .arrow.c{color:var(--client)}.ladder .arrow.s{color:var(--server)}
.ladder a{color:inherit}
footer{margin:3rem auto 2rem;color:var(--muted);font-size:.85rem}
`;

/** Open/close all, copy a record's hex (joined from its regions, so nothing is duplicated), open a record followed from the overview. */
const SCRIPT = `
document.getElementById('open-all').addEventListener('click',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})});
document.getElementById('close-all').addEventListener('click',function(){document.querySelectorAll('details').forEach(function(d){d.open=false})});
document.querySelectorAll('button[data-copy]').forEach(function(b){b.addEventListener('click',function(){
var hex=Array.prototype.map.call(document.querySelectorAll('code.w[data-r="'+b.dataset.copy+'"]'),function(c){return c.textContent.replace(/\\s+/g,'')}).join('');
if(navigator.clipboard){navigator.clipboard.writeText(hex).then(function(){b.textContent='copied'},function(){b.textContent='select and copy'})}});});
document.querySelectorAll('a[href^="#record-"]').forEach(function(a){a.addEventListener('click',function(){var d=document.getElementById(a.getAttribute('href').slice(1));if(d)d.open=true;});});
`;
