import { describe, expect, it } from 'vitest';
import { agentsWithoutWindows, usedFill, windowLabel } from './ratewindows';

describe('rate windows', () => {
  it('names windows by the agent name or their length', () => {
    expect(windowLabel({ window: 'five_hour' })).toBe('5-hour');
    expect(windowLabel({ window: 'seven_day' })).toBe('weekly');
    expect(windowLabel({ window: 'primary', windowMinutes: 300 })).toBe('5 h (primary)');
    expect(windowLabel({ window: 'secondary', windowMinutes: 10080 })).toBe('7 d (secondary)');
    expect(windowLabel({ window: 'other' })).toBe('other');
  });
  it('lists the agents without windows', () => {
    expect(agentsWithoutWindows(['claude', 'gemini', 'codex', 'gemini', ''], [{ agent: 'claude' }, { agent: 'codex' }])).toEqual(['gemini']);
  });
  it('clamps the fill and keeps an unknown share unknown', () => {
    expect(usedFill({ usedPercent: 142 })).toBe(100);
    expect(usedFill({ usedPercent: 42 })).toBe(42);
    expect(usedFill({})).toBeNull();
  });
});
