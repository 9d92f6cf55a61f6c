import { describe, expect, it } from 'vitest';
import { HeightIndex, visibleRange } from './virtual';
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
