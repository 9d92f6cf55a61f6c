// Browser end-to-end tests of `corral serve`.
//
//   cd e2e && npm ci && node run.mjs [name-filter]
//
// Builds corral (and two small helpers: the mock model API and the
// session seeder) from this tree, serves it with a private data directory
// and configuration, drives the real page in Debian's Chromium
// (/usr/bin/chromium, or $CHROMIUM) through playwright-core, and stops
// everything it started. Each test has its own deadline (hang protection,
// not a speed limit) and leaves a screenshot in e2e/artifacts/. The speed
// figures go to e2e/artifacts/figures.json (docs/benchmarks/web.md quotes
// them). The last line is "N passed, N failed"; the exit status is non-zero
// when a test failed.
//
// The real Claude Code test uses the CLI that scripts/install-agent-clis.sh
// puts under $CORRAL_CLI_CACHE (default ~/.cache/corral-clis). It is
// skipped, saying so, when the CLI is missing, unless CORRAL_E2E_REQUIRE_CLI=1
// makes a missing CLI a failure.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import {
  existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { homedir, tmpdir, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostileTest } from './hostile.mjs';
import { attachTest } from './attach.mjs';
import { queueTest } from './queue.mjs';
import { changesTest } from './changes.mjs';
import { modelTest } from './model.mjs';
import { importTest } from './import.mjs';
import { schedulesTest, rateLimitTest } from './schedules.mjs';
import { usageTest } from './usage.mjs';
import { fleetTest } from './fleet.mjs';
import { remoteTest } from './remote.mjs';
import { pwaTest, mobileTest } from './pwa.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const artifacts = join(here, 'artifacts');
const filter = process.argv[2] ?? '';
const CLAUDE_VERSION = '2.1.197'; // keep in sync with internal/clitest and scripts/install-agent-clis.sh
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(...a);

class Skip extends Error {}

// Servers and helpers this runner started, ended with SIGTERM if the runner
// itself fails or is interrupted, so nothing outlives it.
const started = new Set();
function abort(why) {
  console.error(why);
  for (const c of started) if (c.exitCode === null) c.kill('SIGTERM');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
process.on('uncaughtException', (e) => abort(e));
process.on('SIGINT', () => abort('interrupted'));
process.on('SIGTERM', () => abort('terminated'));

// ---------------------------------------------------------------- processes

/** Every live process as pid -> {ppid, start}, from /proc. */
function processTable() {
  const out = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // the command name may hold spaces and parentheses: fields start after the last ')'
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z') continue; // a zombie is dead, only not yet reaped
      out.set(Number(name), { ppid: Number(f[1]), start: f[19] });
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/** The descendants of pid (children, grandchildren, …) with their start times. */
function descendants(pid) {
  const table = processTable();
  const found = [];
  const walk = (p) => {
    for (const [c, info] of table) {
      if (info.ppid === p) {
        found.push({ pid: c, start: info.start });
        walk(c);
      }
    }
  };
  walk(pid);
  return found;
}

/** Those of procs still alive (same pid and same start time). */
function stillAlive(procs) {
  const table = processTable();
  return procs.filter((p) => table.get(p.pid)?.start === p.start);
}

function exitOf(child) {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => res({ code, signal }));
  });
}

// ---------------------------------------------------------------- build and config

const tmp = mkdtempSync(join(tmpdir(), 'corral-e2e-'));
const bin = join(tmp, 'bin');
const work = join(tmp, 'work');
mkdirSync(bin);
mkdirSync(work);
mkdirSync(artifacts, { recursive: true });
for (const f of readdirSync(artifacts)) if (f.endsWith('.png') || f.endsWith('.json')) rmSync(join(artifacts, f));

log(`building corral and the test helpers into ${bin}…`);
const goEnv = { ...process.env, CGO_ENABLED: '0' };
// CORRAL_E2E_CORRAL tests a corral binary built elsewhere (to compare two
// builds with the same runner); the helpers are always built from this tree.
const given = process.env.CORRAL_E2E_CORRAL ? resolve(process.env.CORRAL_E2E_CORRAL) : '';
// corral-bench is only the fake agent here (see the config below).
for (const [out, pkg] of [['corral', './cmd/corral'], ['corral-bench', './cmd/corral-bench'], ['mockserver', './e2e/mockserver'], ['seed', './e2e/seed']]) {
  if (out === 'corral' && given) continue;
  execFileSync('go', ['build', '-o', join(bin, out), pkg], { cwd: repo, env: goEnv, stdio: 'inherit' });
}
const corral = given || join(bin, 'corral');
if (given) log(`testing ${given}`);

const cliCache = process.env.CORRAL_CLI_CACHE || join(homedir(), '.cache', 'corral-clis');
const claudePath = join(cliCache, `claude-${CLAUDE_VERSION}`, 'node_modules', '.bin', 'claude');
const haveClaude = existsSync(claudePath);

// The mock model API for the real CLI, tied to our stdin.
let mock = null;
let mockURL = '';
if (haveClaude) {
  mock = spawn(join(bin, 'mockserver'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  started.add(mock);
  mockURL = await new Promise((res, rej) => {
    let buf = '';
    mock.stdout.on('data', (d) => {
      buf += d;
      const m = /MOCKLLM_URL=(\S+)/.exec(buf);
      if (m) res(m[1]);
    });
    mock.once('exit', (c) => rej(new Error(`mockserver exited ${c} before serving`)));
  });
  log(`mock model API at ${mockURL}`);
}

const toml = (s) => JSON.stringify(s); // a JSON string is a valid TOML basic string
const claudeHome = join(tmp, 'claude-home');
mkdirSync(join(claudeHome, 'tmp'), { recursive: true });
const config = [
  '# written by e2e/run.mjs',
  '[agents.fake]',
  `command = ${toml(join(bin, 'corral-bench'))}`,
  'protocol = "claude"',
  'env = { CORRAL_FAKEAGENT = "1" }',
  '',
  ...(haveClaude
    ? [
        '[agents.claude]',
        `command = ${toml(claudePath)}`,
        'protocol = "claude"',
        // the environment internal/clitest gives the contract tests: a
        // private HOME, the mock's base URL, a fake key, no other traffic
        `env = { HOME = ${toml(claudeHome)}, TMPDIR = ${toml(join(claudeHome, 'tmp'))}, ANTHROPIC_BASE_URL = ${toml(mockURL)}, ` +
          'ANTHROPIC_API_KEY = "sk-test", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1", DISABLE_TELEMETRY = "1", ' +
          'DISABLE_AUTOUPDATER = "1", DISABLE_ERROR_REPORTING = "1", CLAUDE_CODE_MAX_RETRIES = "1", IS_SANDBOX = "1", ' +
          'NO_COLOR = "1", NO_PROXY = "127.0.0.1,localhost" }',
        '',
      ]
    : []),
  '[[capability]]',
  'name = "console-demo"',
  'program = "/bin/sh"',
  `args = [${toml(join(here, 'console-demo.sh'))}]`,
  '',
  '[[capability]]',
  'name = "sleeper"',
  'program = "sleep"',
  'args = ["600"]',
  '',
  // argument validators, for a policy refusal from the console
  '[[capability]]',
  'name = "lister"',
  'program = "ls"',
  'args = [{ validator = "-[la]+", optional = true }, { validator = "[A-Za-z0-9._/-]+", optional = true }]',
  '',
].join('\n');
const configPath = join(tmp, 'config.toml');
writeFileSync(configPath, config);

// corral serve must not inherit the switch of the fake agent (an older corral
// given by CORRAL_E2E_CORRAL would turn into the fake agent itself)
const serveEnv = { ...process.env };
delete serveEnv.CORRAL_FAKEAGENT;

/** Starts `corral serve` on dataDir (plus extra flags) and waits for its serve.json. */
async function startServe(name, dataDir, extra = []) {
  const logPath = join(tmp, `${name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(corral, ['serve', '--no-open', '--data', dataDir, '--config', configPath, ...extra], {
    stdio: ['ignore', fd, fd],
    env: serveEnv,
  });
  started.add(child);
  const exited = exitOf(child);
  const infoPath = join(dataDir, 'serve.json');
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`corral serve exited ${child.exitCode} at start; see ${logPath}`);
    try {
      const info = JSON.parse(readFileSync(infoPath, 'utf8'));
      if (info.pid === child.pid && info.token && info.port) {
        const base = `http://127.0.0.1:${info.port}`;
        return { name, child, exited, logPath, dataDir, token: info.token, base, url: info.url };
      }
    } catch {
      // not written yet
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`corral serve wrote no serve.json in 30 s; see ${logPath}`);
}

/**
 * Stops a server with SIGTERM and checks the contract: exit status 0, and
 * every process it started (agents, capabilities, the watchdog) gone.
 */
async function stopServe(s) {
  if (!s || s.stopped) return;
  s.stopped = true;
  const kids = descendants(s.child.pid);
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 30000);
  const { code, signal } = await s.exited;
  clearTimeout(timer);
  let left = stillAlive(kids);
  for (let i = 0; i < 100 && left.length; i++) {
    await sleep(100);
    left = stillAlive(left);
  }
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const problems = [];
  if (code !== 0) problems.push(`exit ${code ?? signal} instead of 0 (see ${s.logPath})`);
  if (existsSync(join(s.dataDir, 'serve.json'))) problems.push('serve.json left behind');
  if (left.length) {
    const what = left.map((p) => {
      try {
        return `${p.pid} ${readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`;
      } catch {
        return String(p.pid);
      }
    });
    problems.push(`${left.length} child process(es) still running 10 s after exit: ${what.join('; ')}`);
  }
  return { kids: kids.length, problems };
}

