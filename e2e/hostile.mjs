// The hostile-output test of run.mjs: the fake agent's `hostile:URL` turn
// (internal/fakeagent/hostile.go) puts script, event-handler, link, image,
// style and frame payloads in every place the page shows agent output; the
// test proves that none of them runs or loads anything and that all of
// them stay visible as text.
//
// Every payload tries something observable: it sets window.__pwned, calls
// alert (a 'dialog' on the page) or fetches from a listener of this test,
// which records every request it gets; the page's requests to it are also
// counted with page.on('request'). The turn runs twice, each time in a
// fresh session, live and then again from history after a reload:
//
//   - in a browser context with bypassCSP, so that the server's
//     Content-Security-Policy cannot be what saves the page: the renderer
//     and the sanitizer must;
//   - in the runner's own context with the CSP in force, counting
//     `securitypolicyviolation` events: a violation means something tried
//     to run or load, and the test names it.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** A local HTTP listener recording every request; close() ends it. */
export async function startListener() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push({ method: req.method, url: req.url });
    req.resume();
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' });
    res.end('pwned');
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const base = `http://127.0.0.1:${server.address().port}`;
  const close = () =>
    new Promise((res) => {
      server.close(res);
      server.closeAllConnections(); // (a page's keep-alive connections would hold close up)
    });
  return { base, hits, close };
}

/** p, or fallback when it has not settled within ms (a page a payload broke may answer nothing). */
const within = (ms, p, fallback) => Promise.race([p.catch(() => fallback), new Promise((res) => setTimeout(() => res(fallback), ms))]);

/** The JavaScript of payload id: the same text as fakeagent.Act. */
const actOf = (L) => (id) => `window.__pwned='${id}';alert('${id}');fetch('${L}/hit/${id}')`;

/**
 * What must be visible, as text, after the hostile turn: [row kind, label,
 * needle]. The row kind is the data-testid of a transcript row (item-text,
 * item-tool, …); the needle must appear in the visible text (innerText) of
 * one row of that kind.
 */
