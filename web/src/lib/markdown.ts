// A small Markdown renderer for agent text. Agent output is untrusted, so the
// renderer never passes input through as markup: every piece of text is
// HTML-escaped, raw HTML in the input is shown as text, and link targets are
// limited to http, https, mailto and in-page/relative paths.
//
// Supported: ATX headings, paragraphs, hard breaks, fenced code (highlighted;
// an unclosed fence runs to the end, which is what a streaming reply looks
// like), block quotes, nested ordered/unordered/task lists, GFM pipe tables,
// thematic breaks; inline code, bold, italic, strikethrough, links, autolinks
// and backslash escapes.

import { escapeHtml, highlight, langOf } from './highlight';
import { LONG_RUN } from './fold';

const RUN = new RegExp(`[^\\s]{${LONG_RUN},}`, 'g');

/**
 * Escapes text and wraps each run of LONG_RUN or more characters without a
 * space in <span class="run">, which may break anywhere: a browser lays out
 * a long unbroken token with overflow-wrap in time that grows faster than
 * its length, and prose stays as it is.
 */
export function escapeRuns(text: string): string {
  if (text.length < LONG_RUN) return escapeHtml(text);
  let out = '';
  let last = 0;
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m; m = RUN.exec(text)) {
    out += escapeHtml(text.slice(last, m.index)) + `<span class="run">${escapeHtml(m[0])}</span>`;
    last = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(last));
}

/** Returns a safe href, or null when the target must not become a link. */
export function safeHref(url: string): string | null {
  const u = url.trim().replace(/[\u0000-\u001f\u007f\s]/g, '');
  if (/^(https?:|mailto:)/i.test(u)) return u;
  if (/^[a-z][a-z0-9+.-]*:/i.test(u)) return null; // javascript:, data:, vbscript:, file: …
  if (u.startsWith('//')) return null;
  return u;
}

function link(href: string, inner: string): string {
  const safe = safeHref(href);
  if (safe === null) return inner;
  return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener noreferrer">${inner}</a>`;
}

