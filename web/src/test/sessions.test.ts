// The session list and header: live agent processes with their memory,
// sessions that skip approvals, and lost events in the transcript.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import Sidebar from '../components/Sidebar.svelte';
import Conversation from '../components/Conversation.svelte';
import { Store } from '../lib/store/store.svelte';
import { Transcript } from '../lib/store/transcript';
import { modeHelp } from '../lib/sessions';
import type { Session } from '../lib/api';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => cleanup());
const sess = (id: string, extra: Partial<Session> = {}): Session => ({ id, agent: 'claude', cwd: `/src/${id}`, title: id, status: 'idle', createdAt: '', lastActivity: '2026-11-26T10:00:00Z', costUsd: 0, inputTokens: 0, outputTokens: 0, messages: 0, eventCount: 0, pendingPermissions: 0, ...extra });
const rowOf = (id: string) => screen.getAllByTestId('session-row').find((r) => r.dataset.sessionId === id)!;

describe('Sidebar', () => {
  it('marks live agent processes with their memory and sessions that skip approvals', async () => {
    let list: Session[] = [
      sess('a', { process: { id: 'p-1', pid: 4242, state: 'running', rss: 180 * 1024 * 1024, cpuPercent: 0.5 } }),
      sess('b', { permissionMode: 'bypassPermissions', approvalsSkipped: true }),
      sess('c'),
    ];
    const fake = new FakeBackend({ ListSessions: () => list });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(Sidebar, { store, onnew: () => {}, onselect: () => {}, refreshMs: 20 });
    const live = within(rowOf('a')).getByTestId('live-process');
    expect(live.textContent).toBe('live · 180 MB');
    expect(live.title).toBe('Agent process running (pid 4242), 180 MB of memory, 0.5% CPU');
    expect(within(rowOf('a')).queryByTestId('approvals-off')).toBeNull();
    expect(within(rowOf('b')).getByTestId('approvals-off').textContent).toContain('approvals skipped');
    expect(within(rowOf('b')).queryByTestId('live-process')).toBeNull();
    expect(within(rowOf('c')).queryByTestId('live-process')).toBeNull();
    expect(within(rowOf('c')).queryByTestId('approvals-off')).toBeNull();
    // the list is read again while connected: the idle agent was stopped
    list = [sess('a'), sess('b', { permissionMode: 'bypassPermissions', approvalsSkipped: true }), sess('c', { process: { id: 'p-3', state: 'running', rss: 0, cpuPercent: 0 } })];
    await until(() => expect(within(rowOf('a')).queryByTestId('live-process')).toBeNull());
    expect(within(rowOf('c')).getByTestId('live-process').textContent).toBe('live');
  });

  it('follows the agent process from its state events', async () => {
    const fake = new FakeBackend({ ListSessions: () => [sess('s1')] });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(Sidebar, { store, onnew: () => {}, onselect: () => {}, refreshMs: 60_000 });
    fake.push(ev(1, 'process.state', { state: 'running', pid: 77 }, { processId: 'p-9', runId: 'p-9' }));
    await tick();
    expect(within(rowOf('s1')).getByTestId('live-process').title).toContain('pid 77');
    fake.push(ev(2, 'process.state', { state: 'exited', exitCode: 0 }, { processId: 'p-9', runId: 'p-9' }));
    await tick();
    expect(within(rowOf('s1')).queryByTestId('live-process')).toBeNull();
  });
});

describe('Conversation header', () => {
  it('warns when approvals are off and says what Claude Code asks before', async () => {
    const fake = new FakeBackend({
      ListSessions: () => [sess('s1', { permissionMode: 'bypassPermissions', approvalsSkipped: true, process: { id: 'p', state: 'running', rss: 2 * 1024 * 1024, cpuPercent: 0 } }), sess('s2')],
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(Conversation, { store, sessionId: 's1' });
    const warn = screen.getByTestId('approvals-off');
    expect(warn.textContent).toContain('approvals skipped');
    expect(warn.title).toContain('runs every tool without asking');
    expect(screen.getByTestId('live-process').textContent).toBe('live · 2.0 MB');
    cleanup();
    render(Conversation, { store, sessionId: 's2' });
    expect(screen.queryByTestId('approvals-off')).toBeNull();
    expect(screen.getByTestId('session-meta').title).toContain('Claude Code runs read-only commands (reading files, searching, ls) without asking');
    expect(modeHelp(true, 'acceptEdits', false)).toContain('edits files without asking');
    expect(modeHelp(false, undefined, false)).toBe('');
  });
});

describe('events.lost', () => {
  it('shows lost events as a visible warning', async () => {
    const t = new Transcript();
    t.add(ev(1, 'events.lost', { code: 'storage_full', lostEvents: 1234, message: 'no space left on device' }));
    t.add(ev(2, 'events.lost', { code: 'store_failed', lostEvents: 1 }));
    const [a, b] = t.items;
    expect(a).toMatchObject({ type: 'notice', level: 'warn', text: '1,234 events were lost (disk full).' });
    expect(b).toMatchObject({ type: 'notice', level: 'warn', text: '1 event was lost (the store could not write).' });
    const fake = new FakeBackend({ ListSessions: () => [sess('s1')] });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(Conversation, { store, sessionId: 's1' });
    fake.push(ev(1, 'events.lost', { code: 'storage_full', lostEvents: 3 }));
    await until(() => expect(screen.getByText('3 events were lost (disk full).')).toBeTruthy());
  });
});
