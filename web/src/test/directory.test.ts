// The folder browser: path helpers, the component over a fake file system,
// and the new-session dialog choosing its working directory with it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { Api, BackendError } from '../lib/api';
import { crumbs } from '../lib/dirs';
import { memoryTree } from '../lib/dirtree';
import { Store } from '../lib/store/store.svelte';
import DirectoryBrowser from '../components/DirectoryBrowser.svelte';
import NewSessionDialog from '../components/NewSessionDialog.svelte';
import { FAKE_DIRS, FAKE_HOME, FakeBackend, sync, until } from './fake';

afterEach(() => cleanup());

const names = () => screen.queryAllByTestId('dir-entry').map((b) => b.textContent!.trim());
const shownPath = () => screen.getByTestId('dir-path').getAttribute('data-path');
const focusedName = () => (document.activeElement as HTMLElement | null)?.getAttribute('data-path');

describe('crumbs', () => {
  it('splits Unix, drive and UNC paths, the root first', () => {
    expect(crumbs('/')).toEqual([{ name: '/', path: '/' }]);
    expect(crumbs('/home/me')).toEqual([
      { name: '/', path: '/' },
      { name: 'home', path: '/home' },
      { name: 'me', path: '/home/me' },
    ]);
    expect(crumbs('C:\\Users\\me').map((c) => c.path)).toEqual(['C:\\', 'C:\\Users', 'C:\\Users\\me']);
    expect(crumbs('C:\\').map((c) => c.name)).toEqual(['C:\\']);
    expect(crumbs('\\\\srv\\share\\dir').map((c) => c.path)).toEqual(['\\\\srv\\share\\', '\\\\srv\\share\\dir']);
  });
});

