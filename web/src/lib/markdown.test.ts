import { describe, expect, it } from 'vitest';
import { renderInline, renderMarkdown, safeHref } from './markdown';
import { highlight } from './highlight';

describe('markdown escaping', () => {
  it('shows raw HTML as text', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
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
  it('refuses dangerous link targets', () => {
    for (const u of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' java\tscript:alert(1)', 'data:text/html,x', 'vbscript:x', '//evil.com']) {
      expect(safeHref(u)).toBeNull();
      expect(renderInline(`[x](${u})`)).not.toContain('<a');
    }
    expect(safeHref('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(renderInline('[doc](https://example.com)')).toBe(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer">doc</a>',
    );
  });
  it('escapes attribute-breaking characters in hrefs', () => {
    const h = renderInline('<https://e.com/?a="b">');
    expect(h).not.toContain('"b"');
  });
  it('highlighter escapes tokens', () => {
    expect(highlight('const s = "<b>&"; // <i>', 'ts')).not.toMatch(/<b>|<i>/);
    expect(highlight('<x>', 'nolang')).toBe('&lt;x&gt;');
  });
});

describe('markdown structure', () => {
  it('renders headings, emphasis, lists and code', () => {
    const html = renderMarkdown('# Title\n\nSome **bold** and *it* and `code` and ~~gone~~.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n```go\nfunc main() {}\n```');
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
    const html = renderMarkdown('> quoted *x*\n\n---\n\nsee https://example.com/x.\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo');
    expect(html).toContain('<blockquote><p>quoted <em>x</em></p></blockquote>');
    expect(html).toContain('<hr>');
    expect(html).toContain('<a href="https://example.com/x"');
    expect(html).toContain('<th style="text-align:left">a</th>');
    expect(html).toContain('<td style="text-align:right">2</td>');
    expect(html).toContain('checked');
  });
  it('backslash escapes markers', () => {
    expect(renderInline('\\*not em\\*')).toBe('*not em*');
  });
});
