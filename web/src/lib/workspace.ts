// The review of a session's git worktree: the shapes of the workspace
// methods (CreateSession's isolation, GetChanges, DiscardChanges,
// ListCheckpoints, RestoreCheckpoint, ForkSession, CommitChanges,
// MergeWorkspace, CreatePullRequest, RemoveWorkspace; docs/api.md) and the
// pure decisions of the Changes panel: the file tree, line numbers of a
// hunk, the pairing of the split view, the rows of the virtual diff, the hunk
// selection kept across refetches, and the reference a line comment puts in
// the composer.

import type * as gen from './contract.gen';

export type Isolation = 'worktree' | 'none';

/** A session's worktree (Session.workspace). */
export type WorkspaceInfo = gen.WorkspaceInfo;
/** Change counts of a session's worktree against its base. */
export type ChangeCounts = gen.ChangeCounts;
export type Checkpoint = gen.Checkpoint;
export type Hunk = gen.Hunk;
export type ChangedFile = gen.FileChange;
export type Changes = gen.Changes;
export type MergeStrategy = 'merge' | 'squash' | 'rebase';

/** The workspace of a session as the list and header show it, or null for a session working in place. */
export function workspaceOf(s: unknown): WorkspaceInfo | null {
  const w = (s as { workspace?: WorkspaceInfo } | null | undefined)?.workspace;
  return w && typeof w.branch === 'string' && w.branch && !w.removed ? w : null;
}

/**
 * The change counts of a session, wherever its info carries them
 * (`changes`, the workspace itself, or flat fields); null when it has none.
 */
export function countsOf(s: unknown): ChangeCounts | null {
  const o = s as Record<string, any> | null | undefined;
  if (!o) return null;
  for (const c of [o.changes, o.workspace?.changes, o.workspace, o]) {
    if (c && typeof c === 'object' && typeof c.additions === 'number' && typeof c.deletions === 'number') {
      return { files: typeof c.files === 'number' ? c.files : typeof c.changedFiles === 'number' ? c.changedFiles : 0, additions: c.additions, deletions: c.deletions };
    }
  }
  return null;
}

// ---------------------------------------------------------------- file tree

export interface TreeDir {
  kind: 'dir';
  /** the directory's name, or several joined by '/' when a directory holds only one */
  name: string;
  path: string;
  additions: number;
  deletions: number;
  children: TreeNode[];
}
export interface TreeFile {
  kind: 'file';
  name: string;
  path: string;
  additions: number;
  deletions: number;
  file: ChangedFile;
}
export type TreeNode = TreeDir | TreeFile;

/**
 * The changed files as a tree: directories first, then files, each sorted by
 * name; every directory sums the counts below it; a directory whose only
 * child is a directory is shown as one ("src/lib").
 */
