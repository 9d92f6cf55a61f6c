// The context-window meter: how much of the model's context the last turn
// used, from the usage the agent reported.

import type { UsageData } from './api';

export interface ContextUse {
  /** tokens the last turn sent: input plus cache reads and writes */
  used: number;
  /** the model's context window in tokens */
  window: number;
  /** used / window in percent, 0–100 */
  percent: number;
}

/**
 * The window the agent itself reported for model (Claude's
 * modelUsage[model].contextWindow), else the largest it reported for any
 * model of the turn, else 0.
 */
export function reportedWindow(usage: UsageData, model?: string): number {
  const m = usage.models;
  if (!m || typeof m !== 'object') return 0;
  const per = m as Record<string, { contextWindow?: unknown; modelContextWindow?: unknown }>;
  const win = (v: { contextWindow?: unknown; modelContextWindow?: unknown } | undefined) => {
    const n = Number(v?.contextWindow ?? v?.modelContextWindow);
    return Number.isFinite(n) && n > 0 ? n : 0;
  };
  if (model && per[model]) {
    const w = win(per[model]);
    if (w) return w;
  }
  return Math.max(0, ...Object.values(per).map((v) => (v && typeof v === 'object' ? win(v) : 0)));
}

/**
 * contextUse is the meter's reading: null when the agent reported no usage
 * yet or the window is unknown (neither reported nor in `windows`, the
 * per-model table ListModels gives).
 */
export function contextUse(usage: UsageData | null | undefined, model: string | undefined, windows: Record<string, number>): ContextUse | null {
  if (!usage) return null;
  const used = (usage.inputTokens || 0) + (usage.cacheReadTokens || 0) + (usage.cacheWriteTokens || 0);
  const window = reportedWindow(usage, model) || (model ? windows[model] || 0 : 0);
  if (!window || used <= 0) return null;
  return { used, window, percent: Math.min(100, Math.round((used / window) * 1000) / 10) };
}

/** "12.3k / 200k" for the meter's label. */
export function fmtTokens(n: number): string {
  if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(n % 1_000_000 ? 2 : 0)}M`;
  if (n >= 1000) return `${+(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k`;
  return String(n);
}
