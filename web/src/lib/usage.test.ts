import { describe, expect, it } from 'vitest';
import { budgetMessage, dayPoints, lastDays, totalOf } from './usage';
import type { UsageRow } from './contract.gen';

const row = (key: string, tokens: number, cost: number, estimated = false): UsageRow => ({
  key, inputTokens: tokens, outputTokens: 1, cacheReadTokens: 2, cacheWriteTokens: 3,
  costUsd: cost, estimated, turns: 1, sessions: 1, durationMs: 10,
});

describe('usage helpers', () => {
  it('puts every day of the range on the chart, 0 where no turn ran', () => {
    const [xs, tok, cost] = dayPoints([row('2026-03-01', 10, 0.5), row('2026-03-03', 4, 0.25)], '2026-02-28', '2026-03-03');
    expect(xs).toEqual([Date.UTC(2026, 1, 28), Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 2), Date.UTC(2026, 2, 3)].map((t) => t / 1000));
    expect(tok).toEqual([0, 16, 0, 10]);
    expect(cost).toEqual([0, 0.5, 0, 0.25]);
  });
  it('sums a session over its rows, estimated if any row is', () => {
    const t = totalOf([row('claude', 10, 0.5), row('codex', 4, 0.25, true)]);
    expect([t.inputTokens, t.cacheWriteTokens, t.costUsd, t.estimated, t.turns]).toEqual([14, 6, 0.75, true, 2]);
  });
  it('names the last n days', () => {
    expect(lastDays(3, new Date(Date.UTC(2026, 0, 2, 15)))).toEqual({ from: '2025-12-31', to: '2026-01-02' });
  });
  it('words budget notices', () => {
    expect(budgetMessage({ level: 'warning', scope: 'session', unit: 'usd', used: 0.85, cap: 1, fraction: 0.85 }, 'fix bug')).toBe(
      'fix bug: 85 % of the session budget of $1.00 used ($0.85).',
    );
    expect(budgetMessage({ level: 'reached', scope: 'day', unit: 'tokens', used: 1200, cap: 1000, fraction: 1.2, interrupted: true }, 's')).toBe(
      's: the day budget of 1000 tokens is used (1200 tokens); the turn was interrupted. Raise it to continue.',
    );
  });
});
