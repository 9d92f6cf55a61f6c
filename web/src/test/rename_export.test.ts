// Renaming a session in the sidebar (in place, Enter saves, Esc cancels; a
// rename made elsewhere arrives as session.updated) and exporting it from
// the session's menu as a downloaded file.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import Sidebar from '../components/Sidebar.svelte';
import { Store } from '../lib/store/store.svelte';
import type { Session } from '../lib/api';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});
const sess = (id: string, extra: Partial<Session> = {}): Session => ({ id, agent: 'claude', cwd: `/src/${id}`, title: 'first prompt', status: 'idle', createdAt: '', lastActivity: '2026-11-26T10:00:00Z', costUsd: 0, inputTokens: 0, outputTokens: 0, messages: 0, eventCount: 0, pendingPermissions: 0, ...extra });
const rowOf = (id: string) => screen.getAllByTestId('session-row').find((r) => r.dataset.sessionId === id)!;

/** The text of a Blob (jsdom's Blob has no text()). */
function readBlob(b: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsText(b);
  });
}

async function setup(handlers: Record<string, (p: any) => any> = {}) {
  const fake = new FakeBackend({
    ListSessions: () => [sess('s1'), sess('s2', { lastActivity: '2026-11-26T09:00:00Z' })],
    RenameSession: (p: { sessionId: string; title: string }) => sess(p.sessionId, { title: p.title.trim() }),
    ...handlers,
  });
  const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
  await store.start();
  render(Sidebar, { store, onnew: () => {}, onselect: () => {}, refreshMs: 60_000 });
  return { fake, store };
}

describe('Renaming a session', () => {
  it('saves the edited title on Enter', async () => {
    const { fake } = await setup();
    await fireEvent.dblClick(rowOf('s1'));
    const input = (await screen.findByTestId('rename-input')) as HTMLInputElement;
    expect(input.value).toBe('first prompt');
    expect(document.activeElement).toBe(input);
    await fireEvent.input(input, { target: { value: '  Parser refactor ' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await until(() => expect(screen.queryByTestId('rename-input')).toBeNull());
    expect(fake.calls.filter((c) => c.method === 'RenameSession').map((c) => c.params)).toEqual([{ sessionId: 's1', title: 'Parser refactor' }]);
    expect(within(rowOf('s1')).getByTestId('session-name').textContent).toBe('Parser refactor');
  });

  it('leaves the title as it was on Esc', async () => {
    const { fake } = await setup();
    await fireEvent.click(within(rowOf('s2').parentElement!).getByTestId('session-menu'));
    await fireEvent.click(screen.getByTestId('menu-rename'));
    const input = (await screen.findByTestId('rename-input')) as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'something else' } });
    await fireEvent.keyDown(input, { key: 'Escape' });
    await tick();
    expect(screen.queryByTestId('rename-input')).toBeNull();
    expect(fake.calls.some((c) => c.method === 'RenameSession')).toBe(false);
    expect(within(rowOf('s2')).getByTestId('session-name').textContent).toBe('first prompt');
  });

  it('shows a rename made in another client, without moving the session', async () => {
    const { fake } = await setup();
    const order = () => screen.getAllByTestId('session-row').map((r) => r.dataset.sessionId);
    expect(order()).toEqual(['s1', 's2']);
    fake.push(ev(5, 'session.updated', { title: 'Named elsewhere' }, { sessionId: 's2', time: '2026-11-27T00:00:00Z' }));
    await tick();
    expect(within(rowOf('s2')).getByTestId('session-name').textContent).toBe('Named elsewhere');
    expect(order()).toEqual(['s1', 's2']);
  });
});

describe('Exporting a session', () => {
  it('downloads the parts ExportSession returns as one file', async () => {
    const parts = [
      { fileName: 'corral-s1.md', mediaType: 'text/markdown; charset=utf-8', content: '# first prompt\n', next: 1000, more: true },
      { fileName: 'corral-s1.md', mediaType: 'text/markdown; charset=utf-8', content: 'the rest\n', next: 1200, more: false },
    ];
    const { fake } = await setup({ ExportSession: (p: { since?: number }) => parts[p.since ? 1 : 0] });
    let blob: Blob | undefined;
    const create = vi.fn((b: Blob) => ((blob = b), 'blob:export'));
    const revoke = vi.fn();
    Object.assign(URL, { createObjectURL: create, revokeObjectURL: revoke });
    let downloaded: { href: string; download: string } | undefined;
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      downloaded = { href: this.href, download: this.download };
    });
    await fireEvent.click(within(rowOf('s1').parentElement!).getByTestId('session-menu'));
    await fireEvent.click(screen.getByTestId('menu-export-markdown'));
    await until(() => expect(downloaded).toBeDefined());
    expect(fake.calls.filter((c) => c.method === 'ExportSession').map((c) => c.params)).toEqual([
      { sessionId: 's1', format: 'markdown' },
      { sessionId: 's1', format: 'markdown', since: 1000 },
    ]);
    expect(downloaded).toEqual({ href: 'blob:export', download: 'corral-s1.md' });
    expect(blob!.type).toBe('text/markdown; charset=utf-8');
    expect(await readBlob(blob!)).toBe('# first prompt\nthe rest\n');
    expect(screen.queryByRole('menu')).toBeNull();
  });

  it('asks for JSON Lines from the menu', async () => {
    const { fake } = await setup({ ExportSession: () => ({ fileName: 'corral-s2.jsonl', mediaType: 'application/x-ndjson', content: '{"seq":1}\n', next: 1, more: false }) });
    Object.assign(URL, { createObjectURL: () => 'blob:x', revokeObjectURL: () => {} });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    await fireEvent.click(within(rowOf('s2').parentElement!).getByTestId('session-menu'));
    await fireEvent.click(screen.getByTestId('menu-export-jsonl'));
    await until(() => expect(click).toHaveBeenCalled());
    expect(fake.calls.find((c) => c.method === 'ExportSession')?.params).toEqual({ sessionId: 's2', format: 'jsonl' });
  });
});
