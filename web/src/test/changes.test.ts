// The Changes panel of an isolated session, against a fake backend.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { BackendError } from '../lib/api';
import { Store } from '../lib/store/store.svelte';
import Conversation from '../components/Conversation.svelte';
import Sidebar from '../components/Sidebar.svelte';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => cleanup());
beforeEach(() => localStorage.clear());

const ws = { repo: '/src/app', path: '/data/worktrees/app-fix-s1', branch: 'corral/fix-s1', baseRef: 'main', baseCommit: 'abc', baseBranch: 'main', changes: { files: 1, additions: 2, deletions: 2 } };
const session = (extra: any = {}) => ({
  id: 's1', agent: 'claude', cwd: ws.path, status: 'idle', createdAt: '2026-11-26T09:00:00Z', lastActivity: '2026-11-26T09:00:00Z', costUsd: 0, workspace: ws, ...extra,
});
const fileA = () => ({
  path: 'src/main.go', status: 'modified', additions: 2, deletions: 2, binary: false, fingerprint: '100644 f1',
  hunks: [
    { id: 'aaa', header: '@@ -1,3 +1,3 @@', oldStart: 1, oldLines: 3, newStart: 1, newLines: 3, lines: [' package main', '-var a = 1', '+var a = 2', ' '] },
    { id: 'bbb', header: '@@ -20,3 +20,3 @@ func f()', oldStart: 20, oldLines: 3, newStart: 20, newLines: 3, lines: [' x()', '-return 1', '+return 2', ' }'] },
  ],
});
const logo = { path: 'logo.png', status: 'added', additions: 0, deletions: 0, binary: true, hunks: null };
const big = { path: 'data/big.json', status: 'added', additions: 90000, deletions: 0, binary: false, tooLarge: true, tooLargeReason: 'file', hunks: null };

async function setup(handlers: Record<string, (p: any) => any> = {}, s = session()) {
  let files: any[] = [fileA(), logo, big];
  const fake = new FakeBackend({
    ListSessions: () => [s],
    GetChanges: () => ({ files }),
    ListCheckpoints: () => [
      { id: 1, turn: 1, createdAt: '2026-11-26T09:01:00Z', files: 1, additions: 1, deletions: 1 },
      { id: 2, turn: 2, createdAt: '2026-11-26T09:02:00Z', files: 3, additions: 90001, deletions: 1 },
    ],
    DiscardChanges: (p: any) => {
      files = files.map((f) => (f.path === p.path ? { ...f, hunks: f.hunks.filter((h: any) => !p.hunks.includes(h.id)) } : f));
      return {};
    },
    ...handlers,
  });
  const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
  await store.start();
  return { fake, store, setFiles: (f: any[]) => (files = f) };
}

