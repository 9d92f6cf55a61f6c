// ANSI escape handling for the run console: SGR colours and styles become
// spans, every other escape sequence (cursor motion, erase, OSC titles and
// links) is removed, and `\r` inside a line keeps only the text after the last
// carriage return, the way a terminal shows a progress bar at rest.

import type { OutputData, ProcessStateData, RunExitedData } from './api';

export interface Style {
  fg?: string; // 'c0'..'c15' for the themed palette, or '#rrggbb'
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}
export interface Span extends Style {
  text: string;
}

function xterm256(n: number): string {
  if (n < 16) return `c${n}`;
  if (n < 232) {
    const i = n - 16;
    const v = [0, 95, 135, 175, 215, 255];
    return rgb(v[Math.floor(i / 36)], v[Math.floor(i / 6) % 6], v[i % 6]);
  }
  const g = 8 + (n - 232) * 10;
  return rgb(g, g, g);
}
function rgb(r: number, g: number, b: number): string {
  const h = (x: number) => Math.max(0, Math.min(255, x | 0)).toString(16).padStart(2, '0');
  return `#${h(r)}${h(g)}${h(b)}`;
}

/** Applies the parameters of one SGR sequence (`ESC [ … m`) to a style. */
export function applySgr(st: Style, params: number[]): Style {
  const s: Style = { ...st };
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0) {
      for (const k of Object.keys(s)) delete (s as any)[k];
    } else if (p === 1) s.bold = true;
    else if (p === 2) s.dim = true;
    else if (p === 3) s.italic = true;
    else if (p === 4) s.underline = true;
    else if (p === 7) s.inverse = true;
    else if (p === 22) {
      delete s.bold;
      delete s.dim;
    } else if (p === 23) delete s.italic;
    else if (p === 24) delete s.underline;
    else if (p === 27) delete s.inverse;
    else if (p >= 30 && p <= 37) s.fg = `c${p - 30}`;
    else if (p >= 90 && p <= 97) s.fg = `c${p - 90 + 8}`;
    else if (p >= 40 && p <= 47) s.bg = `c${p - 40}`;
    else if (p >= 100 && p <= 107) s.bg = `c${p - 100 + 8}`;
    else if (p === 39) delete s.fg;
    else if (p === 49) delete s.bg;
    else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg';
      if (params[i + 1] === 5 && i + 2 < params.length) {
        s[key] = xterm256(params[i + 2]);
        i += 2;
      } else if (params[i + 1] === 2 && i + 4 < params.length) {
        s[key] = rgb(params[i + 2], params[i + 3], params[i + 4]);
        i += 4;
      }
    }
  }
  return s;
}

function sameStyle(a: Style, b: Style): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    !!a.bold === !!b.bold &&
    !!a.dim === !!b.dim &&
    !!a.italic === !!b.italic &&
    !!a.underline === !!b.underline &&
    !!a.inverse === !!b.inverse
  );
}

/** Keeps what a terminal would show of a line containing carriage returns. */
export function collapseCR(line: string): string {
  const trimmed = line.endsWith('\r') ? line.replace(/\r+$/, '') : line;
  const i = trimmed.lastIndexOf('\r');
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
}

/**
 * Parses one line into styled spans, starting from `state` (the style left
 * by the previous line). Returns the spans and the style at the end.
 */
