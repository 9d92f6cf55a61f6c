import { describe, expect, it } from 'vitest';
import type { CorralEvent } from '../api';
import { CorralState } from './state';
import { Transcript } from './transcript';

let t0 = Date.parse('2026-11-26T10:00:00Z');
function ev(seq: number, kind: string, data: any = {}, extra: Partial<CorralEvent> = {}): CorralEvent {
  return { seq, cursor: seq, sessionId: 's1', runId: 'r1', time: new Date(t0 + seq * 1000).toISOString(), kind, data, ...extra };
}

describe('Transcript', () => {
  it('coalesces text deltas by message id and finishes on a whole message', () => {
    const t = new Transcript();
    t.add(ev(1, 'run.started', { prompt: 'hi' }));
    t.add(ev(2, 'assistant.text', { text: 'Hel', delta: true, messageId: 'm1' }));
    t.add(ev(3, 'assistant.thinking', { text: 'hmm', delta: true, messageId: 'm1' }));
    t.add(ev(4, 'assistant.text', { text: 'lo', delta: true, messageId: 'm1' }));
    expect(t.items.map((i) => i.type)).toEqual(['user', 'text', 'thinking']);
    expect(t.items[1]).toMatchObject({ text: 'Hello', streaming: true });
    t.add(ev(5, 'assistant.text', { text: 'Hello!', delta: false, messageId: 'm1' }));
    expect(t.items[1]).toMatchObject({ text: 'Hello!', streaming: false });
    t.add(ev(6, 'assistant.text', { text: 'Second', delta: true, messageId: 'm2' }));
    expect(t.items.length).toBe(4);
  });

  it('ignores duplicate seqs (replay after reconnect)', () => {
    const t = new Transcript();
    const evs = [
      ev(1, 'run.started', { prompt: 'x' }),
      ev(2, 'assistant.text', { text: 'a', delta: true, messageId: 'm' }),
      ev(3, 'assistant.text', { text: 'b', delta: true, messageId: 'm' }),
    ];
    evs.forEach((e) => t.add(e));
    expect(t.add(evs[1])).toBe(false);
    expect(t.add(evs[2])).toBe(false);
    expect(t.items[1]).toMatchObject({ text: 'ab' });
  });

  it('rebuilds when older history arrives after live events', () => {
    const live = new Transcript();
    const all = [
      ev(1, 'run.started', { prompt: 'q' }),
      ev(2, 'assistant.text', { text: 'one ', delta: true, messageId: 'm' }),
      ev(3, 'assistant.text', { text: 'two', delta: true, messageId: 'm' }),
      ev(4, 'tool.call', { id: 't', name: 'Bash', input: { command: 'ls' } }),
      ev(5, 'tool.result', { id: 't', output: 'a\nb', isError: false, exitCode: 0 }),
      ev(6, 'run.exited', { reason: 'exit', exitCode: 0 }),
    ];
    [all[3], all[4], all[5], all[0], all[2], all[1], all[4]].forEach((e) => live.add(e));
    const ordered = new Transcript();
    all.forEach((e) => ordered.add(e));
    expect(live.items).toEqual(ordered.items);
    expect(live.items[1]).toMatchObject({ text: 'one two', streaming: false });
    expect(live.items[2]).toMatchObject({ type: 'tool', result: { output: 'a\nb', exitCode: 0 } });
  });

  it('never leaves a message streaming after its run exited', () => {
    const t = new Transcript();
    t.add(ev(1, 'run.started', {}));
    t.add(ev(2, 'assistant.thinking', { text: 'let me', delta: true, messageId: 'm' }));
    expect(t.activeRuns.size).toBe(1);
    t.add(ev(3, 'run.exited', { reason: 'crashed', signal: 'SIGSEGV' }));
    expect(t.activeRuns.size).toBe(0);
    expect(t.items[0]).toMatchObject({ type: 'thinking', streaming: false });
    expect(t.items[1]).toMatchObject({ type: 'exit', exit: { reason: 'crashed' } });
  });

  it('groups output lines and replaces progress lines', () => {
    const t = new Transcript();
    t.add(ev(1, 'stderr', { text: 'warn 1' }));
    t.add(ev(2, 'stderr', { text: '10%', progress: true }));
    t.add(ev(3, 'stderr', { text: '90%', progress: true }));
    t.add(ev(4, 'stdout', { text: 'x' }));
    expect(t.items).toMatchObject([
      { type: 'output', stream: 'stderr', lines: ['warn 1', '90%'] },
      { type: 'output', stream: 'stdout', lines: ['x'] },
    ]);
  });

  it('sums usage cost', () => {
    const t = new Transcript();
    t.add(ev(1, 'usage', { inputTokens: 1, outputTokens: 2, costUsd: 0.25, durationMs: 5 }));
    t.add(ev(2, 'usage', { inputTokens: 1, outputTokens: 2, costUsd: 0.5, durationMs: 5 }));
    t.add(ev(2, 'usage', { inputTokens: 1, outputTokens: 2, costUsd: 0.5, durationMs: 5 }));
    expect(t.costUsd).toBe(0.75);
  });
});

