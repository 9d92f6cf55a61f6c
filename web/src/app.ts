// The application: builds the store and mounts the app. Loaded by main.ts
// (index.html preloads this chunk, so it arrives alongside the entry).
import { mount } from 'svelte';
import App from './App.svelte';
import PairPage from './components/PairPage.svelte';
import type { Backend } from './lib/api';
import type { EarlyReads } from './lib/store/early';
import { Store } from './lib/store/store.svelte';

function initialTheme(flags: URLSearchParams): 'system' | 'light' | 'dark' {
  const t = flags.get('theme') ?? localStorage.getItem('corral.theme');
  return t === 'light' || t === 'dark' ? t : 'system';
}

export function start(target: HTMLElement, backend: Backend, flags: URLSearchParams, early?: EarlyReads): void {
  performance.mark('corral:app');
  const store = new Store(backend, { early });
  // view=, new and session= let a link (or a screenshot) open a given
  // screen. The list and the session are taken before the first render, so
  // it draws them when their replies have already come.
  void store.start();
  const sel = flags.get('session');
  if (sel) void store.select(sel);
  mount(App, { target, props: { store, theme: initialTheme(flags), initialView: flags.get('view') ?? 'sessions', openNew: flags.has('new') } });
  performance.mark('corral:mounted');
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

/** Mounts the pairing page of a new device (/pair; docs/remote.md). */
export function startPair(target: HTMLElement): void {
  mount(PairPage, { target });
}
