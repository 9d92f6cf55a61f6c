// The console's empty state (what a capability is, a snippet to add, the
// next step) and "Reload configuration" with each of ReloadConfig's answers.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import RunConsole from '../components/RunConsole.svelte';
import ReloadConfig from '../components/ReloadConfig.svelte';
import NewSessionDialog from '../components/NewSessionDialog.svelte';
import { Store } from '../lib/store/store.svelte';
import { BackendError } from '../lib/api';
import { FakeBackend, sync, until } from './fake';

afterEach(() => cleanup());
const mk = (h: Record<string, (p: any) => any>) => {
  const fake = new FakeBackend(h);
  return { fake, store: new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } }) };
};

describe('RunConsole without capabilities', () => {
  it('says what a capability is, shows the snippet to add, copies it and reloads', async () => {
    let caps: any[] = [];
    const { fake, store } = mk({
      ListCapabilities: () => caps,
      ReloadConfig: () => ({ path: '/home/me/.config/corral/config.toml', applied: ['agents', 'sessions'], restartNeeded: ['capability'] }),
    });
    let copied = '';
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t: string) => void (copied = t) }, configurable: true });
    render(RunConsole, { store });
    const box = await until(() => screen.getByTestId('no-capabilities'));
    expect(box.textContent).toContain('A capability is one program corral may run');
    const snippet = screen.getByTestId('capability-snippet').textContent!;
    expect(snippet).toMatch(/^\[\[capability\]\]\nname = "list-files"\nprogram = "ls"\nargs = \[/);
    await fireEvent.click(screen.getByTestId('copy-snippet'));
    await until(() => expect(copied).toBe(snippet));
    expect(box.textContent).toContain('Copied.');
    caps = [{ name: 'ls', program: 'ls', args: [] }];
    await fireEvent.click(screen.getByTestId('reload-config'));
    const out = await until(() => screen.getByTestId('reload-result'));
    await until(() => expect(out.textContent).toContain('/home/me/.config/corral/config.toml'));
    expect(out.textContent).toContain('Now in effect: [agents], [sessions].');
    expect(out.textContent).toContain('needs a restart of corral: [[capability]]');
    expect(fake.callsOf('ReloadConfig')).toEqual([{}]);
    // the list is read again after a reload
    await until(() => expect(fake.callsOf('ListCapabilities').length).toBe(2));
  });
});

describe('RunConsole with capabilities', () => {
  it('keeps the reload within reach', async () => {
    const { fake, store } = mk({ ListCapabilities: () => [{ name: 'ls', program: 'ls', args: [] }], ReloadConfig: () => ({ path: '/c.toml', applied: ['agents', 'sessions'], restartNeeded: ['limits'] }) });
    render(RunConsole, { store });
    await until(() => expect(screen.getByTestId('console-config')).toBeTruthy());
    expect(screen.queryByTestId('no-capabilities')).toBeNull();
    await fireEvent.click(screen.getByTestId('reload-config'));
    await until(() => expect(screen.getByTestId('reload-result').textContent).toContain('needs a restart of corral: [limits]'));
    expect(fake.callsOf('ReloadConfig').length).toBe(1);
  });
});

describe('ReloadConfig', () => {
  it('says when nothing needs a restart, and shows a file that does not load', async () => {
    let answer: any = { path: '', applied: ['agents', 'sessions'], restartNeeded: [] };
    const { store } = mk({ ReloadConfig: () => answer });
    render(ReloadConfig, { store });
    await fireEvent.click(screen.getByTestId('reload-config'));
    const out = screen.getByTestId('reload-result');
    await until(() => expect(out.textContent).toContain('Read no file (defaults).'));
    expect(out.textContent).toContain('Nothing needs a restart.');
    answer = new BackendError('invalid_argument', 'config.toml:7: unknown key "comand" in [agents.claude]');
    await fireEvent.click(screen.getByTestId('reload-config'));
    await until(() => expect(out.textContent).toContain('The configuration did not load, nothing changed: config.toml:7: unknown key "comand"'));
    expect(store.state.errors.get('calls')?.[0].type).toBe('invalid_argument');
    answer = new BackendError('internal', 'reloading the configuration is not available in this build');
    await fireEvent.click(screen.getByTestId('reload-config'));
    await until(() => expect(out.textContent).toContain('Could not reload the configuration: corral ran into an internal error.'));
  });

  it('is offered by the new-session dialog when no agent is configured, and lists them after', async () => {
    let agents: any[] = [];
    const { store } = mk({ ListAgents: () => agents, ReloadConfig: () => ((agents = [{ name: 'claude', command: 'claude', status: 'ok', version: '9.9' }]), { path: '/c.toml', applied: ['agents', 'sessions'], restartNeeded: [] }) });
    render(NewSessionDialog, { store, open: true });
    await until(() => expect(screen.getByText(/No agents are configured/)).toBeTruthy());
    await fireEvent.click(screen.getByTestId('reload-config'));
    await until(() => expect(screen.getByText('9.9')).toBeTruthy());
  });
});
