import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { BackendError } from '../lib/api';
import { Store } from '../lib/store/store.svelte';
import Conversation from '../components/Conversation.svelte';
import PermissionPrompt from '../components/PermissionPrompt.svelte';
import VirtualListHarness from './VirtualListHarness.svelte';
import RunConsole from '../components/RunConsole.svelte';
import Sidebar from '../components/Sidebar.svelte';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => cleanup());

const session = (id: string, extra: any = {}) => ({
  id,
  agent: 'claude',
  cwd: `/src/${id}`,
  status: 'idle',
  createdAt: '2026-11-26T09:00:00Z',
  lastActivity: '2026-11-26T09:00:00Z',
  costUsd: 0,
  ...extra,
});

async function setup(handlers: Record<string, (p: any) => any> = {}) {
  const fake = new FakeBackend({ ListSessions: () => [session('s1'), session('s2', { title: 'Other work' })], ...handlers });
  const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
  await store.start();
  return { fake, store };
}

describe('Conversation', () => {
  it('keeps what is typed while a message is being sent, and sends it on Enter after', async () => {
    let release: (v: any) => void = () => {};
    const { fake, store } = await setup({ SendMessage: () => new Promise((r) => (release = r)) });
    render(Conversation, { store, sessionId: 's1' });
    const box = screen.getByTestId('message-input') as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'first' } });
    await fireEvent.keyDown(box, { key: 'Enter' });
    await until(() => expect(fake.callsOf('SendMessage')).toHaveLength(1));
    // The first send has not returned yet: type the next message and press Enter.
    await fireEvent.input(box, { target: { value: 'first\nsecond' } });
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(fake.callsOf('SendMessage')).toHaveLength(1);
    release({ runId: 'r1' });
    await until(() => expect(fake.callsOf('SendMessage')).toHaveLength(2));
    expect(fake.callsOf('SendMessage')[1]).toEqual({ sessionId: 's1', text: 'second' });
    release({ runId: 'r2' });
    await until(() => expect(box.value).toBe(''));
  });

  it('renders streamed markdown, tools and usage, and sends with Enter only', async () => {
    const { fake, store } = await setup({ SendMessage: () => ({ runId: 'r2' }) });
    render(Conversation, { store, sessionId: 's1' });
    fake.push(
      ev(1, 'run.started', { prompt: 'list files' }),
      ev(2, 'assistant.text', { text: 'Here **are** ', delta: true, messageId: 'm' }),
      ev(3, 'assistant.text', { text: 'the <b>files</b>', delta: true, messageId: 'm' }),
      ev(4, 'tool.call', { id: 't', name: 'Bash', input: { command: 'ls' } }),
      ev(5, 'tool.result', { id: 't', output: 'a.go\nb.go', isError: false, exitCode: 0 }),
      ev(6, 'usage', { inputTokens: 100, outputTokens: 20, costUsd: 0.5, durationMs: 1500 }),
    );
    await tick();
    expect(screen.getByLabelText('Your message').textContent).toBe('list files');
    const md = screen.getByLabelText('Assistant message');
    expect(md.querySelector('strong')!.textContent).toBe('are');
    expect(md.querySelector('b')).toBeNull(); // escaped, not markup
    expect(md.textContent).toContain('the <b>files</b>');
    expect(screen.getByTestId('tool-status').textContent).toContain('exit 0');
    expect(screen.getByTestId('usage').textContent).toContain('$0.50');
    expect(screen.getByTestId('working')).toBeTruthy();

    const box = screen.getByTestId('message-input') as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'line one' } });
    await fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(fake.callsOf('SendMessage')).toEqual([]);
    await fireEvent.keyDown(box, { key: 'Enter' });
    await until(() => expect(fake.callsOf('SendMessage')).toEqual([{ sessionId: 's1', text: 'line one' }]));
    await until(() => expect(box.value).toBe(''));

    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(fake.callsOf('Interrupt')).toEqual([{ sessionId: 's1' }]);

    fake.push(ev(7, 'run.exited', { reason: 'exit', exitCode: 0 }));
    await tick();
    expect(screen.queryByTestId('working')).toBeNull();
  });

  it('deletes a session after a second click', async () => {
    const { store, fake } = await setup({ DeleteSession: () => null });
    render(Conversation, { store, sessionId: 's1' });
    await fireEvent.click(screen.getByTestId('delete-session'));
    expect(fake.callsOf('DeleteSession')).toEqual([]);
    expect(screen.getByTestId('delete-session').textContent).toContain('for good');
    await fireEvent.click(screen.getByTestId('delete-session'));
    await until(() => expect(fake.callsOf('DeleteSession')).toEqual([{ sessionId: 's1' }]));
    await until(() => expect(store.state.sessions.has('s1')).toBe(false));
  });

  it('offers resume for an ended session', async () => {
    const { fake, store } = await setup({ ResumeSession: () => session('s1') });
    render(Conversation, { store, sessionId: 's1' });
    fake.push(ev(1, 'session.status', { status: 'terminated' }));
    await tick();
    expect(screen.queryByTestId('message-input')).toBeNull();
    await fireEvent.click(screen.getByTestId('resume'));
    expect(fake.callsOf('ResumeSession')).toEqual([{ sessionId: 's1' }]);
  });

  it('shows a huge tool output cut, with a way to open it whole', async () => {
    const { fake, store } = await setup();
    render(Conversation, { store, sessionId: 's1' });
    const big = 'x'.repeat(10 * 1024 * 1024);
    fake.push(ev(1, 'tool.call', { id: 't', name: 'Bash', input: { command: 'cat big' } }), ev(2, 'tool.result', { id: 't', output: big, isError: false }));
    await tick();
    const pre = screen.getByLabelText('Output of Bash');
    expect(pre.textContent!.length).toBeLessThan(50_000);
    const more = screen.getByTestId('long-text-more');
    expect(more.textContent).toContain('10.0 MB');
    const open = vi.fn();
    vi.stubGlobal('open', open);
    URL.createObjectURL = vi.fn(() => 'blob:x');
    URL.revokeObjectURL = vi.fn();
    await fireEvent.click(within(more).getByText('Open whole output'));
    expect(open).toHaveBeenCalledWith('blob:x', '_blank', 'noopener');
    vi.unstubAllGlobals();
  });
});

