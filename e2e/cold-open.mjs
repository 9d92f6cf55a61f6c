// The first page load of a freshly started Chromium, opening a
// 100,000-event session: what run.mjs's 'speed: open' measures on its first
// load, repeated with a new browser (and empty profile) for every load, and
// alternating between builds to compare them.
//
//   cd e2e && node cold-open.mjs LOADS /path/to/corral-a [/path/to/corral-b …]
//
// Seeds one data directory per binary with e2e/seed (built from this tree),
// serves each with its binary, then loads each server's page LOADS times in
// turn (a, b, a, b, …), each in a freshly launched Chromium. A load's time
// is run.mjs's: from navigation start to the drawn frame in which the
// session's last text is first on screen. CORRAL_COLD_TRACE=1 records a
// Chromium trace of each load and adds the main thread's time, until that
// frame, spent compiling script, running script, and in style and layout
// (the trace costs time of its own: compare traced loads with traced loads);
// CORRAL_COLD_TRACE_DIR=dir keeps those traces (for Perfetto or DevTools),
// CORRAL_COLD_PROFILE_DIR=dir a JavaScript CPU profile of each load. Prints
// one JSON line per load (with the page's corral: marks and each request's
// start, first byte and end) and a summary per binary; stops what it
// started.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const [loadsArg, ...binaries] = process.argv.slice(2);
const loads = Number(loadsArg);
if (!(loads > 0) || binaries.length === 0) {
  console.error('usage: node cold-open.mjs LOADS /path/to/corral [/path/to/other-corral …]');
  process.exit(2);
}
const tracing = process.env.CORRAL_COLD_TRACE === '1';
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(join(tmpdir(), 'corral-cold-'));
const children = [];
const stopAll = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('SIGINT', () => (stopAll(), process.exit(1)));

execFileSync('go', ['build', '-o', join(tmp, 'seed'), './e2e/seed'], { cwd: repo, env: { ...process.env, CGO_ENABLED: '0' }, stdio: 'inherit' });
const configPath = join(tmp, 'config.toml');
writeFileSync(configPath, '# empty: the defaults\n');

async function serve(binary, i) {
  const data = join(tmp, `data-${i}`);
  const out = execFileSync(join(tmp, 'seed'), ['-data', data, '-cwd', tmp, '-events', '100000'], { encoding: 'utf8' });
  const session = /SEED_SESSION=(\S+)/.exec(out)[1];
  const env = { ...process.env };
  delete env.CORRAL_FAKEAGENT;
  const child = spawn(resolve(binary), ['serve', '--no-open', '--data', data, '--config', configPath], { stdio: 'ignore', env });
  children.push(child);
  for (let t = 0; t < 600; t++) {
    try {
      const info = JSON.parse(readFileSync(join(data, 'serve.json'), 'utf8'));
      if (info.pid === child.pid && info.port) return { binary, url: `http://127.0.0.1:${info.port}/#token=${info.token}&session=${session}` };
    } catch {
      // not written yet
    }
    await sleep(50);
  }
  throw new Error(`${binary} wrote no serve.json`);
}

