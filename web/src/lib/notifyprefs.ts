// Which events raise a notification while the tab is hidden: one switch per
// kind, kept in localStorage (corral.notify.<kind>, "0" or "1"; on unless
// turned off). docs/web.md lists the event kinds behind each switch.

import type { CorralEvent } from './api';

export type NotifyKind = 'permission' | 'done' | 'error' | 'rate_limited' | 'resumed' | 'budget';

export const NOTIFY_KINDS: [NotifyKind, string][] = [
  ['permission', 'Needs permission'],
  ['done', 'Turn done'],
  ['error', 'Error'],
  ['rate_limited', 'Rate-limited'],
  ['resumed', 'Resumed'],
  ['budget', 'Budget reached'],
];

const key = (k: NotifyKind) => `corral.notify.${k}`;

export function notifyEnabled(k: NotifyKind): boolean {
  try {
    return localStorage.getItem(key(k)) !== '0';
  } catch {
    return true; // storage disabled: everything on
  }
}

export function setNotifyEnabled(k: NotifyKind, on: boolean): void {
  try {
    localStorage.setItem(key(k), on ? '1' : '0');
  } catch {
    /* storage may be disabled */
  }
}

/**
 * The switch an event falls under, or null for an event that raises no
 * notification: permission.request; a turn's run.exited (done when it
 * ended normally, error otherwise); session.rate_limited; session.resumed;
 * a budget.* event of the usage accounting.
 */
export function notifyKindOf(ev: Pick<CorralEvent, 'kind' | 'processId' | 'data'>): NotifyKind | null {
  switch (ev.kind) {
    case 'permission.request':
      return 'permission';
    case 'run.exited': {
      if (ev.processId) return null; // the agent process, not the turn
      const d: any = ev.data ?? {};
      return !d.reason || d.reason === 'exit' ? 'done' : 'error';
    }
    case 'session.rate_limited':
      return 'rate_limited';
    case 'session.resumed':
      return 'resumed';
  }
  return String(ev.kind).startsWith('budget.') ? 'budget' : null;
}
