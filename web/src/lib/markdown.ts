// Markdown for agent text, rendered by markdown-it and sanitized by DOMPurify.
// Agent output is untrusted, so:
//
//   - raw HTML in the input is never markup: markdown-it runs with html off
//     and shows it as text;
//   - links go only to http:, https: and mailto: (markdown-it's validateLink
//     is replaced by safeHref; any other target stays text);
//   - images are never loaded: an image becomes a link to its address (when
//     the address is allowed) labelled with its alt text, so nothing an agent
//     writes makes the browser fetch anything;
//   - the HTML markdown-it writes then goes through DOMPurify with an allow
//     list of the tags and attributes this renderer writes itself (defence
//     in depth: a bug in a renderer rule still cannot put a script, an event
//     handler, a style rule or a foreign URL on the page).
//
// Supported: CommonMark (headings, paragraphs, breaks, fenced and indented
// code highlighted by highlight.ts, block quotes, lists), GFM tables and
// strikethrough, task list items, and bare http(s) addresses as links. An
// unclosed fence runs to the end, which is what a streaming reply looks like.
// Rendering takes time linear in the length of the input; containers nested
// deeper than MAX_LEVEL show the rest of their content as a paragraph.

import MarkdownIt from 'markdown-it';
import type { StateBlock, StateCore, Token } from 'markdown-it';
import DOMPurify from 'dompurify';
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

const ALLOWED_URL = /^(?:https?:|mailto:)/i;

/**
 * Returns the link target to use for url, or null when it must not become
 * a link: only http:, https: and mailto: addresses are links (no
 * javascript:, data:, vbscript:, file:, no relative or scheme-relative
 * address, which would point into corral's own origin).
 */
export function safeHref(url: string): string | null {
  const u = url.trim().replace(/[\u0000-\u001f\u007f\s]/g, '');
  return ALLOWED_URL.test(u) ? u : null;
}

/** block containers (quotes, lists, list items) nested deeper than this end as a paragraph of their text */
export const MAX_LEVEL = 32;

/**
 * A block rule, first in line, that ends deep nesting: from MAX_LEVEL open
 * containers on, the rest of the container is one paragraph. (markdown-it
 * drops content nested past its maxNesting; this keeps it, as text.)
 */
function deepRest(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  if (state.level < MAX_LEVEL) return false;
  if (silent) return true;
  const text = state.getLines(startLine, endLine, state.blkIndent, false).trim();
  state.line = endLine;
  if (!text) return true;
  const open = state.push('paragraph_open', 'p', 1);
  open.map = [startLine, endLine];
  const inline = state.push('inline', '', 0);
  inline.content = text;
  inline.map = [startLine, endLine];
  inline.children = [];
  state.push('paragraph_close', 'p', -1);
  return true;
}

const TASK = /^\[([ xX])\][ \t]+/;

/** A core rule: "[ ] " or "[x] " at the start of a list item becomes a disabled checkbox. */
function taskItems(state: StateCore): void {
  const ts = state.tokens;
  for (let i = 2; i < ts.length; i++) {
    const t = ts[i];
    if (t.type !== 'inline' || ts[i - 1].type !== 'paragraph_open' || ts[i - 2].type !== 'list_item_open') continue;
    const first = t.children?.[0];
    const m = first?.type === 'text' ? TASK.exec(first.content) : null;
    if (!first || !m) continue;
    first.content = first.content.slice(m[0].length);
    const box = new state.Token('task_box', 'input', 0);
    box.meta = { checked: m[1] !== ' ' };
    t.children!.unshift(box);
  }
}

function renderCode(code: string, lang: string): string {
  const l = langOf(lang);
  return `<pre class="md-code"${l ? ` data-lang="${escapeHtml(l)}"` : ''}><code>${highlight(code, lang)}</code></pre>\n`;
}

