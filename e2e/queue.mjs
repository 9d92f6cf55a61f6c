// The queued-messages test of run.mjs: messages sent while a turn runs wait
// in the queue shown above the message box, can be cancelled and edited
// there, and go as the next turns, in order, once the turn ends; a failed
// turn pauses the queue, and "Resume queue" sends the rest. A message sent
// with a file during the turn is queued with it (a chip in its row) and the
// file goes with it.
import { join } from 'node:path';

export async function queueTest(h, page) {
  const { server, newSession, openPage, allEvents, waitFor, check, artifacts } = h;
  const sess = await newSession(server);
  await openPage(page, server, `session=${sess.id}`);
  await page.getByTestId('conversation').waitFor();
  const input = page.getByTestId('message-input');
  const send = async (text) => {
    await input.fill(text);
    await page.keyboard.press('Enter');
  };
  await send('slow:400'); // 8 s of ticks
  await page.getByTestId('working').waitFor({ timeout: 30000 });
  check((await page.getByTestId('send').textContent()).includes('Queue'), 'the send button does not say the message will be queued');
  check(((await input.getAttribute('placeholder')) ?? '').includes('will be queued'), 'no "will be queued" hint during the turn');
  const rows = page.getByTestId('queued-message');
  for (const [i, t] of ['queued one', 'queued two', 'queued three'].entries()) {
    if (i === 0) {
      await page.getByTestId('attach-input').setInputFiles([{ name: 'queued-note.txt', mimeType: 'text/plain', buffer: Buffer.from('sent later\n') }]);
      await page.getByTestId('pending-attachment').waitFor({ timeout: 10000 });
    }
    await send(t);
    await waitFor(`${t} in the queue`, async () => (await rows.count()) === i + 1, 15000);
  }
  // cancel the second, edit the third
  await rows.filter({ hasText: 'queued two' }).getByTestId('queued-cancel').click();
  await waitFor('the cancelled message to leave', async () => (await rows.count()) === 2);
  await rows.filter({ hasText: 'queued three' }).getByTestId('queued-edit').click();
  await page.getByTestId('queued-edit-input').fill('queued three, edited');
  await page.getByTestId('queued-save').click();
  await rows.filter({ hasText: 'queued three, edited' }).waitFor({ timeout: 10000 });
  await rows.first().getByTestId('queued-attachment').filter({ hasText: 'queued-note.txt' }).waitFor({ timeout: 10000 });
  check((await page.getByTestId('pending-attachment').count()) === 0, 'the queued file is still in the composer');
  const send_now = rows.first().getByTestId('queued-send-now');
  check(await send_now.isDisabled(), 'send now is offered during a Claude turn, which cannot take it');
  const positions = await page.locator('[data-testid="queued-message"] [aria-label="Position"]').allTextContents();
  check(positions.join(',') === '1,2', `positions ${positions}`);
  await page.screenshot({ path: join(artifacts, 'queue-during-turn.png') });

  // The turn ends: both go, in order; the queue empties.
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: queued three, edited' }).waitFor({ timeout: 60000 });
  await page.getByTestId('queue').waitFor({ state: 'detached', timeout: 10000 });
  const evs = await allEvents(server, sess.id);
  const prompts = evs.filter((e) => e.kind === 'run.started').map((e) => e.data.prompt);
  check(JSON.stringify(prompts) === JSON.stringify(['slow:400', 'queued one', 'queued three, edited']), `turns ${JSON.stringify(prompts)}`);
  const withFile = evs.find((e) => e.kind === 'run.started' && e.data.prompt === 'queued one');
  check(withFile?.data.attachments?.[0]?.name === 'queued-note.txt', `the queued message's run.started ${JSON.stringify(withFile?.data)}`);
  await page.getByLabel('Assistant message').filter({ hasText: 'queued-note.txt' }).waitFor({ timeout: 10000 });
  const kinds = evs.filter((e) => e.kind.startsWith('queue.')).map((e) => e.kind);
  check(kinds.filter((k) => k === 'queue.sent').length === 2 && kinds.includes('queue.cancelled') && kinds.includes('queue.edited'), `queue events ${kinds}`);
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });

  // A failed turn pauses the queue; "Resume queue" sends the rest.
  await send('slow:150');
  await page.getByTestId('working').waitFor({ timeout: 30000 });
  await send('autherr');
  await send('after the pause');
  await page.getByTestId('queue-paused').waitFor({ timeout: 60000 });
  check((await rows.count()) === 1, 'the paused queue does not hold the one message left');
  await page.screenshot({ path: join(artifacts, 'queue-paused.png') });
  await page.getByTestId('queue-resume').click();
  await page.getByLabel('Assistant message').filter({ hasText: 'echo: after the pause' }).waitFor({ timeout: 30000 });
  await page.getByTestId('queue').waitFor({ state: 'detached', timeout: 10000 });
}
