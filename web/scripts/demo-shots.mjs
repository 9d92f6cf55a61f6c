// Drives the demo build in headless Chromium: takes screenshots of the main
// screens (light, dark, phone width) and measures scrolling through a
// 100,000-event transcript. It needs a served build, e.g.
//   npx vite preview --port 4173 --host 127.0.0.1 &
//   node scripts/demo-shots.mjs http://127.0.0.1:4173/ /tmp/shots
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const base = process.argv[2] ?? 'http://127.0.0.1:4173/';
const out = process.argv[3] ?? 'shots';
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--no-first-run'],
});

async function page(hash, { width = 1280, height = 800, scheme = 'light' } = {}) {
  const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
  const p = await ctx.newPage();
  p.on('pageerror', (e) => console.error('page error:', e.message));
  await p.goto(base + '#' + hash);
  await p.waitForSelector('[data-testid="connection"]');
  return p;
}

// 1. light: a session streaming a scripted turn that asks for permission
{
  const p = await page('demo');
  await p.getByTestId('new-session').click();
  await p.getByTestId('cwd-input').fill('/home/dev/src/corral');
  await p.locator('dialog textarea').fill('How does Stop work?');
  await p.getByTestId('create-session').click();
  await p.getByText('How does Stop work?').first().waitFor();
  await p.getByText('1 of 3 pending').waitFor({ timeout: 10000 });
  await p.getByTestId('item-thinking').first().click(); // open the collapsed thinking
  await p.screenshot({ path: `${out}/light-permission-queue.png` });
  await p.keyboard.press('y'); // first in queue: the new session's request
  await p.getByTestId('usage').last().waitFor({ timeout: 20000 });
  await p.screenshot({ path: `${out}/light-turn-done.png` });
  await p.getByTestId('tab-console').click();
  await p.getByTestId('run').click();
  await p.getByText('DONE').waitFor({ timeout: 10000 });
  await p.screenshot({ path: `${out}/light-console.png` });
  await p.getByTestId('capability-select').selectOption('rm');
  await p.getByTestId('run').click();
  await p.getByTestId('policy-denied').waitFor();
  await p.screenshot({ path: `${out}/light-console-denied.png` });
  await p.context().close();
}
// 2. dark, following the system
{
  const p = await page('demo&session=s-api', { scheme: 'dark' });
  await p.getByTestId('tool-card').first().waitFor();
  await p.screenshot({ path: `${out}/dark-session.png` });
  await p.getByTestId('tab-processes').click();
  await p.waitForTimeout(1500);
  await p.screenshot({ path: `${out}/dark-processes.png` });
  await p.context().close();
}
// 3. phone width
{
  const p = await page('demo', { width: 390, height: 844 });
  await p.screenshot({ path: `${out}/phone-sessions.png` });
  await p.getByTestId('session-row').filter({ hasText: 'Fix the restart' }).click();
  await p.getByTestId('tool-card').first().waitFor();
  await p.screenshot({ path: `${out}/phone-conversation.png` });
  await p.context().close();
}
// 4. 100,000 events: time to first paint of the tail, and frame times while scrolling
{
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await ctx.newPage();
  const t0 = Date.now();
  await p.goto(base + '#demo&stress=100000&session=s-big');
  await p.getByText('tail 99999', { exact: false }).waitFor({ timeout: 60000 });
  const shown = Date.now() - t0;
  const frames = await p.evaluate(async () => {
    const vl = document.querySelector('[data-testid="transcript"]');
    const times = [];
    let last = performance.now();
    for (let i = 0; i < 240; i++) {
      vl.scrollTop -= 400; // fling upwards, 400 px per frame
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    vl.scrollTop = vl.scrollHeight / 2; // jump into the middle
    await new Promise((r) => requestAnimationFrame(r));
    const t = performance.now();
    await new Promise((r) => requestAnimationFrame(r));
    times.sort((a, b) => a - b);
    return {
      rows: document.querySelectorAll('[data-testid="transcript"] .vl-row').length,
      median: times[times.length >> 1],
      p95: times[Math.floor(times.length * 0.95)],
      max: times[times.length - 1],
      jumpFrame: performance.now() - t,
    };
  });
  await p.screenshot({ path: `${out}/stress-middle.png` });
  console.log(JSON.stringify({ stressEvents: 100000, loadToTailMs: shown, ...frames }));
  await ctx.close();
}
await browser.close();
