// Line diffs for file-edit tool calls, computed by jsdiff (diffArrays over
// the lines, after trimming the common prefix and suffix). The work is
// bounded: an edit that needs more than MAX_EDIT inserted and removed lines,
// or more than DIFF_TIMEOUT_MS of computing, is not diffed; it is shown
// whole instead (all old lines removed, all new lines added, LineDiff.whole
// set), which is still correct, only less precise.

import { diffArrays } from 'diff';

export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

export interface LineDiff {
  lines: DiffLine[];
  /** the edit was too large to diff: the old lines are all removed, the new ones all added */
  whole: boolean;
}

/** the largest number of inserted plus removed lines a diff is computed for */
export const MAX_EDIT = 1000;
/** how long computing one diff may take before it is given up (a guard; MAX_EDIT bounds the work) */
export const DIFF_TIMEOUT_MS = 200;

/**
 * A lower bound of the lines a diff of a and b inserts plus removes: the
 * lines of each that the other does not have as often. It takes time linear
 * in the number of lines and tells most edits too large for a diff (two
 * different files) at once, without running the diff.
 */
export function minEdit(a: string[], b: string[]): number {
  const count = new Map<string, number>();
  for (const l of a) count.set(l, (count.get(l) ?? 0) + 1);
  for (const l of b) count.set(l, (count.get(l) ?? 0) - 1);
  let n = 0;
  for (const c of count.values()) n += Math.abs(c);
  return n;
}

/** The line diff of before and after, bounded by maxEdit lines (see MAX_EDIT) and timeoutMs. */
export function lineDiff(before: string, after: string, maxEdit = MAX_EDIT, timeoutMs = DIFF_TIMEOUT_MS): LineDiff {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const lines: DiffLine[] = [];
  for (let k = 0; k < pre; k++) lines.push({ op: ' ', text: a[k] });
  let whole = false;
  if (!am.length || !bm.length) {
    for (const t of am) lines.push({ op: '-', text: t });
    for (const t of bm) lines.push({ op: '+', text: t });
  } else {
    const changes = minEdit(am, bm) > maxEdit ? undefined : diffArrays(am, bm, { maxEditLength: maxEdit, timeout: timeoutMs });
    if (changes) {
      for (const c of changes) {
        const op = c.added ? '+' : c.removed ? '-' : ' ';
        for (const t of c.value) lines.push({ op, text: t });
      }
    } else {
      whole = true;
      for (const t of am) lines.push({ op: '-', text: t });
      for (const t of bm) lines.push({ op: '+', text: t });
    }
  }
  for (let k = a.length - suf; k < a.length; k++) lines.push({ op: ' ', text: a[k] });
  return { lines, whole };
}

/** The lines of lineDiff(before, after). */
export function diffLines(before: string, after: string): DiffLine[] {
  return lineDiff(before, after).lines;
}

/**
 * Keeps changed lines with `context` unchanged lines around them; runs of
 * hidden lines become one `{op:' ', text:'…', gap:n}` marker.
 */
export function withContext(lines: DiffLine[], context = 3): (DiffLine & { gap?: number })[] {
  const keep = new Uint8Array(lines.length);
  lines.forEach((l, i) => {
    if (l.op !== ' ') for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = 1;
  });
  const out: (DiffLine & { gap?: number })[] = [];
  let gap = 0;
  lines.forEach((l, i) => {
    if (keep[i]) {
      if (gap) out.push({ op: ' ', text: '', gap });
      gap = 0;
      out.push(l);
    } else gap++;
  });
  if (gap) out.push({ op: ' ', text: '', gap });
  return out;
}

/** A file edit recognised in a tool call's input, or null. */
export interface FileEdit {
  path: string;
  edits: { before: string; after: string }[];
}

/** Recognises the file-edit tools of the common agent CLIs. */
export function fileEditOf(name: string, input: any): FileEdit | null {
  if (!input || typeof input !== 'object') return null;
  const path = input.file_path ?? input.path ?? input.filePath;
  if (typeof path !== 'string') return null;
  if (typeof input.old_string === 'string' && typeof input.new_string === 'string') {
    return { path, edits: [{ before: input.old_string, after: input.new_string }] };
  }
  if (Array.isArray(input.edits)) {
    const edits = input.edits
      .filter((e: any) => e && typeof e.old_string === 'string' && typeof e.new_string === 'string')
      .map((e: any) => ({ before: e.old_string, after: e.new_string }));
    if (edits.length) return { path, edits };
  }
  if (/^(write|create|write_file)$/i.test(name) && typeof input.content === 'string') {
    return { path, edits: [{ before: '', after: input.content }] };
  }
  return null;
}
