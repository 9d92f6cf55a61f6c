import { describe, expect, it } from 'vitest';
import { MAX_LEVEL, renderInline, renderMarkdown, safeHref, sanitize } from './markdown';
import { highlight } from './highlight';

/** the renderer's HTML without the line breaks markdown-it puts between blocks */
const flat = (html: string) => html.replace(/\n/g, '');

/** Parses html the way {@html} does and returns what a browser would act on. */
function dom(html: string): HTMLElement {
  const el = document.createElement('div');
  el.innerHTML = html;
  return el;
}

/** Elements and attributes that run script or load something. */
function dangers(el: HTMLElement): string[] {
  const out: string[] = [];
  for (const n of el.querySelectorAll('*')) {
    const tag = n.tagName.toLowerCase();
    if (['script', 'img', 'svg', 'iframe', 'object', 'embed', 'style', 'link', 'math', 'form', 'video', 'audio', 'source', 'base', 'meta'].includes(tag)) out.push(`<${tag}>`);
    for (const a of n.attributes) {
      if (/^on/i.test(a.name) || a.name === 'src' || a.name === 'srcset' || a.name === 'action' || a.name === 'formaction') out.push(`${tag}[${a.name}]`);
      if (a.name === 'style' && !/^text-align:(left|right|center)$/.test(a.value)) out.push(`${tag}[style=${a.value}]`);
      if (a.name === 'href' && !/^(https?:|mailto:)/i.test(a.value)) out.push(`${tag}[href=${a.value}]`);
    }
  }
  return out;
}

const HOSTILE = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<svg onload="window.__pwned=1"><circle r=1 /></svg>',
  '<iframe src="javascript:window.__pwned=1"></iframe>',
  '<a href="javascript:window.__pwned=1">click</a>',
  '<div style="background:url(http://127.0.0.1:1/beacon)">styled</div>',
  '[js](javascript:window.__pwned=1)',
  '[JS](JaVaScRiPt:window.__pwned=1)',
  '[tab](java\tscript:window.__pwned=1)',
  '[vb](vbscript:msgbox)',
  '[data](data:text/html,<script>window.__pwned=1</script>)',
  '![pic](data:image/svg+xml,<svg onload=window.__pwned=1>)',
  '![beacon](http://127.0.0.1:1/beacon)',
  '![](http://127.0.0.1:1/beacon2)',
  '<http://127.0.0.1:1/"onmouseover="window.__pwned=1>',
  '[x](https://e.com/"onmouseover="window.__pwned=1)',
  '```html\n<img src=x onerror=window.__pwned=1>\n```',
  '| <img src=x onerror=1> | b |\n|---|---|\n| <script>x</script> | [j](javascript:1) |',
  '- [x] <img src=x onerror=1>',
  '> <iframe srcdoc="<script>1</script>"></iframe>',
];

