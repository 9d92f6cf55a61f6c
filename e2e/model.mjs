// The model-and-names test of run.mjs: in a live session of the fake agent
// (which speaks Claude Code's protocol, so models and modes switch at
// once), pick another model and toggle plan mode from the controls above
// the composer, and see both changes in the history and in the session's
// record; then pin one session and archive another from the session menu,
// and see the list grouped by project (the git repository root of a
// session's directory), pinned first, archived hidden until asked for.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * h: { server, call, openPage, work, artifacts, check }. Screenshots go to
 * artifacts/model-*.png.
 */
export async function modelTest(h, page) {
  const { server: s, call, check } = h;
  // a repository with two directories, and a directory outside it
  const repo = join(h.work, 'model-repo');
  for (const d of ['.git', 'api', 'web']) mkdirSync(join(repo, d), { recursive: true });
  const loose = join(h.work, 'model-loose');
  mkdirSync(loose, { recursive: true });
  const a = await call(s, 'CreateSession', { agent: 'fake', cwd: join(repo, 'api'), prompt: 'refactor the request router' });
  const b = await call(s, 'CreateSession', { agent: 'fake', cwd: join(repo, 'web'), prompt: 'please run the tool' });
  const c = await call(s, 'CreateSession', { agent: 'fake', cwd: loose, prompt: 'write the changelog' });
  check(a.project === repo && b.project === repo && c.project === loose, `projects: ${a.project} ${b.project} ${c.project}`);

  await h.openPage(page, s, `session=${a.id}`);
  await page.getByTestId('conversation').waitFor();
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: refactor the request router' }).waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });

  // Titles: the first message, cut and cleaned; a generic one gives way to the reply.
  const names = async () => Object.fromEntries(await page.getByTestId('session-row').evaluateAll((rows) => rows.map((r) => [r.dataset.sessionId, r.querySelector('[data-testid="session-name"]').textContent])));
  await page.waitForFunction((id) => document.querySelector(`[data-session-id="${id}"] [data-testid="session-name"]`)?.textContent === 'echo: please run the tool', b.id, { timeout: 30000 });
  const titles = await names();
  check(titles[a.id] === 'refactor the request router', `title of a: ${titles[a.id]}`);

  // Model picker: the agent's known models are offered; the switch shows in the history.
  const picker = page.getByTestId('model-picker');
  await picker.waitFor();
  const offered = await picker.locator('option').allTextContents();
  check(offered.includes('claude-opus-4-5') && offered.includes('fake-model'), `models offered: ${offered.join(', ')}`);
  await picker.selectOption('claude-opus-4-5');
  await page.getByTestId('transcript').getByText('Model changed to claude-opus-4-5').waitFor({ timeout: 15000 });
  check((await page.getByTestId('session-meta').textContent()).includes('claude-opus-4-5'), 'the header does not show the new model');

  // Plan mode on, then a turn: the record has both.
  const plan = page.getByTestId('plan-toggle');
  await plan.click();
  await page.getByTestId('transcript').getByText('Permission mode changed to plan').waitFor({ timeout: 15000 });
  check((await plan.getAttribute('aria-pressed')) === 'true', 'plan toggle not pressed');
  await page.getByTestId('message-input').fill('second turn');
  await page.keyboard.press('Enter');
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: second turn' }).waitFor({ timeout: 30000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
  const rec = await call(s, 'GetSession', { sessionId: a.id });
  check(rec.model === 'claude-opus-4-5' && rec.permissionMode === 'plan', `record: model ${rec.model}, mode ${rec.permissionMode}`);
  // the context meter reads the last usage against the model's window
  const meter = await page.getByTestId('context-meter').textContent();
  check(/\/ 200k/.test(meter), `context meter: ${meter}`);
  await page.screenshot({ path: join(h.artifacts, 'model-controls.png') });

  // Grouping: a and b under the repository, c under its own directory.
  const groupOf = (id) => page.locator(`[data-testid="session-group"]:has([data-session-id="${id}"])`);
  check((await groupOf(a.id).getAttribute('data-project')) === repo, 'a is not in the repository group');
  check((await groupOf(b.id).getAttribute('data-project')) === repo, 'b is not in the repository group');
  check((await groupOf(c.id).getAttribute('data-project')) === loose, 'c is not in its directory group');

  // Pin c: it leads the list in the pinned group.
  const menuOf = async (id) => {
    await page.locator(`li.item:has([data-session-id="${id}"]) [data-testid="session-menu"]`).click();
  };
  await menuOf(c.id);
  await page.getByTestId('menu-pin').click();
  await page.locator('[data-testid="session-group"][data-pinned="true"]').locator(`[data-session-id="${c.id}"]`).waitFor({ timeout: 10000 });
  const first = await page.getByTestId('session-row').first().getAttribute('data-session-id');
  check(first === c.id, `the pinned session is not first (${first})`);

  // Archive b: hidden, back with "show archived".
  await menuOf(b.id);
  await page.getByTestId('menu-archive').click();
  await page.locator(`[data-session-id="${b.id}"]`).waitFor({ state: 'detached', timeout: 10000 });
  await page.getByTestId('show-archived').check();
  await page.locator(`[data-session-id="${b.id}"]`).waitFor({ timeout: 10000 });
  const listed = await call(s, 'ListSessions', {});
  const get = (id) => listed.find((x) => x.id === id);
  check(get(c.id).pinned && get(b.id).archived && !get(a.id).pinned, 'pin/archive not stored');

  // Collapse the repository group: its rows go, its header stays.
  await groupOf(a.id).getByTestId('group-toggle').click();
  await page.locator(`[data-session-id="${a.id}"]`).waitFor({ state: 'detached', timeout: 10000 });
  await page.screenshot({ path: join(h.artifacts, 'model-list.png') });
  await page.locator(`[data-testid="session-group"][data-project="${repo}"] [data-testid="group-toggle"]`).click();
  await page.getByTestId('show-archived').uncheck();
}
