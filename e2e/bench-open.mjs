// How long opening a session takes, as a user sees it, for sessions of every
// kind of content; exits 1 when opening one from the app takes over 300 ms.
//
//   cd e2e && node bench-open.mjs [LOADS] [/path/to/corral]
//
// Seeds one data directory (e2e/seed, built from this tree) with a 1 KB
// control session, one holding a 100 KB unbroken token, 1 MB of plain text,
// 1 MB of tool output, and 2,000 small events (100 turns); serves it with
// the given corral binary (default: built from this tree, with its
// web/dist); then measures, LOADS times (default 3), in headless Chromium
// (viewport 1280×800):
//
//   open from the app: a page that has loaded corral without a session
//   (the list shown, the event stream live, 1 s of quiet) clicks each
//   session's row in the sidebar in turn, each session opened for the first
//   time in that page. The time runs from just before the click to when the
//   main thread is free again with the conversation on screen: the later of
//   the drawn frame in which the start of the session's last reply is first
//   in the transcript (a message posted from that frame's animation-frame
//   callback runs after its style, layout and paint) and the end of the
//   last long task (PerformanceObserver 'longtask', over 50 ms) that began
//   after the click, following long tasks that begin within 100 ms of the
//   previous one's end. This is the figure held to 300 ms.
//
//   cold open: a new page (same browser, so its HTTP cache is warm) loads
//   the session's URL; from navigation start to the same point.
//
// Reported beside each: the page's main-thread CPU time (DevTools
// ThreadTime) and the longest task. The page's own marks
// (performance.mark 'session-open:*', 'corral:*', where the build has them)
// are printed with CORRAL_BENCH_VERBOSE=1. The last lines are a table of
// median and max per session and the load average before and after.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIMIT_MS = 300;
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const loads = Number(process.argv[2] ?? 3);
const given = process.argv[3] ? resolve(process.argv[3]) : '';
if (!(loads > 0)) {
  console.error('usage: node bench-open.mjs [LOADS] [/path/to/corral]');
  process.exit(2);
}
const verbose = process.env.CORRAL_BENCH_VERBOSE === '1';
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(join(tmpdir(), 'corral-bench-open-'));
const children = [];
let browser = null;
const stopAll = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('SIGINT', () => (stopAll(), process.exit(1)));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const goEnv = { ...process.env, CGO_ENABLED: '0' };
execFileSync('go', ['build', '-o', join(tmp, 'seed'), './e2e/seed'], { cwd: repo, env: goEnv, stdio: 'inherit' });
let corral = given;
if (!corral) {
  if (!existsSync(join(repo, 'web', 'dist', 'index.html'))) throw new Error('web/dist is missing: cd web && npm run build');
  corral = join(tmp, 'corral');
  execFileSync('go', ['build', '-o', corral, './cmd/corral'], { cwd: repo, env: goEnv, stdio: 'inherit' });
}

// the sessions, by name: id and the text at the start of the last reply
const data = join(tmp, 'data');
const sessions = [];
const names = { 'token-1000': '1 KB token (control)', 'token-100000': '100 KB unbroken token', 'text-1000000': '1 MB of text', 'output-1000000': '1 MB of tool output' };
{
  const out = execFileSync(join(tmp, 'seed'), ['-data', data, '-cwd', tmp, '-big', 'token:1000,token:100000,text:1000000,output:1000000'], { encoding: 'utf8' });
  for (const m of out.matchAll(/SEED_SESSION=s-seed-big-(\S+) SEED_EVENTS=\d+ SEED_NEEDLE=(\S+)/g)) sessions.push({ id: `s-seed-big-${m[1]}`, name: names[m[1]] ?? m[1], needle: m[2] });
  const small = execFileSync(join(tmp, 'seed'), ['-data', data, '-cwd', tmp, '-events', '2000', '-per-turn', '20'], { encoding: 'utf8' });
  sessions.push({ id: /SEED_SESSION=(\S+)/.exec(small)[1], name: '2,000 small events', needle: 'END-OF-SEED' });
}

async function serve() {
  const config = join(tmp, 'config.toml');
  writeFileSync(config, '# empty: the defaults\n');
  const env = { ...process.env };
  delete env.CORRAL_FAKEAGENT;
  const child = spawn(corral, ['serve', '--no-open', '--data', data, '--config', config], { stdio: 'ignore', env });
  children.push(child);
  for (let t = 0; t < 600; t++) {
    if (child.exitCode !== null) throw new Error(`corral serve exited ${child.exitCode}`);
    try {
      const info = JSON.parse(readFileSync(join(data, 'serve.json'), 'utf8'));
      if (info.pid === child.pid && info.port) return `http://127.0.0.1:${info.port}/#token=${info.token}`;
    } catch {
      // not written yet
    }
    await sleep(50);
  }
  throw new Error('corral serve wrote no serve.json in 30 s');
}