export function buildTree(files: ChangedFile[]): TreeDir {
  const root: TreeDir = { kind: 'dir', name: '', path: '', additions: 0, deletions: 0, children: [] };
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    let dir = root;
    dir.additions += f.additions;
    dir.deletions += f.deletions;
    for (let i = 0; i < parts.length - 1; i++) {
      const path = parts.slice(0, i + 1).join('/');
      let next = dir.children.find((c): c is TreeDir => c.kind === 'dir' && c.path === path);
      if (!next) {
        next = { kind: 'dir', name: parts[i], path, additions: 0, deletions: 0, children: [] };
        dir.children.push(next);
      }
      next.additions += f.additions;
      next.deletions += f.deletions;
      dir = next;
    }
    dir.children.push({ kind: 'file', name: parts[parts.length - 1] ?? f.path, path: f.path, additions: f.additions, deletions: f.deletions, file: f });
  }
  const tidy = (d: TreeDir): TreeDir => {
    d.children = d.children.map((c) => (c.kind === 'dir' ? tidy(c) : c));
    d.children.sort((a, b) => (a.kind !== b.kind ? (a.kind === 'dir' ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (d.path && d.children.length === 1 && d.children[0].kind === 'dir') {
      const c = d.children[0];
      return { ...c, name: `${d.name}/${c.name}` };
    }
    return d;
  };
  return tidy(root);
}

/** One row of the drawn tree. */
export interface TreeRow {
  node: TreeNode;
  depth: number;
}

/** The rows of a tree, depth first, without the children of collapsed directories (by path). */
export function treeRows(root: TreeDir, collapsed: ReadonlySet<string> = new Set()): TreeRow[] {
  const out: TreeRow[] = [];
  const walk = (d: TreeDir, depth: number) => {
    for (const c of d.children) {
      out.push({ node: c, depth });
      if (c.kind === 'dir' && !collapsed.has(c.path)) walk(c, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

// ---------------------------------------------------------------- hunks and lines

/** A line of a hunk with its numbers in the old and the new file. */
export interface NumberedLine {
  op: ' ' | '+' | '-' | '\\';
  text: string;
  oldNo?: number;
  newNo?: number;
}

/** The starts of a hunk from its fields or its `@@ -a,b +c,d @@` header. */
export function hunkStarts(h: Pick<Hunk, 'header'> & Partial<Hunk>): { oldStart: number; newStart: number } {
  if (typeof h.oldStart === 'number' && typeof h.newStart === 'number') return { oldStart: h.oldStart, newStart: h.newStart };
  const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(h.header);
  return m ? { oldStart: Number(m[1]), newStart: Number(m[2]) } : { oldStart: 1, newStart: 1 };
}

/** The hunk's lines with old and new line numbers. */
export function numberLines(h: Pick<Hunk, 'header' | 'lines'> & Partial<Hunk>): NumberedLine[] {
  let { oldStart: o, newStart: n } = hunkStarts(h);
  const out: NumberedLine[] = [];
  for (const raw of h.lines) {
    const c = raw[0];
    const text = raw.slice(1);
    if (c === '+') out.push({ op: '+', text, newNo: n++ });
    else if (c === '-') out.push({ op: '-', text, oldNo: o++ });
    else if (c === '\\') out.push({ op: '\\', text: raw });
    else out.push({ op: ' ', text, oldNo: o++, newNo: n++ });
  }
  return out;
}

/** One row of the split view: the old line on the left, the new on the right (either may be missing). */
export interface SplitPair {
  left?: NumberedLine;
  right?: NumberedLine;
}

/**
 * Pairs the lines of a hunk side by side: an unchanged line faces itself;
 * a run of removed lines faces the run of added lines that follows it, line
 * by line, the longer run's rest facing nothing. A "No newline" marker stays
 * beside the line it follows.
 */
export function pairSplit(lines: NumberedLine[]): SplitPair[] {
  const out: SplitPair[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (l.op === ' ') {
      out.push({ left: l, right: l });
      i++;
      continue;
    }
    if (l.op === '\\') {
      out.push({ left: l, right: l });
      i++;
      continue;
    }
    const del: NumberedLine[] = [];
    const add: NumberedLine[] = [];
    while (i < lines.length && (lines[i].op === '-' || (lines[i].op === '\\' && del.length && !add.length))) del.push(lines[i++]);
    while (i < lines.length && (lines[i].op === '+' || (lines[i].op === '\\' && add.length))) add.push(lines[i++]);
    for (let k = 0; k < Math.max(del.length, add.length); k++) out.push({ left: del[k], right: add[k] });
  }
  return out;
}

// ---------------------------------------------------------------- rows of the diff

export type DiffMode = 'unified' | 'split';

export type DiffRow =
  | { kind: 'file'; key: string; file: ChangedFile }
  | { kind: 'note'; key: string; file: ChangedFile; note: 'binary' | 'tooLarge' | 'empty'; reason?: string }
  | { kind: 'hunk'; key: string; file: ChangedFile; hunk: Hunk }
  | { kind: 'line'; key: string; file: ChangedFile; hunk: Hunk; line: NumberedLine }
  | { kind: 'pair'; key: string; file: ChangedFile; hunk: Hunk; pair: SplitPair };

/**
 * The rows the virtual list draws for files: a header per file, then a note
 * (binary, too large, no textual change) or its hunks, each a header and its
 * lines (unified) or line pairs (split). Files folded by path show their
 * header only.
 */
export function diffRows(files: ChangedFile[], mode: DiffMode, folded: ReadonlySet<string> = new Set()): DiffRow[] {
  const out: DiffRow[] = [];
  for (const f of files) {
    out.push({ kind: 'file', key: `f:${f.path}`, file: f });
    if (folded.has(f.path)) continue;
    if (f.binary) {
      out.push({ kind: 'note', key: `n:${f.path}`, file: f, note: 'binary' });
      continue;
    }
    if (f.tooLarge) {
      out.push({ kind: 'note', key: `n:${f.path}`, file: f, note: 'tooLarge', reason: f.tooLargeReason });
      continue;
    }
    if (!f.hunks?.length) {
      out.push({ kind: 'note', key: `n:${f.path}`, file: f, note: 'empty' });
      continue;
    }
    for (const h of f.hunks) {
      out.push({ kind: 'hunk', key: `h:${f.path}:${h.id}`, file: f, hunk: h });
      const lines = numberLines(h);
      if (mode === 'unified') lines.forEach((line, i) => out.push({ kind: 'line', key: `l:${f.path}:${h.id}:${i}`, file: f, hunk: h, line }));
      else pairSplit(lines).forEach((pair, i) => out.push({ kind: 'pair', key: `p:${f.path}:${h.id}:${i}`, file: f, hunk: h, pair }));
    }
  }
  return out;
}

/** The index of a file's header row, or -1. */
export function fileRowIndex(rows: DiffRow[], path: string): number {
  return rows.findIndex((r) => r.kind === 'file' && r.file.path === path);
}

// ---------------------------------------------------------------- selection and discard

/** A hunk chosen in the panel, by file path and hunk ID. */
export type HunkKey = `${string}\u0000${string}`;
export const hunkKey = (path: string, id: string): HunkKey => `${path}\u0000${id}`;

/**
 * The chosen hunks that still exist after the changes were read again (a
 * hunk's ID stays while other hunks move; one the agent changed is gone).
 */
export function pruneSelection(sel: ReadonlySet<HunkKey>, files: ChangedFile[]): Set<HunkKey> {
  const live = new Set<HunkKey>();
  for (const f of files) for (const h of f.hunks ?? []) live.add(hunkKey(f.path, h.id));
  return new Set([...sel].filter((k) => live.has(k)));
}

/** What DiscardChanges is asked, per file, for the chosen hunks (files in path order). */
export function discardRequests(sel: ReadonlySet<HunkKey>, files: ChangedFile[]): { path: string; hunks: string[] }[] {
  const out: { path: string; hunks: string[] }[] = [];
  for (const f of files) {
    const hunks = (f.hunks ?? []).filter((h) => sel.has(hunkKey(f.path, h.id))).map((h) => h.id);
    if (hunks.length) out.push({ path: f.path, hunks });
  }
  return out;
}

/** Lines a hunk adds and removes. */
export function hunkCounts(h: Hunk): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const l of h.lines) l[0] === '+' ? additions++ : l[0] === '-' ? deletions++ : 0;
  return { additions, deletions };
}

// ---------------------------------------------------------------- comments

/**
 * The reference a comment on a line puts into the composer: `path:line`
 * (the new line number; a removed line gives its old one, marked "(old)")
 * and the line itself, quoted.
 */
export function lineReference(path: string, line: NumberedLine): string {
  const no = line.newNo ?? line.oldNo;
  const where = line.op === '-' ? `${path}:${no} (old)` : `${path}:${no}`;
  const text = line.text.trim();
  return text ? `\`${where}\`\n> ${text.length > 200 ? text.slice(0, 200) + '…' : text}\n` : `\`${where}\`\n`;
}

/** text with ref appended on its own line(s), and a blank line after for the comment. */
export function appendReference(text: string, ref: string): string {
  if (!text.trim()) return ref;
  return `${text.replace(/\s*$/, '')}\n\n${ref}`;
}

// ---------------------------------------------------------------- checkpoints

/**
 * GetChanges' range for "what this checkpoint's turn changed": from the
 * checkpoint before it (the base for the first) to it.
 */
export function checkpointRange(list: Checkpoint[], id: number | string): { from?: number; to: number } | null {
  const i = list.findIndex((c) => String(c.id) === String(id));
  if (i < 0) return null;
  return i === 0 ? { to: list[i].id } : { from: list[i - 1].id, to: list[i].id };
}

/**
 * The files and commits an error's details list (unsaved_work: {files:
 * [{path, status}], commits: [{hash, subject}], truncated?}; dirty_worktree
 * and conflict: {files}), as lines to show; null when it lists none.
 */
export function unsavedOf(details: unknown): { files: string[]; commits: string[]; truncated: boolean } | null {
  const d = details as Record<string, any> | null | undefined;
  if (!d || typeof d !== 'object') return null;
  const line = (x: any): string => {
    if (typeof x === 'string') return x;
    if (x && typeof x.path === 'string') return x.status ? `${x.path} (${x.status})` : x.path;
    if (x && typeof x.hash === 'string') return `${x.hash.slice(0, 10)} ${x.subject ?? ''}`.trim();
    return JSON.stringify(x);
  };
  const strs = (v: unknown) => (Array.isArray(v) ? v.map(line) : []);
  const files = strs(d.files);
  const commits = strs(d.commits);
  if (!files.length && !commits.length) return null;
  return { files, commits, truncated: !!d.truncated };
}

/**
 * Whether "fork from here" is offered for a session, and why not: the
 * session's `canFork` (sent only when true, by a server that knows
 * workspaces), else, from a server that says nothing of workspaces, Claude
 * Code agents only (the CLI forks a conversation with --fork-session).
 */
export function forkSupport(s: unknown): { ok: boolean; why: string } {
  const o = (s ?? {}) as { agent?: string; canFork?: boolean; workspace?: unknown };
  const ok = typeof o.canFork === 'boolean' ? o.canFork : o.workspace ? false : o.agent === 'claude';
  return { ok, why: ok ? '' : `${o.agent || 'This agent'} cannot fork a session from a checkpoint: restore to it instead, or start a new session.` };
}

/**
 * The git repository a directory is in (the nearest of it and its parents
 * holding a `.git` directory, at most `depth` levels up), or null. `first` is
 * the directory's own listing (with hidden entries); `list` reads a parent's.
 */
export async function repoOf(
  first: { path: string; parent: string; entries: { name: string }[] },
  list: (path: string) => Promise<{ path: string; parent: string; entries: { name: string }[] }>,
  depth = 8,
): Promise<string | null> {
  let r = first;
  for (let i = 0; ; i++) {
    if (r.entries.some((e) => e.name === '.git')) return r.path;
    if (!r.parent || i >= depth) return null;
    try {
      r = await list(r.parent);
    } catch {
      return null;
    }
  }
}
