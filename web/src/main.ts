// Start-up: pick the transport (demo on request, Wails when embedded in the
// desktop shell, HTTP otherwise), build the store and mount the app.
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import type { Backend } from './lib/api';
import { HttpBackend, takeToken } from './lib/backend/http';
import { WailsBackend, isWails, type WailsWindow } from './lib/backend/wails';
import { Store } from './lib/store/store.svelte';

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
  const token = takeToken(location, sessionStorage, history);
  if (token) return new HttpBackend({ token });
  if (import.meta.env.DEV) {
    // `npm run dev` without a corral server: show the scripted demo.
    const { DemoBackend } = await import('./lib/backend/demo');
    return new DemoBackend();
  }
  return null;
}

function initialTheme(): 'system' | 'light' | 'dark' {
  const t = hashFlags().get('theme') ?? localStorage.getItem('corral.theme');
  return t === 'light' || t === 'dark' ? t : 'system';
}

const target = document.getElementById('app')!;
const backend = await pickBackend();
if (!backend) {
  target.innerHTML =
    '<div style="max-width:560px;margin:15vh auto;padding:0 16px;font:15px/1.5 system-ui,sans-serif">' +
    '<h1 style="font-size:20px">corral needs its access token</h1>' +
    '<p>Open the address that <code>corral serve</code> printed: it ends in <code>#token=…</code>. ' +
    'The token is also in <code>serve.json</code> in corral’s data directory.</p></div>';
} else {
  const store = new Store(backend);
  const flags = hashFlags();
  // view=, new and session= let a link (or a screenshot) open a given screen
  mount(App, { target, props: { store, theme: initialTheme(), initialView: flags.get('view') ?? 'sessions', openNew: flags.has('new') } });
  void store.start();
  const sel = flags.get('session');
  if (sel) void store.select(sel);
  if (flags.has('stress') && backend.kind === 'demo') {
    // demo-only timing aid: report when the long transcript is folded and drawn
    const want = Number(flags.get('stress'));
    const t0 = performance.now();
    const poll = () => {
      const n = store.state.transcripts.get('s-big')?.events.length ?? 0;
      if (n >= want) requestAnimationFrame(() => console.info(`stress: ${n} events shown after ${Math.round(performance.now() - t0)} ms`));
      else requestAnimationFrame(poll);
    };
    poll();
  }
}
