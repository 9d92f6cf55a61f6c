// Line diffs for file-edit tool calls. The diff is an LCS over lines after
// trimming the common prefix and suffix; when what is left is too large for
// the quadratic table, it falls back to "all old lines removed, all new lines
// added", which is still correct, only less precise.

export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

const MAX_CELLS = 4_000_000;

export function diffLines(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const out: DiffLine[] = [];
  for (let k = 0; k < pre; k++) out.push({ op: ' ', text: a[k] });
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  if (am.length * bm.length > MAX_CELLS) {
    for (const t of am) out.push({ op: '-', text: t });
    for (const t of bm) out.push({ op: '+', text: t });
  } else {
    const n = am.length;
    const m = bm.length;
    // lcs[i][j] = LCS length of am[i..] and bm[j..], flattened
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] = am[i] === bm[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (am[i] === bm[j]) {
        out.push({ op: ' ', text: am[i] });
        i++;
        j++;
      } else if (lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
        out.push({ op: '-', text: am[i++] });
      } else {
        out.push({ op: '+', text: bm[j++] });
      }
    }
    while (i < n) out.push({ op: '-', text: am[i++] });
    while (j < m) out.push({ op: '+', text: bm[j++] });
  }
  for (let k = a.length - suf; k < a.length; k++) out.push({ op: ' ', text: a[k] });
  return out;
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
