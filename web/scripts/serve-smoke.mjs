// Drives the real page served by `corral serve` (with the scripted fake agent
// as agent "fake") through a session, a permission round-trip, an interrupt
// and the run console, and takes screenshots. Usage:
//   node scripts/serve-smoke.mjs 'http://127.0.0.1:PORT/#token=…' OUTDIR CWD
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const url = process.argv[2];
const out = process.argv[3] ?? 'shots';
const cwd = process.argv[4] ?? '/tmp';
mkdirSync(out, { recursive: true });
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
process.exit(problems.length ? 1 : 0);
