// Long content: folding (lib/fold.ts, FoldMore, ItemView, LongText) and
// Markdown on adversarial input (lib/markdown.ts). A session holding one
// 100 KB unbroken token used to keep the page busy for seconds, a 1 MB one
// or a long line of unmatched Markdown markers for minutes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { computeAccessibleName } from 'dom-accessibility-api';
import ItemView from '../components/ItemView.svelte';
import LongText from '../components/LongText.svelte';
import { foldStep, foldText, lineCount, splitRuns, utf8Bytes, FOLD_CHARS, FOLD_LINES, LONG_RUN, MORE_CHARS } from '../lib/fold';
import { renderInline, renderMarkdown } from '../lib/markdown';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** n characters without a space, with the characters Markdown looks for (as e2e/seed writes) */
function token(n: number): string {
  const al = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*`[<';
  const out: string[] = [];
  let x = 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(al[(x >>> 16) % al.length]);
  }
  return out.join('');
}

const ENTITY: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
/** the text a piece of the renderer's HTML shows (jsdom takes many seconds to parse a megabyte of markup) */
function shownText(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITY[e]);
}

const count = (s: string, c: string) => s.split(c).length - 1;

describe('foldText', () => {
  it('keeps short text whole and cuts long text by characters and by lines', () => {
    expect(foldText('short')).toEqual({ head: 'short', folded: false });
    const t = token(100_000);
    const f = foldText(t);
    expect(f.folded).toBe(true);
    expect(f.head).toBe(t.slice(0, FOLD_CHARS));
    const lines = Array.from({ length: 3 * FOLD_LINES }, (_, i) => `line ${i}`).join('\n');
    const g = foldText(lines);
    expect(g.folded).toBe(true);
    expect(g.head.split('\n')).toHaveLength(FOLD_LINES);
    expect(lines.startsWith(g.head)).toBe(true);
  });
  it('ends a cut at a line break near the limit, never inside a character', () => {
    const t = 'a'.repeat(FOLD_CHARS - 100) + '\n' + 'b'.repeat(500);
    expect(foldText(t).head).toBe('a'.repeat(FOLD_CHARS - 100));
    const emoji = 'x' + '😀'.repeat(FOLD_CHARS);
    const h = foldText(emoji).head;
    expect(h.length).toBe(FOLD_CHARS - 1);
    expect(h.endsWith('😀')).toBe(true);
  });
  it('shows a bounded step more at each step, and all of it in the end', () => {
    const t = token(FOLD_CHARS + 4 * MORE_CHARS + 123);
    let prev = 0;
    for (let s = 0; s < 5; s++) {
      const f = foldStep(t, s);
      expect(f.folded).toBe(true);
      expect(f.head.length - prev).toBeLessThanOrEqual(s ? MORE_CHARS : FOLD_CHARS);
      expect(f.head.length).toBeGreaterThan(prev);
      prev = f.head.length;
    }
    expect(foldStep(t, 5)).toEqual({ head: t, folded: false });
  });
  it('counts UTF-8 bytes and lines', () => {
    expect(utf8Bytes('aé€😀')).toBe(1 + 2 + 3 + 4);
    for (const t of ['', 'ascii', 'é😀é😀x', '\ud800x\udc00', '😀'.repeat(1000) + 'ß'.repeat(1000)]) expect(utf8Bytes(t)).toBe(new TextEncoder().encode(t).byteLength);
    expect(lineCount('a\nb\n')).toBe(3);
  });
  it('splits out runs without a space and keeps every character', () => {
    const t = `see ${'x'.repeat(LONG_RUN)} and ${'y'.repeat(LONG_RUN - 1)}`;
    const p = splitRuns(t);
    expect(p.map((x) => x.text).join('')).toBe(t);
    expect(p.filter((x) => x.run).map((x) => x.text)).toEqual(['x'.repeat(LONG_RUN)]);
  });
});

describe('long text in a transcript row', () => {
  const base = { key: '1', seq: 1, time: '2026-12-05T10:00:00Z' };

  it('renders the head of a 300 KB token in an assistant text; "Show more" adds bounded steps up to the whole', async () => {
    const t = token(300_000);
    const item = { ...base, type: 'text' as const, messageId: 'm', text: `Here:\n\n${t}\n\nEND-OF-TEXT`, streaming: false };
    const r = render(ItemView, { item, running: false });
    const msg = screen.getByLabelText('Assistant message');
    const md = () => r.container.querySelector('.md')!.textContent!;
    expect(md().length).toBeLessThanOrEqual(FOLD_CHARS);
    expect(md().length).toBeGreaterThan(FOLD_CHARS / 2);
    expect(msg.textContent).not.toContain('END-OF-TEXT');
    // the token may break anywhere
    expect(r.container.querySelector('.md .run')).not.toBeNull();
    expect(screen.getByTestId('fold-status').textContent).toBe('Showing 9.8 KB of 293 KB (5 lines).');
    let presses = 0;
    while (screen.queryByTestId('show-more')) {
      const before = md().length;
      await fireEvent.click(screen.getByTestId('show-more'));
      await tick();
      presses++;
      expect(md().length - before).toBeLessThanOrEqual(MORE_CHARS);
      expect(presses).toBeLessThan(10);
    }
    expect(presses).toBe(5);
    // the whole token, as Markdown shows it (a pair of * in it is emphasis)
    expect(msg.textContent).toContain(shownText(renderMarkdown(t)).slice(-50));
    expect(msg.textContent).toContain('END-OF-TEXT');
    // mounted again (a virtual list scrolling it back into view): as it was left
    cleanup();
    render(ItemView, { item, running: false });
    expect(screen.getByLabelText('Assistant message').textContent).toContain('END-OF-TEXT');
    expect(screen.queryByTestId('show-more')).toBeNull();
  });

  it('keeps a text that streamed in as it was shown when the stream ends', async () => {
    const t = 'x'.repeat(40_000);
    const item = { ...base, key: 's', type: 'text' as const, messageId: 'm', text: t, streaming: true };
    const r = render(ItemView, { item, running: true });
    const md = () => r.container.querySelector('.md')!.textContent!;
    expect(md()).toBe(t);
    await r.rerender({ item: { ...item, streaming: false }, running: false });
    expect(md()).toBe(t);
    expect(screen.queryByTestId('show-more')).toBeNull();
    cleanup();
    // the same text opened later, finished: folded
    const r2 = render(ItemView, { item: { ...item, key: 's2', streaming: false }, running: false });
    expect(r2.container.querySelector('.md')!.textContent!.length).toBe(FOLD_CHARS);
    expect(screen.getByTestId('show-more')).toBeTruthy();
  });

  it('folds a long user message and stdout the same way, with named controls', async () => {
    const t = token(200_000);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: () => Promise.resolve() } });
    render(ItemView, { item: { ...base, key: 'u', type: 'user', text: t }, running: false });
    expect(screen.getByLabelText('Your message').textContent!.length).toBeLessThan(FOLD_CHARS + 500);
    const buttons = [...screen.getByTestId('fold-more').querySelectorAll('button')];
    expect(buttons.map((b) => computeAccessibleName(b))).toEqual(['Show more', 'Open whole text', 'Download', 'Copy all']);
    cleanup();
    render(ItemView, { item: { ...base, key: 'o', type: 'output', stream: 'stdout', lines: [t], progressTail: false }, running: false });
    expect(screen.getByLabelText('stdout').textContent!.length).toBe(FOLD_CHARS);
    expect(screen.getByText('Open whole output')).toBeTruthy();
  });

  it('copies and downloads the whole text, not the part shown', async () => {
    const t = token(100_000) + 'THE-END';
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    const blobs: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => (blobs.push(b), 'blob:x'));
    URL.revokeObjectURL = vi.fn();
    render(ItemView, { item: { ...base, key: 'c', type: 'text', messageId: 'm', text: t, streaming: false }, running: false });
    await fireEvent.click(screen.getByText('Copy all'));
    await tick();
    expect(writeText).toHaveBeenCalledWith(t);
    expect(screen.getByRole('status').textContent).toBe('Copied');
    await fireEvent.click(screen.getByText('Download'));
    const read = await new Promise<string>((res) => {
      const r = new FileReader();
      r.onload = () => res(r.result as string);
      r.readAsText(blobs[0]);
    });
    expect(read).toBe(t);
  });

  it('shows a long tool output in bounded steps', async () => {
    const t = 'y'.repeat(200_000);
    render(LongText, { text: t, label: 'Output of Bash' });
    const pre = screen.getByLabelText('Output of Bash');
    expect(pre.textContent!.length).toBe(FOLD_CHARS);
    await fireEvent.click(screen.getByTestId('show-more'));
    expect(pre.textContent!.length).toBe(FOLD_CHARS + MORE_CHARS);
    expect(pre.querySelector('.run')).not.toBeNull();
    cleanup();
    render(LongText, { text: 'line\n'.repeat(20_000), label: 'Output of Bash' });
    expect(screen.getByTestId('fold-status').textContent).toBe('Showing 9.8 KB of 97.7 KB (20,001 lines).');
  });
});

// Each of these took minutes or did not end with the old renderer (a search
// to the end of the text from every unmatched marker, or a recursion per
// nesting level). The deadline is a hang guard, not a speed limit.
describe('Markdown on 1 MB of adversarial input', () => {
  const MB = 1 << 20;
  const cases: [string, string][] = [
    ['[ without ]', '[a '],
    ['* before doubled **', 'a** '],
    ['_ and __', ' _a __ b_ '],
    ['backticks', 'x `` y ``` '],
    ['mixed markers', 'w [x *y ** z `` _v __ ~~ <http: '],
  ];
  for (const [name, unit] of cases) {
    it(`renders a 1 MB line of ${name}, keeping the text`, () => {
      const src = unit.repeat(Math.ceil(MB / unit.length));
      const shown = shownText(renderMarkdown(src));
      for (const c of ['a', 'b', 'x', 'w', 'z', 'v']) expect(count(shown, c)).toBe(count(src, c));
    }, 60_000);
  }
  it('renders a 1 MB token', () => {
    const t = token(MB);
    expect(shownText(renderMarkdown(t)).length).toBeGreaterThan(MB * 0.9);
  }, 60_000);
  it('renders 1 MB of nested quotes and lists, and a heading with 1 MB of spaces', () => {
    expect(shownText(renderMarkdown('> '.repeat(MB / 2) + 'deep'))).toContain('deep');
    expect(shownText(renderMarkdown('- '.repeat(MB / 2) + 'deep'))).toContain('deep');
    expect(renderMarkdown('# title' + ' '.repeat(MB) + 'x')).toMatch(/^<h1>title +x<\/h1>$/);
  }, 60_000);
  it('still renders what pairs up', () => {
    expect(renderInline('a `b` c [x](http://e.x) ** no *yes* __b__ ~~d~~ <https://e.x> http://e.x/y).')).toBe(
      'a <code>b</code> c <a href="http://e.x" target="_blank" rel="noopener noreferrer">x</a> ** no <em>yes</em> <strong>b</strong> <del>d</del> ' +
        '<a href="https://e.x" target="_blank" rel="noopener noreferrer">https://e.x</a> <a href="http://e.x/y" target="_blank" rel="noopener noreferrer">http://e.x/y</a>).',
    );
    expect(renderInline('[[[a](https://u.example)')).toBe('[[<a href="https://u.example" target="_blank" rel="noopener noreferrer">a</a>');
    expect(renderInline('*a **b** c*')).toBe('<em>a <strong>b</strong> c</em>');
    expect(renderInline('``` `` ```x```')).toBe('<code>``</code>x```');
    expect(renderMarkdown('## Title ##\n\n#nope\n\n#######').replace(/\n/g, '')).toBe('<h2>Title</h2><p>#nope</p><p>#######</p>');
  });
});