describe('PermissionPrompt', () => {
  it('queues requests visibly and answers with allow, deny+message, always and edits', async () => {
    const { fake, store } = await setup({ RespondPermission: () => null });
    render(PermissionPrompt, { store });
    fake.push(
      ev(1, 'permission.request', { requestId: 'p1', tool: 'Bash', input: { command: 'rm x' }, suggestions: [{ rule: 'Bash(rm:*)' }] }),
      ev(2, 'permission.request', { requestId: 'p2', tool: 'Write', input: { path: 'a' } }),
      ev(1, 'permission.request', { requestId: 'p3', tool: 'Edit', input: { n: 1 } }, { sessionId: 's2', cursor: 3 }),
    );
    await tick();
    expect(screen.getByTestId('permission-count').textContent).toBe('1 of 3 pending');
    expect(screen.getByRole('alertdialog').textContent).toContain('rm x');

    await fireEvent.click(screen.getByTestId('always-allow'));
    expect(fake.callsOf('RespondPermission')[0]).toEqual({ sessionId: 's1', requestId: 'p1', allow: true, remember: true });
    await tick();
    expect(screen.getByTestId('permission-count').textContent).toBe('1 of 2 pending');

    // keyboard: n opens the reason field, Enter there denies with it
    await fireEvent.keyDown(window, { key: 'n' });
    const reason = screen.getByLabelText('Tell the agent why (optional)');
    await fireEvent.input(reason, { target: { value: 'not that file' } });
    await fireEvent.keyDown(reason, { key: 'Enter' });
    expect(fake.callsOf('RespondPermission')[1]).toEqual({ sessionId: 's1', requestId: 'p2', allow: false, message: 'not that file' });
    await tick();

    // edit the input: invalid JSON is refused, valid JSON is sent
    await fireEvent.keyDown(window, { key: 'e' });
    const edit = screen.getByTestId('permission-edit') as HTMLTextAreaElement;
    await fireEvent.input(edit, { target: { value: '{ broken' } });
    await fireEvent.click(screen.getByTestId('allow'));
    expect(screen.getByRole('alert').textContent).toContain('Not valid JSON');
    expect(fake.callsOf('RespondPermission').length).toBe(2);
    await fireEvent.input(edit, { target: { value: '{"n": 2}' } });
    await fireEvent.click(screen.getByTestId('allow'));
    expect(fake.callsOf('RespondPermission')[2]).toEqual({ sessionId: 's2', requestId: 'p3', allow: true, updatedInput: { n: 2 } });
    await tick();
    expect(screen.queryByTestId('permission-prompt')).toBeNull();
  });

  it('leads to the session a request belongs to', async () => {
    const { fake, store } = await setup();
    const opened: string[] = [];
    render(PermissionPrompt, { store, preferSession: 's1', onopen: (id: string) => opened.push(id) });
    fake.push(ev(1, 'permission.request', { requestId: 'p', tool: 'Bash', input: {} }, { sessionId: 's2' }));
    await tick();
    await fireEvent.click(screen.getByTitle('Open this session'));
    expect(opened).toEqual(['s2']);
  });

  it('ignores shortcut keys while typing in a field', async () => {
    const { fake, store } = await setup({ RespondPermission: () => null });
    render(PermissionPrompt, { store });
    fake.push(ev(1, 'permission.request', { requestId: 'p1', tool: 'Bash', input: {} }));
    await tick();
    const input = document.createElement('input');
    document.body.appendChild(input);
    await fireEvent.keyDown(input, { key: 'y' });
    expect(fake.callsOf('RespondPermission')).toEqual([]);
    await fireEvent.keyDown(document.body, { key: 'y' });
    expect(fake.callsOf('RespondPermission').length).toBe(1);
    input.remove();
  });
});