/** Installed before the page's scripts: the long-task log, and for a cold open the probe of the needle. */
const init = (needle) => {
  window.__longTasks = [];
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) window.__longTasks.push({ start: e.startTime, end: e.startTime + e.duration });
  }).observe({ type: 'longtask', buffered: true });
  // resolves at the drawn frame in which needle is first in the transcript
  window.__watch = (needle, t0) =>
    new Promise((resolve) => {
      const frame = () => {
        const el = document.querySelector('[data-testid="transcript"]');
        if (el && el.textContent.includes(needle)) {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => resolve(performance.now());
          ch.port2.postMessage(0);
          return;
        }
        if (performance.now() - t0 > 60000) return resolve(-1);
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
  if (needle) {
    performance.mark('bench:trace');
    window.__seen = window.__watch(needle, 0);
  }
};

/**
 * In the page, after `drawn`: waits for the main thread to be free and
 * returns when it became so (see the header), the longest task since t0,
 * and the page's marks since t0.
 */
const settle = async ([t0, drawn]) => {
  await new Promise((r) => setTimeout(r, 700));
  const tasks = window.__longTasks.filter((t) => t.start >= t0 - 1).sort((a, b) => a.start - b.start);
  let free = drawn;
  for (const t of tasks) if (t.start <= free + 100) free = Math.max(free, t.end);
  const marks = {};
  const r = Math.round;
  const n = performance.getEntriesByType('navigation')[0];
  if (n && t0 === 0) {
    marks.html = [r(n.requestStart), r(n.responseEnd)];
    for (const e of performance.getEntriesByType('resource')) marks[e.name.replace(/[?#].*$/, '').replace(/^.*\//, '').replace(/-[\w-]{8}\.(js|css)$/, '.$1')] ??= [r(e.startTime), r(e.responseEnd)];
  }
  for (const m of performance.getEntriesByType('mark')) if (m.startTime >= t0 - 1 && (m.name.startsWith('session-open') || m.name.startsWith('corral:'))) marks[m.name] = Math.round(m.startTime - t0);
  // the app's own measure of the open (Conversation.svelte), where it has one
  const own = performance.getEntriesByName('session-open', 'measure').findLast((m) => m.startTime + m.duration >= t0);
  if (own) marks['session-open'] = Math.round(own.duration);
  return { free, longest: Math.max(0, ...tasks.map((t) => t.end - t.start)), marks };
};

let traces = 0;
async function cpuMeter(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const cpu = async () => 1000 * ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? NaN);
  // CORRAL_BENCH_TRACE=1: a Chromium trace of each open, summed up into the
  // main thread's time in script, style and layout, and paint (see breakdown)
  cpu.trace = async (what) => {
    if (process.env.CORRAL_BENCH_TRACE !== '1') return [await what(), null];
    const chunks = [];
    cdp.on('Tracing.dataCollected', (d) => chunks.push(...d.value));
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.start', { categories: 'blink.user_timing,devtools.timeline,v8.execute,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
    const r = await what();
    return [r, async (from, to) => {
      await cdp.send('Tracing.end');
      await done;
      // CORRAL_BENCH_TRACE_DIR=dir keeps each trace (chrome://tracing, Perfetto)
      if (process.env.CORRAL_BENCH_TRACE_DIR) writeFileSync(join(process.env.CORRAL_BENCH_TRACE_DIR, `trace-${++traces}.json`), JSON.stringify({ traceEvents: chunks }));
      return breakdown(chunks, from, to);
    }];
  };
  // CORRAL_BENCH_PROFILE_DIR=dir keeps a JavaScript CPU profile of each open there
  const dir = process.env.CORRAL_BENCH_PROFILE_DIR;
  cpu.profile = async (name, what) => {
    if (!dir) return what();
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    const r = await what();
    writeFileSync(join(dir, `${name.replace(/[^\w]+/g, '-')}.cpuprofile`), JSON.stringify((await cdp.send('Profiler.stop')).profile));
    return r;
  };
  return cpu;
}

/**
 * The renderer main thread's CPU time between from and to (ms, the page's
 * clock) in a trace: in tasks, and in script, style and layout, and paint
 * (top-level events of each kind; nested ones counted once).
 */
function breakdown(events, from, to) {
  const mark = events.findLast((e) => e.name === 'bench:trace' && e.args?.data?.startTime !== undefined);
  if (!mark) return null;
  const pid = mark.pid;
  const tid = events.find((e) => e.pid === pid && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')?.tid;
  const origin = mark.ts - 1000 * mark.args.data.startTime;
  const kinds = {
    task: /^RunTask$/,
    script: /^(EvaluateScript|v8\.evaluateModule|FunctionCall|EventDispatch|TimerFire|FireAnimationFrame|RunMicrotasks|v8\.callFunction|V8\.Execute)$/,
    style: /^(UpdateLayoutTree|RecalculateStyles)$/,
    layout: /^Layout$/,
    paint: /^(PrePaint|Paint|Layerize|UpdateLayer|Commit)$/,
    gc: /^(MajorGC|MinorGC|V8\.GC.*|BlinkGC.*)$/,
  };
  const out = Object.fromEntries(Object.keys(kinds).map((k) => [k, 0]));
  const open = [];
  const evs = events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.ts >= origin + 1000 * from && e.ts < origin + 1000 * to).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  for (const e of evs) {
    const kind = Object.keys(kinds).find((k) => kinds[k].test(e.name));
    if (!kind) continue;
    while (open.length && open[open.length - 1].end <= e.ts) open.pop();
    if (!open.some((o) => o.kind === kind)) out[kind] += (e.tdur ?? e.dur ?? 0) / 1000; // thread time where given
    open.push({ kind, end: e.ts + (e.dur ?? 0) });
  }
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]);
  return out;
}

const results = new Map(sessions.map((s) => [s.id, { fromApp: [], cold: [] }]));
const load0 = load();
let failed = false;
try {
  const url = await serve();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // a first page warms the browser and its cache (the first page of a
  // freshly started browser is measured by cold-open.mjs)
  {
    const p = await ctx.newPage();
    await p.goto(url);
    await p.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 60000 });
    await p.close();
  }
  for (let n = 0; n < loads; n++) {
    // open from the app
    const p = await ctx.newPage();
    await p.addInitScript(init, '');
    await p.goto(url);
    await p.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 60000 });
    for (const s of sessions) await p.locator(`[data-testid="session-row"][data-session-id="${s.id}"]`).waitFor({ timeout: 60000 });
    await sleep(1000);
    const cpu = await cpuMeter(p);
    for (const s of sessions) {
      const c0 = await cpu();
      const [[t0, drawn], traced] = await cpu.trace(() => cpu.profile(`app-${n}-${s.name}`, () =>
        p.evaluate(
          ([id, needle]) => {
            const t0 = performance.now();
            performance.mark('bench:trace');
            document.querySelector(`[data-testid="session-row"][data-session-id="${id}"]`).click();
            return window.__watch(needle, t0).then((d) => [t0, d]);
          },
          [s.id, s.needle],
        ),
      ));
      if (drawn < 0) throw new Error(`${s.name}: the last reply never showed after a click`);
      const st = await p.evaluate(settle, [t0, drawn]);
      const row = { ms: Math.round(st.free - t0), drawn: Math.round(drawn - t0), cpu: Math.round((await cpu()) - c0), longest: Math.round(st.longest), load: loadavg()[0] };
      if (traced) row.trace = await traced(t0, st.free);
      results.get(s.id).fromApp.push(row);
      if (verbose) console.log(JSON.stringify({ open: 'from the app', session: s.name, ...row, marks: st.marks }));
      await sleep(300);
    }
    await p.close();
    // cold open of each session's URL
    for (const s of sessions) {
      const q = await ctx.newPage();
      await q.addInitScript(init, s.needle);
      const cpu = await cpuMeter(q);
      const c0 = await cpu();
      const [drawn, traced] = await cpu.trace(() => cpu.profile(`cold-${n}-${s.name}`, async () => {
        await q.goto(`${url}&session=${s.id}`, { waitUntil: 'commit' });
        return q.evaluate(() => window.__seen);
      }));
      if (drawn < 0) throw new Error(`${s.name}: the last reply never showed on a cold open`);
      const st = await q.evaluate(settle, [0, drawn]);
      const row = { ms: Math.round(st.free), drawn: Math.round(drawn), cpu: Math.round((await cpu()) - c0), longest: Math.round(st.longest), load: loadavg()[0] };
      if (traced) row.trace = await traced(0, st.free);
      results.get(s.id).cold.push(row);
      if (verbose) console.log(JSON.stringify({ open: 'cold', session: s.name, ...row, marks: st.marks }));
      await q.close();
    }
  }
  const med = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
  };
  const fmt = (rows, k) => `${med(rows.map((r) => r[k]))} / ${Math.max(...rows.map((r) => r[k]))}`;
  console.log(`corral: ${given || 'built from this tree'}; ${loads} loads; load average before ${load0}, after ${load()}`);
  console.log('session | from the app: free, median / max ms | drawn | CPU | longest task | cold open: free | drawn | CPU | longest task');
  for (const s of sessions) {
    const r = results.get(s.id);
    console.log(`${s.name} | ${fmt(r.fromApp, 'ms')} | ${fmt(r.fromApp, 'drawn')} | ${fmt(r.fromApp, 'cpu')} | ${fmt(r.fromApp, 'longest')} | ${fmt(r.cold, 'ms')} | ${fmt(r.cold, 'drawn')} | ${fmt(r.cold, 'cpu')} | ${fmt(r.cold, 'longest')}`);
    const over = r.fromApp.filter((x) => x.ms > LIMIT_MS);
    if (over.length) {
      failed = true;
      console.log(`  FAIL: ${s.name} opened from the app in ${over.map((x) => x.ms).join(', ')} ms, over ${LIMIT_MS} ms`);
    }
  }
  console.log(failed ? `FAIL: a session took over ${LIMIT_MS} ms to open from the app` : `ok: every session opened from the app within ${LIMIT_MS} ms`);
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await browser?.close().catch(() => {});
  const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r))));
  stopAll();
  await Promise.race([Promise.all(exited), sleep(30000)]);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
