import { describe, expect, it } from 'vitest';
import { BackendError } from './api';
import { loadRunners, loadText, machineChoices, type RunnerInfo } from './fleet';

const runner = (name: string, over: Partial<RunnerInfo> = {}): RunnerInfo => ({
  name,
  status: 'online',
  version: 'v1',
  agents: ['claude'],
  sessions: 0,
  capacity: 0,
  cpu: 0,
  rss: 0,
  load: 0,
  labels: {},
  lastSeen: '2026-01-01T00:00:00Z',
  ...over,
});

describe('loadRunners', () => {
  it('is null when the fleet is off, the list otherwise', async () => {
    expect(await loadRunners(() => Promise.reject(new BackendError('unsupported', 'the fleet is off')))).toBeNull();
    expect(await loadRunners(() => Promise.resolve([runner('a')]))).toHaveLength(1);
    await expect(loadRunners(() => Promise.reject(new BackendError('internal', 'boom')))).rejects.toThrow('boom');
  });
});

describe('machineChoices', () => {
  it('offers this machine, any able runner, then each runner with why it cannot', () => {
    const c = machineChoices([runner('a'), runner('b', { status: 'lost' }), runner('c', { agents: ['codex'] })], 'claude');
    expect(c.map((x) => [x.value, x.disabled, x.why])).toEqual([
      ['', false, undefined],
      ['*', false, undefined],
      ['a', false, undefined],
      ['b', true, 'lost'],
      ['c', true, 'no claude'],
    ]);
  });
  it('disables "any" when no online runner has the agent', () => {
    const c = machineChoices([runner('b', { status: 'lost' })], 'claude');
    expect(c[1]).toMatchObject({ value: '*', disabled: true, why: 'no online machine has it' });
  });
});

describe('loadText', () => {
  it('shows sessions of the capacity and the load average', () => {
    expect(loadText(runner('a', { sessions: 2, capacity: 4, load: 1.5 }))).toBe('2/4 sessions · load 1.50');
    expect(loadText(runner('a', { sessions: 1 }))).toBe('1 session');
    expect(loadText(runner('a', { sessions: 3 }))).toBe('3 sessions');
  });
});
