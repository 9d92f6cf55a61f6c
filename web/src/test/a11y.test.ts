// Every control of every view has an accessible name (a label, text or
// aria-label), checked on a store filled with the kinds of rows each view
// shows.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { computeAccessibleName } from 'dom-accessibility-api';
import App from '../App.svelte';
import { Store } from '../lib/store/store.svelte';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => cleanup());

function unnamed(root: ParentNode): string[] {
  const bad: string[] = [];
  for (const el of root.querySelectorAll('button, input, select, textarea, [role="radio"], [role="tab"], nav')) {
    if ((el as HTMLInputElement).type === 'hidden') continue;
    if (!computeAccessibleName(el).trim()) bad.push(el.outerHTML.slice(0, 120));
  }
  return bad;
}

describe('accessible names', () => {
  it('every control in every view is named', async () => {
    const fake = new FakeBackend({
      ListSessions: () => [{ id: 's1', agent: 'claude', cwd: '/src/a', status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }],
      ListProcesses: () => [{ processId: 'p1', pid: 7, name: 'codex', state: 'running', startedAt: '2026-11-26T10:00:00Z', uptimeMs: 5, cpu: 1, rss: 2, restarts: 0 }],
      ListCapabilities: () => [{ name: 'ls', program: 'ls', args: [{ literal: 'ls' }, { validator: '-[la]+', optional: true }, { validator: '.*', rest: true }] }],
      Spawn: () => ({ processId: 'x1' }),
      ListAgents: () => [{ name: 'claude', command: 'claude', status: 'ok', version: '2' }],
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(App, { store });
    fake.push(
      ev(1, 'run.started', { prompt: 'go' }),
      ev(2, 'assistant.thinking', { text: 'hmm', delta: false }),
      ev(3, 'assistant.text', { text: 'see [doc](https://e.com)', delta: false }),
      ev(4, 'tool.call', { id: 't', name: 'Edit', input: { file_path: '/a', old_string: 'a', new_string: 'b' } }),
      ev(5, 'tool.result', { id: 't', output: 'x'.repeat(30_000), isError: false }),
      ev(6, 'permission.request', { requestId: 'p', tool: 'Bash', input: { command: 'ls' }, suggestions: [{ rule: 'Bash(ls)' }] }),
      ev(7, 'error', { type: 'crashed', message: 'x', recoverable: true, action: 'y' }),
    );
    await store.select('s1');
    await tick();
    expect(unnamed(document.body)).toEqual([]);
    await fireEvent.keyDown(window, { key: 'e' });
    await fireEvent.keyDown(window, { key: 'n' });
    await tick();
    expect(unnamed(document.body)).toEqual([]);
    for (const tab of ['processes', 'console', 'errors']) {
      await fireEvent.click(screen.getByTestId(`tab-${tab}`));
      await until(() => expect(screen.getByTestId(tab)).toBeTruthy());
      if (tab === 'console') {
        await until(() => expect(screen.getByTestId('run')).toBeTruthy());
        await fireEvent.click(screen.getByTestId('run'));
        await until(() => expect(screen.getByTestId('stdin')).toBeTruthy());
      }
      if (tab === 'processes') await until(() => expect(screen.getByTestId('process-row')).toBeTruthy());
      expect(unnamed(document.body)).toEqual([]);
    }
    await fireEvent.click(screen.getByTestId('tab-sessions'));
    await fireEvent.click(screen.getByTestId('new-session'));
    await until(() => expect(screen.getByRole('radio', { name: /claude/ })).toBeTruthy());
    expect(unnamed(document.body)).toEqual([]);
    // the folder browser: breadcrumbs, parent, entries, filter, toggles
    await fireEvent.click(screen.getByTestId('browse-dirs'));
    await until(() => expect(screen.getAllByTestId('dir-entry').length).toBeGreaterThan(0));
    await fireEvent.click(screen.getAllByTestId('dir-entry')[0]);
    await until(() => expect(screen.getByTestId('dir-parent')).toBeTruthy());
    expect(screen.getAllByTestId('dir-crumb').length).toBeGreaterThan(1);
    expect(unnamed(document.body)).toEqual([]);
  });
});
