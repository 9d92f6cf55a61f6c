// End-to-end check of the real page served by `corral serve`, with the
// scripted fake agent (internal/fakeagent) as agent "fake": a session, a
// permission round-trip, a denial, an interrupt, a crash, a reload, a server
// restart under an open page, and the run console. Screenshots go to OUTDIR.
//
//   npm run e2e                      builds corral and the fake agent with go,
//                                    starts its own server, checks, stops it
//   node scripts/serve-smoke.mjs URL [OUTDIR] [CWD]
//                                    checks a server that is already running
//                                    (URL with #token=…); no restart step
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

let url = process.argv[2];
const out = process.argv[3] ?? join(tmpdir(), 'corral-e2e-shots');
let cwd = process.argv[4] ?? tmpdir();
mkdirSync(out, { recursive: true });

// ---- own server (when no URL is given)
let server = null;
let startServer = null;
let tmp = null;
if (!url) {
  tmp = mkdtempSync(join(tmpdir(), 'corral-e2e-'));
  const repo = resolve(import.meta.dirname, '..', '..');
  const env = { ...process.env, CGO_ENABLED: '0' };
  console.log('building corral and the fake agent…');
  execFileSync('go', ['build', '-o', join(tmp, 'corral'), './cmd/corral'], { cwd: repo, env, stdio: 'inherit' });
  execFileSync('go', ['build', '-o', join(tmp, 'fakeagent'), './cmd/corral-desktop/internal/smokeagent'], { cwd: repo, env, stdio: 'inherit' });
  cwd = join(tmp, 'work');
  mkdirSync(cwd);
  writeFileSync(
    join(tmp, 'config.toml'),
    `[agents.fake]
command = "${join(tmp, 'fakeagent')}"
protocol = "claude"

[[capability]]
name = "ls"
program = "ls"
args = [{ validator = "-[la]+", optional = true }, { validator = "[A-Za-z0-9._/-]+", optional = true }]

[[capability]]
name = "cat"
program = "cat"
args = []

[[capability]]
name = "progress"
program = "sh"
args = ["-c", "for i in 1 2 3 4 5; do printf '\\\\033[32m%d0%%\\\\033[0m\\\\r' $i; sleep 0.3; done; echo; echo done"]
`,
  );
  const token = 'e2e' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  writeFileSync(join(tmp, 'token'), token + '\n');
  const port = await new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
  const log = openSync(join(tmp, 'serve.log'), 'a');
  startServer = async () => {
    server = spawn(
      join(tmp, 'corral'),
      ['serve', '--no-open', '--addr', `127.0.0.1:${port}`, '--data', join(tmp, 'data'), '--config', join(tmp, 'config.toml'), '--token-file', join(tmp, 'token')],
      { stdio: ['ignore', log, log] },
    );
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('corral serve did not start; see ' + join(tmp, 'serve.log'));
  };
  await startServer();
  url = `http://127.0.0.1:${port}/#token=${token}`;
}
const stopServer = () =>
  new Promise((res) => {
    if (!server || server.exitCode !== null) return res();
    server.once('exit', () => res());
    server.kill('SIGTERM');
  });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--no-first-run'],
});
const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const p = await ctx.newPage();
const problems = [];
p.on('pageerror', (e) => problems.push('page error: ' + e.message));
// a refused call is an HTTP 403 the browser logs; that one is expected
p.on('console', (m) => m.type() === 'error' && !/status of 403/.test(m.text()) && problems.push('console: ' + m.text()));
const step = async (name, fn) => {
  const t = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    await p.screenshot({ path: `${out}/fail-${name.replace(/\W+/g, '-')}.png` });
    problems.push(name);
  }
};

