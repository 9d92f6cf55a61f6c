import { describe, expect, it } from 'vitest';
import { BackendError, type AgentInfo } from './api';
import {
  ANY_MACHINE, THIS_MACHINE, agentChoices, keepMachine, loadRunners, runnerDetail, loadText, machineChoices, machineUnreachable, placementSentence, runnerStatusText,
  sessionMachine, type RunnerInfo,
} from './fleet';

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

const NOW = Date.parse('2026-01-01T00:05:00Z');
const hub = (name: string, over: Partial<AgentInfo> = {}): AgentInfo =>
  ({ name, command: name, protocol: name, status: 'ok', version: '1.0', capabilities: {} as AgentInfo['capabilities'], ...over }) as AgentInfo;

describe('machineChoices', () => {
  it('offers this machine, any machine, then each runner with its status or why it cannot', () => {
    const c = machineChoices([runner('a', { sessions: 1, capacity: 4 }), runner('b', { status: 'lost' }), runner('c', { agents: [] })], NOW);
    expect(c.map((x) => [x.value, x.label, x.disabled, x.why])).toEqual([
      [THIS_MACHINE, 'This machine', false, undefined],
      [ANY_MACHINE, 'Any machine with the agent', false, undefined],
      ['a', 'a — online · 1/4 sessions', false, undefined],
      ['b', 'b', true, 'lost: last heard 5m ago'],
      ['c', 'c', true, 'no agents'],
    ]);
  });
  it('disables "any" when no runner is online with an agent', () => {
    for (const rs of [[], [runner('b', { status: 'lost' })], [runner('c', { agents: [] })]]) {
      expect(machineChoices(rs, NOW)[1]).toMatchObject({ value: ANY_MACHINE, disabled: true, why: 'no machine is online' });
    }
  });
});

describe('runnerStatusText', () => {
  it('says online with the load, lost with when it was last heard, anything else as it is', () => {
    expect(runnerStatusText(runner('a', { sessions: 2, load: 0.5 }), NOW)).toBe('online · 2 sessions · load 0.50');
    expect(runnerStatusText(runner('a', { status: 'lost', lastSeen: '2026-01-01T00:04:30Z' }), NOW)).toBe('lost: last heard 30s ago');
    expect(runnerStatusText(runner('a', { status: 'lost', lastSeen: '' }), NOW)).toBe('lost');
    expect(runnerStatusText(runner('a', { status: 'draining' }), NOW)).toBe('draining');
  });
});

describe('runnerDetail', () => {
  it("gives the runner's version, when it was last heard and how many agents it has", () => {
    expect(runnerDetail(runner('a', { version: 'v1.2', lastSeen: '2026-01-01T00:04:58Z', agents: ['x', 'y'] }), NOW)).toBe('corral v1.2 · heard just now · 2 agents');
    expect(runnerDetail(runner('a', { version: '', lastSeen: '', agents: ['x'] }), NOW)).toBe('1 agent');
  });
});

describe('keepMachine', () => {
  const rs = [runner('a'), runner('b', { status: 'lost' })];
  it('keeps a runner that can still take a session, else falls back to this machine', () => {
    expect(keepMachine('a', rs)).toBe('a');
    expect(keepMachine(ANY_MACHINE, rs)).toBe(ANY_MACHINE);
    expect(keepMachine('b', rs)).toBe(THIS_MACHINE);
    expect(keepMachine('gone', rs)).toBe(THIS_MACHINE);
    expect(keepMachine(ANY_MACHINE, [runner('b', { status: 'lost' })])).toBe(THIS_MACHINE);
    expect(keepMachine('a', null)).toBe(THIS_MACHINE);
  });
});

describe('agentChoices', () => {
  const hubAgents = [hub('claude', { displayName: 'Claude Code', permissionModes: ['default', 'plan'] }), hub('gemini', { status: 'missing' })];
  const rs = [runner('a', { agents: ['codex', 'claude'] }), runner('b', { agents: ['claude', 'aider'] }), runner('c', { status: 'lost', agents: ['zed'] })];

  it("offers the hub's own agents on this machine, also with the fleet off", () => {
    expect(agentChoices(THIS_MACHINE, rs, hubAgents)).toBe(hubAgents);
    expect(agentChoices('a', null, hubAgents)).toBe(hubAgents);
  });
  it("offers a runner's agents, with what the hub knows of an agent of the same name", () => {
    const a = agentChoices('a', rs, hubAgents);
    expect(a.map((x) => x.name)).toEqual(['codex', 'claude']);
    expect(a.every((x) => x.status === 'ok' && x.version === undefined)).toBe(true);
    expect(a[1]).toMatchObject({ displayName: 'Claude Code', protocol: 'claude', permissionModes: ['default', 'plan'] });
    expect(a[0].protocol).toBeUndefined();
    expect(agentChoices('c', rs, hubAgents).map((x) => x.name)).toEqual(['zed']);
    expect(agentChoices('gone', rs, hubAgents)).toEqual([]);
  });
  it('offers for any machine the agents of the online runners, each with where it is', () => {
    const a = agentChoices(ANY_MACHINE, rs, hubAgents);
    expect(a.map((x) => [x.name, x.where])).toEqual([
      ['aider', ['b']],
      ['claude', ['a', 'b']],
      ['codex', ['a']],
    ]);
  });
});

describe('placementSentence', () => {
  it('names the machine and the agent for each placement error', () => {
    expect(placementSentence('runner_not_found', 'box', 'claude')).toContain('no machine named box');
    expect(placementSentence('runner_offline', 'box', 'claude')).toMatch(/^box is unreachable/);
    expect(placementSentence('no_runner_for_agent', 'box', 'claude')).toMatch(/^box has no agent claude/);
    expect(placementSentence('no_runner_for_agent', ANY_MACHINE, 'claude')).toBe('No online machine has the agent claude.');
    expect(placementSentence('unsupported', 'box', 'claude')).toContain('cannot start sessions on other machines');
  });
  it('leaves other codes, and unsupported on this machine, to the generic sentences', () => {
    expect(placementSentence('unsupported', THIS_MACHINE, 'claude')).toBeUndefined();
    expect(placementSentence('spawn_failed', 'box', 'claude')).toBeUndefined();
  });
});

describe('sessionMachine', () => {
  it("names a runner's session's machine, this machine with the fleet on, nothing with it off", () => {
    expect(sessionMachine('box', false)).toMatchObject({ label: 'box', remote: true });
    expect(sessionMachine('box', true)).toMatchObject({ label: 'box', remote: true });
    expect(sessionMachine(undefined, true)).toMatchObject({ label: 'this machine', remote: false });
    expect(sessionMachine('', true)).toMatchObject({ label: 'this machine', remote: false });
    expect(sessionMachine(undefined, false)).toBeNull();
  });
});

describe('machineUnreachable', () => {
  it('is the status disconnected only', () => {
    expect(machineUnreachable('disconnected')).toBe(true);
    for (const s of ['idle', 'error', 'terminated', '', undefined]) expect(machineUnreachable(s)).toBe(false);
  });
});

describe('loadText', () => {
  it('shows sessions of the capacity and the load average', () => {
    expect(loadText(runner('a', { sessions: 2, capacity: 4, load: 1.5 }))).toBe('2/4 sessions · load 1.50');
    expect(loadText(runner('a', { sessions: 1 }))).toBe('1 session');
    expect(loadText(runner('a', { sessions: 3 }))).toBe('3 sessions');
  });
});
