// The remote-access test of run.mjs (docs/remote.md): `corral serve --remote`
// on 127.0.0.2 (a loopback address other than 127.0.0.1, served as a remote
// one: TLS with corral's local CA). The host starts pairing through the API;
// a phone-sized page (390×844) opens the pairing URL, enters nothing but a
// name (the code comes in the URL's fragment), gets its device token, and
// then allows a fake-agent session's permission request. The host revokes
// the device at the end; the page is then refused.
//
// Only this test's browser ignores certificate errors (the phone would
// install ca.crt); the API calls of the test verify the server with the CA.
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** POST path over TLS, verifying the server with ca; returns {status, body}. */
function post(base, path, token, params, ca) {
  return new Promise((res, rej) => {
    const u = new URL(path, base);
    const req = request(u, { method: 'POST', ca, servername: u.hostname, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) } }, (r) => {
      let b = '';
      r.setEncoding('utf8');
      r.on('data', (c) => (b += c));
      r.on('end', () => res({ status: r.statusCode, body: b ? JSON.parse(b) : null }));
    });
    req.on('error', rej);
    req.end(JSON.stringify(params));
  });
}

export async function remoteTest(h, page) {
  const { startServe, stopServe, tmp, work, chromiumPath, chromiumArgs, artifacts, check, waitFor } = h;
  const s = await startServe('serve-remote', join(tmp, 'data-remote'), ['--remote', '--addr', '127.0.0.2:0']);
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: [...chromiumArgs, '--ignore-certificate-errors'] });
  try {
    const base = s.url.split('#')[0].replace(/\/$/, '');
    check(base.startsWith('https://127.0.0.2:'), `the remote server's URL is ${s.url}`);
    const ca = readFileSync(join(s.dataDir, 'certs', 'ca.crt'));
    const api = async (method, params = {}, token = s.token) => {
      const r = await post(base, `/api/call/${method}`, token, params, ca);
      if (r.body?.error) throw new Error(`${method}: ${r.body.error.code}: ${r.body.error.message}`);
      return r.body.result;
    };
    // plain HTTP on the TLS port is not served
    const plain = await fetch(base.replace('https:', 'http:') + '/api/call/ListSessions', { method: 'POST' }).then((r) => r.status, () => 0);
    check(plain !== 200, `plain HTTP to the TLS port answered ${plain}`);

    const pairing = await api('StartPairing');
    check(pairing.url.startsWith(base + '/pair#code=') && pairing.code.length === 8, `pairing: ${JSON.stringify({ ...pairing, qr: '…' })}`);

    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const phone = await ctx.newPage();
    const errors = [];
    phone.on('pageerror', (e) => errors.push(e.message));
    const authHeaders = [];
    phone.on('request', (r) => {
      if (r.url().includes('/api/')) authHeaders.push({ url: r.url(), auth: r.headers()['authorization'] ?? '' });
    });
    await phone.goto(pairing.url);
    check((await phone.getByTestId('pair-code').inputValue()) === pairing.code, 'the code from the URL is not in the field');
    check(!phone.url().includes('code='), `the code is still in the address bar: ${phone.url()}`);
    await phone.getByTestId('pair-name').fill('test phone');
    await phone.screenshot({ path: join(artifacts, 'remote-phone-pair.png') });
    await phone.getByTestId('pair-submit').click();
    await phone.waitForURL(base + '/', { timeout: 20000 });
    await phone.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 20000 });
    const devToken = await phone.evaluate(() => localStorage.getItem('corral.deviceToken'));
    check(devToken && devToken.length >= 16 && devToken !== s.token, 'no device token in localStorage');
    const devices = await api('ListDevices');
    check(devices.length === 1 && devices[0].name === 'test phone', `devices: ${JSON.stringify(devices)}`);

    // a session of the fake agent asks for a permission; the phone allows it
    const sess = await api('CreateSession', { agent: 'fake', cwd: work });
    await api('SendMessage', { sessionId: sess.id, text: 'tool:echo from-the-phone' });
    await phone.goto(`${base}/#session=${sess.id}`);
    const prompt = phone.getByTestId('permission-prompt');
    await prompt.waitFor({ timeout: 30000 });
    check((await prompt.textContent()).includes('echo from-the-phone'), 'the prompt does not show the command');
    await phone.screenshot({ path: join(artifacts, 'remote-phone-permission.png') });
    await phone.getByTestId('allow').click();
    await prompt.waitFor({ state: 'detached', timeout: 30000 });
    // on a phone the list comes first: open the session to see the record
    await phone.locator(`[data-testid="session-row"][data-session-id="${sess.id}"]`).click();
    await phone.getByTestId('permission-record').filter({ hasText: 'Allowed' }).waitFor({ timeout: 30000 });
    await phone.getByTestId('tool-card').filter({ hasText: 'ran: echo from-the-phone' }).waitFor({ timeout: 30000 });
    await phone.screenshot({ path: join(artifacts, 'remote-phone-allowed.png') });

    for (const r of authHeaders) {
      check(!/token=/i.test(r.url), `a token in a URL: ${r.url}`);
      if (!r.url.endsWith('/api/pair')) check(r.auth === `Bearer ${devToken}`, `${r.url} went without the device token`);
    }
    const evs = await api('GetEvents', { sessionId: sess.id, limit: 1000 });
    const res = evs.events.filter((e) => e.kind === 'permission.resolved').map((e) => e.data.decision);
    check(res.length === 1 && res[0] === 'allow', `permission.resolved: ${JSON.stringify(res)}`);

    // the host revokes the phone: its next request is refused and the page
    // falls back to asking for access
    await api('RevokeDevice', { deviceId: devices[0].deviceId });
    const refused = await post(base, '/api/call/ListSessions', devToken, {}, ca);
    check(refused.status === 401, `the revoked token got ${refused.status}`);
    await phone.reload();
    await phone.getByText('corral needs its access token').waitFor({ timeout: 20000 });
    check(errors.length === 0, `page errors: ${errors.join('; ')}`);
    await ctx.close();

    // the host's panel: Pair a device shows the code and its QR code
    const hctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const host = await hctx.newPage();
    await host.goto(`${base}/#token=${s.token}`);
    await host.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 20000 });
    await host.getByTestId('devices').click();
    await host.getByTestId('pair-device').click();
    const shown = (await host.getByTestId('pairing-code').textContent()).replace(/\s/g, '');
    check(shown.length === 8, `the panel shows the code ${shown}`);
    const qrOK = await host.locator('[data-testid="pairing"] img').evaluate((img) => img.complete && img.naturalWidth > 0);
    check(qrOK, 'the QR code image did not load');
    await host.screenshot({ path: join(artifacts, 'remote-host-pair.png') });
    await hctx.close();
  } finally {
    await browser.close();
    const st = await stopServe(s);
    if (st?.problems.length) throw new Error(st.problems.join('; '));
  }
}
