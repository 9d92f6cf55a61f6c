// The fleet in the UI: the Machines view over ListRunners, and the machine
// chooser of the new-session dialog, shown only when the fleet is on, and
// the machine of each session in the list and the header.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { BackendError } from '../lib/api';
import { Store } from '../lib/store/store.svelte';
import MachinesView from '../components/MachinesView.svelte';
import NewSessionDialog from '../components/NewSessionDialog.svelte';
import Sidebar from '../components/Sidebar.svelte';
import Conversation from '../components/Conversation.svelte';
import { FakeBackend, ev, sync, until } from './fake';

afterEach(() => cleanup());

const OFF = () => new BackendError('unsupported', 'the fleet is off');
const runner = (name: string, over: object = {}) => ({
  name, status: 'online', version: 'v1', agents: ['claude'], sessions: 1, capacity: 4, cpu: 12, rss: 64 << 20, load: 0.5,
  labels: { os: 'linux' }, lastSeen: new Date().toISOString(), ...over,
});
const store = (fake: FakeBackend) => new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });

describe('MachinesView', () => {
  it('lists each runner with status, load, agents and labels, and follows a change', async () => {
    let list = [runner('box'), runner('gone', { status: 'lost', agents: ['codex'] })];
    const fake = new FakeBackend({ ListRunners: () => list });
    render(MachinesView, { store: store(fake), every: 20 });
    const box = await until(() => screen.getByTestId('machine-box'));
    expect(within(box).getByTestId('machine-status').textContent).toBe('online');
    expect(box.textContent).toContain('1/4 sessions · load 0.50');
    expect(box.textContent).toContain('os=linux');
    expect(box.textContent).toContain('claude');
    expect(within(screen.getByTestId('machine-gone')).getByTestId('machine-status').textContent).toBe('lost');
    list = [runner('box', { status: 'lost' })];
    await until(() => expect(within(screen.getByTestId('machine-box')).getByTestId('machine-status').textContent).toBe('lost'));
    expect(screen.queryByTestId('machine-gone')).toBeNull();
  });

  it('says how to turn the fleet on when it is off', async () => {
    render(MachinesView, { store: store(new FakeBackend({ ListRunners: OFF })) });
    await until(() => expect(screen.getByTestId('machines-view').textContent).toContain('The fleet is off'));
  });
});