/** Calls a facade method over HTTP the way the page does. */
async function call(s, method, params = {}) {
  const r = await fetch(`${s.base}/api/call/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
  });
  const body = await r.json();
  if (body.error) throw new Error(`${method}: ${body.error.code}: ${body.error.message}`);
  return body.result;
}

/** Every event of a session, paging GetEvents. */
async function allEvents(s, sessionId) {
  const out = [];
  let since = 0;
  for (;;) {
    const { events, more } = await call(s, 'GetEvents', { sessionId, since, limit: 1000 });
    out.push(...events);
    if (!more || !events.length) return out;
    since = events[events.length - 1].seq;
  }
}

async function waitFor(what, fn, timeoutMs = 15000, every = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(every);
  }
}

// ---------------------------------------------------------------- browser

const main = await startServe('serve', join(tmp, 'data'));
log(`corral serve pid ${main.child.pid} at ${main.base}`);

const profile = mkdtempSync(join(tmp, 'chromium-profile-'));
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  args: chromiumArgs,
  viewport: { width: 1280, height: 800 },
});
for (const p of browser.pages()) await p.close();

/** The page's URL for server s, with flags after the token (session=ID, view=…). */
const pageURL = (s, flags = '') => `${s.base}/#token=${s.token}${flags ? '&' + flags : ''}`;

async function openPage(page, s, flags) {
  await page.goto(pageURL(s, flags));
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 20000 });
}

/** The text of the last assistant message in the open conversation. */
const lastAssistant = (page) =>
  page.evaluate(() => {
    const all = document.querySelectorAll('[data-testid="transcript"] [aria-label="Assistant message"]');
    return all.length ? all[all.length - 1].textContent : '';
  });

async function newSession(s, agent = 'fake') {
  return call(s, 'CreateSession', { agent, cwd: work });
}

// ---------------------------------------------------------------- harness

const results = [];
const figures = { machine: { cpus: cpus().length, model: cpus()[0]?.model, chromium: '' }, load: [] };
figures.machine.chromium = execFileSync(chromiumPath, ['--version'], { encoding: 'utf8' }).trim();
let n = 0;

async function test(name, deadlineMs, fn, { browserless = false } = {}) {
  n++;
  if (filter && !name.includes(filter) && !browserless) return;
  const slug = `${String(n).padStart(2, '0')}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-+$/, '')}`;
  const page = browserless ? null : await browser.newPage();
  const pageErrors = [];
  page?.on('pageerror', (e) => pageErrors.push(e.message));
  page?.on('console', (m) => m.type() === 'error' && log(`    console error: ${m.text()}`));
  const t0 = Date.now();
  let timer;
  let status = 'pass';
  let detail = '';
  try {
    await Promise.race([
      fn(page),
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`deadline of ${deadlineMs} ms passed`)), deadlineMs);
      }),
    ]);
    if (pageErrors.length) throw new Error(`uncaught error in the page: ${pageErrors[0]}`);
  } catch (e) {
    status = e instanceof Skip ? 'skip' : 'fail';
    const lines = e.message.split('\n');
    detail = [lines[0], ...lines.filter((l) => /waiting for/.test(l)).slice(0, 1)].join(' | ');
  } finally {
    clearTimeout(timer);
  }
  try {
    if (page && !page.isClosed()) await page.screenshot({ path: join(artifacts, `${slug}.png`) });
  } catch (e) {
    log(`    no screenshot: ${e.message.split('\n')[0]}`);
  }
  await page?.close().catch(() => {});
  const ms = Date.now() - t0;
  const tag = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' }[status];
  log(`${tag} ${name} (${ms} ms)${detail ? ': ' + detail : ''}`);
  results.push({ name, status, detail, ms });
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

// ---------------------------------------------------------------- the tests

await test('fake agent: new session from the dialog, text streams in', 90000, async (page) => {
  await openPage(page, main);
  check(!page.url().includes('token='), `the token is still in the address bar: ${page.url()}`);
  await page.getByTestId('new-session').click();
  await page.getByTestId('new-session-dialog').waitFor();
  await page.locator('dialog input[type=radio][value=fake]').check();
  await page.getByTestId('cwd-input').fill(work);
  await page.getByTestId('create-session').click();
  await page.getByTestId('conversation').waitFor();
  await page.getByTestId('message-input').fill('hello from the browser');
  await page.keyboard.press('Enter');
  await page.getByLabel('Your message').filter({ hasText: 'hello from the browser' }).waitFor({ timeout: 30000 });
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: hello from the browser' }).waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });

  // A slow turn (50 deltas, one per 20 ms): sample the message on every
  // frame and require it to grow in steps, not appear at once.
  await page.getByTestId('message-input').fill('slow:50');
  await page.keyboard.press('Enter');
  const counts = await page.evaluate(
    () =>
      new Promise((res) => {
        const seen = [];
        const start = performance.now();
        const frame = () => {
          const all = document.querySelectorAll('[data-testid="transcript"] [aria-label="Assistant message"]');
          const last = all.length ? all[all.length - 1].textContent : '';
          const c = (last.match(/tick/g) ?? []).length;
          if (!seen.length || seen[seen.length - 1] !== c) seen.push(c);
          if (c >= 50 || performance.now() - start > 20000) return res(seen);
          requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      }),
  );
  check(counts[counts.length - 1] === 50, `the slow turn ended with ${counts[counts.length - 1]} of 50 ticks`);
  const partial = counts.filter((c) => c > 0 && c < 50);
  check(partial.length >= 3, `text did not stream: tick counts seen ${JSON.stringify(counts)}`);
  for (let i = 1; i < counts.length; i++) check(counts[i] > counts[i - 1], `text went backwards: ${JSON.stringify(counts)}`);
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
  figures.streamSteps = counts.length;
});

await test('fake agent: approve one tool call, deny another', 90000, async (page) => {
  const sess = await newSession(main);
  await openPage(page, main, `session=${sess.id}`);
  await page.getByTestId('conversation').waitFor();

  await page.getByTestId('message-input').fill('tool:echo approved-cmd');
  await page.keyboard.press('Enter');
  const prompt = page.getByTestId('permission-prompt');
  await prompt.waitFor({ timeout: 30000 });
  check((await prompt.textContent()).includes('echo approved-cmd'), 'the prompt does not show the command');
  await page.getByTestId('allow').click();
  await page.getByTestId('tool-card').filter({ hasText: 'ran: echo approved-cmd' }).waitFor({ timeout: 30000 });
  await page.getByTestId('permission-record').filter({ hasText: 'Allowed' }).waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });

  await page.getByTestId('message-input').fill('tool:rm -rf /nothing-here');
  await page.keyboard.press('Enter');
  await prompt.waitFor({ timeout: 30000 });
  await page.getByTestId('deny').click();
  await page.getByLabel('Tell the agent why (optional)').fill('not this one');
  await page.getByTestId('deny-confirm').click();
  await page.getByTestId('permission-record').filter({ hasText: 'Denied' }).filter({ hasText: 'not this one' }).waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
  await prompt.waitFor({ state: 'detached', timeout: 5000 });
  const cards = page.getByTestId('tool-card');
  check((await cards.count()) === 2, `expected 2 tool cards, found ${await cards.count()}`);
  const denied = await cards.nth(1).textContent();
  check(!denied.includes('ran: rm'), 'the denied command shows as run');

  // what the server recorded
  const evs = await allEvents(main, sess.id);
  const res = evs.filter((e) => e.kind === 'permission.resolved').map((e) => e.data);
  check(res.length === 2 && res[0].decision === 'allow' && res[1].decision === 'deny', `permission.resolved: ${JSON.stringify(res)}`);
  check(res[1].message === 'not this one', `the denial message reached the store as ${JSON.stringify(res[1].message)}`);
  figures.deniedCard = denied.replace(/\s+/g, ' ').trim().slice(0, 160);
});

