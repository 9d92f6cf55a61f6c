// The import test of run.mjs: a conversation made with the real Claude Code
// CLI outside corral (`claude -p` in a directory, with the HOME corral's
// claude agent runs with) is listed by "Import…" in the new-session dialog,
// opened as a session whose history shows the past prompt and reply, and
// the session's agent resumes it: the next reply counts two user messages.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * ctx: { server, openPage, haveClaude, claudePath, claudeHome, mockURL, tmp, skip(msg) }.
 */
export async function importTest(ctx, page) {
  if (!ctx.haveClaude) ctx.skip(`Claude Code is not installed at ${ctx.claudePath}`);
  const dir = join(ctx.tmp, 'imported-project');
  mkdirSync(dir, { recursive: true });
  const prompt = 'first prompt typed in a shell';
  // the environment of the claude agent in run.mjs's configuration
  const env = {
    PATH: process.env.PATH, HOME: ctx.claudeHome, TMPDIR: join(ctx.claudeHome, 'tmp'), ANTHROPIC_BASE_URL: ctx.mockURL,
    ANTHROPIC_API_KEY: 'sk-test', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1', CLAUDE_CODE_MAX_RETRIES: '1', IS_SANDBOX: '1', NO_COLOR: '1', NO_PROXY: '127.0.0.1,localhost',
  };
  const out = execFileSync(ctx.claudePath, ['-p', prompt], { cwd: dir, env, encoding: 'utf8', timeout: 120000 });
  if (!out.includes(`reply 1: ${prompt}`)) throw new Error(`claude -p answered ${JSON.stringify(out)}`);

  await ctx.openPage(page, ctx.server);
  await page.getByTestId('new-session').click();
  await page.locator('dialog input[type=radio][value=claude]').check();
  await page.getByTestId('cwd-input').fill(dir);
  await page.getByTestId('import-open').click();
  const item = page.getByTestId('import-item').filter({ hasText: prompt });
  await item.waitFor({ timeout: 20000 });
  const items = await page.getByTestId('import-item').count();
  if (items !== 1) throw new Error(`${items} conversations listed, want 1`);
  await item.click();
  await page.getByTestId('conversation').waitFor();
  // the history: the prompt typed in the shell and the reply to it
  await page.getByTestId('item-user').filter({ hasText: prompt }).waitFor({ timeout: 20000 });
  await page.getByLabel('Assistant message').filter({ hasText: `reply 1: ${prompt}` }).first().waitFor({ timeout: 20000 });
  // the conversation goes on in corral: the CLI resumed it with its history
  await page.getByTestId('message-input').fill('second turn in corral');
  await page.keyboard.press('Enter');
  await page.getByLabel('Assistant message').filter({ hasText: 'reply 2: second turn in corral' }).first().waitFor({ timeout: 120000 });
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 60000 });
  // imported once: the dialog lists it again, and opening it opens the same session
  const sessions = await page.getByTestId('session-row').count();
  await page.getByTestId('new-session').click();
  await page.locator('dialog input[type=radio][value=claude]').check();
  await page.getByTestId('cwd-input').fill(dir);
  await page.getByTestId('import-open').click();
  await page.getByTestId('import-item').filter({ hasText: prompt }).click();
  await page.getByTestId('item-user').filter({ hasText: 'second turn in corral' }).waitFor({ timeout: 20000 });
  const after = await page.getByTestId('session-row').count();
  if (after !== sessions) throw new Error(`a second import made a new session: ${sessions} → ${after} sessions listed`);
}
