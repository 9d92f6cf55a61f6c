import { describe, expect, it } from 'vitest';
import { groupSessions, projectLabel } from './projects';
import { contextUse, fmtTokens, reportedWindow } from './context';
import type { Session } from './api';

const s = (id: string, t: number, extra: Partial<Session> = {}): Session => ({
  id, agent: 'claude', cwd: `/src/${id}`, status: 'idle', createdAt: '', lastActivity: new Date(t * 1000).toISOString(),
  costUsd: 0, inputTokens: 0, outputTokens: 0, messages: 0, eventCount: 0, pendingPermissions: 0, ...extra,
});

describe('groupSessions', () => {
  it('puts pinned first, groups by project, hides archived', () => {
    const list = [
      s('a', 1, { project: '/src/corral', cwd: '/src/corral/web' }),
      s('b', 5, { project: '/src/corral' }),
      s('c', 3, { project: '/tmp/x' }),
      s('d', 4, { pinned: true, project: '/tmp/x' }),
      s('e', 9, { archived: true, project: '/src/other' }),
      s('f', 2),
    ];
    const g = groupSessions(list, false);
    expect(g.map((x) => [x.label, x.sessions.map((y) => y.id)])).toEqual([
      ['Pinned', ['d']],
      ['corral', ['b', 'a']],
      ['x', ['c']],
      ['f', ['f']],
    ]);
    const all = groupSessions(list, true);
    expect(all[1]).toMatchObject({ key: '/src/other', label: 'other', pinned: false });
    expect(all[1].sessions.map((x) => x.id)).toEqual(['e']);
  });
  it('has no pinned group when nothing is pinned, and labels odd paths', () => {
    expect(groupSessions([s('a', 1)], false).map((g) => g.label)).toEqual(['a']);
    expect(projectLabel('C:\\work\\repo\\')).toBe('repo');
    expect(projectLabel('')).toBe('(no directory)');
    expect(projectLabel('/')).toBe('/');
  });
});

describe('contextUse', () => {
  it('counts input and cache tokens against the window', () => {
    const u = { inputTokens: 1000, outputTokens: 500, cacheReadTokens: 40_000, cacheWriteTokens: 9000 };
    expect(contextUse(u, 'claude-sonnet-4-5', { 'claude-sonnet-4-5': 200_000 })).toEqual({ used: 50_000, window: 200_000, percent: 25 });
    expect(contextUse(u, 'unknown', {})).toBeNull();
    expect(contextUse(null, 'claude-sonnet-4-5', { 'claude-sonnet-4-5': 200_000 })).toBeNull();
  });
  it('believes the window the agent reports, and caps at 100%', () => {
    const u = { inputTokens: 300_000, outputTokens: 1, models: { 'claude-sonnet-4-5[1m]': { contextWindow: 1_000_000 }, 'claude-haiku-4-5': { contextWindow: 200_000 } } };
    expect(reportedWindow(u, 'claude-sonnet-4-5[1m]')).toBe(1_000_000);
    expect(reportedWindow(u, 'other')).toBe(1_000_000);
    expect(contextUse(u, 'claude-sonnet-4-5[1m]', {})).toEqual({ used: 300_000, window: 1_000_000, percent: 30 });
    expect(contextUse({ inputTokens: 250_000, outputTokens: 0 }, 'm', { m: 200_000 })?.percent).toBe(100);
  });
  it('formats token counts', () => {
    expect([fmtTokens(950), fmtTokens(12_345), fmtTokens(200_000), fmtTokens(1_000_000), fmtTokens(1_048_576)]).toEqual(['950', '12.3k', '200k', '1M', '1.05M']);
  });
});
