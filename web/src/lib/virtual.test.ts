import { describe, expect, it } from 'vitest';
import { BOTTOM_SLACK, HeightIndex, afterScroll, rowsInserted, visibleRange } from './virtual';
import { diffLines, fileEditOf, withContext } from './diff';

describe('HeightIndex', () => {
  it('computes offsets with estimates and measured heights', () => {
    const h = new HeightIndex(20);
    h.setCount(100_000);
    expect(h.total()).toBe(2_000_000);
    expect(h.offset(50)).toBe(1000);
    h.set(10, 120);
    expect(h.offset(11)).toBe(11 * 20 + 100);
    expect(h.total()).toBe(2_000_100);
    expect(h.indexAt(0)).toBe(0);
    expect(h.indexAt(219)).toBe(10);
    expect(h.indexAt(319)).toBe(10);
    expect(h.indexAt(320)).toBe(11);
    expect(h.indexAt(1e12)).toBe(99_999);
  });
  it('keeps measurements when growing past its capacity', () => {
    const h = new HeightIndex(10);
    h.setCount(3);
    h.set(1, 50);
    h.setCount(1000);
    expect(h.offset(2)).toBe(60);
    expect(h.total()).toBe(60 + 998 * 10);
    h.setCount(2);
    expect(h.total()).toBe(60);
  });
  it('agrees with a naive prefix sum after random updates', () => {
    const h = new HeightIndex(17);
    const ref: number[] = [];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let round = 0; round < 20; round++) {
      const n = ref.length + Math.floor(rnd() * 300);
      h.setCount(n);
      while (ref.length < n) ref.push(17);
      for (let k = 0; k < 50; k++) {
        const i = Math.floor(rnd() * n);
        const v = 5 + Math.floor(rnd() * 200);
        h.set(i, v);
        ref[i] = v;
      }
    }
    let acc = 0;
    for (let i = 0; i < ref.length; i++) {
      expect(h.offset(i)).toBe(acc);
      expect(h.indexAt(acc)).toBe(i);
      acc += ref[i];
    }
  });
  it('gives a small window for a huge list', () => {
    const h = new HeightIndex(30);
    h.setCount(100_000);
    const [s, e] = visibleRange(h, 1_500_000, 600, 300);
    expect(s).toBe(Math.floor((1_500_000 - 300) / 30));
    expect(e - s).toBeLessThan(50);
  });
});

describe('diff', () => {
  it('finds changed lines', () => {
    const d = diffLines('a\nb\nc\nd', 'a\nB\nc\nd\ne');
    expect(d.map((l) => l.op + l.text)).toEqual([' a', '-b', '+B', ' c', ' d', '+e']);
  });
  it('trims context to gaps', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const after = before.replace('l10', 'X');
    const c = withContext(diffLines(before, after), 2);
    expect(c[0]).toEqual({ op: ' ', text: '', gap: 8 });
    expect(c.filter((l) => l.op !== ' ').length).toBe(2);
  });
  it('recognises edit tools', () => {
    expect(fileEditOf('Edit', { file_path: '/a', old_string: 'x', new_string: 'y' })).toEqual({ path: '/a', edits: [{ before: 'x', after: 'y' }] });
    expect(fileEditOf('Write', { file_path: '/a', content: 'z' })?.edits[0]).toEqual({ before: '', after: 'z' });
    expect(fileEditOf('Bash', { command: 'ls' })).toBeNull();
  });
});

describe('following the end of a list', () => {
  it('stays pinned through scrolls the browser makes while content re-measures', () => {
    // What opening a long session did: the list set scrollTop to the end,
    // rows were replaced, a component read layout in between and the
    // browser clamped scrollTop 1,000 px up; rows above grew afterwards.
    expect(afterScroll(true, 1025, false)).toEqual({ following: true, repin: true });
    expect(afterScroll(true, 300, false)).toEqual({ following: true, repin: true });
    // only the user leaves the bottom
    expect(afterScroll(true, 300, true)).toEqual({ following: false, repin: false });
    // a released list is not pulled back by content changes…
    expect(afterScroll(false, 900, false)).toEqual({ following: false, repin: false });
    // …and follows again once it is at the end, however it got there
    expect(afterScroll(false, BOTTOM_SLACK - 1, true)).toEqual({ following: true, repin: false });
    expect(afterScroll(false, 0, false)).toEqual({ following: true, repin: false });
  });

  it('keeps measured heights with their rows when older rows come in front', () => {
    const h = new HeightIndex(50);
    h.setCount(4);
    h.set(0, 200);
    h.set(3, 10);
    const before = h.offset(2);
    h.insertFront(3);
    expect(h.count).toBe(7);
    expect(h.height(3)).toBe(200);
    expect(h.height(6)).toBe(10);
    expect(h.offset(3)).toBe(150);
    expect(h.offset(5)).toBe(150 + before);
    expect(h.total()).toBe(150 + 200 + 50 + 50 + 10);
    h.insertFront(100); // past its capacity
    expect(h.height(103)).toBe(200);
    expect(h.offset(103)).toBe(100 * 50 + 150);
    expect(h.indexAt(100 * 50 + 150 + 1)).toBe(103);
  });

  it('recognises rows inserted in front of the visible ones', () => {
    const old = ['a', 'b', 'c', 'd', 'e'];
    const keyAt = (list: string[]) => (i: number) => list[i];
    // rows 1.. were visible; three older rows came in front
    const grown = ['x', 'y', 'z', ...old];
    expect(rowsInserted(['b', 'c', 'd'], 1, 3, grown.length, keyAt(grown))).toBe(3);
    // rows appended at the end move nothing
    const appended = [...old, 'f'];
    expect(rowsInserted(['b', 'c', 'd'], 1, 1, appended.length, keyAt(appended))).toBe(0);
    // the first visible row merged with the older page (new key): the next one tells
    const merged = ['x', 'y', 'B', 'c', 'd', 'e'];
    expect(rowsInserted(['b', 'c', 'd'], 1, 1, merged.length, keyAt(merged))).toBe(1);
    // nothing recognisable: no guess
    expect(rowsInserted(['b', 'c'], 1, 2, 7, () => 'q')).toBe(0);
    expect(rowsInserted([], 0, 2, 7, keyAt(grown))).toBe(0);
  });
});
