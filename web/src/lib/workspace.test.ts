import { describe, expect, it } from 'vitest';
import {
  appendReference,
  buildTree,
  checkpointRange,
  countsOf,
  diffRows,
  discardRequests,
  fileRowIndex,
  hunkKey,
  lineReference,
  numberLines,
  pairSplit,
  pruneSelection,
  repoOf,
  forkSupport,
  treeRows,
  unsavedOf,
  type ChangedFile,
  type Hunk,
} from './workspace';

const file = (path: string, additions = 1, deletions = 0, extra: any = {}): ChangedFile => ({
  path,
  fingerprint: '100644 x',
  status: 'modified',
  additions,
  deletions,
  binary: false,
  hunks: [],
  ...extra,
});

describe('buildTree', () => {
  it('nests by directory, directories first, sums counts, joins single-child directories', () => {
    const t = buildTree([file('src/lib/a.ts', 3, 1), file('src/lib/b.ts', 2, 0), file('README.md', 1, 1), file('docs/x/y/z.md', 5, 5), file('src/main.ts', 1, 0)]);
    expect(t.additions).toBe(12);
    expect(t.deletions).toBe(7);
    const rows = treeRows(t).map((r) => `${'  '.repeat(r.depth)}${r.node.name} +${r.node.additions} -${r.node.deletions}`);
    expect(rows).toEqual([
      'docs/x/y +5 -5',
      '  z.md +5 -5',
      'src +6 -1',
      '  lib +5 -1',
      '    a.ts +3 -1',
      '    b.ts +2 -0',
      '  main.ts +1 -0',
      'README.md +1 -1',
    ]);
  });

  it('leaves out the children of collapsed directories', () => {
    const t = buildTree([file('src/lib/a.ts'), file('src/b.ts'), file('c.ts')]);
    expect(treeRows(t, new Set(['src'])).map((r) => r.node.path)).toEqual(['src', 'c.ts']);
    expect(treeRows(t, new Set(['src/lib'])).map((r) => r.node.path)).toEqual(['src', 'src/lib', 'src/b.ts', 'c.ts']);
  });

  it('keeps the file itself on a tree node', () => {
    const f = file('a/b.go');
    const rows = treeRows(buildTree([f]));
    expect(rows[1].node.kind === 'file' && rows[1].node.file).toBe(f);
  });
});

const hunk = (header: string, lines: string[], id = 'h1'): Hunk => ({ id, header, lines }) as Hunk;

describe('numberLines', () => {
  it('numbers old and new lines from the header', () => {
    const n = numberLines(hunk('@@ -10,4 +10,5 @@ func x()', [' a', '-b', '+B', '+C', ' d', '\\ No newline at end of file']));
    expect(n.map((l) => [l.op, l.oldNo ?? null, l.newNo ?? null, l.text])).toEqual([
      [' ', 10, 10, 'a'],
      ['-', 11, null, 'b'],
      ['+', null, 11, 'B'],
      ['+', null, 12, 'C'],
      [' ', 12, 13, 'd'],
      ['\\', null, null, '\\ No newline at end of file'],
    ]);
  });
  it('prefers the numeric fields over the header', () => {
    const n = numberLines({ id: 'x', header: '@@ -1 +1 @@', oldStart: 7, oldLines: 1, newStart: 9, newLines: 1, lines: [' x'] });
    expect([n[0].oldNo, n[0].newNo]).toEqual([7, 9]);
  });
  it('reads a header without counts', () => {
    const n = numberLines(hunk('@@ -3 +4 @@', ['-a', '+b']));
    expect([n[0].oldNo, n[1].newNo]).toEqual([3, 4]);
  });
});