// the same probe as run.mjs's, reduced to the first sight of the text
const probe = (needle) => {
  window.__seen = new Promise((r) => {
    const frame = () => {
      const el = document.querySelector('[data-testid="transcript"]');
      if (el && el.textContent.includes(needle)) {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => r(performance.now());
        ch.port2.postMessage(0);
        return;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
};

/**
 * Main-thread time of the page's renderer from navigation start to `seen`
 * (ms, the page's clock), from a trace: all tasks, and the parts compiling
 * script (V8's compile and parse events), running it, and style, layout and
 * paint; nested events are counted once, compile taken out of script.
 */
function breakdown(events, seen) {
  const mark = events.find((e) => e.name === 'corral:entry' && e.args?.data?.startTime !== undefined) ?? events.find((e) => e.name === 'corral:entry');
  if (!mark) return null;
  const pid = mark.pid;
  const tid = events.find((e) => e.pid === pid && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')?.tid;
  // the mark's trace time less its time on the page's clock: navigation start
  const origin = mark.ts - 1000 * (mark.args?.data?.startTime ?? NaN);
  const until = origin + 1000 * seen;
  const kinds = {
    task: /^RunTask$/,
    compile: /^(V8\.Compile|V8\.ParseFunction|V8\.PreParse|v8\.compile|V8\.StreamingFinalization|V8\.OffThreadFinalization|v8\.parseOnBackground)/,
    script: /^(EvaluateScript|v8\.evaluateModule|FunctionCall|EventDispatch|TimerFire|FireAnimationFrame|RunMicrotasks|v8\.callFunction)$/,
    layout: /^(Layout|UpdateLayoutTree|PrePaint|Paint|Layerize|UpdateLayer|Commit)$/,
  };
  const out = { task: 0, compile: 0, script: 0, layout: 0, compileOffMain: 0 };
  const open = [];
  const evs = events.filter((e) => e.pid === pid && e.ph === 'X' && e.ts >= origin && e.ts < until).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  for (const e of evs) {
    const kind = Object.keys(kinds).find((k) => kinds[k].test(e.name));
    if (!kind) continue;
    const d = (e.tdur ?? e.dur ?? 0) / 1000; // thread time where given
    if (e.tid !== tid) {
      if (kind === 'compile' && !/^v8\.parseOnBackground/.test(e.name)) out.compileOffMain += d;
      continue;
    }
    while (open.length && open[open.length - 1].end <= e.ts) open.pop();
    if (!open.some((o) => o.kind === kind)) {
      out[kind] += d;
      if (kind === 'compile' && open.some((o) => o.kind === 'script')) out.script -= d;
    }
    open.push({ kind, end: e.ts + (e.dur ?? 0) });
  }
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]);
  return out;
}

const servers = [];
try {
  for (const [i, b] of binaries.entries()) servers.push(await serve(b, i));
  const results = new Map(binaries.map((b) => [b, []]));
  for (let n = 0; n < loads; n++) {
    for (const s of servers) {
      const profile = join(tmp, 'profile');
      rmSync(profile, { recursive: true, force: true });
      const load = loadavg()[0];
      const ctx = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 1280, height: 800 },
      });
      const p = ctx.pages()[0] ?? (await ctx.newPage());
      await p.addInitScript(probe, 'END-OF-SEED');
      const cdp = await ctx.newCDPSession(p);
      await cdp.send('Performance.enable');
      const cpu = async () => 1000 * ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? NaN);
      let trace = null;
      if (tracing) {
        const chunks = [];
        cdp.on('Tracing.dataCollected', (d) => chunks.push(...d.value));
        trace = { chunks, done: new Promise((r) => cdp.once('Tracing.tracingComplete', r)) };
        await cdp.send('Tracing.start', { categories: 'blink.user_timing,devtools.timeline,v8,v8.execute,blink,loading,disabled-by-default-devtools.timeline,disabled-by-default-v8.compile', transferMode: 'ReportEvents' });
      }
      // CORRAL_COLD_PROFILE_DIR keeps a JavaScript CPU profile of each load
      if (process.env.CORRAL_COLD_PROFILE_DIR) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
        await cdp.send('Profiler.start');
      }
      const cpu0 = await cpu();
      await p.goto(s.url, { waitUntil: 'commit' });
      const seen = await p.evaluate(() => window.__seen);
      const row = { binary: s.binary, firstSight: Math.round(seen), mainThreadCpu: Math.round((await cpu()) - cpu0), load };
      // the page's marks, and each request's start, first byte and end
      Object.assign(row, await p.evaluate(() => {
        const r = Math.round;
        const n = performance.getEntriesByType('navigation')[0];
        const res = { html: [r(n.requestStart), r(n.responseStart), r(n.responseEnd)] };
        for (const e of performance.getEntriesByType('resource')) res[e.name.replace(/[?#].*$/, '').replace(/^.*\//, '').replace(/-[\w-]{8}\.(js|css)$/, '.$1')] ??= [r(e.startTime), r(e.responseStart), r(e.responseEnd)];
        return { marks: Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('corral:')).map((m) => [m.name.slice(7), r(m.startTime)])), resources: res };
      }));
      if (process.env.CORRAL_COLD_PROFILE_DIR) {
        const { profile } = await cdp.send('Profiler.stop');
        writeFileSync(join(process.env.CORRAL_COLD_PROFILE_DIR, `cold-${n}-${servers.indexOf(s)}.cpuprofile`), JSON.stringify(profile));
      }
      if (trace) {
        await cdp.send('Tracing.end');
        await trace.done;
        row.trace = breakdown(trace.chunks, seen);
        // CORRAL_COLD_TRACE_DIR keeps each trace (chrome://tracing, Perfetto)
        if (process.env.CORRAL_COLD_TRACE_DIR) writeFileSync(join(process.env.CORRAL_COLD_TRACE_DIR, `cold-${n}-${servers.indexOf(s)}.json`), JSON.stringify({ traceEvents: trace.chunks }));
      }
      console.log(JSON.stringify(row));
      results.get(s.binary).push(row);
      await ctx.close();
    }
  }
  for (const [b, rows] of results) {
    const t = rows.map((r) => r.firstSight).sort((x, y) => x - y);
    const c = rows.map((r) => r.mainThreadCpu).sort((x, y) => x - y);
    const med = (a) => a[Math.floor(a.length / 2)];
    console.log(`${b}: ${t.length} cold loads ${t.join(' / ')} ms; median ${med(t)} ms; within 300 ms: ${t.filter((x) => x <= 300).length}; main-thread CPU median ${med(c)} ms`);
  }
} finally {
  const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r))));
  stopAll();
  await Promise.race([Promise.all(exited), sleep(30000)]);
  rmSync(tmp, { recursive: true, force: true });
}