await p.goto(url);
await step('token leaves the address bar', async () => {
  await p.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 5000 });
  if (p.url().includes('token=')) throw new Error('token still in ' + p.url());
});
await step('create a session with the fake agent', async () => {
  await p.getByTestId('new-session').click();
  await p.locator('dialog input[type=radio][value=fake]').check();
  await p.getByTestId('cwd-input').fill(cwd);
  await p.getByTestId('create-session').click();
  await p.getByTestId('conversation').waitFor();
});
await step('echo turn streams and ends', async () => {
  await p.getByTestId('message-input').fill('hello from the browser');
  await p.keyboard.press('Enter');
  await p.getByLabel('Assistant message').filter({ hasText: 'hello from the browser' }).first().waitFor({ timeout: 15000 });
  await p.getByTestId('usage').first().waitFor({ timeout: 15000 });
  await p.getByTestId('working').waitFor({ state: 'detached', timeout: 15000 });
});
await step('permission round-trip', async () => {
  await p.getByTestId('message-input').fill('tool:ls -la');
  await p.keyboard.press('Enter');
  await p.getByTestId('permission-prompt').waitFor({ timeout: 15000 });
  await p.screenshot({ path: `${out}/real-permission.png` });
  await p.getByTestId('allow').click();
  await p.getByTestId('tool-card').filter({ hasText: 'ran: ls -la' }).waitFor({ timeout: 15000 });
  await p.getByTestId('working').waitFor({ state: 'detached', timeout: 15000 });
});
await step('deny with a message', async () => {
  await p.getByTestId('message-input').fill('tool:rm -rf /');
  await p.keyboard.press('Enter');
  await p.getByTestId('permission-prompt').waitFor({ timeout: 15000 });
  await p.getByTestId('deny').click();
  await p.getByLabel('Tell the agent why (optional)').fill('never');
  await p.getByTestId('deny-confirm').click();
  await p.getByTestId('permission-record').filter({ hasText: 'Denied' }).waitFor({ timeout: 15000 });
  await p.getByTestId('working').waitFor({ state: 'detached', timeout: 15000 });
});
await step('interrupt with Esc', async () => {
  await p.getByTestId('message-input').fill('slow:400');
  await p.keyboard.press('Enter');
  await p.getByTestId('working').waitFor({ timeout: 15000 });
  await p.waitForTimeout(500);
  await p.locator('body').click({ position: { x: 5, y: 790 } });
  await p.keyboard.press('Escape');
  await p.getByTestId('working').waitFor({ state: 'detached', timeout: 15000 });
});
await step('crash is shown with what to do', async () => {
  await p.getByTestId('message-input').fill('crash');
  await p.keyboard.press('Enter');
  await p.getByTestId('working').waitFor({ state: 'detached', timeout: 20000 });
  await p.screenshot({ path: `${out}/real-after-crash.png` });
});
await step('reload keeps the transcript (history and resume)', async () => {
  const before = await p.getByTestId('item-user').count();
  await p.reload();
  await p.getByTestId('session-row').first().click();
  await p.getByTestId('item-user').first().waitFor({ timeout: 10000 });
  const after = await p.getByTestId('item-user').count();
  if (after !== before) throw new Error(`user messages before ${before}, after ${after}`);
  await p.screenshot({ path: `${out}/real-after-reload.png` });
});
if (startServer) {
  await step('server restart under an open page: no gap, no duplicate', async () => {
    await p.getByTestId('tab-sessions').click();
    const rows = () => p.evaluate(() => [...document.querySelectorAll('[data-testid="transcript"] [data-testid^="item-"]')].map((e) => e.textContent));
    const before = await rows();
    await stopServer();
    await p.getByTestId('connection').filter({ hasText: 'reconnecting' }).waitFor({ timeout: 15000 });
    await startServer();
    await p.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 30000 });
    await p.waitForTimeout(500);
    const after = await rows();
    if (JSON.stringify(before) !== JSON.stringify(after)) throw new Error(`rows changed across the restart: ${before.length} → ${after.length}`);
    await p.getByTestId('message-input').fill('after the restart');
    await p.keyboard.press('Enter');
    await p.getByLabel('Assistant message').filter({ hasText: 'after the restart' }).first().waitFor({ timeout: 20000 });
    await p.getByTestId('working').waitFor({ state: 'detached', timeout: 20000 });
  });
}
await step('run console: progress, colours, exit', async () => {
  await p.getByTestId('tab-console').click();
  await p.getByTestId('capability-select').selectOption('progress');
  await p.getByTestId('run').click();
  await p.getByTestId('terminal').filter({ hasText: 'done' }).waitFor({ timeout: 15000 });
  await p.getByTestId('exit-code').waitFor({ timeout: 10000 });
  await p.screenshot({ path: `${out}/real-console.png` });
});
await step('run console: stdin to cat', async () => {
  await p.getByTestId('capability-select').selectOption('cat');
  await p.getByTestId('run').click();
  await p.getByTestId('stdin').fill('typed line');
  await p.keyboard.press('Enter');
  await p.getByTestId('terminal').filter({ hasText: 'typed line' }).waitFor({ timeout: 10000 });
  await p.getByTestId('stop').click();
  await p.getByTestId('exit-code').waitFor({ timeout: 10000 });
});
await step('run console: policy refusal', async () => {
  await p.getByTestId('capability-select').selectOption('ls');
  await p.getByLabel(/Argument 1/).fill('a;b');
  await p.getByTestId('run').click({ force: true });
  await p.getByTestId('policy-denied').waitFor({ timeout: 5000 });
  await p.screenshot({ path: `${out}/real-denied.png` });
});
await step('processes view', async () => {
  await p.getByTestId('tab-processes').click();
  await p.getByTestId('processes').waitFor();
  await p.waitForTimeout(2500);
  await p.screenshot({ path: `${out}/real-processes.png` });
});
await step('errors view', async () => {
  await p.getByTestId('tab-errors').click();
  await p.screenshot({ path: `${out}/real-errors.png` });
});
console.log(problems.length ? `problems:\n  ${problems.join('\n  ')}` : 'no problems');
await browser.close();
await stopServer();
if (tmp && !problems.length) rmSync(tmp, { recursive: true, force: true });
else if (tmp) console.log('kept ' + tmp + ' (serve.log, data) for a look');
process.exit(problems.length ? 1 : 0);