await test('fake agent: interrupt a slow turn (button and Esc)', 90000, async (page) => {
  const sess = await newSession(main);
  await openPage(page, main, `session=${sess.id}`);
  await page.getByTestId('conversation').waitFor();
  for (const how of ['button', 'Esc']) {
    await page.getByTestId('message-input').fill('slow:1000'); // 20 s if not interrupted
    await page.keyboard.press('Enter');
    await page.getByTestId('working').waitFor({ timeout: 30000 });
    await waitFor('ten ticks', async () => ((await lastAssistant(page)).match(/tick/g) ?? []).length >= 10);
    if (how === 'button') {
      await page.getByTestId('interrupt').click();
    } else {
      await page.locator('[data-testid="transcript"]').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Escape');
    }
    await page.getByTestId('working').waitFor({ state: 'detached', timeout: 10000 });
    const ticks = ((await lastAssistant(page)).match(/tick/g) ?? []).length;
    check(ticks < 1000, `${how}: the turn ran to its end (${ticks} ticks)`);
    const status = await page.getByTestId('session-status').textContent();
    check(!/processing|waiting/.test(status), `${how}: session still shows "${status}"`);
    check((await page.getByText('Thinking…').count()) === 0, `${how}: "Thinking…" still shown`);
  }
  const evs = await allEvents(main, sess.id);
  const turns = new Set(evs.filter((e) => e.kind === 'run.started').map((e) => e.runId));
  const ends = evs.filter((e) => e.kind === 'run.exited' && turns.has(e.runId)).map((e) => e.data.reason);
  check(ends.length === 2 && ends.every((r) => r === 'interrupted'), `turn ends: ${JSON.stringify(ends)}`);
  await page.getByRole('status').filter({ hasText: 'Run ended' }).filter({ hasText: 'interrupted' }).first().waitFor({ timeout: 5000 });
  // the agent process stays and takes the next turn
  await page.getByTestId('message-input').fill('after the interrupts');
  await page.keyboard.press('Enter');
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: after the interrupts' }).waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
});

await test('reload mid-stream: every delta exactly once', 90000, async (page) => {
  const sess = await newSession(main);
  await openPage(page, main, `session=${sess.id}`);
  await page.getByTestId('conversation').waitFor();
  const total = 40 * 10; // chatty:40:10 → 400 stamped deltas over 10 s
  await page.getByTestId('message-input').fill('chatty:40:10');
  await page.keyboard.press('Enter');
  const tokens = async () => (await lastAssistant(page)).match(/t=\d+;/g) ?? [];
  await waitFor('40 deltas before the reload', async () => (await tokens()).length >= 40, 20000);
  await page.reload();
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 20000 });
  await page.getByTestId('working').waitFor({ timeout: 10000 });
  // mid-stream, after the reload: the page must show a gap-free,
  // duplicate-free prefix of what the server stored
  const runOf = async () => {
    const evs = await allEvents(main, sess.id);
    const run = evs.filter((e) => e.kind === 'run.started').at(-1).runId;
    return evs.filter((e) => e.kind === 'assistant.text' && e.runId === run && e.data.delta).map((e) => e.data.text);
  };
  let checked = 0;
  for (let i = 0; i < 5; i++) {
    await waitFor(`${120 + i * 40} deltas`, async () => (await tokens()).length >= 120 + i * 40, 20000);
    if (!(await page.getByTestId('working').isVisible())) break;
    const shown = await tokens();
    const stored = await runOf();
    const asShown = stored.slice(0, shown.length);
    check(new Set(shown).size === shown.length, `duplicates on screen: ${shown.length - new Set(shown).size}`);
    check(JSON.stringify(shown) === JSON.stringify(asShown), `screen differs from the store at delta ${shown.findIndex((t, k) => t !== asShown[k])} of ${shown.length}`);
    checked++;
  }
  check(checked >= 2, `only ${checked} mid-stream comparisons before the turn ended`);
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
  const shown = await tokens();
  const stored = await runOf();
  check(stored.length === total, `the store holds ${stored.length} of ${total} deltas`);
  check(shown.length === total && new Set(shown).size === total, `after the end the page shows ${shown.length} deltas (${new Set(shown).size} distinct) of ${total}`);
  check(JSON.stringify(shown) === JSON.stringify(stored), 'after the end the page differs from the store');
  // and a reload after the end shows the same once more
  await page.reload();
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 20000 });
  await waitFor('the transcript after a second reload', async () => (await tokens()).length === total, 10000);
  figures.reloadComparisons = checked;
});

