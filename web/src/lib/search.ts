// Search over every session's text (SearchEvents): what the search palette
// does that is not drawing. The snippet's highlighted terms come between
// U+0002 and U+0003 (docs/api.md); they are split out here into parts the
// view renders as text nodes, so nothing in an event's text is ever HTML.

import type { SearchHit } from './contract.gen';

export type { SearchHit };

export const HIT_START = '\u0002';
export const HIT_END = '\u0003';

/** A piece of a snippet, highlighted or not. */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

/**
 * Splits a snippet at its markers. A marker without its partner (a snippet
 * cut in the middle) ends or starts the highlight there; empty parts are
 * left out.
 */
export function snippetParts(snippet: string): SnippetPart[] {
  const out: SnippetPart[] = [];
  let hit = false;
  let cur = '';
  const flush = () => {
    if (cur) out.push({ text: cur, hit });
    cur = '';
  };
  for (const ch of snippet) {
    if (ch === HIT_START || ch === HIT_END) {
      flush();
      hit = ch === HIT_START;
    } else cur += ch;
  }
  flush();
  return out;
}

/**
 * The index of the transcript row that shows the event of seq: the row
 * made by that event, else the last row made before it (a tool's result
 * is shown in the row of its call, a streamed message's pieces in the row
 * of the first). -1 when every row is later (the event is in history not
 * loaded yet). Rows are in seq order.
 */
export function rowForSeq(rows: readonly { seq: number }[], seq: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].seq <= seq) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at;
}

/** Short label of an event kind for a result row. */
export function kindLabel(kind: string): string {
  switch (kind) {
    case 'run.started':
      return 'you';
    case 'assistant.text':
      return 'assistant';
    case 'tool.call':
      return 'tool call';
    case 'tool.result':
      return 'tool output';
    case 'error':
    case 'turn.completed':
      return 'error';
    default:
      return kind;
  }
}

export type SearchState =
  | { status: 'idle' }
  | { status: 'searching'; query: string }
  | { status: 'done'; query: string; hits: SearchHit[] }
  | { status: 'failed'; query: string; message: string };

/**
 * Runs a search some time after the last keystroke (delay ms), and reports
 * only the answer to the latest query: an answer that arrives after the
 * user typed on is dropped. An empty query is idle at once, without a
 * call.
 */
export class DebouncedSearch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private gen = 0;
  constructor(
    private readonly run: (query: string) => Promise<SearchHit[]>,
    private readonly report: (s: SearchState) => void,
    private readonly delay = 150,
  ) {}

  input(query: string): void {
    clearTimeout(this.timer);
    const g = ++this.gen;
    const q = query.trim();
    if (!q) {
      this.report({ status: 'idle' });
      return;
    }
    this.timer = setTimeout(async () => {
      this.report({ status: 'searching', query: q });
      try {
        const hits = await this.run(q);
        if (g === this.gen) this.report({ status: 'done', query: q, hits });
      } catch (e) {
        if (g === this.gen) this.report({ status: 'failed', query: q, message: e instanceof Error ? e.message : String(e) });
      }
    }, this.delay);
  }

  /** Forgets the pending query and any answer still coming. */
  cancel(): void {
    clearTimeout(this.timer);
    this.gen++;
  }
}

/**
 * A snippet in the server's format for text searched without the index
 * (the demo backend): about 160 characters around the first of words
 * (case-insensitive substrings) found in text, each occurrence between the
 * markers; null when one of the words is missing.
 */
export function markWords(text: string, words: string[], width = 160): string | null {
  const lower = text.toLowerCase();
  const ws = words.map((w) => w.toLowerCase()).filter(Boolean);
  if (!ws.length || ws.some((w) => !lower.includes(w))) return null;
  const first = Math.min(...ws.map((w) => lower.indexOf(w)));
  const start = Math.max(0, first - width / 4);
  const end = Math.min(text.length, start + width);
  const piece = text.slice(start, end).replace(/[\u0002\u0003]/g, ' ');
  const re = new RegExp(ws.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  return (start > 0 ? '…' : '') + piece.replace(re, (m) => HIT_START + m + HIT_END) + (end < text.length ? '…' : '');
}