describe('pairSplit', () => {
  const pairs = (lines: string[]) =>
    pairSplit(numberLines(hunk('@@ -1,9 +1,9 @@', lines))).map((p) => `${p.left ? p.left.op + p.left.text : '·'} | ${p.right ? p.right.op + p.right.text : '·'}`);

  it('faces context with itself and removed runs with the added run after them', () => {
    expect(pairs([' a', '-b', '-c', '+B', ' d'])).toEqual([' a |  a', '-b | +B', '-c | ·', ' d |  d']);
  });
  it('puts lone additions on the right and lone removals on the left', () => {
    expect(pairs([' a', '+x', '+y', ' b', '-z'])).toEqual([' a |  a', '· | +x', '· | +y', ' b |  b', '-z | ·']);
  });
  it('keeps a "No newline" marker beside the line it follows', () => {
    expect(pairs(['-a', '\\ No newline at end of file', '+a', '+b'])).toEqual(['-a | +a', '\\\\ No newline at end of file | +b']);
    expect(pairs(['-a', '+b', '\\ No newline at end of file'])).toEqual(['-a | +b', '· | \\\\ No newline at end of file']);
  });
  it('keeps line numbers on both sides', () => {
    const p = pairSplit(numberLines(hunk('@@ -5,2 +8,2 @@', ['-old', '+new'])));
    expect([p[0].left?.oldNo, p[0].right?.newNo]).toEqual([5, 8]);
  });
});

describe('diffRows', () => {
  const f1 = file('a.go', 2, 1, { hunks: [hunk('@@ -1,2 +1,3 @@', [' x', '-y', '+Y', '+Z'], 'h1'), hunk('@@ -20 +21 @@', ['-q', '+Q'], 'h2')] });
  const bin = file('img.png', 0, 0, { binary: true, hunks: null });
  const big = file('big.txt', 9000, 0, { tooLarge: true, tooLargeReason: 'file', hunks: null });

  it('unified: header, hunk headers and one row per line; notes for binary and too-large files', () => {
    const rows = diffRows([f1, bin, big], 'unified');
    expect(rows.map((r) => r.kind)).toEqual(['file', 'hunk', 'line', 'line', 'line', 'line', 'hunk', 'line', 'line', 'file', 'note', 'file', 'note']);
    expect(rows[10]).toMatchObject({ note: 'binary' });
    expect(rows[12]).toMatchObject({ note: 'tooLarge', reason: 'file' });
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(fileRowIndex(rows, 'img.png')).toBe(9);
  });
  it('split: pairs instead of lines; folded files show their header only', () => {
    const rows = diffRows([f1, bin], 'split', new Set(['img.png']));
    expect(rows.map((r) => r.kind)).toEqual(['file', 'hunk', 'pair', 'pair', 'pair', 'hunk', 'pair', 'file']);
  });
});

describe('hunk selection', () => {
  const a = file('a', 2, 0, { hunks: [hunk('@@ -1 +1 @@', ['+1'], 'h1'), hunk('@@ -9 +9 @@', ['+2'], 'h2')] });
  const b = file('b', 1, 0, { hunks: [hunk('@@ -1 +1 @@', ['+1'], 'h1')] });

  it('drops chosen hunks that no longer exist after a refetch', () => {
    const sel = new Set([hunkKey('a', 'h1'), hunkKey('a', 'h2'), hunkKey('b', 'h1')]);
    const a2 = { ...a, hunks: [a.hunks![1]] };
    expect([...pruneSelection(sel, [a2, b])]).toEqual([hunkKey('a', 'h2'), hunkKey('b', 'h1')]);
  });
  it('groups chosen hunks per file, in file and hunk order', () => {
    const sel = new Set([hunkKey('b', 'h1'), hunkKey('a', 'h2'), hunkKey('a', 'h1')]);
    expect(discardRequests(sel, [a, b])).toEqual([
      { path: 'a', hunks: ['h1', 'h2'] },
      { path: 'b', hunks: ['h1'] },
    ]);
  });
  it('does not confuse equal hunk IDs of different files', () => {
    expect(discardRequests(new Set([hunkKey('b', 'h1')]), [a, b])).toEqual([{ path: 'b', hunks: ['h1'] }]);
  });
});