function needles(L) {
  const act = actOf(L);
  return [
    ['item-user', 'prompt', `<script>${act('prompt-script')}</script>`],
    ['item-text', 'raw <img onerror>', `<img src=x onerror="${act('md-img-onerror')}">`],
    ['item-text', 'raw <script>', `<script>${act('md-script')}</script>`],
    ['item-text', 'raw <svg onload>', `<svg onload="${act('md-svg-onload')}"><circle r="1"/></svg>`],
    ['item-text', 'raw <iframe srcdoc>', `<iframe srcdoc="<script>top.__pwned='md-iframe-srcdoc';fetch('${L}/hit/md-iframe-srcdoc')</script>"></iframe>`],
    ['item-text', 'raw <object data:>', `<object data="data:text/html,<script>alert('md-object')</script>"></object>`],
    ['item-text', 'raw <style>', `<style>@import '${L}/hit/md-style-import'; body { background: url('${L}/hit/md-style-url') }</style>`],
    ['item-text', 'raw <link>', `<link rel="stylesheet" href="${L}/hit/md-link-css">`],
    ['item-text', 'raw <meta refresh>', `<meta http-equiv="refresh" content="0; url=${L}/hit/md-meta-refresh">`],
    ['item-text', 'raw style attribute', `<div style="background-image: url('${L}/hit/md-inline-style')">styled div</div>`],
    ['item-text', 'raw javascript: <a>', `<a href="javascript:${act('md-a-js')}">raw javascript link</a>`],
    // markdown-it decodes character references in text, as CommonMark says
    ['item-text', 'entity-encoded javascript: <a>', `<a href="javascript:${act('md-a-entity')}">entity-encoded javascript link</a>`],
    ['item-text', 'markdown javascript: link', `[markdown javascript link](javascript:${act('md-link-js')})`],
    ['item-text', 'mixed-case scheme link', `[mixed-case scheme](JaVaScRiPt:${act('md-link-case')})`],
    ['item-text', 'vbscript: link', `[vbscript link](vbscript:msgbox("md-link-vb"))`],
    ['item-text', 'data:text/html link', '[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgnbWQtbGluay1kYXRhJyk8L3NjcmlwdD4=)'],
    ['item-text', 'javascript: reference link', '[reference link][evil]'],
    ['item-text', 'javascript: autolink', `<javascript:${act('md-autolink-js')}>`],
    ['item-text', 'vbscript: autolink', '<vbscript:msgbox("md-autolink-vb")>'],
    ['item-text', 'data: image', '![data svg image](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KCdtZC1pbWFnZS1kYXRhJykiLz4=)'],
    ['item-text', 'http image (as a link, by its alt text)', 'http image'],
    ['item-text', 'inline code', `<img src=x onerror="${act('md-code')}">`],
    ['item-text', 'fenced code', `<script>${act('md-fence')}</script>`],
    ['item-text', 'table cell', `<img src=x onerror="${act('md-table')}">`],
    ['item-text', 'the end of the reply', 'The end of the reply.'],
    ['item-text', 'long line, head', `<img src=x onerror="${act('long-head')}">AAAA`],
    ['item-text', 'long line, tail (after Show more)', `AAAA<script>${act('long-tail')}</script>`],
    ['item-thinking', 'thinking', `<script>${act('think-script')}</script>`],
    ['item-tool', 'Edit: path', `/tmp/<img src=x onerror="${act('edit-path')}">.html`],
    ['item-tool', 'Edit: removed line', `- <script>${act('edit-old')}</script>`],
    ['item-tool', 'Edit: added line', `+ <img src=x onerror="${act('edit-new')}">`],
    ['item-tool', 'Edit: result', `The file <img src=x onerror="${act('edit-result')}"> has been updated.`],
    ['item-tool', 'Write: new file', `+ <svg xmlns="http://www.w3.org/2000/svg" onload="${act('write-svg')}">`],
    ['item-tool', 'Write: error', `<b>Write failed</b> <img src=x onerror="${act('write-error')}">`],
    ['item-tool', 'Bash: command', `echo '<img src=x onerror="${act('perm-command')}">'`],
    ['item-tool', 'Bash: input', `<svg onload=\\"${act('perm-description')}\\"></svg>`],
    ['item-tool', 'Bash: output', `<script>${act('tool-out-script')}</script>`],
    ['item-tool', 'Bash: output, long line tail (after Show more)', `AAAA<script>${act('long-tail')}</script>`],
    ['item-output', 'stdout line', `<script>${act('stdout-script')}</script> <img src=x onerror="${act('stdout-img')}">`],
    ['item-output', 'stderr line', `<svg onload="${act('stderr')}"></svg>`],
    ['item-notice', 'unreadable line', `{"type": <img src=x onerror="${act('parse-error')}">`],
    ['item-notice', 'API retry', `overloaded <img src=x onerror="${act('retry')}">`],
    ['item-error', 'turn error', `Turn failed: <img src=x onerror="${act('result-img')}"> <script>${act('result-script')}</script>`],
  ];
}

// Installed before the page's own scripts: records CSP violations.
function recordViolations() {
  window.__violations = [];
  addEventListener(
    'securitypolicyviolation',
    (e) => window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, where: `${e.sourceFile}:${e.lineNumber}` }),
    true,
  );
}

/**
 * In the page: what must not be in the DOM. Nothing that runs or loads
 * inside the transcript, the permission prompt, the header and the session
 * list; no on* attribute, javascript:/vbscript:/data: URL or srcdoc
 * anywhere; no script but the app's own; in rendered Markdown no style but
 * a table column's alignment and links only to http(s) and mailto.
 */