describe('memoryTree (the fake ListDirectory)', () => {
  const ls = memoryTree(FAKE_DIRS, FAKE_HOME);
  it('answers like the facade', () => {
    expect(ls({})).toMatchObject({ path: '/home/me', parent: '/home', truncated: false });
    expect(ls({}).entries.map((e) => e.name)).toEqual(['Documents', 'src']);
    expect(ls({ showHidden: true }).entries.map((e) => e.name)).toEqual(['.config', 'Documents', 'src']);
    expect(ls({ path: '~/src' }).entries).toEqual([
      { name: 'alpha', path: '/home/me/src/alpha' },
      { name: 'Beta', path: '/home/me/src/Beta' },
      { name: 'corral', path: '/home/me/src/corral' },
    ]);
    expect(ls({ path: '/home/me/src/../../' })).toMatchObject({ path: '/home', parent: '/' });
    expect(ls({ path: '/' }).parent).toBe('');
    expect(() => ls({ path: 'src' })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => ls({ path: '/nope' })).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});

function browser(handlers: Record<string, (p: any) => any> = {}, start = '') {
  const fake = new FakeBackend(handlers);
  const onpick = vi.fn();
  const oncancel = vi.fn();
  render(DirectoryBrowser, { api: new Api(fake), start, onpick, oncancel });
  return { fake, onpick, oncancel };
}

describe('DirectoryBrowser', () => {
  it('opens the home folder, navigates by entries, parent and breadcrumbs, and picks', async () => {
    const { fake, onpick } = browser();
    await until(() => expect(names()).toEqual(['Documents', 'src']));
    expect(fake.callsOf('ListDirectory')).toEqual([{}]);
    expect(shownPath()).toBe('/home/me');
    expect(screen.getAllByTestId('dir-crumb').map((c) => c.textContent)).toEqual(['/', 'home', 'me']);
    expect(screen.getByRole('button', { name: 'Go to /home/me' }).getAttribute('aria-current')).toBe('location');

    await fireEvent.click(screen.getByRole('button', { name: 'src' }));
    await until(() => expect(names()).toEqual(['alpha', 'Beta', 'corral']));
    expect(shownPath()).toBe('/home/me/src');
    expect(screen.getByTestId('dir-parent').getAttribute('aria-label')).toBe('Parent folder /home/me');

    await fireEvent.click(screen.getByRole('button', { name: 'Go to /home' }));
    await until(() => expect(shownPath()).toBe('/home'));
    expect(names()).toEqual(['me']);
    await fireEvent.click(screen.getByTestId('dir-parent'));
    await until(() => expect(shownPath()).toBe('/'));
    expect(screen.queryByTestId('dir-parent')).toBeNull(); // the root has none

    await fireEvent.click(screen.getByRole('button', { name: 'Home folder' }));
    await until(() => expect(shownPath()).toBe('/home/me'));
    await fireEvent.click(screen.getByTestId('dir-use'));
    expect(onpick).toHaveBeenCalledWith('/home/me');
  });

  it('is driven by the keyboard: arrows, Home/End, Enter and Right open, Left and Backspace go up', async () => {
    browser({}, '/home/me/src');
    await until(() => expect(names()).toEqual(['alpha', 'Beta', 'corral']));
    const list = screen.getByRole('list', { name: 'Folders in /home/me/src' });
    const rows = list.querySelectorAll('button');
    // one tab stop: the active row
    expect([...rows].map((b) => b.tabIndex)).toEqual([0, -1, -1, -1]);
    rows[0].focus();
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    expect(focusedName()).toBe('/home/me/src/alpha');
    await fireEvent.keyDown(list, { key: 'End' });
    expect(focusedName()).toBe('/home/me/src/corral');
    await fireEvent.keyDown(list, { key: 'ArrowDown' }); // stays on the last
    expect(focusedName()).toBe('/home/me/src/corral');
    await fireEvent.keyDown(list, { key: 'ArrowUp' });
    expect(focusedName()).toBe('/home/me/src/Beta');
    await fireEvent.keyDown(list, { key: 'Home' });
    expect(focusedName()).toBe('/home/me');
    await fireEvent.keyDown(list, { key: 'End' });
    await fireEvent.keyDown(list, { key: 'Enter' });
    await until(() => expect(shownPath()).toBe('/home/me/src/corral'));
    // the new listing's first row has the focus
    await until(() => expect(focusedName()).toBe('/home/me/src'));
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await fireEvent.keyDown(list, { key: 'ArrowRight' });
    await until(() => expect(shownPath()).toBe('/home/me/src/corral/web'));
    await fireEvent.keyDown(list, { key: 'ArrowLeft' });
    await until(() => expect(shownPath()).toBe('/home/me/src/corral'));
    await fireEvent.keyDown(list, { key: 'Backspace' });
    await until(() => expect(shownPath()).toBe('/home/me/src'));
  });

  it('shows hidden folders on request and filters by name', async () => {
    const { fake } = browser();
    await until(() => expect(names()).toEqual(['Documents', 'src']));
    await fireEvent.click(screen.getByLabelText('Show hidden'));
    await until(() => expect(names()).toEqual(['.config', 'Documents', 'src']));
    expect(fake.callsOf('ListDirectory').at(-1)).toEqual({ path: '/home/me', showHidden: true });
    await fireEvent.click(screen.getByLabelText('Show hidden'));
    await until(() => expect(names()).toEqual(['Documents', 'src']));

    const filter = screen.getByLabelText('Filter folders');
    await fireEvent.input(filter, { target: { value: 'DOC' } });
    expect(names()).toEqual(['Documents']);
    expect(screen.queryByTestId('dir-parent')).toBeNull();
    await fireEvent.input(filter, { target: { value: 'zzz' } });
    expect(screen.getByText(/No folder matches the filter/)).toBeTruthy();
    await fireEvent.input(filter, { target: { value: 'sr' } });
    // Enter in the filter opens the first match (and does not submit a form around it)
    const enter = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true });
    filter.dispatchEvent(enter);
    expect(enter.defaultPrevented).toBe(true);
    await until(() => expect(shownPath()).toBe('/home/me/src'));
    expect((filter as HTMLInputElement).value).toBe('');
  });

  it('shows errors inline and keeps the last listing', async () => {
    const tree = memoryTree(FAKE_DIRS, FAKE_HOME);
    const { onpick } = browser({
      ListDirectory: (p) => {
        if (p.path === '/home/me/Documents') return new BackendError('permission_denied', 'permission denied: corral\'s user may not read /home/me/Documents');
        return tree(p);
      },
    }, '/home/me/gone');
    // an unusable start folder: its error, and the home folder under it
    await until(() => expect(screen.getByTestId('dir-error').textContent).toContain('/home/me/gone does not exist'));
    await until(() => expect(names()).toEqual(['Documents', 'src']));
    expect(screen.getByTestId('dir-error').getAttribute('role')).toBe('alert');

    await fireEvent.click(screen.getByRole('button', { name: 'Documents' }));
    await until(() => expect(screen.getByTestId('dir-error').textContent).toContain('Not allowed to open /home/me/Documents'));
    expect(shownPath()).toBe('/home/me');
    expect(names()).toEqual(['Documents', 'src']);

    // a listing that works clears the error
    await fireEvent.click(screen.getByRole('button', { name: 'src' }));
    await until(() => expect(screen.queryByTestId('dir-error')).toBeNull());
    await fireEvent.click(screen.getByTestId('dir-use'));
    expect(onpick).toHaveBeenCalledWith('/home/me/src');
  });

  it('ignores an answer that arrives after a newer request', async () => {
    const tree = memoryTree(FAKE_DIRS, FAKE_HOME);
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    browser({
      ListDirectory: async (p) => {
        if (p.path === '/home/me/Documents') await slow;
        return tree(p);
      },
    });
    await until(() => expect(names()).toEqual(['Documents', 'src']));
    await fireEvent.click(screen.getByRole('button', { name: 'Documents' }));
    await fireEvent.click(screen.getByRole('button', { name: 'src' }));
    await until(() => expect(shownPath()).toBe('/home/me/src'));
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(shownPath()).toBe('/home/me/src');
  });

  it('says when a listing is cut and when a folder has no subfolders', async () => {
    browser({
      ListDirectory: (p) =>
        p.path === '/empty'
          ? { path: '/empty', parent: '/', entries: [], truncated: false }
          : { path: '/big', parent: '/', entries: Array.from({ length: 2000 }, (_, i) => ({ name: `d${i}`, path: `/big/d${i}` })), truncated: true },
    });
    await until(() => expect(names().length).toBe(2000));
    expect(screen.getByRole('note').textContent).toContain('Only the first 2,000 folders');
    cleanup();
    browser({ ListDirectory: () => ({ path: '/empty', parent: '/', entries: [], truncated: false }) });
    await until(() => expect(screen.getByTestId('dir-browser').querySelector('.note')?.textContent).toBe('No folders here. Hidden folders are not shown.'));
  });

  it('Escape closes the browser, not what holds it', async () => {
    const { oncancel } = browser();
    await until(() => expect(names().length).toBe(2));
    const esc = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    screen.getByRole('button', { name: 'src' }).dispatchEvent(esc);
    expect(oncancel).toHaveBeenCalledOnce();
    expect(esc.defaultPrevented).toBe(true);
  });
});