export function parseAnsi(line: string, state: Style = {}): { spans: Span[]; state: Style } {
  const text = collapseCR(line);
  const spans: Span[] = [];
  let st: Style = state;
  let buf = '';
  const flush = () => {
    if (!buf) return;
    const last = spans[spans.length - 1];
    if (last && sameStyle(last, st)) last.text += buf;
    else spans.push({ ...st, text: buf });
    buf = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x1b) {
      const n = text[i + 1];
      if (n === '[') {
        // CSI: parameters 0x30–0x3f, intermediates 0x20–0x2f, final 0x40–0x7e
        let j = i + 2;
        while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x3f) j++;
        while (j < text.length && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++;
        if (j >= text.length) {
          i = text.length;
          break;
        }
        const final = text[j];
        if (final === 'm') {
          const raw = text.slice(i + 2, j);
          const params = raw === '' ? [] : raw.split(/[;:]/).map((x) => (x === '' ? 0 : Number(x) || 0));
          flush();
          st = applySgr(st, params);
        }
        i = j;
      } else if (n === ']') {
        // OSC: ends with BEL or ESC \
        let j = i + 2;
        while (j < text.length && text.charCodeAt(j) !== 7 && !(text.charCodeAt(j) === 0x1b && text[j + 1] === '\\')) j++;
        i = j < text.length && text.charCodeAt(j) === 0x1b ? j + 1 : j;
      } else {
        i += 1; // two-byte escape such as ESC 7 / ESC 8
      }
      continue;
    }
    if (c === 8) {
      buf = buf.slice(0, -1); // backspace
      continue;
    }
    if (c < 32 && c !== 9) continue; // other control characters are invisible
    buf += text[i];
  }
  flush();
  return { spans, state: st };
}

export interface TermLine {
  id: number;
  stream: 'stdout' | 'stderr' | 'meta';
  spans: Span[];
}

/**
 * The output of one spawned process as a bounded list of styled lines.
 * Progress updates (`progress: true`) replace the previous progress line of
 * the same stream instead of adding a line, and the plain line that follows
 * them on that stream (the bar's final state) replaces it too.
 */
export class Terminal {
  lines: TermLine[] = [];
  dropped = 0;
  state = '';
  exitCode: number | undefined;
  /** how the process ended when it has no exit code (killed, crashed…) */
  endReason: string | undefined;
  private nextId = 1;
  private styles: Record<string, Style> = {};
  private progressAt: Record<string, number> = {};

  constructor(readonly maxLines = 20_000) {}

  write(stream: 'stdout' | 'stderr', d: OutputData): void {
    let text: string;
    if (d.binary) {
      const n = d.bytes ? Math.floor((d.bytes.length * 3) / 4) : 0;
      text = `[${n} bytes of binary output]`;
    } else text = d.text ?? '';
    const parsed = parseAnsi(text, this.styles[stream] ?? {});
    this.styles[stream] = parsed.state;
    const last = this.lines[this.lines.length - 1];
    if (d.continued && last && last.stream === stream) {
      // the rest of a line cut at the maximum line size
      this.lines[this.lines.length - 1] = { ...last, spans: [...last.spans, ...parsed.spans] };
      return;
    }
    const at = this.progressAt[stream];
    const idx = at === undefined ? -1 : at - this.dropped;
    if (idx >= 0 && this.lines[idx]?.stream === stream) {
      // The line after a bare \r is drawn over the progress line, as a
      // terminal redraws a bar: another update keeps it open; a plain line
      // (the bar's final state, docs/stream.md) replaces it and ends it. An
      // empty plain line is only the newline after the last update: the
      // terminal keeps the update's text on screen.
      if (d.progress || parsed.spans.length > 0) this.lines[idx] = { ...this.lines[idx], spans: parsed.spans };
      if (!d.progress) delete this.progressAt[stream];
      return;
    }
    this.add(stream, parsed.spans);
    if (d.progress) this.progressAt[stream] = this.dropped + this.lines.length - 1;
    else delete this.progressAt[stream];
  }

  note(text: string): void {
    this.add('meta', [{ text }]);
  }

  status(st: ProcessStateData): void {
    this.state = st.state;
    if (typeof st.exitCode === 'number') this.exitCode = st.exitCode;
  }

  exit(x: RunExitedData): void {
    this.state = 'exited';
    if (typeof x.exitCode === 'number') this.exitCode = x.exitCode;
    else this.endReason = x.reason;
    const how = x.reason && x.reason !== 'exit' ? x.reason : `exit ${x.exitCode ?? '?'}`;
    this.note(`[process ended: ${how}${x.signal ? ' (' + x.signal + ')' : ''}${x.message ? ': ' + x.message : ''}]`);
  }

  private add(stream: TermLine['stream'], spans: Span[]): void {
    this.lines.push({ id: this.nextId++, stream, spans });
    if (this.lines.length > this.maxLines) {
      const cut = this.lines.length - this.maxLines;
      this.lines.splice(0, cut);
      this.dropped += cut;
    }
  }
}