function domProblems() {
  const out = [];
  const LOADS = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'img', 'image', 'picture', 'source', 'video', 'audio',
    'svg', 'math', 'link', 'style', 'meta', 'base', 'form', 'template', 'use', 'animate', 'set', 'foreignobject', 'applet', 'portal']);
  const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background', 'codebase', 'cite', 'ping']);
  const zones = document.querySelectorAll('[data-testid="transcript"], [data-testid="permission-prompt"], [data-testid="conversation"] > header, [data-testid="session-row"]');
  for (const z of zones) {
    for (const el of z.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (LOADS.has(tag)) out.push(`<${tag}> in ${z.dataset.testid ?? z.tagName}`);
      if (tag === 'input' && !(el.type === 'checkbox' && el.disabled)) out.push(`<input type=${el.type}>`);
    }
  }
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      const v = a.value.replace(/[\u0000-\u0020\u007f]/g, '').toLowerCase();
      if (n.startsWith('on')) out.push(`${tag}[${n}]`);
      if (n === 'srcdoc' || n === 'srcset') out.push(`${tag}[${n}]`);
      if (URL_ATTRS.has(n) && /^(javascript|vbscript|data|livescript):/.test(v)) out.push(`${tag}[${n}=${a.value.slice(0, 40)}]`);
    }
  }
  for (const s of document.scripts) {
    if (!s.src || new URL(s.src).origin !== location.origin) out.push(`script ${s.src || s.textContent.slice(0, 40)}`);
  }
  for (const el of document.querySelectorAll('.md [style]')) {
    if (!/^text-align:(left|right|center);?$/.test(el.getAttribute('style'))) out.push(`style="${el.getAttribute('style')}" in Markdown`);
  }
  for (const a of document.querySelectorAll('[data-testid="transcript"] a[href]')) {
    if (!/^(https?:|mailto:)/i.test(a.getAttribute('href'))) out.push(`a[href=${a.getAttribute('href').slice(0, 40)}]`);
  }
  return [...new Set(out)];
}

/**
 * Scrolls the transcript from top to bottom, opening every <details> and
 * pressing "Show more" (up to 3 times per row) on the way, and returns the
 * visible text of every row by index with its kind, and the DOM problems
 * seen at any step.
 */
async function readTranscript(page) {
  const rows = new Map();
  const problems = new Set();
  const pressed = new Map();
  // the keys a user scrolls with (a scroll by script is not the user's: the list keeps following its end)
  const key = async (k) => {
    await page.evaluate(() => document.querySelector('[data-testid="transcript"]').focus());
    await page.keyboard.press(k);
  };
  // at the top once the rows stop coming: the first screen asks for older
  // rows, which come in front of the view and keep it where it was
  let last = '';
  for (let i = 0; i < 30; i++) {
    await key('Home');
    await page.waitForTimeout(200);
    const at = await page.evaluate(() => {
      const vl = document.querySelector('[data-testid="transcript"]');
      return `${vl.scrollTop}:${vl.querySelector('.vl-row')?.dataset.index}:${vl.scrollHeight}`;
    });
    if (at === last && at.startsWith('0:0:')) break;
    last = at;
  }
  for (let step = 0; step < 400; step++) {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const seen = await page.evaluate((pressedNow) => {
      const vl = document.querySelector('[data-testid="transcript"]');
      let clicked = 0;
      for (const row of vl.querySelectorAll('.vl-row')) {
        for (const d of row.querySelectorAll('details:not([open])')) d.open = true;
        const n = pressedNow[row.dataset.index] ?? 0;
        const more = row.querySelector('[data-testid="show-more"]');
        if (more && n < 3) {
          more.click();
          pressedNow[row.dataset.index] = n + 1;
          clicked++;
        }
      }
      const list = [...vl.querySelectorAll('.vl-row')].map((row) => ({
        index: row.dataset.index,
        kind: row.querySelector('[data-testid^="item-"]')?.dataset.testid ?? '',
        text: row.innerText,
        imageLinks: [...row.querySelectorAll('.md a.md-img')].map((a) => a.getAttribute('href')),
      }));
      return { list, clicked, pressed: pressedNow, end: vl.scrollTop + vl.clientHeight >= vl.scrollHeight - 2 };
    }, Object.fromEntries(pressed));
    for (const [k, v] of Object.entries(seen.pressed)) pressed.set(k, v);
    for (const r of seen.list) if ((rows.get(r.index)?.text.length ?? -1) < r.text.length) rows.set(r.index, r);
    for (const p of await page.evaluate(domProblems)) problems.add(p);
    if (seen.clicked) continue; // read the rows again once they grew
    if (seen.end) break;
    await key('PageDown');
  }
  return { rows: [...rows.values()], problems: [...problems] };
}