await test('run console: colours, progress line, stdin echo, stop', 90000, async (page) => {
  await openPage(page, main, 'view=console');
  await page.getByTestId('console').waitFor();
  await page.getByTestId('capability-select').selectOption('console-demo');
  await page.getByTestId('run').click();
  const term = page.getByTestId('terminal');
  await term.filter({ hasText: 'ready for input' }).waitFor({ timeout: 30000 });
  // rendering problems are collected and reported at the end, so that
  // stdin and Stop are exercised even when the output looks wrong
  const problems = [];
  const soft = (cond, message) => cond || problems.push(message);
  const text = await term.textContent();
  check(!text.includes('\u001b') && !text.includes('[1;32m'), 'raw escape sequences in the terminal');
  const bars = text.match(/progress \[/g) ?? [];
  soft(bars.length === 1, `the \\r progress bar shows as ${bars.length} lines`);
  soft(/progress \[#{10}\] 100%/.test(text), 'the progress line does not end at 100%');
  const colour = await term.locator('span', { hasText: 'green-bold' }).evaluate((el) => ({
    cls: el.className,
    color: getComputedStyle(el).color,
    weight: getComputedStyle(el).fontWeight,
    plain: getComputedStyle([...el.parentElement.children].find((s) => s.textContent.includes('plain'))).color,
  }));
  check(colour.color !== colour.plain, `"green-bold" has the plain colour ${colour.color}`);
  check(Number(colour.weight) >= 600, `"green-bold" is not bold (${colour.weight})`);
  const bg = await term.locator('span', { hasText: 'blue-background' }).evaluate((el) => getComputedStyle(el).backgroundColor);
  check(bg !== 'rgba(0, 0, 0, 0)', 'the blue background is not drawn');
  figures.consoleColours = { ...colour, background: bg };

  await page.getByTestId('stdin').fill('typed into stdin');
  await page.keyboard.press('Enter');
  await term.filter({ hasText: 'echo: typed into stdin' }).waitFor({ timeout: 10000 });
  await page.screenshot({ path: join(artifacts, 'console-running.png') });
  await page.getByTestId('stop').click();
  await page.getByTestId('exit-code').waitFor({ timeout: 30000 });
  const procs = await call(main, 'ListProcesses');
  const mine = procs.filter((p) => p.name === 'console-demo' && !['exited', 'failed'].includes(p.state));
  check(mine.length === 0, `console-demo still ${mine.map((p) => p.state).join(',')}`);
  check(!problems.length, problems.join('; '));
});

await test('processes monitor: stop a process', 90000, async (page) => {
  const { processId } = await call(main, 'Spawn', { capability: 'sleeper', args: ['600'] });
  const info = await waitFor('the sleeper running', async () => (await call(main, 'ListProcesses')).find((p) => p.processId === processId && p.state === 'running' && p.pid));
  await openPage(page, main, 'view=processes');
  const row = page.getByTestId('process-row').filter({ hasText: `PID ${info.pid}` });
  await row.waitFor({ timeout: 10000 });
  await page.screenshot({ path: join(artifacts, 'processes-before-stop.png') });
  await row.getByRole('button', { name: 'Stop sleeper' }).click();
  await row.waitFor({ state: 'detached', timeout: 30000 });
  const after = (await call(main, 'ListProcesses')).find((p) => p.processId === processId);
  check(!after || ['exited', 'failed'].includes(after.state), `the sleeper is ${after?.state}`);
  check(!existsSync(`/proc/${info.pid}`) || readFileSync(`/proc/${info.pid}/stat`, 'utf8').includes(') Z'), `pid ${info.pid} still alive`);
});

await test('run console: a policy refusal shows its rule', 60000, async (page) => {
  await openPage(page, main, 'view=console');
  await page.getByTestId('capability-select').selectOption('lister');
  await page.getByLabel(/Argument 1/).fill('a;b');
  await page.getByTestId('run').click({ force: true });
  const denied = page.getByTestId('policy-denied');
  await denied.waitFor({ timeout: 10000 });
  const text = await denied.textContent();
  check(/Refused by policy/.test(text), `the refusal reads ${JSON.stringify(text)}`);
  check(/rule/i.test(text), `the refusal does not name its rule: ${JSON.stringify(text)}`);
});

await test('fake agent: a crashed turn shows its error; the errors view lists it', 90000, async (page) => {
  const sess = await newSession(main);
  await openPage(page, main, `session=${sess.id}`);
  await page.getByTestId('message-input').fill('crash');
  await page.keyboard.press('Enter');
  // (the turn may start and crash between two polls: wait for its end)
  const err = page.getByTestId('transcript').getByTestId('item-error').last();
  await err.waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
  const text = (await err.textContent()).trim();
  check(text.length > 10, `the error row says only ${JSON.stringify(text)}`);
  check(!(await page.getByText('Thinking…').count()), 'still "Thinking…" after the crash');
  await page.screenshot({ path: join(artifacts, 'crash-in-conversation.png') });
  await page.getByTestId('tab-errors').click();
  await page.getByTestId('errors').waitFor();
  await page.getByTestId('error-row').first().waitFor({ timeout: 10000 });
  // the next turn works: the session recovers from a crashed agent
  await page.getByTestId('tab-sessions').click();
  await page.getByTestId('message-input').fill('after the crash');
  await page.keyboard.press('Enter');
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: after the crash' }).waitFor({ timeout: 30000 });
});

await test('search: find a word of one session, open it at the event; a deleted session is not found', 120000, async (page) => {
  const turn = async (sessionId, text) => {
    const before = (await allEvents(main, sessionId)).length;
    await call(main, 'SendMessage', { sessionId, text });
    await waitFor(`the turn "${text}" to end`, async () => (await allEvents(main, sessionId)).slice(before).some((e) => e.kind === 'turn.completed' || e.kind === 'run.exited'), 30000);
  };
  const keep = await newSession(main);
  const gone = await newSession(main);
  await turn(keep.id, 'please look at the zebraword config');
  for (let i = 0; i < 4; i++) await turn(keep.id, `filler message ${i}`);
  await turn(gone.id, 'the quokkaword is only here');
  await waitFor('the deleted session\'s word to be indexed', async () => (await call(main, 'SearchEvents', { query: 'quokkaword' })).hits.length > 0);
  await call(main, 'DeleteSession', { sessionId: gone.id });

  await openPage(page, main);
  await page.keyboard.press('Control+k');
  const input = page.getByTestId('search-input');
  await input.fill('zebraw');
  const hit = page.getByTestId('search-hit').filter({ has: page.locator('mark', { hasText: 'zebraword' }) }).first();
  await hit.waitFor({ timeout: 15000 });
  check((await hit.getAttribute('data-session-id')) === keep.id, `the hit is of session ${await hit.getAttribute('data-session-id')}`);
  const seq = await hit.getAttribute('data-seq');
  await hit.click();
  const target = page.getByTestId('search-target');
  await target.waitFor({ timeout: 15000 });
  // (the row that shows an event may start before it: a tool's output is in its call's row)
  check(Number(await target.getAttribute('data-seq')) <= Number(seq), `the marked row is seq ${await target.getAttribute('data-seq')}, after the hit ${seq}`);
  check((await target.textContent()).includes('zebraword'), `the marked row says ${await target.textContent()}`);
  check(await target.isVisible(), 'the marked row is not in view');
  await page.screenshot({ path: join(artifacts, 'search-jump.png') });

  await page.keyboard.press('Control+k');
  await input.fill('quokkaword');
  await page.getByTestId('search-dialog').getByText('No match for “quokkaword”').waitFor({ timeout: 15000 });
  check(!(await page.getByTestId('search-hit').count()), 'a word of the deleted session is still found');
});

/** A free TCP port on the loopback interface. */
const freePort = () =>
  new Promise((res, rej) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });

await test('server restart under an open page: no gap, no duplicate', 120000, async (page) => {
  // its own server, on a fixed port and token, so that the page can
  // reconnect to the restarted one
  const port = await freePort();
  const tokenFile = join(tmp, 'restart-token');
  writeFileSync(tokenFile, `e2e${Date.now().toString(36)}${Math.random().toString(36).slice(2)}restart\n`, { mode: 0o600 }); // corral refuses a token file others may read
  const dataDir = join(tmp, 'data-restart');
  const flags = ['--addr', `127.0.0.1:${port}`, '--token-file', tokenFile];
  let s = await startServe('serve-restart', dataDir, flags);
  try {
    const sess = await newSession(s);
    await openPage(page, s, `session=${sess.id}`);
    for (const text of ['before the restart', 'tool:ls -la']) {
      await page.getByTestId('message-input').fill(text);
      await page.keyboard.press('Enter');
      if (text.startsWith('tool:')) {
        await page.getByTestId('allow').click({ timeout: 30000 });
        await page.getByTestId('tool-card').filter({ hasText: 'ran: ls -la' }).waitFor({ timeout: 30000 });
      } else {
        // the reply, not only "not working": the indicator may not have
        // appeared yet, and a message typed while the first is still being
        // sent is not sent
        await page.getByLabel('Assistant message').filter({ hasText: `echo: ${text}` }).waitFor({ timeout: 30000 });
      }
      await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
    }
    const rows = () => page.evaluate(() => [...document.querySelectorAll('[data-testid="transcript"] [data-testid^="item-"]')].map((e) => e.textContent));
    const before = await rows();
    const r = await stopServe(s);
    check(!r.problems.length, `stopping: ${r.problems.join('; ')}`);
    await page.getByTestId('connection').filter({ hasText: 'reconnecting' }).waitFor({ timeout: 30000 });
    s = await startServe('serve-restart', dataDir, flags);
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 60000 });
    await page.waitForTimeout(500);
    const after = await rows();
    check(JSON.stringify(before) === JSON.stringify(after), `rows changed across the restart: ${before.length} → ${after.length}`);
    // the next turn works, and each of its deltas shows once
    await page.getByTestId('message-input').fill('after the restart');
    await page.keyboard.press('Enter');
    await page.getByLabel('Assistant message').filter({ hasText: 'echo: after the restart' }).waitFor({ timeout: 30000 });
    await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
    const last = await lastAssistant(page);
    check((last.match(/after the restart/g) ?? []).length === 1, `the reply after the restart reads ${JSON.stringify(last)}`);
  } finally {
    const r = await stopServe(s);
    if (r?.problems.length) log(`    serve-restart: ${r.problems.join('; ')}`);
  }
});

await test('server restart with the kept token and port: the open page reconnects by itself', 120000, async (page) => {
  // its own data directory and no --addr or --token-file: corral keeps
  // the token (data dir, 0600) and reuses the last port
  const dataDir = join(tmp, 'data-kept');
  let s = await startServe('serve-kept', dataDir);
  try {
    const sess = await newSession(s);
    await openPage(page, s, `session=${sess.id}`);
    await page.getByTestId('message-input').fill('before the restart');
    await page.keyboard.press('Enter');
    await page.getByLabel('Assistant message').filter({ hasText: 'echo: before the restart' }).waitFor({ timeout: 30000 });
    await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
    // a mark in the page's memory: a reload would lose it
    await page.evaluate(() => (window.__sameDocument = true));
    const first = { base: s.base, token: s.token, url: s.url };
    const r = await stopServe(s);
    check(!r.problems.length, `stopping: ${r.problems.join('; ')}`);
    await page.getByTestId('connection').filter({ hasText: 'reconnecting' }).waitFor({ timeout: 30000 });
    s = await startServe('serve-kept', dataDir);
    check(s.base === first.base && s.token === first.token && s.url === first.url,
      `the restarted server is at ${s.base} with another token or URL (was ${first.base})`);
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 60000 });
    check(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
    // live stays live (not stuck on, or back to, "reconnecting")
    await page.waitForTimeout(1500);
    const state = (await page.getByTestId('connection').textContent()).trim();
    check(/live/.test(state) && !/reconnecting/.test(state), `the connection shows ${JSON.stringify(state)}`);
    // calls work with the kept token: the next turn
    await page.getByTestId('message-input').fill('after the restart');
    await page.keyboard.press('Enter');
    await page.getByLabel('Assistant message').filter({ hasText: 'echo: after the restart' }).waitFor({ timeout: 30000 });
    await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
    check(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
    // --rotate-token: the open page's token is refused from then on, so
    // it asks for the new one instead of retrying for ever
    const r2 = await stopServe(s);
    check(!r2.problems.length, `stopping: ${r2.problems.join('; ')}`);
    s = await startServe('serve-kept', dataDir, ['--rotate-token']);
    check(s.token !== first.token && s.base === first.base, 'the rotated server kept its token or moved');
    await page.getByRole('heading', { name: 'corral needs its access token' }).waitFor({ timeout: 60000 });
  } finally {
    const r = await stopServe(s);
    if (r?.problems.length) log(`    serve-kept: ${r.problems.join('; ')}`);
  }
});

