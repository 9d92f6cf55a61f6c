import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import ItemView from '../components/ItemView.svelte';
import App from '../App.svelte';
import ProcessMonitor from '../components/ProcessMonitor.svelte';
import ErrorsPanel from '../components/ErrorsPanel.svelte';
import { Store } from '../lib/store/store.svelte';
import { BackendError } from '../lib/api';
import { FakeBackend, sync, until } from './fake';

afterEach(() => cleanup());
const base = { key: '1', seq: 1, time: '2026-11-26T10:00:00Z' };

describe('ItemView', () => {
  it('shows a file edit as a diff', () => {
    render(ItemView, {
      item: { ...base, type: 'tool', toolUseId: 't', name: 'Edit', input: { file_path: '/a.go', old_string: 'x := 1\ny := 2', new_string: 'x := 1\ny := 3' } },
      running: false,
    });
    const diff = screen.getByTestId('diff');
    expect(diff.textContent).toContain('/a.go');
    expect(diff.querySelector('.l.d')!.textContent).toContain('y := 2');
    expect(diff.querySelector('.l.a')!.textContent).toContain('y := 3');
  });
  it('shows errors inline with what to do', () => {
    render(ItemView, { item: { ...base, type: 'error', error: { type: 'spawn_failed', message: 'claude not found', recoverable: false, action: 'npm i -g @anthropic-ai/claude-code' } }, running: false });
    const a = screen.getByRole('alert');
    expect(a.textContent).toContain('spawn_failed');
    expect(a.textContent).toContain('→ npm i -g @anthropic-ai/claude-code');
  });
  it('explains how a run ended', () => {
    render(ItemView, { item: { ...base, type: 'exit', exit: { reason: 'timeout', message: 'idle for 2m' } }, running: false });
    expect(screen.getByRole('status').textContent).toContain('time limit');
  });
  it('keeps thinking collapsed and marks a failed tool', () => {
    const r = render(ItemView, { item: { ...base, type: 'thinking', messageId: 'm', text: 'secret plan', streaming: false }, running: false });
    expect((r.container.querySelector('details') as HTMLDetailsElement).open).toBe(false);
    cleanup();
    render(ItemView, { item: { ...base, type: 'tool', toolUseId: 't', name: 'Bash', input: { command: 'false' }, result: { id: 't', output: 'boom', isError: true, exitCode: 1 } }, running: false });
    expect(screen.getByTestId('tool-status').textContent).toContain('exit 1');
    expect(screen.getByTestId('tool-card').className).toContain('failed');
  });
});

describe('App', () => {
  it('switches views, counts pending approvals and shows call errors', async () => {
    const fake = new FakeBackend({
      ListSessions: () => [{ id: 's1', agent: 'claude', cwd: '/x', status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }],
      ListProcesses: () => new BackendError('unavailable', 'supervisor is restarting'),
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(App, { store });
    fake.push({ seq: 1, sessionId: 's1', runId: 'r', time: '2026-11-26T10:00:00Z', kind: 'permission.request', data: { requestId: 'p', tool: 'Bash', input: {} } });
    await tick();
    expect(screen.getByTestId('tab-sessions').textContent).toContain('1');
    expect(screen.getByTestId('permission-prompt')).toBeTruthy();
    expect(screen.getByTestId('connection').textContent).toContain('live');
    await fireEvent.click(screen.getByTestId('tab-processes'));
    expect(screen.getByTestId('processes')).toBeTruthy();
    await until(() => expect(screen.getByTestId('toast').textContent).toContain('Could not list the processes'));
    await fireEvent.click(screen.getByLabelText('Dismiss'));
    expect(screen.queryByTestId('toast')).toBeNull();
    fake.setState('reconnecting');
    await tick();
    expect(screen.getByTestId('connection').textContent).toContain('reconnecting');
  });
});

describe('ProcessMonitor and ErrorsPanel', () => {
  it('lists live processes, updates them in place and stops them', async () => {
    let cpu = 5;
    const fake = new FakeBackend({
      ListProcesses: () => [{ processId: 'p1', pid: 42, name: 'codex', state: 'running', startedAt: '2026-11-26T10:00:00Z', uptimeMs: 1000, cpu, rss: 1048576, restarts: 3, children: 2 }],
      StopProcess: () => null,
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(ProcessMonitor, { store });
    const row = await until(() => screen.getByTestId('process-row'));
    expect(row.textContent).toContain('PID 42');
    expect(row.textContent).toContain('restarts 3');
    expect(row.textContent).toContain('2 children');
    expect(row.textContent).toContain('1.0 MB');
    cpu = 77;
    fake.push({ seq: 1, processId: 'p1', time: new Date().toISOString(), kind: 'process.stats', data: { cpu: 77.5, rss: 2097152 } });
    await tick();
    expect(screen.getByTestId('process-row').textContent).toContain('77.5%');
    expect(screen.getByTestId('process-row').textContent).toContain('2.0 MB');
    await fireEvent.click(screen.getByLabelText('Stop codex'));
    expect(fake.callsOf('StopProcess')).toEqual([{ processId: 'p1' }]);
  });

  it('shows errors with type, recoverability and action', async () => {
    const fake = new FakeBackend();
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    render(ErrorsPanel, { store });
    fake.push({ seq: 1, processId: 'p9', time: '2026-11-26T10:00:00Z', kind: 'error', data: { type: 'timeout', message: 'idle 2m', recoverable: false, action: 'raise idle_timeout' } });
    await tick();
    const row = screen.getByTestId('error-row');
    expect(row.textContent).toContain('timeout');
    expect(row.textContent).toContain('fatal');
    expect(row.textContent).toContain('raise idle_timeout');
  });
});

describe('NewSessionDialog', () => {
  it('lists agents with versions and install hints, browses for a folder and creates', async () => {
    const { default: NewSessionDialog } = await import('../components/NewSessionDialog.svelte');
    const fake = new FakeBackend({
      ListAgents: () => [
        { name: 'claude', command: 'claude', version: '2.1.4', status: 'ok', permissionModes: ['default', 'plan'] },
        { name: 'gemini', command: 'gemini', status: 'missing', install: 'npm install -g @google/gemini-cli' },
      ],
      CreateSession: (p: any) => ({ id: 'n1', agent: p.agent, cwd: p.cwd, status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }),
    });
    (fake as any).pickDirectory = async () => '/home/me/proj';
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    render(NewSessionDialog, { store, open: true });
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    expect(screen.getByText('npm install -g @google/gemini-cli')).toBeTruthy();
    expect((screen.getByRole('radio', { name: /gemini/ }) as HTMLInputElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('browse-cwd'));
    await until(() => expect((screen.getByTestId('cwd-input') as HTMLInputElement).value).toBe('/home/me/proj'));
    await fireEvent.click(screen.getByTestId('create-session'));
    await until(() => expect(fake.callsOf('CreateSession')).toEqual([{ agent: 'claude', cwd: '/home/me/proj' }]));
    expect(store.selected).toBe('n1');
  });
});