/**
 * One run of the hostile turn on page (server s, listener l): a new
 * session, the turn answered from the permission prompt, the transcript
 * read; then the page reloaded and read again from history. Returns what
 * went wrong, as sentences.
 */
async function hostileRun(h, page, s, l, mode, artifacts) {
  const act = actOf(l.base);
  const bad = [];
  const dialogs = [];
  const listenerRequests = [];
  const foreign = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
    // a payload that alerts on focus comes back after every dismissal
    if (dialogs.length === 50) page.close().catch(() => {});
  });
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith(l.base)) listenerRequests.push(u);
    else if (!u.startsWith(s.base + '/')) foreign.push(u.slice(0, 80));
  });
  await page.addInitScript(recordViolations);
  const hitsBefore = l.hits.length;

  // a page broken by a payload stops the run; what ran is still reported
  try {
    const sess = await h.newSession(s);
    await h.openPage(page, s, `session=${sess.id}`);
    await page.getByTestId('conversation').waitFor();
    const titlePayload = `<img src=x onerror=alert('title')>`;
    const prompt = `hostile:${l.base} ${titlePayload}\n<script>${act('prompt-script')}</script> <img src=x onerror="${act('prompt-img')}">`;
    await page.getByTestId('message-input').fill(prompt);
    await page.keyboard.press('Enter');

    // the approval dialog
    const perm = page.getByTestId('permission-prompt');
    await perm.waitFor({ timeout: 30000 });
    const permText = await perm.innerText();
    for (const n of [`echo '<img src=x onerror=\\"${act('perm-command')}\\">'`, `<svg onload=\\"${act('perm-description')}\\"></svg>`,
      `<img src=x onerror="${act('perm-rule')}">`]) {
      if (!permText.includes(n)) bad.push(`the permission prompt does not show ${JSON.stringify(n.slice(0, 50))}`);
    }
    for (const p of await page.evaluate(domProblems)) bad.push(`permission prompt: ${p}`);
    await page.getByTestId('allow').click();
    await page.getByTestId('item-error').waitFor({ timeout: 30000 });
    await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });

    const sawTitle = async (where) => {
      const t = await page.locator(`[data-testid="session-row"][data-session-id="${sess.id}"]`).innerText();
      if (!t.includes(`hostile:${l.base} ${titlePayload}`)) bad.push(`${where}: the session list does not show the title as text: ${JSON.stringify(t.slice(0, 120))}`);
      const head = await page.locator('[data-testid="conversation"] > header').innerText();
      if (!head.includes(titlePayload)) bad.push(`${where}: the conversation header does not show the title as text`);
      if (!head.includes(`fake-model<img src=x onerror="${act('model')}">`)) bad.push(`${where}: the header does not show the model name as text`);
    };
    const check = async (where) => {
      await sawTitle(where);
      const { rows, problems } = await readTranscript(page);
      for (const p of problems) bad.push(`${where}: in the DOM: ${p}`);
      for (const [kind, label, needle] of needles(l.base)) {
        if (!rows.some((r) => r.kind === kind && r.text.includes(needle))) bad.push(`${where}: ${label} is not visible as text (${kind})`);
      }
      if (!rows.some((r) => r.imageLinks.includes(`${l.base}/hit/md-image-http`))) bad.push(`${where}: the http image is not a link to its address`);
      await page.screenshot({ path: join(artifacts, `hostile-${mode}-${where}.png`) });
      // what the test read, to see why a needle was not found
      writeFileSync(join(artifacts, `hostile-${mode}-${where}.json`), JSON.stringify(rows.map((r) => ({ ...r, text: r.text.slice(0, 20000) })), null, 1));
    };
    await check('live');
    await page.reload();
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 20000 });
    await page.getByTestId('item-error').waitFor({ timeout: 30000 });
    await check('reloaded');

    // the errors view (it lists error events; this turn's failure is a turn result, so it may be empty)
    await page.getByTestId('tab-errors').click();
    await page.getByTestId('errors').waitFor();
    for (const p of await page.evaluate(domProblems)) bad.push(`errors view: ${p}`);
  } catch (e) {
    bad.push(`the run stopped: ${e.message.split('\n')[0]}`);
  }

  // give anything that was to fire (a timer, a late load) time to do it
  await new Promise((res) => setTimeout(res, 1000));
  const pwned = await within(5000, page.evaluate(() => (typeof window.__pwned === 'undefined' ? null : String(window.__pwned))), '(the page answers nothing)');
  if (pwned !== null) bad.push(`window.__pwned = ${pwned}`);
  if (dialogs.length) bad.push(`${dialogs.length} dialog(s): ${[...new Set(dialogs)].join(', ')}`);
  const hits = l.hits.slice(hitsBefore).map((x) => x.url);
  if (hits.length) bad.push(`the listener was reached: ${[...new Set(hits)].join(', ')}`);
  if (listenerRequests.length) bad.push(`the page requested from the listener: ${[...new Set(listenerRequests)].join(', ')}`);
  if (foreign.length) bad.push(`requests to elsewhere: ${[...new Set(foreign)].join(', ')}`);
  const violations = await within(5000, page.evaluate(() => window.__violations ?? []), []);
  if (violations.length) {
    bad.push(`${violations.length} CSP violation(s): ${violations.map((v) => `${v.directive} ${v.blocked} ${v.sample}`.trim()).join('; ')}`);
  }
  return { bad, violations: violations.length, dialogs: dialogs.length, hits: hits.length };
}