await test('a wrong token shows the access-token page, not an empty app', 60000, async (page) => {
  const wrong = 'not-the-token-' + Math.random().toString(36).slice(2) + 'xxxxxxxxxxxxxxxx';
  await page.goto(`${main.base}/#token=${wrong}`);
  await page.getByRole('heading', { name: 'corral needs its access token' }).waitFor({ timeout: 20000 });
  check((await page.getByTestId('new-session').count()) === 0, 'the app is shown under the access-token page');
  check(!page.url().includes(wrong), `the wrong token stays in the address bar: ${page.url()}`);
  // a reload (the token kept in the tab) shows the same page, and the
  // right token then opens the app
  await page.reload();
  await page.getByRole('heading', { name: 'corral needs its access token' }).waitFor({ timeout: 20000 });
  await page.goto('about:blank'); // (a change of the fragment alone loads nothing)
  await openPage(page, main);
  await page.getByTestId('new-session').waitFor({ timeout: 20000 });
});

await test('real Claude Code CLI against the mock model API', 180000, async (page) => {
  if (!haveClaude) {
    const msg = `Claude Code ${CLAUDE_VERSION} is not installed at ${claudePath}: run scripts/install-agent-clis.sh`;
    if (process.env.CORRAL_E2E_REQUIRE_CLI === '1') throw new Error(msg);
    throw new Skip(msg);
  }
  await openPage(page, main);
  await page.getByTestId('new-session').click();
  await page.locator('dialog input[type=radio][value=claude]').check();
  await page.getByTestId('cwd-input').fill(work);
  await page.getByTestId('create-session').click();
  await page.getByTestId('conversation').waitFor();
  // sample the reply on every frame: the mock streams one word per 40 ms
  await page.evaluate(() => {
    window.__lengths = [];
    const frame = () => {
      const all = document.querySelectorAll('[data-testid="transcript"] [aria-label="Assistant message"]');
      const last = all.length ? all[all.length - 1].textContent : '';
      if (last.startsWith('reply 1') && window.__lengths.at(-1) !== last.length) window.__lengths.push(last.length);
      if (!last.includes('one word at a time.')) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  await page.getByTestId('message-input').fill('hello real cli');
  await page.keyboard.press('Enter');
  await page.getByLabel('Assistant message').filter({ hasText: 'reply 1: hello real cli' }).first().waitFor({ timeout: 120000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 60000 });
  const whole = await lastAssistant(page);
  check(whole.includes('streamed by the mock model one word at a time.'), `the reply is "${whole}"`);
  const lengths = await page.evaluate(() => window.__lengths);
  figures.claudeStreamSteps = lengths.length;
  check(lengths.length >= 3, `the reply did not stream: lengths seen ${JSON.stringify(lengths)}`);
  await page.getByTestId('usage').first().waitFor({ timeout: 10000 });
  // a second turn in the same process: the CLI sends the history along
  await page.getByTestId('message-input').fill('second turn');
  await page.keyboard.press('Enter');
  await page.getByLabel('Assistant message').filter({ hasText: 'reply 2: second turn' }).waitFor({ timeout: 60000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 60000 });
});

await test('folder browser: browse into a tree, pick a folder, start a session there', 90000, async (page) => {
  // tree/projects/{alpha/src, Beta, .hidden-one, a long name}, a file and a link to alpha
  // (a long path: the breadcrumbs must scroll, not widen the dialog)
  const tree = join(realpathSync(tmp), 'breadcrumbs-longer-than-a-phone-is-wide', 'tree');
  const projects = join(tree, 'projects');
  const long = 'a-folder-whose-name-is-much-too-long-for-a-phone-screen';
  for (const d of ['alpha/src', 'Beta', '.hidden-one', long]) mkdirSync(join(projects, d), { recursive: true });
  writeFileSync(join(projects, 'notes.txt'), 'not a folder\n');
  symlinkSync('alpha', join(projects, 'link-to-alpha'));
  const shown = () => page.getByTestId('dir-path').getAttribute('data-path');
  const entries = () => page.getByTestId('dir-entry').allTextContents().then((l) => l.map((t) => t.trim()));
  const at = async (path) => waitFor(`the browser at ${path}`, async () => (await shown()) === path);

  await openPage(page, main);
  await page.getByTestId('new-session').click();
  await page.getByTestId('new-session-dialog').waitFor();
  await page.locator('dialog input[type=radio][value=fake]').check();

  // A folder that does not exist: the error shows inline, over the home folder.
  await page.getByTestId('cwd-input').fill(join(tree, 'missing'));
  await page.getByTestId('browse-dirs').click();
  await page.getByTestId('dir-error').filter({ hasText: 'does not exist' }).waitFor();
  // The home folder is listed by a second call, after the error shows.
  await waitFor('a folder listed under the error', async () => ((await shown()) ?? '') !== '');
  // Escape in the browser folds the browser, not the dialog.
  await page.getByLabel('Filter folders').focus();
  await page.keyboard.press('Escape');
  await page.getByTestId('dir-browser').waitFor({ state: 'detached' });
  check(await page.getByTestId('new-session-dialog').isVisible(), 'Escape in the folder browser closed the dialog');

  // It opens where the field points.
  await page.getByTestId('cwd-input').fill(tree);
  await page.getByTestId('browse-dirs').click();
  await at(tree);
  check(JSON.stringify(await entries()) === '["projects"]', `entries of the tree: ${await entries()}`);
  await page.getByRole('button', { name: 'projects', exact: true }).click();
  await at(projects);
  const listed = await entries();
  check(JSON.stringify(listed) === JSON.stringify([long, 'alpha', 'Beta', 'link-to-alpha']), `entries of projects (no file, no hidden folder): ${listed}`);
  await page.getByLabel('Show hidden').check();
  await waitFor('the hidden folder', async () => (await entries()).includes('.hidden-one'));
  await page.getByLabel('Show hidden').uncheck();
  await waitFor('the hidden folder to go', async () => !(await entries()).includes('.hidden-one'));
  await page.getByTestId('dir-browser').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, 'folder-browser-desktop.png') });
  // At phone width the dialog and the browser still fit.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByTestId('dir-browser').scrollIntoViewIfNeeded();
  const overflow = await page.evaluate(() => {
    const d = document.querySelector('[data-testid="new-session-dialog"]').getBoundingClientRect();
    const b = document.querySelector('[data-testid="dir-browser"]').getBoundingClientRect();
    const c = document.querySelector('[data-testid="dir-path"]');
    // what sticks out, to say why if it does
    const wide = [...document.querySelectorAll('[data-testid="new-session-dialog"] *')]
      .filter((e) => e.getBoundingClientRect().right > d.right + 0.5)
      .slice(0, 4)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${Math.round(e.getBoundingClientRect().width)}px`);
    const dlg = document.querySelector('[data-testid="new-session-dialog"]');
    return {
      dialog: [d.left, d.right], browser: [b.left, b.right], width: window.innerWidth,
      dialogScrollsSideways: dlg.scrollWidth > dlg.clientWidth,
      crumbsAtEnd: c.scrollLeft + c.clientWidth >= c.scrollWidth - 1, wide,
    };
  });
  check(overflow.dialog[0] >= 0 && overflow.dialog[1] <= overflow.width && overflow.browser[1] <= overflow.dialog[1] &&
    overflow.crumbsAtEnd && !overflow.wide.length && !overflow.dialogScrollsSideways,
    `the dialog does not fit a phone: ${JSON.stringify(overflow)}`);
  await page.screenshot({ path: join(artifacts, 'folder-browser-phone.png') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The keyboard: the first row (the parent) has the focus after a move;
  // down past the long name to alpha, Enter opens it, Left goes back up,
  // Right opens again.
  await page.getByRole('button', { name: 'Go to ' + projects, exact: true }).click();
  await page.getByTestId('dir-parent').waitFor();
  await waitFor('focus on the parent row', () =>
    page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'dir-parent'),
  );
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await at(join(projects, 'alpha'));
  await page.keyboard.press('ArrowLeft');
  await at(projects);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await at(join(projects, 'alpha'));
  // a link is followed to where it points
  await page.getByRole('button', { name: 'Go to ' + projects, exact: true }).click();
  await at(projects);
  await page.getByRole('button', { name: 'link-to-alpha', exact: true }).click();
  await at(join(projects, 'alpha'));
  await page.getByRole('button', { name: 'src', exact: true }).click();
  const picked = join(projects, 'alpha', 'src');
  await at(picked);


  await page.getByTestId('dir-use').click();
  await page.getByTestId('dir-browser').waitFor({ state: 'detached' });
  const value = await page.getByTestId('cwd-input').inputValue();
  check(value === picked, `the field holds ${value}, want ${picked}`);
  await page.getByTestId('create-session').click();
  await page.getByTestId('conversation').waitFor();
  await page.getByTestId('message-input').fill('hello from a picked folder');
  await page.keyboard.press('Enter');
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: hello from a picked folder' }).waitFor({ timeout: 30000 });
  const sessions = await call(main, 'ListSessions');
  check(sessions.some((x) => x.cwd === picked && x.agent === 'fake'), `no fake session in ${picked}: ${JSON.stringify(sessions.map((x) => x.cwd))}`);
});

await test('dialog checks the directory; a failed call toasts clear of the composer', 90000, async (page) => {
  await openPage(page, main);
  await page.getByTestId('new-session').click();
  await page.getByTestId('new-session-dialog').waitFor();
  await page.locator('dialog input[type=radio][value=fake]').check();
  // a folder that does not exist: said beside the field, Start disabled
  const input = page.getByTestId('cwd-input');
  await input.fill(join(work, 'no-such-folder'));
  const problem = page.getByTestId('cwd-problem');
  await problem.filter({ hasText: 'No such folder.' }).waitFor({ timeout: 10000 });
  check((await input.getAttribute('aria-describedby')) === (await problem.getAttribute('id')), 'the field is not described by its problem');
  check(await page.getByTestId('create-session').isDisabled(), 'Start is enabled for a missing folder');
  await input.fill(work);
  await problem.waitFor({ state: 'detached', timeout: 10000 });
  check(await page.getByTestId('create-session').isEnabled(), 'Start stays disabled for an existing folder');
  // Escape with the folder browser open and focus in the field: the browser folds, the dialog stays
  await page.getByTestId('browse-dirs').click();
  await page.getByTestId('dir-browser').waitFor();
  await input.focus();
  await page.keyboard.press('Escape');
  await page.getByTestId('dir-browser').waitFor({ state: 'detached' });
  check(await page.getByTestId('new-session-dialog').isVisible(), 'Escape with the browser open closed the dialog');
  await page.getByTestId('create-session').click();
  await page.getByTestId('conversation').waitFor();

  // a message the server refuses (the session's budget is spent): a short toast, clear of Send
  await page.getByTestId('message-input').fill('hello before the cap');
  await page.keyboard.press('Enter');
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: hello before the cap' }).waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
  const sessionId = (await call(main, 'ListSessions'))[0].id;
  await call(main, 'SetBudget', { sessionId, usd: 0.000001 });
  await page.getByTestId('message-input').fill('over budget');
  await page.getByTestId('send').click();
  const toast = page.getByTestId('toast');
  await toast.waitFor({ timeout: 10000 });
  const text = await toast.textContent();
  check(text.includes('Could not send the message'), `the toast says: ${text}`);
  check(!/\b[sr]-[0-9a-z]{6,}|session:|%w/.test(text), `the toast shows internal detail: ${text}`);
  const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  for (const size of [null, { width: 390, height: 760 }]) {
    if (size) await page.setViewportSize(size);
    const t = await toast.boundingBox();
    const send = await page.getByTestId('send').boundingBox();
    const composer = await page.getByTestId('message-input').boundingBox();
    check(t && send && composer, 'no box for the toast, Send or the message field');
    check(!overlap(t, send), `the toast ${JSON.stringify(t)} covers Send ${JSON.stringify(send)} at ${size ? size.width : 'desktop'} px`);
    check(!overlap(t, composer), `the toast ${JSON.stringify(t)} covers the message field at ${size ? size.width : 'desktop'} px`);
  }
  // it goes away by itself; the Errors view has the full detail
  await toast.waitFor({ state: 'detached', timeout: 20000 });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('tab-errors').click();
  await page.getByTestId('error-row').filter({ hasText: 'budget_reached' }).waitFor({ timeout: 5000 });
});

await test('run console: reload the configuration', 60000, async (page) => {
  await openPage(page, main);
  await page.getByTestId('tab-console').click();
  await page.getByTestId('console-config').locator('summary').click();
  await page.getByTestId('reload-config').click();
  const out = page.getByTestId('reload-result');
  await out.filter({ hasText: configPath }).waitFor({ timeout: 10000 });
  const text = await out.textContent();
  check(text.includes('Now in effect: [agents], [sessions], [budget].'), `the reload says: ${text}`);
  check(text.includes('Nothing needs a restart.'), `the reload says: ${text}`);
});

await test('queue: messages sent during a turn are queued, edited, cancelled, sent in order', 150000, (page) => queueTest({ server: main, newSession, openPage, allEvents, waitFor, check, artifacts }, page));
await test('model: pick a model and plan mode mid-session; pin, archive, group by project', 120000, (page) => modelTest({ server: main, call, openPage, work, artifacts, check }, page));

// ---------------------------------------------------------------- speed

// e2e/hostile.mjs: script, handler, link and image payloads in every
// place agent output shows; nothing runs or loads, all of it stays visible
await test('hostile agent output: nothing runs or loads, all of it shows as text', 240000, (page) =>
  hostileTest({ server: main, newSession, openPage, chromiumPath, chromiumArgs, artifacts, figures }, page),
);

await test('composer: attach an image and a file, / commands, @ files', 120000, (page) => attachTest({ server: main, newSession, openPage, call, allEvents, work, artifacts }, page));
await test('changes panel: isolated worktree, discard one of two hunks', 120000, (page) => changesTest({ server: main, call, openPage, waitFor, check, tmp, artifacts }, page));
await test('import: list a conversation Claude Code kept, open it, see its history, go on', 240000, (page) => importTest({ server: main, openPage, haveClaude, claudePath, claudeHome, mockURL, tmp, skip: (m) => { throw new Skip(m); } }, page));
await test('schedules: one runs from the Schedules view; a rate-limited session counts down', 240000, async (page) => { const c = { server: main, openPage, call, waitFor, work, haveClaude, artifacts, Skip }; await schedulesTest(c, page); await rateLimitTest(c, page); });
await test('usage: charts render with data; set a session budget', 120000, (page) => usageTest({ server: main, newSession, call, openPage, artifacts }, page));
await test('fleet: a runner shows in Machines and the dialog, lost after kill -9', 120000, (page) => fleetTest({ startServe, stopServe, corral, configPath, serveEnv, started, exitOf, openPage, waitFor, check, tmp, artifacts }, page));
await test('remote: pair a phone over TLS, allow a permission from it, revoke it', 120000, (page) => remoteTest({ startServe, stopServe, tmp, work, chromiumPath, chromiumArgs, artifacts, check, waitFor }, page));
await test('pwa: manifest, service worker, push notification, offline shell; every view at 390 px', 180000, async (page) => { const c = { server: main, openPage, call, newSession, artifacts, log }; await pwaTest(c, page); await mobileTest(c, page); });

await test('speed: JS bundle gzip size', 30000, async () => {
  const dist = join(repo, 'web', 'dist');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/(?:src|href)="(?:\.?\/)?(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`);
  const size = (files) =>
    files.reduce((acc, f) => {
      const b = readFileSync(join(dist, f));
      return { raw: acc.raw + b.length, gzip: acc.gzip + gzipSync(b, { level: 9 }).length };
    }, { raw: 0, gzip: 0 });
  figures.bundle = { initialFiles: initial, initial: size(initial), all: size(all), allFiles: all.length };
  check(initial.length > 0, 'index.html loads no script');
  check(figures.bundle.all.gzip <= 300 * 1024, `all JS is ${figures.bundle.all.gzip} bytes gzip, over 300 KB`);
});

// A second server over a data directory seeded with one 100,000-event session.
let seeded = null;
try {
  const dataDir = join(tmp, 'data-100k');
  const out = execFileSync(join(bin, 'seed'), ['-data', dataDir, '-cwd', work, '-events', process.env.CORRAL_E2E_SEED_EVENTS || '100000'], { encoding: 'utf8' });
  const m = /SEED_SESSION=(\S+) SEED_EVENTS=(\d+)/.exec(out);
  seeded = await startServe('serve-100k', dataDir);
  seeded.session = m[1];
  seeded.events = Number(m[2]);
} catch (e) {
  log(`cannot prepare the 100,000-event session: ${e.message}`);
}

/** Installed before the page's scripts: a long-task log and a first-sight probe for a text. */
const probe = (needle) => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    window.__longTasks = null;
  }
  // long animation frames, with how much of each went to scripts and to
  // style and layout
  window.__loaf = [];
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        window.__loaf.push({
          start: e.startTime,
          duration: e.duration,
          script: e.scripts.reduce((a, x) => a + x.duration, 0),
          layout: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {
    window.__loaf = null;
  }
  if (!needle) return;
  // First sight of the text: checked in each frame's animation-frame
  // callbacks, which run after the page's own work of that task and just
  // before the frame is drawn. __seenAt is when that frame has been drawn
  // (a message posted from the callback runs after the frame's style,
  // layout and paint). __inDomAt is when the callback found the text, and
  // __frameAt the frame's own timestamp, which is when the frame began:
  // before a long task that delayed it, so it can be earlier than the work
  // that put the text there (this test reported it until 2026-11-26).
  window.__seenAt = 0;
  window.__liveAt = 0;
  // one promise for the test to await: polling from the test would run
  // script in the page while it loads, and be counted in what it measures
  window.__seen = new Promise((r) => (window.__resolveSeen = r));
  const frame = (t) => {
    if (!window.__liveAt && /live/.test(document.querySelector('[data-testid="connection"]')?.textContent ?? '')) window.__liveAt = performance.now();
    const el = document.querySelector('[data-testid="transcript"]');
    if (el && el.textContent.includes(needle)) {
      window.__frameAt = t;
      window.__inDomAt = performance.now();
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        window.__seenAt = performance.now();
        window.__resolveSeen(window.__seenAt);
      };
      ch.port2.postMessage(0);
      return;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
};

/** Thread time (CPU) of a page's main thread so far, in ms, from the DevTools protocol. */
async function mainThreadMs(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return 1000 * (metrics.find((m) => m.name === 'ThreadTime')?.value ?? NaN);
}

await test('speed: open a 100,000-event session', 240000, async (page) => {
  check(seeded, 'the seeded server did not start');
  const needle = 'END-OF-SEED';
  const loads = [];
  let olderTurns = null;
  await page.close(); // each load in a fresh page of its own
  const count = Math.max(3, Number(process.env.CORRAL_E2E_OPEN_LOADS) || 3);
  for (let i = 0; i < count; i++) {
    const p = await browser.newPage();
    await p.addInitScript(probe, needle);
    const cdp = await browser.newCDPSession(p);
    await cdp.send('Performance.enable');
    const cpu0 = await mainThreadMs(cdp);
    await p.goto(pageURL(seeded, `session=${seeded.session}`), { waitUntil: 'commit' });
    const t = await p.evaluate(() => window.__seen);
    const cpu = Math.round((await mainThreadMs(cdp)) - cpu0);
    await cdp.detach();
    // where the time went: the navigation, the scripts, the calls, the
    // page's own marks (main.ts, app.ts)
    const nav = await p.evaluate(() => {
      const r = (x) => Math.round(x);
      const n = performance.getEntriesByType('navigation')[0];
      const lt = window.__longTasks ?? [];
      const res = {};
      for (const e of performance.getEntriesByType('resource')) {
        const name = e.name.replace(/[?#].*$/, '').replace(/^.*\//, '').replace(/-[\w-]{8}\.(js|css)$/, '.$1');
        if (!res[name]) res[name] = [r(e.startTime), r(e.responseStart), r(e.responseEnd)];
      }
      return {
        html: [r(n.requestStart), r(n.responseStart), r(n.responseEnd)],
        domContentLoaded: r(n.domContentLoadedEventEnd),
        resources: res,
        marks: Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('corral:')).map((m) => [m.name.slice(7), r(m.startTime)])),
        inDom: r(window.__inDomAt),
        frameStart: r(window.__frameAt),
        live: r(window.__liveAt),
        longTasks: lt.length,
        longestTask: r(Math.max(0, ...lt.map((x) => x.duration))),
        rows: document.querySelectorAll('[data-testid="transcript"] [data-testid^="item-"]').length,
      };
    });
    await p.waitForTimeout(1500);
    const stays = await p.evaluate((n) => document.querySelector('[data-testid="transcript"]')?.textContent.includes(n), needle);
    loads.push({ firstSight: Math.round(t), stays, mainThreadCpu: cpu, load: loadavg()[0], ...nav });
    if (i === 2) await p.screenshot({ path: join(artifacts, 'speed-100k-loaded.png') });
    if (i === 0) {
      // The page read only the newest page of the session; scrolling up
      // (as the user: PageUp in the focused transcript) must page older
      // turns in. (A synthetic wheel does not scroll this headless build.)
      const lowest = () =>
        p.evaluate(() =>
          Math.min(...[...document.querySelectorAll('[data-testid="transcript"] [data-testid="item-user"]')].map((e) => Number(/question (\d+)/.exec(e.textContent)?.[1] ?? Infinity))),
        );
      await p.getByTestId('transcript').focus();
      const first = await lowest();
      let low = first;
      const end = Date.now() + 30000;
      while (Date.now() < end && !(low <= first - 30)) {
        await p.keyboard.press('PageUp');
        await p.waitForTimeout(50);
        low = Math.min(low, await lowest());
      }
      await p.screenshot({ path: join(artifacts, 'speed-100k-scrolled-up.png') });
      olderTurns = { firstShown: first, reached: low };
    }
    await p.close();
  }
  // opening it from the session list of a page that has already loaded,
  // coming from a small session
  const small = await newSession(seeded);
  const p = await browser.newPage();
  await p.goto(pageURL(seeded, `session=${small.id}`));
  await p.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 120000 });
  const row = (id) => p.locator(`[data-testid="session-row"][data-session-id="${id}"]`);
  await row(seeded.session).waitFor({ timeout: 60000 });
  await p.waitForTimeout(2000); // let the replay settle
  const clicks = [];
  const driftedAway = [];
  for (let i = 0; i < 3; i++) {
    await row(small.id).click();
    await waitFor('the small session on screen', async () => !(await p.evaluate((n) => document.querySelector('[data-testid="transcript"]')?.textContent.includes(n) ?? true, needle)), 10000);
    await p.waitForTimeout(300);
    const ms = await p.evaluate(
      ([id, needle]) =>
        new Promise((res) => {
          const t0 = performance.now();
          document.querySelector(`[data-testid="session-row"][data-session-id="${id}"]`).click();
          const frame = () => {
            const el = document.querySelector('[data-testid="transcript"]');
            if (el && el.textContent.includes(needle)) return res(performance.now() - t0);
            if (performance.now() - t0 > 20000) return res(-1);
            requestAnimationFrame(frame);
          };
          requestAnimationFrame(frame);
        }),
      [seeded.session, needle],
    );
    if (ms < 0) {
      await p.screenshot({ path: join(artifacts, 'speed-100k-from-list-failed.png') });
      const shown = await p.evaluate(() => {
        const items = [...document.querySelectorAll('[data-testid="transcript"] [data-testid^="item-"]')];
        const vl = document.querySelector('[data-testid="transcript"] .vl') ?? document.querySelector('[data-testid="transcript"]');
        return { rows: items.length, first: items[0]?.textContent.slice(0, 60), last: items.at(-1)?.textContent.slice(0, 60), scrollTop: vl?.scrollTop, scrollHeight: vl?.scrollHeight, clientHeight: vl?.clientHeight };
      });
      throw new Error(`click ${i + 1}: the last message never showed; the transcript shows ${JSON.stringify(shown)}`);
    }
    clicks.push(Math.round(ms));
    // the view must stay on the latest message once it got there
    await p.waitForTimeout(1500);
    const still = await p.evaluate((n) => document.querySelector('[data-testid="transcript"]')?.textContent.includes(n), needle);
    if (!still) {
      await p.screenshot({ path: join(artifacts, 'speed-100k-from-list-scrolled-away.png') });
      driftedAway.push(i + 1);
    }
  }
  await p.screenshot({ path: join(artifacts, 'speed-100k-from-list.png') });
  await p.close();
  figures.open100k = { events: seeded.events, loads, fromList: clicks, driftedAway, olderTurns };
  check(loads.every((l) => l.stays), 'after a cold load the view left the latest message within 1.5 s');
  check(olderTurns.reached <= olderTurns.firstShown - 30, `scrolling up paged no older turns in: ${JSON.stringify(olderTurns)}`);
  check(!driftedAway.length, `after click(s) ${driftedAway.join(', ')} the view left the latest message within 1.5 s (see speed-100k-from-list-scrolled-away.png)`);
});

