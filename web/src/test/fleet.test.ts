// The fleet in the UI: the Machines view over ListRunners, and the machine
// chooser of the new-session dialog, shown only when the fleet is on.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { BackendError } from '../lib/api';
import { Store } from '../lib/store/store.svelte';
import MachinesView from '../components/MachinesView.svelte';
import NewSessionDialog from '../components/NewSessionDialog.svelte';
import { FakeBackend, sync, until } from './fake';

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
  function open(listRunners: () => unknown) {
    const fake = new FakeBackend({
      ListAgents: () => [{ name: 'claude', command: 'claude', version: '2.1.4', status: 'ok' }],
      ListRunners: listRunners,
      CreateSession: (p: any) => ({ id: 'n1', agent: p.agent, cwd: p.cwd, status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }),
    });
    render(NewSessionDialog, { store: store(fake), open: true });
    return fake;
  }

  it('is hidden when the fleet is off, and no runner is sent', async () => {
    const fake = open(OFF);
    await until(() => expect(screen.getByText('2.1.4')).toBeTruthy());
    await until(() => expect(fake.callsOf('ListRunners')).toHaveLength(1));
    expect(screen.queryByTestId('machine-select')).toBeNull();
  });

  it('offers the runners with the agent and sends the chosen one', async () => {
    const fake = open(() => [runner('box'), runner('gone', { status: 'lost' })]);
    const select = (await until(() => screen.getByTestId('machine-select'))) as HTMLSelectElement;
    const opts = [...select.options].map((o) => [o.value, o.disabled]);
    expect(opts).toEqual([['', false], ['*', false], ['box', false], ['gone', true]]);
    await fireEvent.change(select, { target: { value: 'box' } });
    await fireEvent.input(screen.getByLabelText('Working directory'), { target: { value: '/home/me' } });
    await fireEvent.submit(select.form!);
    await until(() => expect(fake.callsOf('CreateSession')).toHaveLength(1));
    expect(fake.callsOf('CreateSession')[0]).toMatchObject({ agent: 'claude', cwd: '/home/me', runner: 'box' });
  });
});
