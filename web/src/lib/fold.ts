// Folding of long text. A transcript row renders at most the head of a
// long text (a pasted file, a minified script, an encoded blob); "Show more"
// adds a bounded step at each press, and the whole text can be copied,
// opened or downloaded without rendering it. Without it, a session holding
// one 100 KB unbroken token kept the page busy for seconds and a 1 MB one
// for minutes: the time to render and lay out a text grew faster than its
// length.

/** characters of a text shown before it is folded */
export const FOLD_CHARS = 10_000;
/** lines of a text shown before it is folded */
export const FOLD_LINES = 200;
/** characters and lines each "Show more" adds */
export const MORE_CHARS = 64 * 1024;
export const MORE_LINES = 1000;
/** a run of this many characters without a space gets break opportunities of its own */
export const LONG_RUN = 120;

export interface Folded {
  /** the part to render */
  head: string;
  /** whether head is shorter than the text */
  folded: boolean;
}

/**
 * The head of text to render: at most maxChars characters and maxLines
 * lines. A cut within the characters limit ends at a line break when one
 * lies in the last quarter of the window, so Markdown blocks stay whole.
 */
export function foldText(text: string, maxChars = FOLD_CHARS, maxLines = FOLD_LINES): Folded {
  let end = Math.min(text.length, maxChars);
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) {
    if (++lines >= maxLines) {
      end = i;
      break;
    }
  }
  if (end >= text.length) return { head: text, folded: false };
  if (end === maxChars) {
    const nl = text.lastIndexOf('\n', end);
    if (nl >= maxChars * 0.75) end = nl;
  }
  // never between the two halves of a character outside the BMP
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c < 0xdc00) end--;
  return { head: text.slice(0, end), folded: true };
}

/** The head of text shown after "Show more" was pressed steps times. */
export function foldStep(text: string, steps: number): Folded {
  return foldText(text, FOLD_CHARS + steps * MORE_CHARS, FOLD_LINES + steps * MORE_LINES);
}

/** Lines of text (1 + its line breaks). */
export function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

const NON_ASCII = /[^\x00-\x7f]/g;

/**
 * Bytes of text in UTF-8. Only the characters outside ASCII are looked at,
 * found by a regular expression: for 2 MB of ASCII that takes 2 ms in
 * Chromium, where TextEncoder took 110 ms and a loop over the characters 30.
 */
export function utf8Bytes(text: string): number {
  let n = text.length;
  NON_ASCII.lastIndex = 0;
  for (let m = NON_ASCII.exec(text); m; m = NON_ASCII.exec(text)) {
    const c = text.charCodeAt(m.index);
    const d = text.charCodeAt(m.index + 1);
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
      n += 2; // a pair: two units, four bytes
      NON_ASCII.lastIndex++;
    } else n += 2; // (a lone surrogate is written as U+FFFD, three bytes)
  }
  return n;
}

export interface Piece {
  text: string;
  /** a run of LONG_RUN or more characters without a space */
  run: boolean;
}

/**
 * text cut into its long runs without a space and the rest, for plain-text
 * views to render each run in an element that may break anywhere (see
 * escapeRuns in markdown.ts for the reason).
 */
export function splitRuns(text: string): Piece[] {
  if (text.length < LONG_RUN) return [{ text, run: false }];
  const re = new RegExp(`[^\\s]{${LONG_RUN},}`, 'g');
  const out: Piece[] = [];
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index), run: false });
    out.push({ text: m[0], run: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), run: false });
  return out;
}