// A third server over a data directory seeded with small sessions holding
// huge content (e2e/seed -big): a 100 KB and a 1 MB unbroken token, 1 MB of
// Markdown full of unmatched markers, a 2 MB tool output, and as the control
// a 1 KB token (what opening a session costs at the time, without the bulk).
let bigs = null;
try {
  const dataDir = join(tmp, 'data-big');
  const spec = process.env.CORRAL_E2E_BIG || 'token:1000,token:100000,token:1000000,markdown:1000000,output:2000000';
  const out = execFileSync(join(bin, 'seed'), ['-data', dataDir, '-cwd', work, '-big', spec], { encoding: 'utf8' });
  const sessions = [...out.matchAll(/SEED_SESSION=(\S+) SEED_EVENTS=(\d+) SEED_NEEDLE=(\S+)/g)].map((m) => ({ id: m[1], events: Number(m[2]), needle: m[3] }));
  bigs = await startServe('serve-big', dataDir);
  bigs.sessions = sessions;
} catch (e) {
  log(`cannot prepare the sessions of huge content: ${e.message}`);
}

// Each session opened cold in a fresh page, CORRAL_E2E_BIG_LOADS times (3):
// time to first sight of the start of its last reply (the probe above), the
// main thread's CPU, the longest task. A load that shows nothing within
// CORRAL_E2E_BIG_GIVE_UP_MS (60 s) is reported as such, and the session is
// not loaded again. Then the whole content must be within reach: the last
// "Show more", pressed with the keyboard, shows more of it.
await test('speed: open sessions holding huge content', 1800000, async (page) => {
  check(bigs, 'the server of huge sessions did not start');
  await page.close();
  const count = Math.max(1, Number(process.env.CORRAL_E2E_BIG_LOADS) || 3);
  const giveUp = Number(process.env.CORRAL_E2E_BIG_GIVE_UP_MS) || 60000;
  const closeSoon = (p) => Promise.race([p.close().catch(() => {}), sleep(15000)]);
  const result = {};
  const problems = [];
  for (const s of bigs.sessions) {
    const loads = [];
    let showMore = null;
    for (let i = 0; i < count; i++) {
      const p = await browser.newPage();
      await p.addInitScript(probe, s.needle);
      const cdp = await browser.newCDPSession(p);
      await cdp.send('Performance.enable');
      // CORRAL_E2E_BIG_PROFILE=1: a CPU profile of each first load in artifacts/
      const profile = i === 0 && process.env.CORRAL_E2E_BIG_PROFILE === '1';
      if (profile) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      const cpu0 = await mainThreadMs(cdp);
      await p.goto(pageURL(bigs, `session=${s.id}`), { waitUntil: 'commit' });
      const t = await Promise.race([p.evaluate(() => window.__seen), sleep(giveUp).then(() => null)]);
      if (profile && t !== null) writeFileSync(join(artifacts, `speed-big-${s.id}.cpuprofile`), JSON.stringify((await cdp.send('Profiler.stop')).profile));
      if (t === null) {
        loads.push({ firstSight: null, gaveUpAfterMs: giveUp, load: loadavg()[0] });
        problems.push(`${s.id}: nothing shown within ${giveUp} ms`);
        await p.screenshot({ path: join(artifacts, `speed-big-${s.id}-gave-up.png`), timeout: 5000 }).catch(() => {});
        await closeSoon(p);
        break;
      }
      const cpu = Math.round((await mainThreadMs(cdp)) - cpu0);
      await cdp.detach();
      const nav = await p.evaluate(() => {
        const lt = window.__longTasks ?? [];
        const el = document.querySelector('[data-testid="transcript"]');
        return {
          inDom: Math.round(window.__inDomAt),
          longTasks: lt.length,
          longestTask: Math.round(Math.max(0, ...lt.map((x) => x.duration))),
          transcriptChars: el?.textContent.length ?? 0,
          marks: Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('corral:')).map((m) => [m.name.slice(7), Math.round(m.startTime)])),
        };
      });
      loads.push({ firstSight: Math.round(t), mainThreadCpu: cpu, load: loadavg()[0], ...nav });
      if (i === 0) {
        await p.screenshot({ path: join(artifacts, `speed-big-${s.id}.png`) });
        const more = p.getByTestId('show-more').last();
        const folds = Number(/-(\d+)$/.exec(s.id)?.[1] ?? 0) > 20000; // the control is not folded
        if (!folds) {
          // nothing to show more of
        } else if (!(await more.count())) {
          problems.push(`${s.id}: no "Show more"`);
        } else {
          // characters the transcript shows: more after the press
          const shown = () => p.evaluate(() => document.querySelector('[data-testid="transcript"]')?.textContent.length ?? 0);
          const before = await shown();
          await more.focus();
          const t0 = Date.now();
          await p.keyboard.press('Enter');
          await waitFor('more of the text after "Show more"', async () => (await shown()) > before, 60000, 20);
          showMore = { ms: Date.now() - t0, charsBefore: before, charsAfter: await shown() };
        }
      }
      await closeSoon(p);
    }
    result[s.id] = { events: s.events, loads, showMoreByKeyboard: showMore };
    log(`    ${s.id}: first sight ${loads.map((l) => l.firstSight ?? `> ${l.gaveUpAfterMs}`).join(', ')} ms`);
  }
  figures.openBig = result;
  check(!problems.length, problems.join('; '));
});

