import { afterEach, describe, expect, it, vi } from 'vitest';
import { DebouncedSearch, markWords, rowForSeq, snippetParts, type SearchHit, type SearchState } from './search';

describe('snippetParts', () => {
  it('splits the highlighted terms out', () => {
    expect(snippetParts('…the \u0002build\u0003 of \u0002web\u0003')).toEqual([
      { text: '…the ', hit: false },
      { text: 'build', hit: true },
      { text: ' of ', hit: false },
      { text: 'web', hit: true },
    ]);
  });
  it('keeps markup as text', () => {
    expect(snippetParts('<img src=x onerror=alert(1)> \u0002x\u0003')).toEqual([
      { text: '<img src=x onerror=alert(1)> ', hit: false },
      { text: 'x', hit: true },
    ]);
  });
  it('copes with a marker cut off', () => {
    expect(snippetParts('ab\u0002cd')).toEqual([
      { text: 'ab', hit: false },
      { text: 'cd', hit: true },
    ]);
    expect(snippetParts('ab\u0003cd')).toEqual([
      { text: 'ab', hit: false },
      { text: 'cd', hit: false },
    ]);
    expect(snippetParts('')).toEqual([]);
  });
});

describe('rowForSeq', () => {
  const rows = [{ seq: 3 }, { seq: 7 }, { seq: 8 }, { seq: 20 }];
  it('finds the row of the event, or the one before it', () => {
    expect(rowForSeq(rows, 7)).toBe(1);
    expect(rowForSeq(rows, 12)).toBe(2);
    expect(rowForSeq(rows, 99)).toBe(3);
    expect(rowForSeq(rows, 3)).toBe(0);
  });
  it('is -1 before the first row', () => {
    expect(rowForSeq(rows, 2)).toBe(-1);
    expect(rowForSeq([], 2)).toBe(-1);
  });
});

describe('DebouncedSearch', () => {
  afterEach(() => vi.useRealTimers());
  const hit = (q: string): SearchHit => ({ sessionId: 's', sessionTitle: '', seq: 1, kind: 'tool.result', snippet: q, at: '' });

  it('asks once after the typing stops', async () => {
    vi.useFakeTimers();
    const asked: string[] = [];
    const states: SearchState[] = [];
    const d = new DebouncedSearch(async (q) => (asked.push(q), [hit(q)]), (s) => states.push(s), 100);
    d.input('b');
    d.input('bu');
    d.input('bui ');
    await vi.advanceTimersByTimeAsync(99);
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual(['bui']);
    expect(states.at(-1)).toEqual({ status: 'done', query: 'bui', hits: [hit('bui')] });
  });

  it('drops an answer that comes after the user typed on', async () => {
    vi.useFakeTimers();
    const pending: ((h: SearchHit[]) => void)[] = [];
    const states: SearchState[] = [];
    const d = new DebouncedSearch((q) => new Promise((r) => pending.push(() => r([hit(q)]))), (s) => states.push(s), 10);
    d.input('first');
    await vi.advanceTimersByTimeAsync(10);
    d.input('second');
    await vi.advanceTimersByTimeAsync(10);
    pending[1]([]);
    pending[0]([]);
    await vi.runAllTimersAsync();
    const done = states.filter((s) => s.status === 'done');
    expect(done).toEqual([{ status: 'done', query: 'second', hits: [hit('second')] }]);
  });

  it('is idle at once for an empty query and reports failures', async () => {
    vi.useFakeTimers();
    const states: SearchState[] = [];
    const d = new DebouncedSearch(async () => {
      throw new Error('boom');
    }, (s) => states.push(s), 10);
    d.input('   ');
    expect(states).toEqual([{ status: 'idle' }]);
    d.input('x');
    await vi.advanceTimersByTimeAsync(10);
    expect(states.at(-1)).toEqual({ status: 'failed', query: 'x', message: 'boom' });
    d.input('y');
    d.cancel();
    await vi.advanceTimersByTimeAsync(50);
    expect(states.at(-1)).toEqual({ status: 'failed', query: 'x', message: 'boom' });
  });
});

describe('markWords', () => {
  it('marks every word, case-insensitively, or is null when one is missing', () => {
    expect(markWords('Run the Tests (go test)', ['test', 'run'])).toBe('\u0002Run\u0003 the \u0002Test\u0003s (go \u0002test\u0003)');
    expect(markWords('abc', ['abc', 'zzz'])).toBeNull();
    expect(markWords('a.b*c', ['.b*'])).toBe('a\u0002.b*\u0003c');
  });
  it('cuts long text around the first match', () => {
    const s = markWords('x'.repeat(500) + ' needle ' + 'y'.repeat(500), ['needle'], 100)!;
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
    expect(s).toContain('\u0002needle\u0003');
  });
});

describe('the demo backend', () => {
  it('answers SearchEvents from its scripted sessions', async () => {
    const { DemoBackend } = await import('./backend/demo');
    const d = new DemoBackend();
    const r = await d.call<{ hits: SearchHit[] }>('SearchEvents', { query: 'restart backoff' });
    expect(r.hits.length).toBeGreaterThan(0);
    expect(r.hits[0].snippet).toContain('\u0002restart\u0003');
    await expect(d.call('SearchEvents', { query: ' ' })).rejects.toThrow('empty');
  });
});
