// Helpers of the usage view and the session's usage badge: day keys to chart
// points, totals of GetUsage rows.
import type { UsageRow } from './contract.gen';

/** The UTC day "2006-01-02" of t. */
export function dayKey(t: Date): string {
  return t.toISOString().slice(0, 10);
}

/** The range of the last n days ending today (UTC), as day keys. */
export function lastDays(n: number, now = new Date()): { from: string; to: string } {
  const to = dayKey(now);
  const from = dayKey(new Date(now.getTime() - (n - 1) * 86_400_000));
  return { from, to };
}

/** Tokens of every kind in a row. */
export function rowTokens(r: Pick<UsageRow, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'>): number {
  return r.inputTokens + r.outputTokens + r.cacheReadTokens + r.cacheWriteTokens;
}

/**
 * Chart data of day rows over from..to: one point per day (days without
 * turns are 0), x in Unix seconds, then tokens and cost.
 */
export function dayPoints(rows: UsageRow[], from: string, to: string): [number[], number[], number[]] {
  const byDay = new Map(rows.map((r) => [r.key, r]));
  const xs: number[] = [];
  const tokens: number[] = [];
  const cost: number[] = [];
  const end = Date.parse(to + 'T00:00:00Z');
  for (let t = Date.parse(from + 'T00:00:00Z'); t <= end && xs.length < 3660; t += 86_400_000) {
    const r = byDay.get(dayKey(new Date(t)));
    xs.push(t / 1000);
    tokens.push(r ? rowTokens(r) : 0);
    cost.push(r ? r.costUsd : 0);
  }
  return [xs, tokens, cost];
}

/** The sum of rows (a session's totals over its agent rows). */
export function totalOf(rows: UsageRow[]): UsageRow {
  const t: UsageRow = {
    key: 'total', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0,
    costUsd: 0, estimated: false, turns: 0, sessions: 0, durationMs: 0,
  };
  for (const r of rows) {
    t.inputTokens += r.inputTokens;
    t.outputTokens += r.outputTokens;
    t.cacheReadTokens += r.cacheReadTokens;
    t.cacheWriteTokens += r.cacheWriteTokens;
    t.costUsd += r.costUsd;
    t.estimated ||= r.estimated;
    t.turns += r.turns;
    t.sessions = Math.max(t.sessions, r.sessions);
    t.durationMs += r.durationMs;
  }
  return t;
}

/** The Data of a budget.notice event (session.BudgetNotice). */
export interface BudgetNoticeData {
  level: 'warning' | 'reached';
  scope: 'session' | 'day' | 'project';
  unit: 'usd' | 'tokens';
  used: number;
  cap: number;
  fraction: number;
  interrupted?: boolean;
}

/** The toast text of a budget notice. */
export function budgetMessage(d: BudgetNoticeData, name: string): string {
  const amt = (v: number) => (d.unit === 'usd' ? `$${v < 0.01 ? v.toFixed(4) : v.toFixed(2)}` : `${Math.round(v)} tokens`);
  const cap = `${d.scope} budget of ${amt(d.cap)}`;
  if (d.level === 'warning') return `${name}: ${Math.floor(d.fraction * 100)} % of the ${cap} used (${amt(d.used)}).`;
  return `${name}: the ${cap} is used (${amt(d.used)})${d.interrupted ? '; the turn was interrupted' : ''}. Raise it to continue.`;
}
