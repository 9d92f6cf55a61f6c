import { describe, expect, it } from 'vitest';
import { countdown } from './countdown';

describe('countdown', () => {
  it('formats the time left', () => {
    expect(countdown(0)).toBe('now');
    expect(countdown(-5)).toBe('now');
    expect(countdown(NaN)).toBe('now');
    expect(countdown(2500)).toBe('0:03');
    expect(countdown(247_000)).toBe('4:07');
    expect(countdown(3_909_000)).toBe('1:05:09');
    expect(countdown(86_399_000)).toBe('23:59:59');
    expect(countdown(86_400_000)).toBe('1 d 0 h');
    expect(countdown(251_997_000)).toBe('2 d 21 h');
  });
});