describe('NewSessionDialog machine chooser', () => {
  function open(listRunners: () => unknown, createSession?: (p: any) => unknown) {
    const fake = new FakeBackend({
      ListAgents: () => [
        { name: 'claude', command: 'claude', protocol: 'claude', version: '2.1.4', status: 'ok', permissionModes: ['default', 'plan'] },
        { name: 'gemini', command: 'gemini', protocol: 'gemini', version: '0.9', status: 'ok' },
      ],
      ListRunners: listRunners,
      CreateSession: createSession ?? ((p: any) => ({ id: 'n1', agent: p.agent, cwd: p.cwd, status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 })),
    });
    render(NewSessionDialog, { store: store(fake), open: true, checkDelay: 0 });
    return fake;
  }
  const agentNames = () => screen.getAllByRole('radio').filter((r) => (r as HTMLInputElement).name === 'agent').map((r) => (r as HTMLInputElement).value);
  const checkedAgent = () => (screen.getAllByRole('radio') as HTMLInputElement[]).find((r) => r.name === 'agent' && r.checked)?.value;
  async function start(select: HTMLSelectElement, cwd = '/home/me') {
    await fireEvent.input(screen.getByLabelText('Working directory'), { target: { value: cwd } });
    await fireEvent.submit(select.form!);
  }

  it('is hidden when the fleet is off, and no runner is sent', async () => {
    const fake = open(OFF);
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    await until(() => expect(fake.callsOf('ListRunners')).toHaveLength(1));
    expect(screen.queryByTestId('machine-select')).toBeNull();
    expect(agentNames()).toEqual(['claude', 'gemini']);
    await fireEvent.input(screen.getByLabelText('Working directory'), { target: { value: '/home/me' } });
    await fireEvent.submit(screen.getByTestId('create-session').closest('form')!);
    await until(() => expect(fake.callsOf('CreateSession')).toHaveLength(1));
    expect(fake.callsOf('CreateSession')[0]).not.toHaveProperty('runner');
  });

  it('lists the machines with their status, a lost one disabled with the reason', async () => {
    open(() => [runner('box'), runner('gone', { status: 'lost', lastSeen: new Date(Date.now() - 120_000).toISOString() })]);
    const select = (await until(() => screen.getByTestId('machine-select'))) as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, o.disabled, o.textContent])).toEqual([
      ['', false, 'This machine'],
      ['*', false, 'Any machine with the agent'],
      ['box', false, 'box — online · 1/4 sessions · load 0.50'],
      ['gone', true, 'gone (lost: last heard 2m ago)'],
    ]);
    expect(select.value).toBe('');
    expect(screen.getByLabelText('Machine')).toBe(select);
  });

  it("offers the chosen runner's agents and sends it as the runner", async () => {
    const fake = open(() => [runner('box', { agents: ['codex', 'claude'] })]);
    const select = (await until(() => screen.getByTestId('machine-select'))) as HTMLSelectElement;
    await until(() => expect(checkedAgent()).toBe('claude'));
    expect(agentNames()).toEqual(['claude', 'gemini']);
    await fireEvent.change(select, { target: { value: 'box' } });
    await until(() => expect(agentNames()).toEqual(['codex', 'claude']));
    expect(checkedAgent()).toBe('claude'); // kept: box has it too
    expect(screen.getByText('Agent on box')).toBeTruthy();
    expect(screen.getByTestId('machine-help').textContent).toContain('corral v1 · heard just now · 2 agents');
    expect(screen.getByTestId('machine-help').textContent).toContain('os=linux');
    // the folder is on box: this machine's folders are neither browsed nor checked
    expect(screen.queryByTestId('browse-dirs')).toBeNull();
    await fireEvent.input(screen.getByLabelText('Working directory'), { target: { value: '/only/on/box' } });
    // (a check would start on a 0 ms timer: this later one runs after it and its answers)
    await new Promise((r) => setTimeout(r, 10));
    expect(fake.callsOf('ListDirectory').filter((p) => p.path.startsWith('/only'))).toEqual([]);
    expect(screen.queryByTestId('cwd-problem')).toBeNull();
    expect((screen.getByTestId('create-session') as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getByTestId('cwd-remote').textContent).toContain('A folder on box');
    await fireEvent.submit(select.form!);
    await until(() => expect(fake.callsOf('CreateSession')).toHaveLength(1));
    expect(fake.callsOf('CreateSession')[0]).toMatchObject({ agent: 'claude', cwd: '/only/on/box', runner: 'box' });
  });

  it("moves to one of the runner's agents when it lacks the chosen one", async () => {
    open(() => [runner('box', { agents: ['codex'] })]);
    const select = (await until(() => screen.getByTestId('machine-select'))) as HTMLSelectElement;
    await until(() => expect(checkedAgent()).toBe('claude'));
    await fireEvent.change(select, { target: { value: 'box' } });
    await until(() => expect(checkedAgent()).toBe('codex'));
    await fireEvent.change(select, { target: { value: '' } });
    await until(() => expect(agentNames()).toEqual(['claude', 'gemini']));
    expect(checkedAgent()).toBe('claude');
  });

  it('for any machine offers the online runners\' agents and sends "*"', async () => {
    const fake = open(() => [runner('a', { agents: ['codex'] }), runner('b', { agents: ['claude', 'codex'] }), runner('c', { status: 'lost', agents: ['aider'] })]);
    const select = (await until(() => screen.getByTestId('machine-select'))) as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: '*' } });
    await until(() => expect(agentNames()).toEqual(['claude', 'codex']));
    expect(screen.getAllByTestId('agent-where').map((e) => e.textContent)).toEqual(['on b', 'on a, b']);
    expect(screen.getByTestId('machine-help').textContent).toContain('least-loaded');
    await fireEvent.click(screen.getByDisplayValue('codex'));
    await start(select);
    await until(() => expect(fake.callsOf('CreateSession')).toHaveLength(1));
    expect(fake.callsOf('CreateSession')[0]).toMatchObject({ agent: 'codex', runner: '*' });
  });

  it("offers the recent folders of the chosen machine's sessions", async () => {
    const at = (id: string, cwd: string, runner?: string) => ({ id, agent: 'claude', cwd, status: 'idle', createdAt: '', lastActivity: '2026-11-26T09:00:00Z', costUsd: 0, runner });
    const fake = new FakeBackend({
      ListAgents: () => [{ name: 'claude', command: 'claude', protocol: 'claude', version: '2.1.4', status: 'ok' }],
      ListRunners: () => [runner('box'), runner('pc')],
      ListSessions: () => [at('h', '/home/me/hub-proj'), at('b', '/srv/box-proj', 'box'), at('p', '/srv/pc-proj', 'pc')],
    });
    const st = store(fake);
    await st.start();
    render(NewSessionDialog, { store: st, open: true, checkDelay: 0 });
    const select = (await until(() => screen.getByTestId('machine-select'))) as HTMLSelectElement;
    const chips = () => [...document.querySelectorAll('.recent .chip')].map((c) => c.getAttribute('title'));
    await until(() => expect(chips()).toEqual(['/home/me/hub-proj']));
    await fireEvent.change(select, { target: { value: 'box' } });
    await until(() => expect(chips()).toEqual(['/srv/box-proj']));
    await fireEvent.change(select, { target: { value: '*' } });
    await until(() => expect(chips().sort()).toEqual(['/srv/box-proj', '/srv/pc-proj']));
  });

  it('says a placement error in a sentence naming the machine, not its code, and shows the machines anew', async () => {
    let list = [runner('box')];
    const fake = open(() => list, () => new BackendError('runner_offline', 'runner "box" is lost'));
    const select = (await until(() => screen.getByTestId('machine-select'))) as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: 'box' } });
    list = [runner('box', { status: 'lost', lastSeen: new Date(Date.now() - 60_000).toISOString() })];
    await start(select);
    const err = await until(() => screen.getByTestId('start-error'));
    await until(() => expect([...select.options].find((o) => o.value === 'box')?.textContent).toBe('box (lost: last heard 1m ago)'));
    expect(fake.callsOf('ListRunners')).toHaveLength(2);
    expect(select.value).toBe('box');
    expect(fake.callsOf('CreateSession')[0]).toMatchObject({ runner: 'box' });
    expect(err.firstChild?.textContent?.trim()).toBe(
      'box is unreachable: the hub has not heard from it lately. Choose another machine, or try again once it is back online.',
    );
    expect(err.textContent).not.toMatch(/runner_offline/);
  });
});

