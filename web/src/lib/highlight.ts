// A small syntax highlighter: one tokenizer driven by per-language tables of
// comment markers, string quotes and keywords. It never produces markup from
// its input: every token is HTML-escaped before it is wrapped in a span.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

interface Lang {
  line?: string[];
  block?: [string, string];
  quotes: string[];
  keywords: Set<string>;
  /** words that are literals (true, nil…) */
  literals?: Set<string>;
}

const w = (s: string) => new Set(s.split(/\s+/).filter(Boolean));

const C_LIKE_KW =
  'if else for while do switch case default break continue return goto typedef struct union enum sizeof static const extern volatile void int char long short float double unsigned signed bool auto register inline class public private protected virtual template typename namespace using new delete this throw try catch';
const JS_KW =
  'break case catch class const continue debugger default delete do else export extends finally for from function if import in instanceof let new of return static super switch this throw try typeof var void while with yield async await as type interface enum implements readonly declare keyof satisfies';

const LANGS: Record<string, Lang> = {
  js: { line: ['//'], block: ['/*', '*/'], quotes: ['"', "'", '`'], keywords: w(JS_KW), literals: w('true false null undefined NaN Infinity') },
  go: {
    line: ['//'],
    block: ['/*', '*/'],
    quotes: ['"', '`', "'"],
    keywords: w('break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var'),
    literals: w('true false nil iota'),
  },
  py: {
    line: ['#'],
    quotes: ['"""', "'''", '"', "'"],
    keywords: w('and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case'),
    literals: w('True False None self'),
  },
  sh: {
    line: ['#'],
    quotes: ['"', "'"],
    keywords: w('if then else elif fi for while until do done case esac function in return export local set unset echo cd exit source'),
    literals: w('true false'),
  },
  rust: {
    line: ['//'],
    block: ['/*', '*/'],
    quotes: ['"'],
    keywords: w('as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait type unsafe use where while'),
    literals: w('true false None Some Ok Err'),
  },
  c: { line: ['//'], block: ['/*', '*/'], quotes: ['"', "'"], keywords: w(C_LIKE_KW + ' final extends implements interface package import boolean byte'), literals: w('true false NULL nullptr null') },
  css: { block: ['/*', '*/'], quotes: ['"', "'"], keywords: w('important media import from to'), literals: w('none auto inherit initial') },
  json: { quotes: ['"'], keywords: w(''), literals: w('true false null') },
  yaml: { line: ['#'], quotes: ['"', "'"], keywords: w(''), literals: w('true false null yes no on off') },
  sql: {
    line: ['--'],
    block: ['/*', '*/'],
    quotes: ["'", '"'],
    keywords: w('select from where insert into values update set delete create table drop alter index join left right inner outer on group by order having limit offset as and or not null primary key references distinct union all case when then else end'),
    literals: w('true false'),
  },
  toml: { line: ['#'], quotes: ['"""', '"', "'"], keywords: w(''), literals: w('true false') },
};
const ALIAS: Record<string, string> = {
  javascript: 'js', ts: 'js', typescript: 'js', jsx: 'js', tsx: 'js', mjs: 'js', svelte: 'js',
  golang: 'go', python: 'py', bash: 'sh', shell: 'sh', zsh: 'sh', console: 'sh', rs: 'rust',
  cpp: 'c', 'c++': 'c', h: 'c', java: 'c', cs: 'c', csharp: 'c', kotlin: 'c', swift: 'c',
  scss: 'css', yml: 'yaml', jsonc: 'json', jsonl: 'json',
};

/** The canonical language for a fence tag or a file name, or '' when unknown. */
export function langOf(tag: string): string {
  let t = (tag || '').trim().toLowerCase();
  const dot = t.lastIndexOf('.');
  if (dot >= 0) t = t.slice(dot + 1);
  if (t === 'diff' || t === 'patch') return 'diff';
  if (LANGS[t]) return t;
  return ALIAS[t] ?? '';
}

const span = (cls: string, text: string) => `<span class="tk-${cls}">${escapeHtml(text)}</span>`;

/** Highlights code and returns safe HTML (to be placed inside <code>). */
export function highlight(code: string, tag: string): string {
  const lang = langOf(tag);
  if (lang === 'diff') {
    return code
      .split('\n')
      .map((l) => {
        if (l.startsWith('+++') || l.startsWith('---')) return span('meta', l);
        if (l.startsWith('+')) return span('add', l);
        if (l.startsWith('-')) return span('del', l);
        if (l.startsWith('@@')) return span('meta', l);
        return escapeHtml(l);
      })
      .join('\n');
  }
  const L = LANGS[lang];
  if (!L) return escapeHtml(code);
  let out = '';
  let plain = '';
  const flush = () => {
    if (plain) out += escapeHtml(plain);
    plain = '';
  };
  const n = code.length;
  let i = 0;
  outer: while (i < n) {
    const ch = code[i];
    if (L.line) {
      for (const m of L.line) {
        if (code.startsWith(m, i)) {
          let j = code.indexOf('\n', i);
          if (j < 0) j = n;
          flush();
          out += span('com', code.slice(i, j));
          i = j;
          continue outer;
        }
      }
    }
    if (L.block && code.startsWith(L.block[0], i)) {
      let j = code.indexOf(L.block[1], i + L.block[0].length);
      j = j < 0 ? n : j + L.block[1].length;
      flush();
      out += span('com', code.slice(i, j));
      i = j;
      continue;
    }
    for (const q of L.quotes) {
      if (code.startsWith(q, i)) {
        let j = i + q.length;
        while (j < n && !code.startsWith(q, j)) {
          if (code[j] === '\\') j++;
          else if (q.length === 1 && q !== '`' && code[j] === '\n') break;
          j++;
        }
        j = Math.min(n, j + (code.startsWith(q, j) ? q.length : 0));
        flush();
        // a JSON key is a string followed by a colon
        const isKey = lang === 'json' && /^\s*:/.test(code.slice(j, j + 20));
        out += span(isKey ? 'key' : 'str', code.slice(i, j));
        i = j;
        continue outer;
      }
    }
    if (/[0-9]/.test(ch) && (i === 0 || !/[\w$]/.test(code[i - 1]))) {
      const m = /^(0x[0-9a-fA-F_]+|\d[\d_]*(\.\d+)?([eE][+-]?\d+)?)/.exec(code.slice(i, i + 64));
      if (m) {
        flush();
        out += span('num', m[0]);
        i += m[0].length;
        continue;
      }
    }
    if (/[A-Za-z_$]/.test(ch) && (i === 0 || !/[\w$]/.test(code[i - 1]))) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(code[j])) j++;
      const word = code.slice(i, j);
      if (L.keywords.has(word) || (lang === 'sql' && L.keywords.has(word.toLowerCase()))) {
        flush();
        out += span('kw', word);
      } else if (L.literals?.has(word)) {
        flush();
        out += span('lit', word);
      } else if (code[j] === '(') {
        flush();
        out += span('fn', word);
      } else plain += word;
      i = j;
      continue;
    }
    plain += ch;
    i++;
  }
  flush();
  return out;
}