/**
 * The test: h holds run.mjs's helpers (newSession, openPage), the server,
 * Chromium's path and arguments, the artifacts directory and the figures.
 */
export async function hostileTest(h, page) {
  const l = await startListener();
  const browser = await chromium.launch({ executablePath: h.chromiumPath, headless: true, args: h.chromiumArgs });
  const problems = [];
  try {
    // 1. CSP bypassed: only the renderer and the sanitizer stand between the payloads and the page
    const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const p1 = await ctx.newPage();
    const errors = [];
    p1.on('pageerror', (e) => errors.push(e.message));
    const r1 = await hostileRun(h, p1, h.server, l, 'nocsp', h.artifacts);
    problems.push(...r1.bad.map((b) => `CSP bypassed: ${b}`), ...errors.map((e) => `CSP bypassed: uncaught error in the page: ${e}`));
    // 2. the server's CSP in force: nothing may even try
    const r2 = await hostileRun(h, page, h.server, l, 'csp', h.artifacts);
    problems.push(...r2.bad.map((b) => `CSP on: ${b}`));
    const counts = (r) => ({ problems: r.bad.length, violations: r.violations, dialogs: r.dialogs, hits: r.hits });
    h.figures.hostile = { bypassCSP: counts(r1), csp: counts(r2) };
  } finally {
    await browser.close();
    await l.close();
  }
  if (problems.length) throw new Error(`${problems.length} problem(s): ${problems.join(' | ')}`);
}