describe('the machine of a session', () => {
  const sess = (id: string, over: object = {}) => ({
    id, agent: 'claude', cwd: '/src/' + id, status: 'idle', createdAt: '2026-11-26T09:00:00Z', lastActivity: '2026-11-26T09:00:00Z', costUsd: 0, ...over,
  });
  async function setup(fleet: boolean) {
    const fake = new FakeBackend({ ListSessions: () => [sess('here'), sess('far', { runner: 'box' }), sess('cut', { runner: 'box', status: 'disconnected' })] });
    const st = store(fake);
    await st.start();
    return { fake, st, fleet };
  }
  const row = (id: string) => screen.getAllByTestId('session-row').find((r) => r.dataset.sessionId === id)!;

  it('is named in each row with the fleet on: the runner, or this machine', async () => {
    const { st } = await setup(true);
    render(Sidebar, { store: st, onnew: () => {}, onselect: () => {}, refreshMs: 60_000, fleet: true });
    await until(() => expect(screen.getAllByTestId('session-row')).toHaveLength(3));
    expect(within(row('here')).getByTestId('session-machine').textContent).toContain('this machine');
    expect(within(row('far')).getByTestId('session-machine').textContent).toContain('box');
    const cut = row('cut');
    expect(within(cut).getByTestId('session-badge').textContent).toBe('machine unreachable');
    expect(within(cut).getByTestId('session-badge').classList.contains('disconnected')).toBe(true);
    expect(within(cut).getByTestId('session-machine').classList.contains('unreach')).toBe(true);
    expect(within(row('far')).getByTestId('session-machine').classList.contains('unreach')).toBe(false);
    // an unreachable machine needs the user's attention; a machine's name finds its sessions
    await fireEvent.click(screen.getByRole('radio', { name: 'Needs you' }));
    await until(() => expect(screen.getAllByTestId('session-row').map((r) => r.dataset.sessionId)).toEqual(['cut']));
    await fireEvent.click(screen.getByRole('radio', { name: 'All' }));
    await fireEvent.input(screen.getByTestId('session-search'), { target: { value: 'box' } });
    await until(() => expect(screen.getAllByTestId('session-row').map((r) => r.dataset.sessionId).sort()).toEqual(['cut', 'far']));
  });

  it("is not named for the hub's own sessions with the fleet off", async () => {
    const { st } = await setup(false);
    render(Sidebar, { store: st, onnew: () => {}, onselect: () => {}, refreshMs: 60_000 });
    await until(() => expect(screen.getAllByTestId('session-row')).toHaveLength(3));
    expect(within(row('here')).queryByTestId('session-machine')).toBeNull();
    expect(within(row('far')).getByTestId('session-machine').textContent).toContain('box');
  });

  it('shows a turn cut off with its machine as unreachable, not as working', async () => {
    let status = 'processing';
    const fake = new FakeBackend({ ListSessions: () => [sess('cut', { runner: 'box', status })] });
    const st = store(fake);
    await st.start();
    await st.refreshSessions();
    // the turn had started (its events are newer than the list's lastActivity)
    fake.push(ev(1, 'run.started', { prompt: 'go' }, { sessionId: 'cut', time: '2026-11-26T09:05:00Z' }));
    render(Conversation, { store: st, sessionId: 'cut', fleet: true });
    await until(() => expect(screen.getByTestId('working')).toBeTruthy());
    status = 'disconnected';
    await st.refreshSessions();
    await until(() => expect(screen.getByTestId('session-status').textContent).toBe('machine unreachable'));
    expect(screen.queryByTestId('working')).toBeNull();
    expect(screen.queryByTestId('interrupt')).toBeNull();
    expect(screen.getByTestId('machine-unreachable')).toBeTruthy();
  });

  it('is in the header, and an unreachable machine is said above the composer', async () => {
    const { st } = await setup(true);
    const view = render(Conversation, { store: st, sessionId: 'far', fleet: true });
    await until(() => expect(screen.getByTestId('session-machine').textContent).toContain('box'));
    expect(screen.queryByTestId('machine-unreachable')).toBeNull();
    view.unmount();
    render(Conversation, { store: st, sessionId: 'cut', fleet: true });
    await until(() => expect(screen.getByTestId('session-status').textContent).toBe('machine unreachable'));
    expect(screen.getByTestId('machine-unreachable').textContent).toContain('The machine box cannot be reached');
  });
});
