import type { RateWindow } from './contract.gen';

const named: Record<string, string> = {
  five_hour: '5-hour',
  seven_day: 'weekly',
  seven_day_opus: 'weekly (Opus)',
  seven_day_sonnet: 'weekly (Sonnet)',
  seven_day_overage_included: 'weekly (with extra usage)',
  overage: 'extra usage',
  unified: 'plan',
};

/** A window's name for people: "5-hour", "weekly", or its length ("5 h", "7 d") before the agent's name. */
export function windowLabel(w: Pick<RateWindow, 'window' | 'windowMinutes'>): string {
  if (named[w.window]) return named[w.window];
  const m = w.windowMinutes ?? 0;
  if (m > 0) {
    const len = m % 1440 === 0 ? `${m / 1440} d` : m % 60 === 0 ? `${m / 60} h` : `${m} min`;
    return `${len} (${w.window})`;
  }
  return w.window;
}

/** The agents of names that reported no window, in the order given. */
export function agentsWithoutWindows(names: string[], windows: Pick<RateWindow, 'agent'>[]): string[] {
  const have = new Set(windows.map((w) => w.agent));
  return [...new Set(names)].filter((n) => n && !have.has(n));
}

/** The bar's fill, 0–100, of a window; null when the agent did not say how much is used. */
export function usedFill(w: Pick<RateWindow, 'usedPercent'>): number | null {
  if (w.usedPercent == null) return null;
  return Math.max(0, Math.min(100, w.usedPercent));
}