function makeRenderer(): MarkdownIt {
  const md = new MarkdownIt('default', { html: false, linkify: true, typographer: false });
  // only addresses with a scheme are found in text (as before: no bare
  // domain names, no bare e-mail addresses)
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  md.validateLink = (url) => safeHref(url) !== null;
  md.block.ruler.before('table', 'deep_rest', deepRest);
  md.core.ruler.after('inline', 'task_items', taskItems);
  const r = md.renderer.rules;
  r.text = (ts, i) => escapeRuns(ts[i].content);
  r.code_inline = (ts, i) => `<code>${escapeRuns(ts[i].content)}</code>`;
  r.fence = (ts, i) => renderCode(ts[i].content.replace(/\n$/, ''), ts[i].info.trim().split(/\s+/)[0] ?? '');
  r.code_block = (ts, i) => renderCode(ts[i].content.replace(/\n$/, ''), '');
  r.table_open = () => '<div class="md-table"><table>\n';
  r.table_close = () => '</table></div>\n';
  r.s_open = () => '<del>';
  r.s_close = () => '</del>';
  r.task_box = (ts, i) => `<input type="checkbox" disabled${ts[i].meta.checked ? ' checked' : ''} aria-label="task"> `;
  r.image = (ts: Token[], i, options, env, self) => {
    const t = ts[i];
    const src = t.attrGet('src') ?? '';
    const alt = self.renderInlineAsText(t.children ?? [], options, env);
    const label = escapeRuns(alt || src);
    const href = safeHref(src);
    // not loaded: a link to the image, or its alt text
    return href
      ? `<a href="${escapeHtml(href)}" class="md-img" title="image, not loaded">${label}</a>`
      : `<span class="md-img">${label}</span>`;
  };
  return md;
}

let md: MarkdownIt | null = null;
function renderer(): MarkdownIt {
  return (md ??= makeRenderer());
}

/** the tags the renderer writes; everything else is dropped by the sanitizer */
const TAGS = [
  'a', 'blockquote', 'br', 'code', 'del', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'input', 'li', 'ol', 'p',
  'pre', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
];
const ATTRS = ['href', 'title', 'class', 'data-lang', 'start', 'type', 'disabled', 'checked', 'aria-label', 'style', 'target', 'rel'];
/** the only style the renderer writes: a table column's alignment */
const ALIGN = /^text-align:(left|right|center)$/;
const LANG = /^[a-z]{1,16}$/;

type Purifier = ReturnType<typeof DOMPurify>;
let purifier: Purifier | null = null;

function makePurifier(): Purifier {
  const p = DOMPurify(window);
  p.addHook('uponSanitizeAttribute', (_node, data) => {
    if (data.attrName === 'style' && !ALIGN.test(data.attrValue)) data.keepAttr = false;
    // the one data attribute: a code block's language, a word
    if (data.attrName === 'data-lang') data.forceKeepAttr = LANG.test(data.attrValue);
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      if (node.hasAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      } else {
        node.removeAttribute('target');
      }
    } else if (node.tagName === 'INPUT') {
      node.setAttribute('type', 'checkbox');
      node.setAttribute('disabled', '');
    }
  });
  return p;
}

/**
 * Sanitizes HTML with an allow list of the tags and attributes the renderer
 * writes: no script, no event handler, no element that loads anything, and
 * URLs only of http:, https: and mailto:. Every link opens in a new tab
 * without an opener.
 */
export function sanitize(html: string): string {
  purifier ??= makePurifier();
  return purifier.sanitize(html, {
    ALLOWED_TAGS: TAGS,
    ALLOWED_ATTR: ATTRS,
    ALLOWED_URI_REGEXP: ALLOWED_URL,
    ALLOW_DATA_ATTR: false,
  });
}

/** Renders inline Markdown (no blocks) to sanitized HTML. */
export function renderInline(s: string): string {
  return sanitize(renderer().renderInline(s));
}

/** Renders a Markdown document to sanitized HTML, in time linear in its length. */
export function renderMarkdown(src: string): string {
  return sanitize(renderer().render(src)).trim();
}
