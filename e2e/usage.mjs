// The usage test of run.mjs: a fake-agent turn (its result line carries
// tokens and cost, like Claude Code's) shows up in the usage view: the day
// chart draws, the per-agent table and the top sessions list it; then the
// session's own budget is set from the conversation header and GetUsage
// reports it.
import { join } from 'node:path';

export async function usageTest({ server, newSession, call, openPage, artifacts }, page) {
  const s = await newSession(server);
  // Four turns (the later ones queued behind the first): the other tests'
  // sessions on this server have one to three, so this one tops the list.
  for (const n of [1, 2, 3, 4]) await call(server, 'SendMessage', { sessionId: s.id, text: `measure usage ${n}` });
  const deadline = Date.now() + 60000;
  for (;;) {
    const u = await call(server, 'GetUsage', { groupBy: 'agent', sessionId: s.id });
    if (u.rows.length && u.rows[0].turns >= 4) break;
    if (Date.now() > deadline) throw new Error(`no usage recorded for ${s.id}: ${JSON.stringify(u)}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  await openPage(page, server);
  await page.getByTestId('tab-usage').click();
  await page.getByTestId('usage-view').waitFor();
  // uPlot draws on a canvas; its legend shows the two series
  await page.locator('[data-testid="usage-chart"] canvas').waitFor({ timeout: 15000 });
  await page.locator('[data-testid="usage-chart"] .u-legend').filter({ hasText: 'cost (USD)' }).waitFor();
  const box = await page.locator('[data-testid="usage-chart"] canvas').boundingBox();
  if (!box || box.width < 300 || box.height < 150) throw new Error(`chart canvas ${JSON.stringify(box)}`);
  await page.getByTestId('usage-by-agent').locator('td', { hasText: 'fake' }).first().waitFor({ timeout: 15000 });
  const top = page.getByTestId('usage-top').getByRole('button', { name: /measure usage/i });
  await top.waitFor({ timeout: 15000 });
  const total = await page.getByTestId('usage-total').textContent();
  if (!/\$0\.\d\d/.test(total ?? '')) throw new Error(`usage total ${total}`);
  await page.screenshot({ path: join(artifacts, 'usage-view.png'), fullPage: true });

  // the top session opens its conversation, whose header holds its totals
  await top.click();
  await page.getByTestId('conversation').waitFor();
  await page.getByTestId('session-usage-toggle').filter({ hasText: 'tok' }).waitFor({ timeout: 15000 });
  await page.getByTestId('session-usage-toggle').click();
  await page.getByTestId('budget-usd').fill('0.5');
  await page.getByTestId('budget-save').click();
  await page.getByTestId('budget-msg').filter({ hasText: 'Budget set to $0.50' }).waitFor();
  const after = await call(server, 'GetUsage', { groupBy: 'day', sessionId: s.id });
  if (after.budget?.usd !== 0.5) throw new Error(`budget after setting it: ${JSON.stringify(after.budget)}`);
  await page.screenshot({ path: join(artifacts, 'usage-budget.png') });
}