describe('VirtualList', () => {
  it('renders a small window of 100,000 rows and follows appended rows', async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => ({ id: i, text: `row ${i}` }));
    const r = render(VirtualListHarness, { items, version: 0 });
    await tick();
    const rows = r.container.querySelectorAll('.vl-row');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(100);
    // a list that follows its end renders its last rows from the first
    // render on (jsdom has no layout and never scrolls: the window is placed
    // by the row heights alone), not the first rows and then the last
    expect(rows[rows.length - 1].textContent).toBe('row 99999');
    expect(r.container.textContent).not.toContain('row 0');
    items.push({ id: 100_000, text: 'appended' });
    await r.rerender({ items, version: 1 });
    await tick();
    const after = r.container.querySelectorAll('.vl-row');
    expect(after.length).toBe(rows.length);
    expect(after[after.length - 1].textContent).toBe('appended');
    expect((r.container.querySelector('.vl') as HTMLElement).getAttribute('aria-label')).toBe('Rows');
  });
});

describe('RunConsole', () => {
  it('shows the policy refusal with its reason', async () => {
    const { store } = await setup({
      ListCapabilities: () => [{ name: 'rm', program: 'rm', args: [{ validator: '.*', rest: true }] }],
      Spawn: () => new BackendError('policy_denied', 'rule "rm": program rm is not allowed'),
    });
    render(RunConsole, { store });
    await until(() => expect(screen.getByTestId('run')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('run'));
    const denied = await until(() => screen.getByTestId('policy-denied'));
    expect(denied.textContent).toContain('Refused by policy');
    expect(denied.textContent).toContain('program rm is not allowed');
  });

  it('streams output of a spawned process and writes stdin', async () => {
    const { fake, store } = await setup({
      ListCapabilities: () => [{ name: 'cat', program: 'cat', args: [], cwd: ['/srv/a', '/srv/b'] }],
      Spawn: () => ({ processId: 'px' }),
      WriteStdin: () => null,
    });
    render(RunConsole, { store });
    await until(() => expect(screen.getByTestId('run')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('run'));
    // the first allowed root is the default working directory
    await until(() => expect(fake.callsOf('Spawn')).toEqual([{ capability: 'cat', args: [], cwd: '/srv/a' }]));
    fake.push({ seq: 1, processId: 'px', time: '2026-11-26T10:00:00Z', kind: 'stdout', data: { text: '\x1b[31mred\x1b[0m line' } });
    await tick();
    await until(() => expect(screen.getByTestId('terminal').textContent).toContain('red line'));
    expect(screen.getByTestId('terminal').querySelector('.a-fg-c1')!.textContent).toBe('red');
    const stdin = screen.getByTestId('stdin');
    await fireEvent.input(stdin, { target: { value: 'hello' } });
    await fireEvent.submit(stdin.closest('form')!);
    await until(() => expect(fake.callsOf('WriteStdin')).toEqual([{ processId: 'px', data: 'hello\n' }]));
  });
});

describe('Sidebar', () => {
  it('filters by search and status', async () => {
    const { fake, store } = await setup();
    render(Sidebar, { store, onnew: () => {}, onselect: () => {} });
    await tick();
    expect(screen.getAllByTestId('session-row').length).toBe(2);
    await fireEvent.input(screen.getByTestId('session-search'), { target: { value: 'other' } });
    expect(screen.getAllByTestId('session-row').map((r) => r.dataset.sessionId)).toEqual(['s2']);
    await fireEvent.input(screen.getByTestId('session-search'), { target: { value: '' } });
    fake.push(ev(1, 'permission.request', { requestId: 'p', tool: 'Bash', input: {} }));
    await tick();
    await fireEvent.click(screen.getByRole('radio', { name: 'Needs you' }));
    const rows = screen.getAllByTestId('session-row');
    expect(rows.map((r) => r.dataset.sessionId)).toEqual(['s1']);
    expect(rows[0].textContent).toContain('waiting for permission · 1');
  });
});