describe('NewSessionDialog with the folder browser', () => {
  function dialog(desktop: boolean) {
    const fake = new FakeBackend({
      ListAgents: () => [{ name: 'claude', command: 'claude', version: '2.1.4', status: 'ok' }],
      CreateSession: (p: any) => ({ id: 'n1', agent: p.agent, cwd: p.cwd, status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }),
    });
    if (desktop) (fake as any).pickDirectory = async () => '/picked/natively';
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    render(NewSessionDialog, { store, open: true });
    return { fake, store };
  }

  it('browser mode: browses from the typed path, picks a folder and creates the session there', async () => {
    const { fake, store } = dialog(false);
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    expect(screen.queryByTestId('browse-cwd')).toBeNull(); // no native picker in a browser
    const input = screen.getByLabelText('Working directory') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '/home/me/src' } });
    const toggle = screen.getByTestId('browse-dirs');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    // it opens where the field points
    await until(() => expect(shownPath()).toBe('/home/me/src'));
    expect(fake.callsOf('ListDirectory')).toContainEqual({ path: '/home/me/src' });
    await fireEvent.click(screen.getByRole('button', { name: 'corral' }));
    await until(() => expect(shownPath()).toBe('/home/me/src/corral'));
    await fireEvent.click(screen.getByRole('button', { name: 'Use this folder' }));
    expect(input.value).toBe('/home/me/src/corral');
    expect(screen.queryByTestId('dir-browser')).toBeNull();
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(screen.getByTestId('create-session'));
    await until(() => expect(fake.callsOf('CreateSession')).toEqual([{ agent: 'claude', cwd: '/home/me/src/corral' }]));
    expect(store.selected).toBe('n1');
  });

  it('desktop: the native picker stays next to the browser', async () => {
    dialog(true);
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('browse-dirs'));
    await until(() => expect(names()).toEqual(['Documents', 'src']));
    await fireEvent.click(screen.getByTestId('browse-cwd'));
    await until(() => expect((screen.getByTestId('cwd-input') as HTMLInputElement).value).toBe('/picked/natively'));
    // the Close button folds the browser away
    await fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('dir-browser')).toBeNull();
  });

  it('checks the directory as it is typed: the problem beside the field, Start disabled meanwhile', async () => {
    const { fake } = dialog(false);
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    const input = screen.getByLabelText('Working directory') as HTMLInputElement;
    const start = screen.getByTestId('create-session') as HTMLButtonElement;
    await fireEvent.input(input, { target: { value: '/home/me/nope' } });
    const problem = await until(() => screen.getByTestId('cwd-problem'));
    expect(problem.textContent).toBe('No such folder.');
    expect(input.getAttribute('aria-describedby')).toBe(problem.id);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(start.disabled).toBe(true);
    await fireEvent.input(input, { target: { value: 'relative/dir' } });
    await until(() => expect(screen.getByTestId('cwd-problem').textContent).toContain('absolute path'));
    expect(start.disabled).toBe(true);
    // typing fast checks only where the typing stopped (debounced)
    const before = fake.callsOf('ListDirectory').length;
    for (const v of ['/h', '/ho', '/hom', '/home', '/home/me/src']) await fireEvent.input(input, { target: { value: v } });
    await until(() => expect(screen.queryByTestId('cwd-problem')).toBeNull());
    // one check, where the typing stopped; then up its parents, looking for a git repository
    const after = fake.callsOf('ListDirectory').slice(before);
    expect(after[0]).toEqual({ path: '/home/me/src', showHidden: true });
    expect(after.slice(1).map((c) => c.path)).toEqual(['/home/me', '/home', '/']);
    expect(input.hasAttribute('aria-describedby')).toBe(false);
    expect(start.disabled).toBe(false);
  });

  it('a refused folder says so; a failed start shows in the dialog, not behind it', async () => {
    const fake = new FakeBackend({
      ListAgents: () => [{ name: 'claude', command: 'claude', version: '2.1.4', status: 'ok', protocol: 'claude' }],
      ListDirectory: (p: any) =>
        p.path === '/root/secret' ? new BackendError('permission_denied', 'open /root/secret: permission denied') : { path: p.path, parent: '/', entries: [], truncated: false },
      CreateSession: () => new BackendError('spawn_failed', 'session s-1: exec: "claude": executable file not found in $PATH'),
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    render(NewSessionDialog, { store, open: true, checkDelay: 10 });
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    const input = screen.getByLabelText('Working directory') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '/root/secret' } });
    await until(() => expect(screen.getByTestId('cwd-problem').textContent).toContain('may not open'));
    await fireEvent.input(input, { target: { value: '/work' } });
    await until(() => expect(screen.queryByTestId('cwd-problem')).toBeNull());
    await fireEvent.click(screen.getByTestId('create-session'));
    const err = await until(() => screen.getByTestId('start-error'));
    expect(err.textContent).toContain('Could not start the session: the program could not be started.');
    expect(err.textContent).toContain('executable file not found');
    // inside the dialog, and no toast behind its backdrop
    expect(screen.getByTestId('new-session-dialog').contains(err)).toBe(true);
    expect(store.toast).toBeNull();
    expect(store.state.errors.get('calls')?.[0].type).toBe('spawn_failed');
    expect(screen.getByTestId('new-session-dialog').hasAttribute('open')).toBe(true);
  });

  it('Escape while browsing folds the browser only; then it closes the dialog', async () => {
    dialog(false);
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('browse-dirs'));
    await until(() => expect(names().length).toBeGreaterThan(0));
    const dlg = screen.getByTestId('new-session-dialog') as HTMLDialogElement;
    // (the browser handles Escape pressed inside it; focus elsewhere in the
    // dialog reaches the dialog's cancel event)
    const cancel = new Event('cancel', { cancelable: true });
    dlg.dispatchEvent(cancel);
    expect(cancel.defaultPrevented).toBe(true);
    await until(() => expect(screen.queryByTestId('dir-browser')).toBeNull());
    expect(dlg.hasAttribute('open')).toBe(true);
    const again = new Event('cancel', { cancelable: true });
    dlg.dispatchEvent(again);
    expect(again.defaultPrevented).toBe(false);
  });

  it('explains what Claude Code asks before, per permission mode', async () => {
    const fake = new FakeBackend({ ListAgents: () => [{ name: 'claude', command: 'claude', version: '2.1.4', status: 'ok', protocol: 'claude', permissionModes: ['default', 'acceptEdits', 'plan', 'bypassPermissions'] }] });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    render(NewSessionDialog, { store, open: true });
    const help = await until(() => screen.getByTestId('mode-help'));
    expect(help.textContent).toContain('runs read-only commands (reading files, searching, ls) without asking');
    expect(help.textContent).toContain('asks before editing files and before commands that change things');
    const sel = screen.getByTestId('mode-select') as HTMLSelectElement;
    expect(sel.getAttribute('aria-describedby')).toBe('mode-help');
    await fireEvent.change(sel, { target: { value: 'acceptEdits' } });
    expect(screen.getByTestId('mode-help').textContent).toContain('edits files without asking');
  });
});
