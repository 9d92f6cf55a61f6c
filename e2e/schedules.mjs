// The schedules and rate-limit test of run.mjs.
//
// Schedules: a one-off schedule created in the Schedules view, a few
// seconds ahead, for a new session of the fake agent; the list shows its
// next run, then (on the server's clock) the run's result, and "open the
// run" shows the scheduled turn's reply in the conversation.
//
// Rate limit: with the real Claude Code against the mock model API, a
// prompt holding "err429" is answered HTTP 429 with Claude's usage-limit
// message naming a reset (e2e/mockserver, mockllm.Err429); the session
// turns rate_limited and the conversation shows the countdown to the reset,
// which counts down; "Resume automatically" arms the resume (the button
// becomes "Cancel"), "Cancel" disarms it. Skipped without the CLI.
import { join } from 'node:path';

/**
 * ctx: { server, openPage, call, waitFor, work, haveClaude, artifacts, Skip }.
 */
export async function schedulesTest(ctx, page) {
  const { server, openPage, call, waitFor, work, artifacts } = ctx;
  await openPage(page, server);
  await page.getByTestId('tab-schedules').click();
  await page.getByTestId('schedule-form').waitFor();

  // once, five seconds ahead, in the browser's own time zone
  const at = await page.evaluate(() => {
    const d = new Date(Date.now() + 5000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  });
  await page.getByTestId('schedule-name').fill('in five seconds');
  await page.getByTestId('schedule-when-at').check();
  await page.getByTestId('schedule-at').fill(at);
  await page.getByTestId('schedule-prompt').fill('scheduled hello');
  await page.getByTestId('schedule-target-new').check();
  await page.getByTestId('schedule-agent').selectOption('fake');
  await page.getByTestId('schedule-cwd').fill(work);
  await page.getByTestId('schedule-create').click();

  const row = page.getByTestId('schedule-row').filter({ hasText: 'in five seconds' });
  await row.waitFor({ timeout: 10000 });
  const next = await row.getByTestId('schedule-next').textContent();
  if (!next || next.trim() === '—') throw new Error(`no next run shown: "${next}"`);
  await page.screenshot({ path: join(artifacts, 'schedules-created.png') });

  // the run, on the server's clock, then its result in the list
  await row.getByTestId('schedule-result').filter({ hasText: 'ok' }).waitFor({ timeout: 30000 });
  const list = await call(server, 'ListSchedules');
  const sc = list.find((s) => s.name === 'in five seconds');
  if (!sc || !sc.lastRunId || !sc.lastSessionId || sc.nextRunAt) throw new Error(`the schedule after its run: ${JSON.stringify(sc)}`);
  await page.screenshot({ path: join(artifacts, 'schedules-ran.png') });
  await row.getByTestId('schedule-open-run').click();
  await page.getByTestId('conversation').waitFor();
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: scheduled hello' }).waitFor({ timeout: 30000 });

  // pause and delete from the list
  await page.getByTestId('tab-schedules').click();
  await row.getByTestId('schedule-delete').click();
  await waitFor('the schedule to be deleted', async () => (await call(server, 'ListSchedules')).length === 0, 10000);
}

export async function rateLimitTest(ctx, page) {
  const { server, openPage, call, work, haveClaude, artifacts, Skip } = ctx;
  if (!haveClaude) throw new Skip('Claude Code is not installed');
  const s = await call(server, 'CreateSession', { agent: 'claude', cwd: work });
  await page.goto('about:blank'); // a new hash alone would not load the page again
  await openPage(page, server, `session=${s.id}`);
  await page.getByTestId('conversation').waitFor();
  await page.getByTestId('message-input').fill('err429 please');
  await page.keyboard.press('Enter');
  await page.getByTestId('session-status').filter({ hasText: 'rate-limited' }).waitFor({ timeout: 60000 });
  const countdown = page.getByTestId('rate-limit-countdown');
  await countdown.waitFor({ timeout: 10000 });
  const first = (await countdown.textContent()).trim();
  await page.waitForTimeout(2200);
  const later = (await countdown.textContent()).trim();
  const secs = (t) => t.split(':').reduce((a, b) => a * 60 + Number(b), 0);
  if (!(secs(later) < secs(first))) throw new Error(`the countdown does not count down: ${first} then ${later}`);
  const info = await call(server, 'GetSession', { sessionId: s.id });
  if (info.status !== 'rate_limited' || !info.resetAt) throw new Error(`GetSession: ${JSON.stringify(info)}`);

  await page.getByTestId('auto-resume').click();
  await page.getByTestId('cancel-resume').waitFor({ timeout: 10000 });
  if (!(await page.getByTestId('rate-limit').textContent()).includes('Resumes by itself in')) throw new Error('the banner does not say it resumes by itself');
  await page.screenshot({ path: join(artifacts, 'rate-limit-countdown.png') });
  await page.getByTestId('cancel-resume').click();
  await page.getByTestId('auto-resume').waitFor({ timeout: 10000 });
  const after = await call(server, 'GetSession', { sessionId: s.id });
  if (after.resumePending) throw new Error(`still pending after Cancel: ${JSON.stringify(after)}`);
}