describe('Changes panel', () => {
  it('opens from the header, lists the files as a tree, shows hunks, binary and too-large files', async () => {
    const { store } = await setup();
    render(Conversation, { store, sessionId: 's1' });
    const toggle = screen.getByTestId('changes-toggle');
    expect(toggle.textContent).toContain('+2');
    await fireEvent.click(toggle);
    expect(localStorage.getItem('corral.changesOpen')).toBe('1');
    const panel = await screen.findByTestId('changes-panel');
    await until(() => expect(within(panel).getAllByTestId('tree-file')).toHaveLength(3));
    expect(within(panel).getByTestId('changes-tree').textContent).toMatch(/src\/\s*\+2\s*−2/);
    await until(() => expect(within(panel).getAllByTestId('diff-hunk')).toHaveLength(2));
    expect(within(panel).getByTestId('diff-note-binary').textContent).toContain('Binary file');
    expect(within(panel).getByTestId('diff-note-tooLarge').textContent).toContain('Too large to show');
    // the highlighted line keeps its text, escaped
    expect(panel.textContent).toContain('var a = 2');
    await fireEvent.click(within(panel).getByTestId('mode-split'));
    expect(localStorage.getItem('corral.diffMode')).toBe('split');
    expect(panel.querySelectorAll('.ln.s').length).toBeGreaterThan(0);
  });

  it('discards one hunk after confirming; the other stays', async () => {
    const { fake, store } = await setup();
    localStorage.setItem('corral.changesOpen', '1');
    render(Conversation, { store, sessionId: 's1' });
    await until(() => expect(screen.getAllByTestId('diff-hunk')).toHaveLength(2));
    await fireEvent.click(screen.getAllByTestId('discard-hunk')[0]);
    const dlg = screen.getByTestId('confirm-dialog');
    expect(dlg.textContent).toContain('Discard this hunk?');
    expect(dlg.textContent).toContain('+var a = 2');
    expect(fake.callsOf('DiscardChanges')).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await until(() => expect(fake.callsOf('DiscardChanges')).toEqual([{ sessionId: 's1', path: 'src/main.go', fingerprint: '100644 f1', hunks: ['aaa'] }]));
    await until(() => expect(screen.getAllByTestId('diff-hunk').map((h) => h.dataset.hunk)).toEqual(['bbb']));
  });

  it('a conflict on discard says the file changed and reads the changes again', async () => {
    const { fake, store } = await setup({ DiscardChanges: () => new BackendError('conflict', 'workspace: discard: the file changed') });
    localStorage.setItem('corral.changesOpen', '1');
    render(Conversation, { store, sessionId: 's1' });
    await until(() => expect(screen.getAllByTestId('discard-file')).toHaveLength(3));
    const before = fake.callsOf('GetChanges').length;
    await fireEvent.click(screen.getAllByTestId('discard-file')[0]);
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await until(() => expect(screen.getByTestId('changes-notice').textContent).toContain('changed since it was shown'));
    expect(fake.callsOf('GetChanges').length).toBeGreaterThan(before);
  });

  it('a comment on a line puts its reference into the message box', async () => {
    const { store } = await setup();
    localStorage.setItem('corral.changesOpen', '1');
    render(Conversation, { store, sessionId: 's1' });
    const btn = await until(() => screen.getByRole('button', { name: 'Comment on src/main.go line 21' }));
    expect(screen.getByRole('button', { name: 'Comment on src/main.go line 21 (old)' })).toBeTruthy();
    await fireEvent.click(btn);
    expect((screen.getByTestId('message-input') as HTMLTextAreaElement).value).toBe('`src/main.go:21`\n> return 2\n');
  });

  it('reads the changes again after a workspace.changed event', async () => {
    const { fake, store, setFiles } = await setup();
    localStorage.setItem('corral.changesOpen', '1');
    render(Conversation, { store, sessionId: 's1' });
    await until(() => expect(screen.getAllByTestId('tree-file')).toHaveLength(3));
    setFiles([logo]);
    fake.push(ev(5, 'workspace.changed', { reason: 'turn', checkpoint: 3, turn: 3, changes: { files: 1, additions: 0, deletions: 0 } }));
    await until(() => expect(screen.getAllByTestId('tree-file')).toHaveLength(1));
    expect(screen.getByTestId('changes-toggle').textContent).toContain('+0');
  });

  it('filters by turn; restore is refused while a turn runs and says why; fork says when the agent cannot', async () => {
    const { fake, store } = await setup({}, session({ status: 'processing' }));
    localStorage.setItem('corral.changesOpen', '1');
    render(Conversation, { store, sessionId: 's1' });
    await fireEvent.click(await screen.findByTestId('changes-tab-timeline'));
    await until(() => expect(screen.getAllByTestId('checkpoint')).toHaveLength(2));
    expect(screen.getByTestId('restore-busy').textContent).toContain('A turn is running');
    for (const b of screen.getAllByTestId('restore')) expect((b as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('fork-unsupported').textContent).toContain('cannot fork');
    await fireEvent.click(screen.getAllByRole('button', { name: 'Show what turn 2 changed' })[0]);
    await until(() => expect(fake.callsOf('GetChanges').at(-1)).toEqual({ sessionId: 's1', from: 1, to: 2 }));
    // discarding is for the current changes only
    for (const b of screen.getAllByTestId('discard-file')) expect((b as HTMLButtonElement).disabled).toBe(true);
  });

  it('remove shows what would be lost, then removes with force', async () => {
    const { fake, store } = await setup({
      RemoveWorkspace: (p: any) =>
        p.force ? {} : new BackendError('unsaved_work', 'unsaved work', undefined, { files: [{ path: 'src/main.go', status: 'modified' }], commits: [{ hash: '1a2b3c4d5e6f7a8b', subject: 'fix' }] }),
    });
    localStorage.setItem('corral.changesOpen', '1');
    render(Conversation, { store, sessionId: 's1' });
    await fireEvent.click(await screen.findByTestId('changes-tab-integrate'));
    await fireEvent.click(screen.getByTestId('remove-worktree'));
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await until(() => expect(screen.getByTestId('confirm-dialog').textContent).toContain('This would lose work'));
    expect(screen.getByTestId('confirm-items').textContent).toContain('src/main.go');
    expect(screen.getByTestId('confirm-items').textContent).toContain('1a2b3c4d5e fix');
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await until(() => expect(fake.callsOf('RemoveWorkspace')).toEqual([{ sessionId: 's1' }, { sessionId: 's1', force: true }]));
  });

  it('merge conflicts list the files', async () => {
    const { store } = await setup({ MergeWorkspace: () => new BackendError('conflict', 'merge conflict', undefined, { op: 'merge', files: ['src/main.go'] }) });
    localStorage.setItem('corral.changesOpen', '1');
    render(Conversation, { store, sessionId: 's1' });
    await fireEvent.click(await screen.findByTestId('changes-tab-integrate'));
    await fireEvent.click(screen.getByTestId('merge'));
    await until(() => expect(screen.getByTestId('changes-notice').textContent).toContain('the branches conflict'));
    expect(screen.getByTestId('changes-notice').textContent).toContain('src/main.go');
  });
});

describe('session list', () => {
  it('shows the branch and change counts of isolated sessions', async () => {
    const { store } = await setup();
    render(Sidebar, { store, onnew: () => {}, onselect: () => {} });
    const w = screen.getByTestId('session-workspace');
    expect(w.textContent).toContain('corral/fix-s1');
    expect(w.textContent).toMatch(/\+2\s*−2/);
  });
});

import NewSessionDialog from '../components/NewSessionDialog.svelte';

describe('new-session dialog in a git repository', () => {
  const agents = () => [{ name: 'claude', command: 'claude', version: '2.1.4', status: 'ok', protocol: 'claude' }];
  const dirs: Record<string, any> = {
    '/src/app': { path: '/src/app', parent: '/src', entries: [{ name: '.git', path: '/src/app/.git' }, { name: 'web', path: '/src/app/web' }], truncated: false },
    '/src/app/web': { path: '/src/app/web', parent: '/src/app', entries: [], truncated: false },
    '/src': { path: '/src', parent: '/', entries: [{ name: 'app', path: '/src/app' }], truncated: false },
    '/': { path: '/', parent: '', entries: [{ name: 'src', path: '/src' }], truncated: false },
  };
  const open = () => {
    const fake = new FakeBackend({ ListAgents: agents, ListDirectory: (p: any) => dirs[p.path] ?? new BackendError('not_found', 'no'), CreateSession: (p: any) => ({ ...session(), ...p, id: 's9' }) });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    render(NewSessionDialog, { store, open: true, checkDelay: 10 });
    return fake;
  };

  it('offers an isolated worktree (the default) with a base, or working in place', async () => {
    const fake = open();
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    const input = screen.getByLabelText('Working directory') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '/src/app/web' } });
    const iso = await until(() => screen.getByTestId('isolation'));
    expect(iso.textContent).toContain('/src/app');
    expect((screen.getByTestId('isolation-worktree') as HTMLInputElement).checked).toBe(true);
    await fireEvent.input(screen.getByTestId('base-ref'), { target: { value: 'release-1' } });
    await fireEvent.click(screen.getByTestId('create-session'));
    await until(() => expect(fake.callsOf('CreateSession')).toHaveLength(1));
    expect(fake.callsOf('CreateSession')[0]).toMatchObject({ cwd: '/src/app/web', isolation: 'worktree', baseRef: 'release-1' });
  });

  it('works in place when asked, and says nothing of isolation outside a repository', async () => {
    const fake = open();
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    const input = screen.getByLabelText('Working directory') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '/src' } });
    await until(() => expect(fake.callsOf('ListDirectory').some((c) => c.path === '/')).toBe(true));
    expect(screen.queryByTestId('isolation')).toBeNull();
    await fireEvent.input(input, { target: { value: '/src/app' } });
    await until(() => screen.getByTestId('isolation'));
    await fireEvent.click(screen.getByTestId('isolation-none'));
    expect(screen.queryByTestId('base-ref')).toBeNull();
    await fireEvent.click(screen.getByTestId('create-session'));
    await until(() => expect(fake.callsOf('CreateSession')).toHaveLength(1));
    expect(fake.callsOf('CreateSession')[0]).toMatchObject({ cwd: '/src/app', isolation: 'none' });
    expect(fake.callsOf('CreateSession')[0].baseRef).toBeUndefined();
  });
});
