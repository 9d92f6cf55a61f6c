// The composer test of run.mjs: attach an image and a text file with the
// file picker (setInputFiles), send, and see the image's thumbnail and the
// file's chip in the history (the server holds the same bytes); a file over
// the limit is refused before sending; "/" opens the command menu (corral's
// /model greyed with its reason), picked with the keyboard; "@" opens the
// working directory's files, picked with Tab; a file is also pasted and
// one too large dropped. Screenshots go to
// e2e/artifacts/attach-*.png.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A w×h RGB PNG with a colour gradient and a dark diagonal, so a thumbnail is recognisable. */
export function gradientPNG(w, h) {
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) {
      const diag = Math.abs(x * h - y * w) < w * 2;
      row[1 + x * 3] = diag ? 20 : Math.round((255 * x) / w);
      row[2 + x * 3] = diag ? 20 : Math.round((255 * y) / h);
      row[3 + x * 3] = diag ? 20 : 160;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * h: { server, newSession, openPage, call, allEvents, work, artifacts }.
 */
export async function attachTest(h, page) {
  const sess = await h.newSession(h.server);
  mkdirSync(join(h.work, 'attach-e2e'), { recursive: true });
  writeFileSync(join(h.work, 'attach-e2e', 'notes-for-mention.md'), '# notes\n');
  await h.openPage(page, h.server, `session=${sess.id}`);
  await page.getByTestId('conversation').waitFor();
  const input = page.getByTestId('message-input');

  // 1. A file over the limit (10 MiB by default) is refused before sending
  // (dropped on the composer; made in the page, not sent through the driver).
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(11 << 20)], 'huge.bin', { type: 'application/octet-stream' }));
    document.querySelector('[data-testid="composer"]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.getByTestId('attach-problem').filter({ hasText: 'huge.bin is 11 MB; the limit per file is 10 MB' }).waitFor({ timeout: 20000 });
  check(await page.getByTestId('send').isDisabled(), 'Send is enabled with a file over the limit');
  await page.getByRole('button', { name: 'Remove huge.bin' }).click();
  await page.getByTestId('attach-problem').waitFor({ state: 'detached', timeout: 5000 });

  // 2. A pasted image joins the files to send (removed again here).
  await input.focus();
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
    document.querySelector('[data-testid="message-input"]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, gradientPNG(8, 8).toString('base64'));
  await page.getByTestId('pending-attachment').filter({ hasText: 'pasted.png' }).locator('img').waitFor({ timeout: 10000 });
  await page.getByRole('button', { name: 'Remove pasted.png' }).click();

  // 3. An image and a text file, picked, then sent with a text.
  const png = gradientPNG(120, 80);
  await page.getByTestId('attach-input').setInputFiles([
    { name: 'gradient.png', mimeType: 'image/png', buffer: png },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('remember the milk\n') },
  ]);
  await page.getByTestId('pending-attachment').nth(1).waitFor({ timeout: 10000 });
  await input.fill('what is in this picture?');
  await page.keyboard.press('Enter');
  const mine = page.getByLabel('Your message').filter({ hasText: 'what is in this picture?' });
  await mine.waitFor({ timeout: 30000 });
  const thumb = mine.getByTestId('attachment-thumb').locator('img');
  await thumb.waitFor({ timeout: 20000 });
  await page.waitForFunction((el) => el.complete && el.naturalWidth === 120, await thumb.elementHandle(), { timeout: 10000 });
  await mine.getByTestId('attachment-chip').filter({ hasText: 'notes.txt' }).waitFor({ timeout: 5000 });
  check((await page.getByTestId('pending-attachment').count()) === 0, 'the sent files are still in the composer');
  await page.getByTestId('working').waitFor({ state: 'detached', timeout: 30000 });
  await page.screenshot({ path: join(h.artifacts, 'attach-history.png') });

  // What the server keeps: run.started names both, GetAttachment returns the bytes.
  const evs = await h.allEvents(h.server, sess.id);
  const started = evs.find((e) => e.kind === 'run.started' && e.data?.attachments);
  check(started && started.data.attachments.length === 2, `run.started: ${JSON.stringify(started?.data)}`);
  const got = await h.call(h.server, 'GetAttachment', { sessionId: sess.id, attachmentId: started.data.attachments[0].id });
  check(Buffer.from(got.data, 'base64').equals(png), 'GetAttachment returned other bytes than were attached');

  // 4. "/" opens the command menu; /model is listed as unsupported; Enter picks.
  await input.fill('');
  await input.pressSequentially('/');
  const menu = page.getByTestId('composer-menu');
  await menu.waitFor({ timeout: 10000 });
  const model = menu.getByTestId('menu-option').filter({ hasText: '/model' });
  check((await model.getAttribute('aria-disabled')) === 'true', '/model is not marked unsupported');
  check((await model.textContent()).includes('start a new session'), `/model says ${await model.textContent()}`);
  await page.screenshot({ path: join(h.artifacts, 'attach-slash-menu.png') });
  // Escape closes the menu (and interrupts nothing).
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'detached', timeout: 5000 });
  await input.pressSequentially('c');
  check(!(await menu.isVisible()), 'the menu came back after Escape for the same "/"');
  await input.fill('');
  await input.pressSequentially('/c');
  await menu.waitFor({ timeout: 10000 });
  const first = await menu.locator('[aria-selected="true"]').textContent();
  check(first.includes('/compact'), `the first pick is ${first}`);
  await page.keyboard.press('ArrowDown');
  check((await menu.locator('[aria-selected="true"]').textContent()).includes('/clear'), 'ArrowDown did not move to /clear');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await menu.waitFor({ state: 'detached', timeout: 5000 });
  check((await input.inputValue()) === '/compact ', `after the pick the text is ${JSON.stringify(await input.inputValue())}`);

  // 5. "@" lists the working directory's files; Tab inserts the mention.
  await input.fill('read ');
  await input.pressSequentially('@notes-for');
  const option = menu.getByTestId('menu-option').filter({ hasText: 'attach-e2e/notes-for-mention.md' });
  await option.waitFor({ timeout: 10000 });
  await page.screenshot({ path: join(h.artifacts, 'attach-mention-menu.png') });
  await page.keyboard.press('Tab');
  await menu.waitFor({ state: 'detached', timeout: 5000 });
  check((await input.inputValue()) === 'read @attach-e2e/notes-for-mention.md ', `after the mention the text is ${JSON.stringify(await input.inputValue())}`);
  await input.fill('');
}
