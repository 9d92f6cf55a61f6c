import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import App from '../App.svelte';
import { Store } from '../lib/store/store.svelte';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => cleanup());

// The search palette: Ctrl+K opens it, typing asks SearchEvents once the
// typing stops, hits show their snippet as text with the matches marked,
// and picking one opens its session at that event, paging in older
// history until the event is loaded.
describe('SearchPalette', () => {
  it('searches, shows snippets as text and opens the hit', async () => {
    const older = Array.from({ length: 5 }, (_, i) => ev(i + 1, 'tool.result', { id: `t${i}`, output: `old ${i}` }));
    const newer = Array.from({ length: 5 }, (_, i) => ev(i + 6, 'run.started', { prompt: `prompt ${i + 6}` }));
    const fake = new FakeBackend({
      ListSessions: () => [{ id: 's1', agent: 'claude', cwd: '/x', title: 'Parser work', status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }],
      GetEvents: (p: any) => (p.tail ? { events: newer, more: true } : { events: older, more: false }),
      SearchEvents: (p: any) => ({
        hits: [{ sessionId: 's1', sessionTitle: 'Parser work', seq: 3, kind: 'tool.result', snippet: `<img src=x onerror="window.pwned=1"> \u0002${p.query}\u0003 rest`, at: '2026-11-26T10:00:03Z' }],
      }),
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(App, { store });

    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    const input = await until(() => screen.getByTestId('search-input') as HTMLInputElement);
    await fireEvent.input(input, { target: { value: 'z' } });
    await fireEvent.input(input, { target: { value: 'zanzi' } });
    const hit = await until(() => screen.getByTestId('search-hit'));
    expect(fake.callsOf('SearchEvents')).toEqual([{ query: 'zanzi', limit: 30 }]);
    expect(hit.querySelector('img')).toBeNull();
    expect(hit.textContent).toContain('<img src=x onerror="window.pwned=1">');
    expect(hit.querySelector('mark')!.textContent).toBe('zanzi');
    expect(hit.textContent).toContain('Parser work');

    await fireEvent.click(hit);
    // seq 3 is older than the newest page: it is paged in, then marked
    const target = await until(() => screen.getByTestId('search-target'));
    expect(target.dataset.seq).toBe('3');
    expect(target.textContent).toContain('old 2');
    expect(fake.callsOf('GetEvents').some((p) => p.before === 6)).toBe(true);
    expect(store.selected).toBe('s1');
  });

  it('says when nothing matches and when the search fails', async () => {
    let fail = false;
    const fake = new FakeBackend({
      SearchEvents: () => (fail ? Promise.reject(new Error('store is down')) : { hits: [] }),
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(App, { store });
    await fireEvent.click(screen.getByTestId('open-search'));
    const input = screen.getByTestId('search-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'nothing' } });
    await until(() => expect(screen.getByTestId('search-dialog').textContent).toContain('No match for “nothing”'));
    fail = true;
    await fireEvent.input(input, { target: { value: 'other' } });
    await until(() => expect(screen.getByTestId('search-dialog').textContent).toContain('Search failed: store is down'));
  });
});
