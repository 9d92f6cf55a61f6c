import { describe, expect, it, beforeEach } from 'vitest';
import { notifyEnabled, notifyKindOf, setNotifyEnabled } from './notifyprefs';

describe('notification kinds', () => {
  beforeEach(() => localStorage.clear());

  it('maps events to their switch', () => {
    expect(notifyKindOf({ kind: 'permission.request' } as any)).toBe('permission');
    expect(notifyKindOf({ kind: 'run.exited', data: { reason: 'exit' } } as any)).toBe('done');
    expect(notifyKindOf({ kind: 'run.exited', data: { reason: 'error' } } as any)).toBe('error');
    expect(notifyKindOf({ kind: 'run.exited', processId: 'p1', data: {} } as any)).toBeNull();
    expect(notifyKindOf({ kind: 'session.rate_limited', data: {} } as any)).toBe('rate_limited');
    expect(notifyKindOf({ kind: 'session.resumed', data: {} } as any)).toBe('resumed');
    expect(notifyKindOf({ kind: 'budget.reached' as any, data: {} } as any)).toBe('budget');
    expect(notifyKindOf({ kind: 'assistant.text', data: {} } as any)).toBeNull();
  });

  it('keeps each switch in localStorage, on by default', () => {
    expect(notifyEnabled('done')).toBe(true);
    setNotifyEnabled('done', false);
    expect(notifyEnabled('done')).toBe(false);
    expect(localStorage.getItem('corral.notify.done')).toBe('0');
    expect(notifyEnabled('error')).toBe(true);
    setNotifyEnabled('done', true);
    expect(notifyEnabled('done')).toBe(true);
  });
});
