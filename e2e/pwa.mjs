// The installable-app test of run.mjs: the manifest and its icons are
// served with the right types, the service worker registers, takes control
// and precaches the shell; a push delivered to the worker (through the
// DevTools protocol: headless Chromium has no push service) shows a
// notification with Allow / Deny; offline, the shell still opens from the
// cache and says it is reconnecting, and goes live again back online.
// Then every main view at 390×844 (a phone) has no sideways overflow.
//
// What headless Chromium does not allow is reported, not faked: a real
// PushManager.subscribe() needs a push service (Chromium's is reached over
// the network and needs its own keys), so its outcome is logged.
import { join } from 'node:path';

export async function pwaTest({ server, openPage, artifacts, call, log }, page) {
  const ctx = page.context();
  await ctx.grantPermissions(['notifications'], { origin: server.base });
  await openPage(page, server);

  const man = await page.evaluate(async () => {
    const r = await fetch(document.querySelector('link[rel=manifest]').href);
    return { type: r.headers.get('content-type'), json: await r.json() };
  });
  if (man.type !== 'application/manifest+json') throw new Error(`manifest served as ${man.type}`);
  const m = man.json;
  const sizes = m.icons.map((i) => `${i.sizes}/${i.purpose}`).join(' ');
  if (m.display !== 'standalone' || !m.start_url || !m.short_name || !/192x192\/any/.test(sizes) || !/512x512\/any/.test(sizes) || !/512x512\/maskable/.test(sizes)) {
    throw new Error(`manifest ${JSON.stringify(m)}`);
  }
  for (const i of m.icons) {
    const r = await page.evaluate(async (src) => {
      const x = await fetch(src);
      return [x.status, x.headers.get('content-type')];
    }, i.src);
    if (r[0] !== 200 || r[1] !== i.type) throw new Error(`icon ${i.src}: ${r}`);
  }

  log('    pwa: manifest and icons ok');
  // the worker: registered, in control, the shell in its cache
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30000 });
  const cached = await page.evaluate(async () => {
    const k = (await caches.keys()).find((x) => x.startsWith('corral-shell-'));
    return k ? (await (await caches.open(k)).keys()).map((r) => new URL(r.url).pathname) : [];
  });
  if (!cached.includes('/') || !cached.includes('/index.html') || !cached.some((p) => /^\/assets\/app-.*\.js$/.test(p))) {
    throw new Error(`shell cache ${JSON.stringify(cached)}`);
  }
  const swType = await page.evaluate(async () => (await fetch('./sw.js')).headers.get('content-type'));
  if (!/^text\/javascript/.test(swType)) throw new Error(`sw.js served as ${swType}`);

  log('    pwa: worker in control, shell cached');
  // a real subscription: what this Chromium allows
  const cfg = await call(server, 'GetPushConfig', {});
  if (!cfg.supported || !cfg.publicKey) throw new Error(`GetPushConfig ${JSON.stringify(cfg)}`);
  const sub = await page.evaluate(async (key) => {
    const reg = await navigator.serviceWorker.ready;
    const raw = atob(key.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (key.length % 4)) % 4));
    try {
      // (it may wait on a push service that cannot be reached: bounded)
      const s = await Promise.race([
        reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: Uint8Array.from(raw, (c) => c.charCodeAt(0)) }),
        new Promise((_, rej) => setTimeout(() => rej(new Error('no answer within 10 s')), 10000)),
      ]);
      const j = s.toJSON();
      await s.unsubscribe();
      return { ok: true, endpoint: j.endpoint };
    } catch (e) {
      return { ok: false, error: String(e) };
    }
  }, cfg.publicKey);
  log(`    PushManager.subscribe in headless Chromium: ${sub.ok ? 'subscribed (' + new URL(sub.endpoint).host + ')' : sub.error}`);

  log('    pwa: subscribe tried');
  // a push delivered to the worker shows the notification
  const cdp = await ctx.newCDPSession(page);
  const regs = new Promise((resolve) => cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
    const r = e.registrations.find((x) => x.scopeURL.startsWith(server.base) && !x.isDeleted);
    if (r) resolve(r.registrationId);
  }));
  await cdp.send('ServiceWorker.enable');
  const registrationId = await regs;
  const payload = JSON.stringify({ kind: 'permission', sessionId: 's-e2e', title: 'Approval needed', body: 'Bash in e2e', requestId: 'r-e2e' });
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.base, registrationId, data: payload });
  let note = null;
  for (const end = Date.now() + 15000; !note && Date.now() < end; ) {
    note = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      const n = (await reg.getNotifications()).find((x) => x.data?.requestId === 'r-e2e');
      return n ? { title: n.title, body: n.body, actions: n.actions.map((a) => a.action), sessionId: n.data.sessionId } : null;
    });
    if (!note) await page.waitForTimeout(200);
  }
  if (!note) throw new Error('the pushed notification was not shown');
  if (note.title !== 'Approval needed' || note.actions.join() !== 'allow,deny' || note.sessionId !== 's-e2e') throw new Error(`notification ${JSON.stringify(note)}`);
  await cdp.send('ServiceWorker.disable');
  await cdp.detach();

  log('    pwa: push shown');
  // offline: the shell opens from the cache and says it is reconnecting
  await ctx.setOffline(true);
  try {
    await page.reload();
    await page.locator('.brand').waitFor({ timeout: 15000 });
    await page.getByTestId('offline-banner').waitFor({ timeout: 15000 });
    await page.screenshot({ path: join(artifacts, 'pwa-offline.png') });
  } finally {
    await ctx.setOffline(false);
  }
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 30000 });
  await page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 15000 });
}

// Every main view at 390×844: nothing wider than the screen.
export async function mobileTest({ server, openPage, artifacts, newSession, call }, page) {
  const s = await newSession(server);
  await call(server, 'SendMessage', { sessionId: s.id, text: 'hello from a phone' });
  await page.setViewportSize({ width: 390, height: 844 });
  await openPage(page, server);
  const wide = async (what) => {
    await page.waitForTimeout(300);
    const w = await page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.right > innerWidth + 1 && getComputedStyle(el).position !== 'fixed') {
          // an element inside a scrolling box is not an overflow of the page
          let p = el.parentElement, clipped = false;
          while (p && p !== document.body) {
            const o = getComputedStyle(p).overflowX;
            if (o !== 'visible' && p.getBoundingClientRect().right <= innerWidth + 1) { clipped = true; break; }
            p = p.parentElement;
          }
          if (!clipped) out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${Math.round(r.right)}`);
        }
      }
      return { scroll: document.scrollingElement.scrollWidth, out: out.slice(0, 5) };
    });
    await page.screenshot({ path: join(artifacts, `mobile-${what}.png`) });
    if (w.scroll > 390 || w.out.length) throw new Error(`${what} at 390 px: scrollWidth ${w.scroll}; past the edge: ${w.out.join(', ')}`);
  };
  await wide('sessions');
  await page.getByText('from a phone', { exact: true }).first().click();
  await page.getByTestId('conversation').waitFor();
  await wide('conversation');
  for (const v of ['processes', 'console', 'schedules', 'errors', 'usage']) {
    await page.getByTestId(`tab-${v}`).click();
    await wide(v);
  }
  await page.getByTestId('notify-settings').click();
  await wide('notify-settings');
}