describe('CorralState', () => {
  it('queues permission requests across sessions and removes resolved ones', () => {
    const s = new CorralState();
    s.apply(ev(1, 'run.started', {}));
    s.apply(ev(2, 'permission.request', { requestId: 'p1', tool: 'Bash', input: { command: 'rm -rf x' } }));
    s.apply(ev(1, 'run.started', {}, { sessionId: 's2', runId: 'r2', cursor: 10 }));
    s.apply(ev(2, 'permission.request', { requestId: 'p2', tool: 'Edit', input: {} }, { sessionId: 's2', runId: 'r2', cursor: 11 }));
    s.apply(ev(3, 'permission.request', { requestId: 'p3', tool: 'Write', input: {} }));
    expect(s.permissions.map((p) => p.requestId)).toEqual(['p1', 'p2', 'p3']);
    expect(s.sessions.get('s1')).toMatchObject({ status: 'waiting_permission', pendingPermissions: 2 });
    s.apply(ev(4, 'permission.resolved', { requestId: 'p1', allow: true }));
    expect(s.permissions.map((p) => p.requestId)).toEqual(['p2', 'p3']);
    expect(s.sessions.get('s1')!.status).toBe('waiting_permission');
    s.apply(ev(5, 'permission.resolved', { requestId: 'p3', allow: false }));
    expect(s.sessions.get('s1')!.status).toBe('processing');
    // the run of s2 ends: its unanswered request cannot be answered any more
    s.apply(ev(3, 'run.exited', { reason: 'interrupted' }, { sessionId: 's2', runId: 'r2', cursor: 12 }));
    expect(s.permissions).toEqual([]);
    expect(s.sessions.get('s2')!.status).toBe('interrupted');
    expect(s.cursor).toBe(12);
  });

  it('does not queue a replayed request twice', () => {
    const s = new CorralState();
    const req = ev(2, 'permission.request', { requestId: 'p1', tool: 'Bash', input: {} });
    expect(s.apply(req)).toBe(true);
    expect(s.apply({ ...req })).toBe(false);
    expect(s.permissions.length).toBe(1);
  });

  it('returns to idle when the run exits (no stuck processing)', () => {
    const s = new CorralState();
    s.apply(ev(1, 'run.started', { prompt: 'do it' }));
    expect(s.sessions.get('s1')).toMatchObject({ status: 'processing', title: 'do it' });
    s.apply(ev(2, 'usage', { inputTokens: 10, outputTokens: 5, costUsd: 0.01, durationMs: 900 }));
    s.apply(ev(3, 'run.exited', { reason: 'exit', exitCode: 0 }));
    expect(s.sessions.get('s1')).toMatchObject({ status: 'idle', costUsd: 0.01 });
  });

  it('keeps the last 50 errors per process and 5 minutes of stats', () => {
    const s = new CorralState();
    for (let i = 1; i <= 60; i++) {
      s.apply({ seq: i, processId: 'p1', time: new Date(t0 + i).toISOString(), kind: 'error', data: { type: 'crashed', message: `e${i}`, recoverable: true } });
    }
    expect(s.errors.get('p1')!.length).toBe(50);
    expect(s.errors.get('p1')![0].message).toBe('e11');
    for (let i = 0; i < 400; i++) {
      s.apply({ seq: 100 + i, processId: 'p1', time: new Date(t0 + i * 1000).toISOString(), kind: 'process.stats', data: { cpu: i, rss: 1000 + i } });
    }
    const samples = s.processes.get('p1')!.samples;
    expect(samples[samples.length - 1]).toMatchObject({ cpu: 399, rss: 1399 });
    expect(samples[samples.length - 1].t - samples[0].t).toBeLessThanOrEqual(5 * 60 * 1000);
    expect(samples.length).toBe(301);
  });

  it('routes process output to the run console terminal', () => {
    const s = new CorralState();
    s.apply({ seq: 1, processId: 'x', time: '2026-11-26T10:00:00Z', kind: 'stdout', data: { text: '\x1b[32mok' } });
    s.apply({ seq: 1, processId: 'x', time: '2026-11-26T10:00:00Z', kind: 'stdout', data: { text: '\x1b[32mok' } });
    s.apply({ seq: 2, processId: 'x', time: '2026-11-26T10:00:01Z', kind: 'run.exited', data: { reason: 'exit', exitCode: 3 } });
    const t = s.terminals.get('x')!;
    expect(t.lines.length).toBe(2);
    expect(t.lines[0].spans[0]).toEqual({ fg: 'c2', text: 'ok' });
    expect(t.exitCode).toBe(3);
  });
});