describe('markdown on hostile input', () => {
  for (const src of HOSTILE) {
    it(`renders nothing that runs or loads: ${JSON.stringify(src).slice(0, 60)}`, () => {
      const el = dom(renderMarkdown(src));
      expect(dangers(el)).toEqual([]);
    });
  }
  it('shows raw HTML as text', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(dom(html).textContent).toContain('<img src=x onerror=alert(1)>');
  });
  it('escapes inside code spans, code blocks, links and tables', () => {
    expect(renderInline('`<b>`')).toBe('<code>&lt;b&gt;</code>');
    const block = renderMarkdown('```html\n<div onclick="x">\n```');
    expect(block).not.toMatch(/<div/);
    expect(block).toContain('&lt;div');
    const tbl = renderMarkdown('| a | b |\n|---|---|\n| <i>x</i> | "q" |');
    expect(tbl).toContain('<td>&lt;i&gt;x&lt;/i&gt;</td>');
    expect(renderInline('[<b>x</b>](https://e.com/"onmouseover="a)')).not.toMatch(/"onmouseover/);
  });
  it('refuses dangerous link targets, and shows the link as text', () => {
    for (const u of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' java\tscript:alert(1)', 'data:text/html,x', 'vbscript:x', '//evil.com', 'file:///etc/passwd', 'rel/path', '#frag']) {
      expect(safeHref(u)).toBeNull();
      const h = renderInline(`[x](${u})`);
      expect(h).not.toContain('<a');
      expect(dom(h).textContent).toContain('[x](');
    }
    expect(safeHref('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(renderInline('[doc](https://example.com)')).toBe(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer">doc</a>',
    );
  });
  it('never loads an image: a link to it labelled with its alt text, or the alt text', () => {
    const h = renderMarkdown('![a chart](https://example.com/c.png) and ![x](data:image/png;base64,AAAA) and ![](javascript:1)');
    const el = dom(h);
    expect(el.querySelector('img')).toBeNull();
    const a = el.querySelector('a.md-img')!;
    expect(a.getAttribute('href')).toBe('https://example.com/c.png');
    expect(a.textContent).toBe('a chart');
    expect(el.textContent).toContain('![x](data:image/png;base64,AAAA)');
    expect(el.querySelectorAll('a')).toHaveLength(1);
  });
  it('escapes attribute-breaking characters in hrefs', () => {
    const a = dom(renderInline('<https://e.com/?a="b" onclick="x">')).querySelector('a');
    expect(a?.getAttribute('href') ?? '').not.toContain('"');
    expect(a?.hasAttribute('onclick')).not.toBe(true);
  });
  it('highlighter escapes tokens', () => {
    expect(highlight('const s = "<b>&"; // <i>', 'ts')).not.toMatch(/<b>|<i>/);
    expect(highlight('<x>', 'nolang')).toBe('&lt;x&gt;');
  });
});

describe('sanitize (behind the renderer)', () => {
  it('removes what the renderer never writes, whatever gets through', () => {
    const el = dom(
      sanitize(
        '<p onclick="x">t</p><script>1</script><img src="http://h/b"><svg onload=1></svg><iframe src="http://h"></iframe>' +
          '<a href="javascript:1">j</a><a href="data:text/html,1">d</a><a href="/rel">r</a><a href="https://ok.example">ok</a>' +
          '<th style="background:url(http://h/b)">s</th><pre data-lang="go" data-x="1">c</pre><input type="text" value="v">' +
          '<form action="http://h"><button formaction="http://h">b</button></form><style>*{background:url(http://h)}</style>',
      ),
    );
    expect(dangers(el)).toEqual([]);
    expect(el.querySelector('p')!.getAttribute('onclick')).toBeNull();
    const links = [...el.querySelectorAll('a')];
    expect(links.filter((a) => a.hasAttribute('href')).map((a) => a.getAttribute('href'))).toEqual(['https://ok.example']);
    expect(links.every((a) => !a.hasAttribute('href') || (a.target === '_blank' && a.rel === 'noopener noreferrer'))).toBe(true);
    expect(el.querySelector('pre')!.getAttribute('data-lang')).toBe('go');
    expect(el.querySelector('pre')!.hasAttribute('data-x')).toBe(false);
    const input = el.querySelector('input')!;
    expect(input.type).toBe('checkbox');
    expect(input.disabled).toBe(true);
    expect(el.textContent).toContain('j');
  });
});

describe('markdown structure', () => {
  it('renders headings, emphasis, lists and code', () => {
    const html = flat(renderMarkdown('# Title\n\nSome **bold** and *it* and `code` and ~~gone~~.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n```go\nfunc main() {}\n```'));
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>it</em>');
    expect(html).toContain('<del>gone</del>');
    expect(html).toMatch(/<ul><li>one<\/li><li>two<ul><li>nested<\/li><\/ul><\/li><\/ul>/);
    expect(html).toContain('<ol><li>first</li><li>second</li></ol>');
    expect(html).toContain('<span class="tk-kw">func</span>');
    expect(html).toContain('data-lang="go"');
  });
  it('keeps underscores inside words', () => {
    expect(renderInline('snake_case_name')).toBe('snake_case_name');
  });
  it('treats an unclosed fence as code to the end (streaming)', () => {
    const html = renderMarkdown('text\n```py\ndef f():\n    return 1');
    expect(html).toContain('<pre class="md-code" data-lang="py">');
    expect(html).toContain('<span class="tk-kw">def</span>');
  });
  it('renders block quotes, rules, autolinks, tables and tasks', () => {
    const html = flat(renderMarkdown('> quoted *x*\n\n---\n\nsee https://example.com/x.\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo'));
    expect(html).toContain('<blockquote><p>quoted <em>x</em></p></blockquote>');
    expect(html).toContain('<hr>');
    expect(html).toContain('<a href="https://example.com/x" target="_blank" rel="noopener noreferrer">https://example.com/x</a>.');
    expect(html).toContain('<div class="md-table"><table>');
    expect(html).toContain('<th style="text-align:left">a</th>');
    expect(html).toContain('<td style="text-align:right">2</td>');
    const boxes = dom(html).querySelectorAll('li > input[type=checkbox][disabled]');
    expect([...boxes].map((b) => (b as HTMLInputElement).checked)).toEqual([true, false]);
    expect(dom(html).querySelector('ul')!.textContent).toBe(' done todo');
  });
  it('links only addresses with a scheme in text', () => {
    const h = renderInline('see example.com, a@b.c and mailto:a@b.c and //evil.com');
    expect(dom(h).querySelectorAll('a')).toHaveLength(1);
    expect(dom(h).querySelector('a')!.getAttribute('href')).toBe('mailto:a@b.c');
  });
  it('backslash escapes markers', () => {
    expect(renderInline('\\*not em\\*')).toBe('*not em*');
  });
  it('wraps long runs without a space so they may break anywhere', () => {
    const run = 'x'.repeat(300);
    expect(renderInline(`a ${run} b`)).toBe(`a <span class="run">${run}</span> b`);
    expect(renderInline('`' + run + '`')).toBe(`<code><span class="run">${run}</span></code>`);
  });
  it('keeps the text of containers nested past the limit', () => {
    const deep = '> '.repeat(MAX_LEVEL + 10) + 'deep *text*';
    const el = dom(renderMarkdown(deep));
    expect(el.querySelectorAll('blockquote').length).toBe(MAX_LEVEL);
    expect(el.textContent).toContain('deep');
    expect(dom(renderMarkdown('- '.repeat(MAX_LEVEL) + 'deep')).textContent).toContain('deep');
  });
});
