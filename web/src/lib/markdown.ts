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

/** Renders inline Markdown to safe HTML. */
export function renderInline(s: string): string {
  let out = '';
  let i = 0;
  const n = s.length;
  let text = '';
  const flush = () => {
    if (text) out += escapeHtml(text);
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
      const fence = '`'.repeat(run);
      const end = s.indexOf(fence, i + run);
      if (end > 0) {
        flush();
        let code = s.slice(i + run, end);
        if (/^ .* $/.test(code) && code.trim()) code = code.slice(1, -1);
        out += `<code>${escapeHtml(code)}</code>`;
        i = end + run;
        continue;
      }
      text += fence;
      i += run;
      continue;
    }
    if ((c === '*' || c === '_') && s[i + 1] === c) {
      const end = s.indexOf(c + c, i + 2);
      if (end > i + 2 && s[i + 2] !== ' ') {
        flush();
        out += `<strong>${renderInline(s.slice(i + 2, end))}</strong>`;
        i = end + 2;
        continue;
      }
    }
    if (c === '*' || (c === '_' && (i === 0 || !/\w/.test(s[i - 1])))) {
      let end = i + 1;
      for (;;) {
        end = s.indexOf(c, end);
        if (end < 0 || s[end + 1] !== c) break;
        end += 2; // skip a doubled marker inside
      }
      const okEnd = end > i + 1 && s[i + 1] !== ' ' && s[end - 1] !== ' ' && (c === '*' || !/\w/.test(s[end + 1] ?? ''));
      if (okEnd) {
        flush();
        out += `<em>${renderInline(s.slice(i + 1, end))}</em>`;
        i = end + 1;
        continue;
      }
    }
    if (c === '~' && s[i + 1] === '~') {
      const end = s.indexOf('~~', i + 2);
      if (end > i + 2) {
        flush();
        out += `<del>${renderInline(s.slice(i + 2, end))}</del>`;
        i = end + 2;
        continue;
      }
    }
    if (c === '[') {
      const m = /^\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/.exec(s.slice(i));
      if (m) {
        flush();
        out += link(m[2], renderInline(m[1]));
        i += m[0].length;
        continue;
      }
    }
    if (c === '<') {
      const m = /^<((?:https?|mailto):[^\s<>]+)>/i.exec(s.slice(i));
      if (m) {
        flush();
        out += link(m[1], escapeHtml(m[1]));
        i += m[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && (i === 0 || !/\w/.test(s[i - 1]))) {
      const m = /^https?:\/\/[^\s<>"'`]+/i.exec(s.slice(i, i + 2048));
      if (m) {
        let url = m[0];
        while (/[.,;:!?)\]]$/.test(url)) url = url.slice(0, -1);
        flush();
        out += link(url, escapeHtml(url));
        i += url.length;
        continue;
      }
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)?.*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
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

/** Renders a Markdown document to safe HTML. */
export function renderMarkdown(src: string): string {
  return renderBlocks(src.replace(/\r\n?/g, '\n').split('\n'));
}

function renderBlocks(lines: string[]): string {
  let out = '';
  let para: string[] = [];
  const endPara = () => {
    if (!para.length) return;
    const html = para
      .map((l, k) => {
        const hard = k < para.length - 1 && (/ {2,}$/.test(l) || l.endsWith('\\'));
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
    if ((m = HEADING.exec(l))) {
      endPara();
      const lvl = m[1].length;
      out += `<h${lvl}>${renderInline(m[2] ?? '')}</h${lvl}>`;
      i++;
      continue;
    }
    if (HR.test(l) && !para.length) {
      out += '<hr>';
      i++;
      continue;
    }
    if (QUOTE.test(l)) {
      endPara();
      const body: string[] = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]))) {
        body.push(m[1]);
        i++;
      }
      out += `<blockquote>${renderBlocks(body)}</blockquote>`;
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
    if ((m = LIST.exec(l)) && (!para.length || m[4].trim())) {
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
        const inner = renderBlocks([first, ...it.slice(1)]);
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