describe('line references', () => {
  it('names the new line, or the old one of a removed line, and quotes it', () => {
    expect(lineReference('src/a.ts', { op: '+', text: '  const x = 1;', newNo: 12 })).toBe('`src/a.ts:12`\n> const x = 1;\n');
    expect(lineReference('src/a.ts', { op: '-', text: 'gone()', oldNo: 4 })).toBe('`src/a.ts:4 (old)`\n> gone()\n');
    expect(lineReference('a', { op: ' ', text: '', oldNo: 1, newNo: 2 })).toBe('`a:2`\n');
  });
  it('appends to what was typed with a blank line between', () => {
    expect(appendReference('', 'R\n')).toBe('R\n');
    expect(appendReference('look here  \n', 'R\n')).toBe('look here\n\nR\n');
  });
});

describe('checkpoints and session info', () => {
  const cps = [1, 2, 3].map((id) => ({ id, ref: '', commit: '', turn: id, createdAt: '', files: 1, additions: 1, deletions: 0 }));
  it('a checkpoint shows what its turn changed', () => {
    expect(checkpointRange(cps, 1)).toEqual({ to: 1 });
    expect(checkpointRange(cps, '3')).toEqual({ from: 2, to: 3 });
    expect(checkpointRange(cps, 9)).toBeNull();
  });
  it('reads change counts wherever the session carries them', () => {
    expect(countsOf({ changes: { files: 2, additions: 3, deletions: 4 } })).toEqual({ files: 2, additions: 3, deletions: 4 });
    expect(countsOf({ workspace: { branch: 'b', additions: 1, deletions: 0, files: 1 } })).toEqual({ files: 1, additions: 1, deletions: 0 });
    expect(countsOf({ id: 'x' })).toBeNull();
  });
  it('lists unsaved work from error details', () => {
    expect(unsavedOf({ files: ['a', 'b'], commits: ['abc fix'], truncated: true })).toEqual({ files: ['a', 'b'], commits: ['abc fix'], truncated: true });
    expect(unsavedOf({ files: [{ path: 'a.go', status: 'modified' }], commits: [{ hash: '0123456789abcdef', subject: 'fix it' }] })).toEqual({
      files: ['a.go (modified)'],
      commits: ['0123456789 fix it'],
      truncated: false,
    });
    expect(unsavedOf({})).toBeNull();
    expect(unsavedOf(undefined)).toBeNull();
  });
});

describe('repoOf', () => {
  const tree: Record<string, { path: string; parent: string; entries: { name: string }[] }> = {
    '/': { path: '/', parent: '', entries: [{ name: 'home' }] },
    '/home': { path: '/home', parent: '/', entries: [{ name: 'me' }] },
    '/home/me': { path: '/home/me', parent: '/home', entries: [{ name: '.git' }, { name: 'src' }] },
    '/home/me/src': { path: '/home/me/src', parent: '/home/me', entries: [] },
  };
  const list = async (p: string) => tree[p];
  it('finds the repository of a directory or of a parent', async () => {
    expect(await repoOf(tree['/home/me'], list)).toBe('/home/me');
    expect(await repoOf(tree['/home/me/src'], list)).toBe('/home/me');
    expect(await repoOf(tree['/home'], list)).toBeNull();
    expect(await repoOf(tree['/home/me/src'], list, 0)).toBeNull();
  });
});

describe('forkSupport', () => {
  it('follows what the server says, else offers it for Claude Code only and says why not', () => {
    expect(forkSupport({ agent: 'claude' }).ok).toBe(true);
    expect(forkSupport({ agent: 'codex' })).toEqual({ ok: false, why: expect.stringContaining('codex cannot fork') });
    expect(forkSupport({ agent: 'codex', canFork: true }).ok).toBe(true);
    expect(forkSupport({ agent: 'claude', canFork: false }).ok).toBe(false);
    // (canFork is sent only when true)
    expect(forkSupport({ agent: 'claude', workspace: { branch: 'b' } }).ok).toBe(false);
  });
});
