// Start-up, in two steps. This entry is small: it picks the transport (demo
// on request, Wails when embedded in the desktop shell, HTTP otherwise) and
// at once asks for what the first screen shows (the session list and, for a
// `session=` link, that session's newest page), so the replies travel while
// the application's code (app.ts, preloaded by index.html) loads. app.ts
// then builds the store with those replies and mounts the app.
import './app.css';
import { Api, DEVICE_TOKEN_KEY, type Backend } from './lib/api';
import { HttpBackend, forgetToken, takeToken } from './lib/backend/http';
import { WailsBackend, isWails, type WailsWindow } from './lib/backend/wails';
import { arrived, startEarlyReads, type EarlyReads } from './lib/store/early';

function hashFlags(): URLSearchParams {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

async function pickBackend(): Promise<Backend | null> {
  const flags = hashFlags();
  if (flags.has('demo')) {
    const { DemoBackend } = await import('./lib/backend/demo');
    return new DemoBackend(1, Number(flags.get('stress') ?? 0));
  }
  if (isWails(window)) return new WailsBackend(window as unknown as WailsWindow);
  // the host's per-start token (from #token=), else a paired device's
  // (docs/remote.md), kept in localStorage and sent only in the header
  const token = takeToken(location, sessionStorage, history) ?? localStorage.getItem(DEVICE_TOKEN_KEY);
  // a token corral refuses (wrong, rotated, or a revoked device's) is
  // dropped; the page then loads as without one and asks for it
  const refused = () => {
    forgetToken(sessionStorage);
    localStorage.removeItem(DEVICE_TOKEN_KEY);
    location.reload();
  };
  if (token) return new HttpBackend({ token, onUnauthorized: refused });
  if (import.meta.env.DEV) {
    // `npm run dev` without a corral server: show the scripted demo.
    const { DemoBackend } = await import('./lib/backend/demo');
    return new DemoBackend();
  }
  return null;
}

// (the corral: marks show where a load's time goes; e2e/run.mjs reads them)
performance.mark('corral:entry');
const target = document.getElementById('app')!;
const pairPage = location.pathname === '/pair';
const backend = pairPage ? null : await pickBackend();
if (pairPage) {
  const { startPair } = await import('./app');
  startPair(target);
} else if (!backend) {
  target.innerHTML =
    '<div style="max-width:560px;margin:15vh auto;padding:0 16px;font:15px/1.5 system-ui,sans-serif">' +
    '<h1 style="font-size:20px">corral needs its access token</h1>' +
    '<p>Open the address that <code>corral serve</code> printed: it ends in <code>#token=…</code>. ' +
    'The token is also in <code>serve.json</code> in corral’s data directory. ' +
    'On another device, pair it first: <a href="/pair">/pair</a> with a code from Pair a device or <code>corral pair</code>.</p></div>';
} else {
  const flags = hashFlags();
  // the demo answers at once; a real server's replies are worth starting early
  const early: EarlyReads | undefined = backend.kind === 'demo' ? undefined : startEarlyReads(new Api(backend), flags.get('session'));
  // a slow reply does not hold the first screen back for long
  const [{ start }] = await Promise.all([import('./app'), early && arrived(early, 300)]);
  start(target, backend, flags, early);
}