const PUNCT = /[!-/:-@[-`{-~]/;
const WORD = /\w/;
/** how far past a link's "](" its target and title are looked for */
const LINK_TAIL = 4096;
const LINK_DEST = /^\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/;
const TRAILING = '.,;:!?)]';
/** the characters where inline markup may start; text between them is copied whole */
const SPECIAL = /[\\`*_~[<hH]/g;

/**
 * Searches in one text that remember what they found. Every search of the
 * inline renderer goes through here, which keeps it linear in the length of
 * the text: a marker without a partner (a lone ` ** ~~ or [) used to be
 * searched for from each of its occurrences to the end of the text, so a long
 * line full of them took time that grew with the square of its length.
 */
class Scanner {
  /** per needle: the last search, from where and what it found (-1: nothing) */
  private last = new Map<string, [number, number]>();
  /** a run of backticks of this length or longer occurs nowhere from tickFrom on */
  private tickNone = Infinity;
  private tickFrom = 0;
  /** per marker character (* _): where the emphasis closing a marker found at a position lies */
  private closers: Record<string, Map<number, number>> = { '*': new Map(), _: new Map() };
  private dests = new Map<number, RegExpExecArray | null>();

  constructor(readonly s: string) {}

  /** s.indexOf(needle, from), without scanning a stretch twice for the same needle. */
  find(needle: string, from: number): number {
    const l = this.last.get(needle);
    // nothing from l[0] to l[1] (or to the end): the answer from any point in between is the same
    if (l && from >= l[0] && (l[1] < 0 || from <= l[1])) return l[1];
    const at = this.s.indexOf(needle, from);
    this.last.set(needle, [from, at]);
    return at;
  }

  /** The closing run of n backticks from from on, or -1. */
  fence(n: number, from: number): number {
    if (n >= this.tickNone && from >= this.tickFrom) return -1;
    const at = this.find('`'.repeat(n), from);
    if (at < 0 && n < this.tickNone) {
      this.tickNone = n;
      this.tickFrom = from;
    }
    return at;
  }

  /**
   * The closing marker c of an emphasis that opens before from: the next c
   * that is not doubled (a doubled one, cc, is skipped whole), or -1.
   */
  emphasisEnd(c: string, from: number): number {
    const closers = this.closers[c];
    const chain: number[] = [];
    let at = this.find(c, from);
    let end = at;
    while (at >= 0) {
      const known = closers.get(at);
      if (known !== undefined) {
        end = known;
        break;
      }
      chain.push(at);
      if (this.s[at + 1] !== c) {
        end = at;
        break;
      }
      at = this.find(c, at + 2);
      end = at;
    }
    for (const p of chain) closers.set(p, end);
    return end;
  }

  /** The target part "(url "title")" of a link whose text ends at the "]" at close. */
  linkDest(close: number): RegExpExecArray | null {
    let m = this.dests.get(close);
    if (m === undefined) {
      m = this.s[close + 1] === '(' ? LINK_DEST.exec(this.s.slice(close + 1, close + 1 + LINK_TAIL)) : null;
      this.dests.set(close, m);
    }
    return m;
  }
}

/**
 * Renders inline Markdown to safe HTML, in time linear in the length of s
 * (see Scanner): markers without a partner are shown as text.
 */
export function renderInline(s: string): string {
  const sc = new Scanner(s);
  let out = '';
  let i = 0;
  const n = s.length;
  let text = '';
  const flush = () => {
    if (text) out += escapeRuns(text);
    text = '';
  };
  while (i < n) {
    const c = s[i];
    if (c === '\\' && i + 1 < n && PUNCT.test(s[i + 1])) {
      text += s[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      let run = 1;
      while (s[i + run] === '`') run++;
      const end = sc.fence(run, i + run);
      if (end > 0) {
        flush();
        let code = s.slice(i + run, end);
        if (code.length > 1 && code[0] === ' ' && code[code.length - 1] === ' ' && code.trim()) code = code.slice(1, -1);
        out += `<code>${escapeRuns(code)}</code>`;
        i = end + run;
        continue;
      }
      text += s.slice(i, i + run);
      i += run;
      continue;
    }
    if ((c === '*' || c === '_') && s[i + 1] === c) {
      const end = sc.find(c + c, i + 2);
      if (end > i + 2 && s[i + 2] !== ' ') {
        flush();
        out += `<strong>${renderInline(s.slice(i + 2, end))}</strong>`;
        i = end + 2;
        continue;
      }
    }
    if (c === '*' || (c === '_' && (i === 0 || !WORD.test(s[i - 1])))) {
      const end = sc.emphasisEnd(c, i + 1);
      const okEnd = end > i + 1 && s[i + 1] !== ' ' && s[end - 1] !== ' ' && (c === '*' || !WORD.test(s[end + 1] ?? ''));
      if (okEnd) {
        flush();
        out += `<em>${renderInline(s.slice(i + 1, end))}</em>`;
        i = end + 1;
        continue;
      }
    }
    if (c === '~' && s[i + 1] === '~') {
      const end = sc.find('~~', i + 2);
      if (end > i + 2) {
        flush();
        out += `<del>${renderInline(s.slice(i + 2, end))}</del>`;
        i = end + 2;
        continue;
      }
    }
    if (c === '[') {
      // [text](target): text runs to the first "]"
      const close = sc.find(']', i + 1);
      const m = close < 0 ? null : sc.linkDest(close);
      if (m) {
        flush();
        out += link(m[1], renderInline(s.slice(i + 1, close)));
        i = close + 1 + m[0].length;
        continue;
      }
    }
    if (c === '<') {
      const m = /^<((?:https?|mailto):[^\s<>]+)>/i.exec(s.slice(i, i + LINK_TAIL));
      if (m) {
        flush();
        out += link(m[1], escapeHtml(m[1]));
        i += m[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && (i === 0 || !WORD.test(s[i - 1]))) {
      const m = /^https?:\/\/[^\s<>"'`]+/i.exec(s.slice(i, i + 2048));
      if (m) {
        let len = m[0].length;
        while (len > 0 && TRAILING.includes(m[0][len - 1])) len--;
        const url = m[0].slice(0, len);
        flush();
        out += link(url, escapeHtml(url));
        i += url.length;
        continue;
      }
    }
    // plain text up to the next character that may start markup
    SPECIAL.lastIndex = i + 1;
    const next = SPECIAL.exec(s);
    const to = next ? next.index : n;
    text += s.slice(i, to);
    i = to;
  }
  flush();
  return out;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)?.*$/;
const HEADING = /^ {0,3}(#{1,6})/;
const HR = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const LIST = /^( {0,12})([-*+]|\d{1,9}[.)])(\s+|$)(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const TABLE_SEP = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

function splitRow(l: string): string[] {
  let t = l.trim();
  if (t.startsWith('|')) t = t.slice(1);
  if (t.endsWith('|') && !t.endsWith('\\|')) t = t.slice(0, -1);
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '\\' && t[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (t[i] === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += t[i];
  }
  cells.push(cur.trim());
  return cells;
}

function renderCode(code: string, lang: string): string {
  const l = langOf(lang);
  return `<pre class="md-code"${l ? ` data-lang="${escapeHtml(l)}"` : ''}><code>${highlight(code, lang)}</code></pre>`;
}

/** block quotes and lists nested deeper than this are shown as text */
const MAX_DEPTH = 16;

/**
 * An ATX heading's level and text, or null: "## Title ##" → [2, "Title"].
 * (A regular expression with a lazy text and an optional closing sequence
 * took time growing with the square of a long line's trailing spaces.)
 */
function heading(l: string): [number, string] | null {
  const m = HEADING.exec(l);
  if (!m) return null;
  const rest = l.slice(m[0].length);
  if (rest && !/^\s/.test(rest)) return /^#*\s*$/.test(rest) ? [m[1].length, ''] : null;
  let e = rest.length;
  while (e > 0 && /\s/.test(rest[e - 1])) e--;
  while (e > 0 && rest[e - 1] === '#') e--;
  while (e > 0 && /\s/.test(rest[e - 1])) e--;
  return [m[1].length, rest.slice(0, e).trim()];
}

/**
 * Renders a Markdown document to safe HTML, in time linear in its length
 * for any input (see renderInline; nesting is limited to MAX_DEPTH levels).
 */
export function renderMarkdown(src: string): string {
  return renderBlocks(src.replace(/\r\n?/g, '\n').split('\n'), 0);
}

function renderBlocks(lines: string[], depth: number): string {
  let out = '';
  let para: string[] = [];
  const endPara = () => {
    if (!para.length) return;
    const html = para
      .map((l, k) => {
        const hard = k < para.length - 1 && (l.endsWith('  ') || l.endsWith('\\'));
        const body = renderInline(l.replace(/\\$/, '').trim());
        return hard ? body + '<br>' : body;
      })
      .join('\n');
    out += `<p>${html}</p>`;
    para = [];
  };
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    let m: RegExpExecArray | null;
    if (!l.trim()) {
      endPara();
      i++;
      continue;
    }
    if ((m = FENCE.exec(l))) {
      endPara();
      const marker = m[1];
      const lang = m[2] ?? '';
      const indent = l.length - l.trimStart().length;
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        const t = lines[i].trimStart();
        if (t.startsWith(marker) && t.slice(marker.length).trim() === '' && t[0] === marker[0]) {
          i++;
          break;
        }
        body.push(indent ? lines[i].replace(new RegExp(`^ {0,${indent}}`), '') : lines[i]);
        i++;
      }
      out += renderCode(body.join('\n'), lang);
      continue;
    }
    const h = heading(l);
    if (h) {
      endPara();
      const [lvl, title] = h;
      out += `<h${lvl}>${renderInline(title)}</h${lvl}>`;
      i++;
      continue;
    }
    if (HR.test(l) && !para.length) {
      out += '<hr>';
      i++;
      continue;
    }
    if (depth < MAX_DEPTH && QUOTE.test(l)) {
      endPara();
      const body: string[] = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]))) {
        body.push(m[1]);
        i++;
      }
      out += `<blockquote>${renderBlocks(body, depth + 1)}</blockquote>`;
      continue;
    }
    if (l.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      endPara();
      const head = splitRow(l);
      const aligns = splitRow(lines[i + 1]).map((c) =>
        c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : '',
      );
      const al = (k: number) => (aligns[k] ? ` style="text-align:${aligns[k]}"` : '');
      let t = '<div class="md-table"><table><thead><tr>';
      head.forEach((c, k) => (t += `<th${al(k)}>${renderInline(c)}</th>`));
      t += '</tr></thead><tbody>';
      i += 2;
      while (i < lines.length && lines[i].includes('|') && lines[i].trim()) {
        const cells = splitRow(lines[i]);
        t += '<tr>';
        head.forEach((_, k) => (t += `<td${al(k)}>${renderInline(cells[k] ?? '')}</td>`));
        t += '</tr>';
        i++;
      }
      out += t + '</tbody></table></div>';
      continue;
    }
    if (depth < MAX_DEPTH && (m = LIST.exec(l)) && (!para.length || m[4].trim())) {
      endPara();
      const baseIndent = m[1].length;
      const ordered = /\d/.test(m[2]);
      const start = ordered ? parseInt(m[2], 10) : 1;
      const items: string[][] = [];
      while (i < lines.length) {
        const li = lines[i];
        const mm = LIST.exec(li);
        if (mm && mm[1].length === baseIndent && /\d/.test(mm[2]) === ordered) {
          items.push([mm[4]]);
          i++;
          continue;
        }
        if (!li.trim()) {
          // a blank line ends the list unless an indented continuation follows
          const nx = lines[i + 1];
          if (nx !== undefined && (/^\s+\S/.test(nx) && nx.length - nx.trimStart().length > baseIndent)) {
            items[items.length - 1].push('');
            i++;
            continue;
          }
          break;
        }
        const ind = li.length - li.trimStart().length;
        if (ind > baseIndent) {
          items[items.length - 1].push(li.slice(Math.min(ind, baseIndent + 2)));
          i++;
          continue;
        }
        if (mm) break;
        // lazy continuation of the item's paragraph
        items[items.length - 1].push(li);
        i++;
      }
      const tag = ordered ? 'ol' : 'ul';
      out += `<${tag}${ordered && start !== 1 ? ` start="${start}"` : ''}>`;
      for (const it of items) {
        let first = it[0];
        let box = '';
        const task = /^\[([ xX])\]\s+/.exec(first);
        if (task) {
          box = `<input type="checkbox" disabled${task[1] !== ' ' ? ' checked' : ''} aria-label="task"> `;
          first = first.slice(task[0].length);
        }
        const inner = renderBlocks([first, ...it.slice(1)], depth + 1);
        // tight items: unwrap a lone paragraph
        const tight = inner.replace(/^<p>([\s\S]*?)<\/p>/, '$1');
        out += `<li>${box}${tight}</li>`;
      }
      out += `</${tag}>`;
      continue;
    }
    para.push(l);
    i++;
  }
  endPara();
  return out;
}
