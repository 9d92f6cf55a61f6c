// A Backend for tests: records every call, answers from a handler table, and
// lets the test push events and connection states by hand.
import { BackendError, type Backend, type CorralEvent, type EventFilter, type StreamState } from '../lib/api';
import { memoryTree } from '../lib/dirtree';

/** The directories ListDirectory answers from unless a test gives its own handler. */
export const FAKE_HOME = '/home/me';
export const FAKE_DIRS = ['/home/me/src/corral/web', '/home/me/src/Beta', '/home/me/src/alpha', '/home/me/.config', '/home/me/Documents', '/srv/data'];

export class FakeBackend implements Backend {
  readonly kind = 'http' as const;
  calls: { method: string; params: any }[] = [];
  subs: { since: number; filter: EventFilter; on: (e: CorralEvent) => void; state?: (s: StreamState) => void; closed: boolean }[] = [];
  constructor(public handlers: Record<string, (p: any) => any> = {}) {
    // a small file system, so every view that browses folders has some
    this.handlers = { ListDirectory: memoryTree(FAKE_DIRS, FAKE_HOME), ...handlers };
  }

  async call<T>(method: string, params: object): Promise<T> {
    this.calls.push({ method, params });
    const h = this.handlers[method];
    if (!h) {
      if (method.startsWith('List')) return [] as T;
      return undefined as T;
    }
    const r = h(params);
    if (r instanceof BackendError) throw r;
    return (await r) as T;
  }

  subscribe(since: number, filter: EventFilter, on: (e: CorralEvent) => void, state?: (s: StreamState) => void) {
    const s = { since, filter, on, state, closed: false };
    this.subs.push(s);
    state?.('live');
    return () => void (s.closed = true);
  }

  push(...evs: CorralEvent[]) {
    for (const e of evs) for (const s of this.subs) if (!s.closed) s.on(e);
  }
  setState(st: StreamState) {
    for (const s of this.subs) s.state?.(st);
  }
  callsOf(method: string) {
    return this.calls.filter((c) => c.method === method).map((c) => c.params);
  }
}

let clock = Date.parse('2026-11-26T10:00:00Z');
export function ev(seq: number, kind: string, data: any = {}, extra: Partial<CorralEvent> = {}): CorralEvent {
  return { seq, cursor: seq, sessionId: 's1', runId: 'r1', time: new Date(clock + seq * 1000).toISOString(), kind, data, ...extra };
}
export const sync = (fn: () => void) => fn();

import { vi } from 'vitest';
/** vi.waitFor with room for a loaded machine: it only bounds a hang. */
export function until<T>(fn: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(fn, { timeout: 20_000, interval: 10 });
}