describe('times as Go writes them', () => {
  it('orders by instant, not by string (Go trims trailing zeros)', () => {
    const s = new CorralState();
    s.apply({ seq: 1, sessionId: 'a', time: '2026-11-26T10:00:49.833Z', kind: 'session.status', data: { status: 'idle' } });
    s.apply({ seq: 2, sessionId: 'a', time: '2026-11-26T10:00:49.8Z', kind: 'usage', data: {} });
    expect(s.sessions.get('a')!.lastActivity).toBe('2026-11-26T10:00:49.833Z');
    s.apply({ seq: 3, sessionId: 'a', time: '2026-11-26T11:00:00+01:00', kind: 'usage', data: {} });
    expect(s.sessions.get('a')!.lastActivity).toBe('2026-11-26T10:00:49.833Z');
    s.apply({ seq: 4, sessionId: 'a', time: '2026-11-26T10:00:50.1Z', kind: 'usage', data: {} });
    expect(s.sessions.get('a')!.lastActivity).toBe('2026-11-26T10:00:50.1Z');
  });
});

describe('rate limits', () => {
  it('follows the limit scheduler: reset time, pending resume, resumed', () => {
    const s = new CorralState();
    const t = '2026-12-06T10:00:00Z';
    s.apply({ seq: 1, sessionId: 'a', time: t, kind: 'session.status', data: { status: 'rate_limited' } });
    s.apply({ seq: 2, sessionId: 'a', time: t, kind: 'session.rate_limited', data: { sessionId: 'a', resetAt: '2026-12-06T10:05:00Z', armed: true, autoResume: true } });
    let a = s.sessions.get('a')!;
    expect(a.status).toBe('rate_limited');
    expect(a.resetAt).toBe('2026-12-06T10:05:00Z');
    expect(a.resumePending).toBe(true);
    s.apply({ seq: 3, sessionId: 'a', time: t, kind: 'session.resume_scheduled', data: { sessionId: 'a', resetAt: '2026-12-06T10:05:00Z', armed: false, autoResume: true } });
    expect(s.sessions.get('a')!.resumePending).toBe(false);
    s.apply({ seq: 4, sessionId: 'a', time: t, kind: 'session.resumed', data: { by: 'user', runId: 'r2' } });
    a = s.sessions.get('a')!;
    expect(a.resetAt).toBeUndefined();
    s.apply({ seq: 5, sessionId: 'a', time: t, kind: 'session.rate_limited', data: { sessionId: 'a', resetAt: '2026-12-06T11:00:00Z', armed: false, autoResume: false } });
    s.apply({ seq: 6, sessionId: 'a', time: t, kind: 'session.status', data: { status: 'processing' } });
    expect(s.sessions.get('a')!.resetAt).toBeUndefined();
  });
});
