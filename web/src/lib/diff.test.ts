import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/svelte';
import DiffView from '../components/DiffView.svelte';
import { diffLines, lineDiff, minEdit, MAX_EDIT, withContext } from './diff';

afterEach(() => cleanup());

const ops = (lines: { op: string; text: string }[]) => lines.map((l) => l.op + l.text);
const file = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');

describe('lineDiff', () => {
  it('finds changed, inserted and removed lines', () => {
    expect(ops(diffLines('a\nb\nc\nd', 'a\nB\nc\nd\ne'))).toEqual([' a', '-b', '+B', ' c', ' d', '+e']);
    expect(ops(diffLines('x\ny\nz', 'y\nz\nw'))).toEqual(['-x', ' y', ' z', '+w']);
    expect(ops(diffLines('', 'new\nfile'))).toEqual(['+new', '+file']);
    expect(ops(diffLines('gone', ''))).toEqual(['-gone']);
    expect(ops(diffLines('same', 'same'))).toEqual([' same']);
  });
  it('diffs a 20,000-line file with scattered changes exactly', () => {
    const before = file(20_000, (i) => `line ${i}`);
    const after = file(20_000, (i) => (i % 100 === 7 ? `line ${i} changed` : `line ${i}`));
    // no time limit: whether the diff is computed must not depend on the machine's load
    const d = lineDiff(before, after, MAX_EDIT, Infinity);
    expect(d.whole).toBe(false);
    expect(d.lines.filter((l) => l.op === '-').map((l) => l.text)).toEqual(Array.from({ length: 200 }, (_, k) => `line ${k * 100 + 7}`));
    expect(d.lines.filter((l) => l.op === '+')).toHaveLength(200);
    expect(d.lines.filter((l) => l.op === ' ')).toHaveLength(19_800);
  });
  it('shows two different 20,000-line files whole instead of diffing them', () => {
    const before = file(20_000, (i) => `old ${i}`);
    const after = file(20_000, (i) => `new ${i}`);
    expect(minEdit(before.split('\n'), after.split('\n'))).toBe(40_000);
    const d = lineDiff(before, after);
    expect(d.whole).toBe(true);
    expect(d.lines).toHaveLength(40_000);
    expect(d.lines.slice(0, 20_000).every((l) => l.op === '-')).toBe(true);
    expect(d.lines.slice(20_000).every((l) => l.op === '+')).toBe(true);
    expect(d.lines[20_000].text).toBe('new 0');
  });
  it('gives up when the diff needs more than the edit limit, even with the same lines', () => {
    // the same lines in another order: no line is missing, yet a diff
    // removes and inserts one half
    const x = Array.from({ length: MAX_EDIT }, (_, i) => `x${i}`);
    const y = Array.from({ length: MAX_EDIT }, (_, i) => `y${i}`);
    const before = ['top', ...x, ...y, 'bottom'].join('\n');
    const after = ['top', ...y, ...x, 'bottom'].join('\n');
    expect(minEdit(x.concat(y), y.concat(x))).toBe(0);
    const d = lineDiff(before, after, MAX_EDIT, Infinity);
    expect(d.whole).toBe(true);
    expect(ops(d.lines).slice(0, 2)).toEqual([' top', '-x0']);
    expect(ops(d.lines).at(-1)).toBe(' bottom');
    expect(d.lines.filter((l) => l.op === '-')).toHaveLength(2 * MAX_EDIT);
  });
  it('trims context to gaps', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const after = before.replace('l10', 'X');
    const c = withContext(diffLines(before, after), 2);
    expect(c[0]).toEqual({ op: ' ', text: '', gap: 8 });
    expect(c.filter((l) => l.op !== ' ').length).toBe(2);
  });
});

describe('DiffView', () => {
  it('marks added and removed lines', () => {
    render(DiffView, { edit: { path: '/a.go', edits: [{ before: 'x := 1\ny := 2', after: 'x := 1\ny := 3' }] } });
    const diff = screen.getByTestId('diff');
    expect(diff.querySelector('.l.d')!.textContent).toBe('- y := 2\n');
    expect(diff.querySelector('.l.a')!.textContent).toBe('+ y := 3\n');
    expect(diff.querySelector('.head')!.textContent).toContain('+1');
    expect(screen.queryByTestId('diff-too-large')).toBeNull();
  });
  it('says when an edit is too large to diff and shows it whole', () => {
    const n = MAX_EDIT; // 2 * MAX_EDIT lines to insert and remove
    const before = file(n, (i) => `old ${i}`);
    const after = file(n, (i) => `new ${i}`);
    render(DiffView, { edit: { path: '/big.txt', edits: [{ before, after }] } });
    expect(screen.getByTestId('diff-too-large').textContent).toContain('Diff too large, showing whole files');
    const diff = screen.getByTestId('diff');
    expect(diff.querySelectorAll('.l.d')).toHaveLength(n);
    expect(diff.querySelectorAll('.l.a')).toHaveLength(n);
    expect(diff.querySelector('.head')!.textContent).toContain(`+${n}`);
  });
});