await test('speed: streaming 200 events/s, main thread', 120000, async (page) => {
  const sess = await newSession(main);
  await page.addInitScript(probe, '');
  await openPage(page, main, `session=${sess.id}`);
  await page.getByTestId('conversation').waitFor();
  const rate = 200;
  const secs = 10;
  // control: the same page idle for as long, to tell the machine's load
  // (other processes taking the CPU show up as long tasks too) from the
  // work streaming costs
  const idleFrom = await page.evaluate(() => performance.now());
  await page.waitForTimeout(secs * 1000);
  const idle = await page.evaluate((from) => {
    const lt = (window.__longTasks ?? []).filter((x) => x.start >= from);
    return { longTasks: lt.length, over50: lt.filter((x) => x.duration > 50).length, longest: Math.round(Math.max(0, ...lt.map((x) => x.duration))) };
  }, idleFrom);
  await page.evaluate(() => {
    window.__longTasks && (window.__longTasks.length = 0);
    window.__lat = [];
    window.__streamStart = performance.now();
    // agent-to-screen delay: each delta is stamped t=<unix ns> when the
    // agent writes it; on each frame, the newest one on screen
    let seen = '';
    const frame = () => {
      const all = document.querySelectorAll('[data-testid="transcript"] [aria-label="Assistant message"]');
      const last = all.length ? all[all.length - 1].textContent.slice(-40) : '';
      const m = /t=(\d+);$/.exec(last);
      if (m && m[1] !== seen) {
        seen = m[1];
        window.__lat.push(Date.now() - Number(BigInt(m[1]) / 1000000n));
      }
      if (!window.__stopLat) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  await page.getByTestId('message-input').fill(`chatty:${rate}:${secs}`);
  await page.keyboard.press('Enter');
  await page.getByTestId('working').waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 60000 });
  const r = await page.evaluate(() => {
    window.__stopLat = true;
    const lt = (window.__longTasks ?? []).filter((x) => x.start >= window.__streamStart);
    const lat = window.__lat.slice().sort((a, b) => a - b);
    const q = (f) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))];
    const loaf = (window.__loaf ?? []).filter((x) => x.start >= window.__streamStart && x.duration > 50);
    const sum = (k) => Math.round(loaf.reduce((a, x) => a + x[k], 0));
    return {
      longFrames: loaf.length,
      longFramesMs: sum('duration'),
      longFramesScriptMs: sum('script'),
      longFramesLayoutMs: sum('layout'),
      supported: window.__longTasks !== null,
      longTasks: lt.length,
      over50: lt.filter((x) => x.duration > 50).length,
      longest: Math.round(Math.max(0, ...lt.map((x) => x.duration))),
      latencyP50: q(0.5), latencyP95: q(0.95), latencyMax: lat.at(-1), frames: lat.length,
    };
  });
  const shown = ((await lastAssistant(page)).match(/t=\d+;/g) ?? []).length;
  check(shown === rate * secs, `the page shows ${shown} of ${rate * secs} deltas`);
  check(r.supported, 'this Chromium reports no long tasks');
  figures.stream200 = { rate, secs, ...r, idleControl: idle, load: loadavg()[0] };
});

// ---------------------------------------------------------------- shutdown

await browser.close();
figures.load.push(loadavg()[0]);

await test('corral serve stops on SIGTERM with exit 0 and leaves no process', 60000, async () => {
  const problems = [];
  for (const s of [main, seeded, bigs]) {
    const r = await stopServe(s);
    if (r) problems.push(...r.problems.map((p) => `${s.name}: ${p}`));
    if (r) figures[`${s.name}-children-at-stop`] = r.kids;
  }
  check(!problems.length, problems.join('; '));
}, { browserless: true });
if (mock) {
  mock.stdin.end();
  const t = setTimeout(() => mock.kill('SIGKILL'), 5000);
  await exitOf(mock);
  clearTimeout(t);
}

writeFileSync(join(artifacts, 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
log(JSON.stringify(figures, null, 2));
const passed = results.filter((r) => r.status === 'pass').length;
const failed = results.filter((r) => r.status === 'fail').length;
const skipped = results.filter((r) => r.status === 'skip');
for (const s of skipped) log(`skipped: ${s.name}: ${s.detail}`);
if (failed) log(`kept ${tmp} (server logs, data) for a look`);
else rmSync(tmp, { recursive: true, force: true });
log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
