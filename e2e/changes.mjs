// The Changes panel test of run.mjs: a session of the fake agent in an
// isolated git worktree edits one file in two places (two hunks); the page
// shows the file and both hunks in the Changes panel, one hunk is discarded
// through its confirmation, the other stays, and GetChanges and the file on
// disk agree. Screenshots of the panel (desktop and a 390 px phone) go to
// e2e/artifacts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LINES = 40;
const original = Array.from({ length: LINES }, (_, i) => `line ${i + 1} of the original text`);

/** A git repository with one commit holding notes.txt (and a small Go file for highlighting). */
function makeRepo(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'notes.txt'), original.join('\n') + '\n');
  mkdirSync(join(dir, 'cmd'), { recursive: true });
  writeFileSync(join(dir, 'cmd', 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hello")\n}\n');
  const git = (...args) =>
    execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@localhost', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
}

/**
 * h: {server, call, openPage, waitFor, check, tmp, artifacts}. The fake
 * agent's `write:PATH=TEXT` writes TEXT ("\n" for a line break) to PATH in
 * its working directory: the worktree.
 */
export async function changesTest(h, page) {
  const repo = join(h.tmp, 'changes-repo');
  makeRepo(repo);
  const s = await h.call(h.server, 'CreateSession', { agent: 'fake', cwd: repo, isolation: 'worktree' });
  h.check(s.workspace?.path && s.workspace.branch, `CreateSession returned no workspace: ${JSON.stringify(s)}`);
  const wt = s.workspace.path;
  h.check(wt !== repo, 'the session works in the repository itself, not in a worktree');

  // The agent edits line 3 and line 35 of notes.txt (two hunks, far
  // apart) in one turn and the Go file in the next: each turn ends with a
  // checkpoint.
  const edited = original.map((l, i) => (i === 2 ? 'line 3 CHANGED by the agent' : i === 34 ? 'line 35 CHANGED too' : l));
  const turn = async (text, n) => {
    await h.call(h.server, 'SendMessage', { sessionId: s.id, text });
    await h.waitFor(`turn ${n}'s checkpoint`, async () => (await h.call(h.server, 'ListCheckpoints', { sessionId: s.id })).some((c) => c.turn === n), 30000);
  };
  await turn(`write:notes.txt=${edited.join('\\n')}\\n`, 1);
  await turn('write:cmd/main.go=package main\\n\\nimport "fmt"\\n\\n// main greets.\\nfunc main() {\\n\tfmt.Println("hello, worktree", 42)\\n}\\n', 2);
  h.check(readFileSync(join(wt, 'notes.txt'), 'utf8') === edited.join('\n') + '\n', 'the agent did not write notes.txt in its worktree');
  h.check(readFileSync(join(repo, 'notes.txt'), 'utf8') === original.join('\n') + '\n', "the user's checkout changed");

  await h.openPage(page, h.server, `session=${s.id}`);
  await page.getByTestId('changes-toggle').click();
  const panel = page.getByTestId('changes-panel');
  await panel.waitFor();
  await panel.locator('[data-testid="tree-file"][data-path="notes.txt"]').waitFor({ timeout: 20000 });
  const notes = panel.locator('[data-testid="diff-file"][data-path="notes.txt"]');
  await notes.waitFor();
  // the hunks of notes.txt: the rows after its header up to the next file's
  const hunksOf = () =>
    page.evaluate(() => {
      const out = [];
      let inNotes = false;
      for (const el of document.querySelectorAll('[data-testid="changes-diff"] [data-testid="diff-file"], [data-testid="changes-diff"] [data-testid="diff-hunk"]')) {
        if (el.dataset.testid === 'diff-file') inNotes = el.dataset.path === 'notes.txt';
        else if (inNotes) out.push(el.dataset.hunk);
      }
      return out;
    });
  await h.waitFor('two hunks of notes.txt', async () => (await hunksOf()).length === 2, 20000);
  const [first, second] = await hunksOf();
  await panel.getByText('line 3 CHANGED by the agent').first().waitFor();
  await panel.getByText('line 35 CHANGED too').first().waitFor();
  await page.screenshot({ path: join(h.artifacts, 'changes-panel.png') });

  // discard the first hunk: a confirmation first, and nothing before it
  await panel.locator(`[data-testid="diff-hunk"][data-hunk="${first}"] [data-testid="discard-hunk"]`).click();
  const dlg = page.getByTestId('confirm-dialog');
  await dlg.getByText('Discard this hunk?').waitFor();
  await page.screenshot({ path: join(h.artifacts, 'changes-confirm.png') });
  h.check(readFileSync(join(wt, 'notes.txt'), 'utf8').includes('line 3 CHANGED'), 'the hunk was discarded before it was confirmed');
  await dlg.getByTestId('confirm-ok').click();
  await h.waitFor('one hunk of notes.txt left', async () => {
    const left = await hunksOf();
    return left.length === 1 && left[0] === second;
  }, 20000);

  // the server and the disk agree
  const ch = await h.call(h.server, 'GetChanges', { sessionId: s.id });
  const f = ch.files.find((x) => x.path === 'notes.txt');
  h.check(f && f.hunks.length === 1 && f.hunks[0].id === second, `GetChanges disagrees: ${JSON.stringify(f)}`);
  const now = readFileSync(join(wt, 'notes.txt'), 'utf8');
  h.check(now.includes('line 3 of the original text') && now.includes('line 35 CHANGED too'), `notes.txt on disk: ${now.slice(0, 200)}`);

  // a comment on a line puts its reference into the message box
  await panel.getByRole('button', { name: 'Comment on notes.txt line 35', exact: true }).click();
  const box = await page.getByTestId('message-input').inputValue();
  h.check(box.includes('`notes.txt:35`') && box.includes('> line 35 CHANGED too'), `the message box holds ${JSON.stringify(box)}`);

  // the timeline: a checkpoint per turn (and the start)
  await panel.getByTestId('changes-tab-timeline').click();
  await h.waitFor('three checkpoints', async () => (await panel.getByTestId('checkpoint').count()) === 3, 20000);
  await page.screenshot({ path: join(h.artifacts, 'changes-timeline.png') });
  await panel.getByTestId('changes-tab-changes').click();

  // the session list names the branch
  await page.getByTestId('session-workspace').filter({ hasText: s.workspace.branch }).first().waitFor();

  // a phone: the panel is a full-screen sheet
  await page.setViewportSize({ width: 390, height: 844 });
  await panel.waitFor();
  const sheet = await panel.boundingBox();
  h.check(sheet && sheet.width >= 380 && sheet.x <= 5, `the panel is no full-screen sheet at 390 px: ${JSON.stringify(sheet)}`);
  await page.screenshot({ path: join(h.artifacts, 'changes-phone.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
}
