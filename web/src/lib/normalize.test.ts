import { describe, expect, it } from 'vitest';
import { errorOf, exitOf, resolutionOf, statsOf, suggestionsOf, truncatedOf } from './normalize';
import { Transcript } from './store/transcript';
import { CorralState } from './store/state';
import type { CorralEvent } from './api';

const t0 = Date.parse('2026-11-26T10:00:00Z');
function ev(seq: number, kind: string, data: any = {}, extra: Partial<CorralEvent> = {}): CorralEvent {
  return { seq, cursor: seq, sessionId: 's1', runId: 'r1', time: new Date(t0 + seq).toISOString(), kind, data, ...extra };
}

describe('event data from the Go side', () => {
  it('reads both producers of run.exited', () => {
    expect(exitOf({ runId: 'r', reason: 'exit', exitCode: 0 })).toEqual({ reason: 'exit', exitCode: 0, signal: undefined, message: undefined });
    expect(exitOf({ state: 'failed', reason: 'spawn-failed', code: 127, error: 'exec: "nope": not found' })).toMatchObject({ reason: 'spawn_failed', exitCode: undefined, message: 'exec: "nope": not found' });
    expect(exitOf({ state: 'exited', reason: 'crashed', code: -1, signal: 9, signalName: 'SIGKILL' })).toMatchObject({ reason: 'crashed', signal: 'SIGKILL' });
    expect(exitOf({ reason: 'timeout', limit: 'idle' }).message).toBe('idle limit');
  });
  it('reads both producers of permission.resolved and error', () => {
    expect(resolutionOf({ requestId: 's1/p1', decision: 'allow', by: 'user', remember: true }, 's1')).toMatchObject({ requestId: 'p1', allow: true, outcome: 'allow', remember: true });
    expect(resolutionOf({ requestId: 'p1', outcome: 'cancelled' }, 's1')).toMatchObject({ requestId: 'p1', allow: false, outcome: 'cancelled' });
    expect(errorOf({ code: 'rpc_error', message: 'bad' })).toEqual({ type: 'rpc_error', message: 'bad', recoverable: undefined, action: undefined });
    expect(errorOf({ type: 'crashed', message: 'x', recoverable: true, action: 'resume' })).toMatchObject({ recoverable: true, action: 'resume' });
  });
  it('reads stats, truncation and suggestions', () => {
    expect(statsOf({ cpuPercent: 12.5, rss: 100, processes: 3 })).toEqual({ cpu: 12.5, rss: 100 });
    expect(truncatedOf({ reason: 'slow consumer', stdout: { lines: 2, bytes: 10 }, stderr: { lines: 1, bytes: 5 } })).toEqual({ lines: 3, bytes: 15, reason: 'slow consumer' });
    expect(suggestionsOf([{ type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }], behavior: 'allow', destination: 'localSettings' }])).toEqual([
      { rule: 'Bash(npm test:*)', description: 'saved to localSettings' },
    ]);
    expect(suggestionsOf('not a list')).toEqual([]);
  });
});

describe('text folding as agents really stream', () => {
  it('Claude: deltas without messageId, then whole blocks sharing the message id', () => {
    const t = new Transcript();
    t.add(ev(1, 'run.started', { prompt: 'hi' }));
    t.add(ev(2, 'assistant.thinking', { text: 'let ', delta: true }));
    t.add(ev(3, 'assistant.thinking', { text: 'me think', delta: true }));
    t.add(ev(4, 'assistant.thinking', { text: 'let me think', delta: false, messageId: 'msg_1' }));
    t.add(ev(5, 'assistant.text', { text: 'First ', delta: true }));
    t.add(ev(6, 'assistant.text', { text: 'block.', delta: true }));
    t.add(ev(7, 'assistant.text', { text: 'First block.', delta: false, messageId: 'msg_1' }));
    t.add(ev(8, 'tool.call', { id: 'tu1', name: 'Bash', input: { command: 'ls' } }));
    t.add(ev(9, 'tool.result', { id: 'tu1', output: 'a', isError: false }));
    t.add(ev(10, 'assistant.text', { text: 'Second block.', delta: false, messageId: 'msg_2' }));
    t.add(ev(11, 'assistant.text', { text: 'Third block, same message.', delta: false, messageId: 'msg_2' }));
    expect(t.items.map((i) => [i.type, (i as any).text ?? (i as any).name])).toEqual([
      ['user', 'hi'],
      ['thinking', 'let me think'],
      ['text', 'First block.'],
      ['tool', 'Bash'],
      ['text', 'Second block.'],
      ['text', 'Third block, same message.'],
    ]);
    expect(t.items.every((i) => !(i as any).streaming)).toBe(true);
  });
  it('keeps a sub-agent stream apart from the main one and marks its rows', () => {
    const t = new Transcript();
    t.add(ev(1, 'tool.call', { id: 'task1', name: 'Task', input: { prompt: 'look' } }));
    t.add(ev(2, 'assistant.text', { text: 'main ', delta: true }));
    t.add(ev(3, 'assistant.text', { text: 'sub ', delta: true, parentToolUseId: 'task1' }));
    t.add(ev(4, 'assistant.text', { text: 'text', delta: true }));
    t.add(ev(5, 'assistant.text', { text: 'work', delta: true, parentToolUseId: 'task1' }));
    expect(t.items.map((i) => [(i as any).text ?? (i as any).name, i.parent])).toEqual([
      ['Task', undefined],
      ['main text', undefined],
      ['sub work', 'task1'],
    ]);
  });
  it('remembers what the agent reported at start', () => {
    const t = new Transcript();
    t.add(ev(1, 'agent.init', { sessionId: 'abc', model: 'claude-opus', version: '2.1.4', tools: ['Bash'] }));
    expect(t.init).toEqual({ model: 'claude-opus', version: '2.1.4', permissionMode: undefined });
    expect(t.items).toEqual([]);
  });
  it('Codex: deltas and the whole item share the item id', () => {
    const t = new Transcript();
    t.add(ev(1, 'assistant.text', { text: 'Hel', delta: true, messageId: 'item_1' }));
    t.add(ev(2, 'assistant.text', { text: 'lo', delta: true, messageId: 'item_1' }));
    t.add(ev(3, 'assistant.text', { text: 'Other', delta: true, messageId: 'item_2' }));
    t.add(ev(4, 'assistant.text', { text: 'Hello', delta: false, messageId: 'item_1' }));
    expect(t.items.map((i) => (i as any).text)).toEqual(['Hello', 'Other', 'Hello']);
  });
  it('a failed turn shows its error with what to do; a withdrawn request says so', () => {
    const s = new CorralState();
    s.apply(ev(1, 'run.started', {}));
    s.apply(ev(2, 'permission.request', { requestId: 'p1', tool: 'Bash', input: { command: 'x' } }));
    expect(s.permissions.map((p) => p.toolName)).toEqual(['Bash']);
    s.apply(ev(3, 'permission.resolved', { requestId: 'p1', outcome: 'cancelled' }));
    s.apply(ev(4, 'permission.resolved', { requestId: 's1/p1', decision: 'deny', by: 'agent' }));
    expect(s.permissions).toEqual([]);
    s.apply(ev(5, 'turn.completed', { ok: false, error: { code: 'rate_limited', httpStatus: 429, message: 'slow down' } }));
    s.apply(ev(6, 'run.exited', { runId: 'r1', reason: 'error' }));
    const items = s.transcript('s1').items;
    expect(items.find((i) => i.type === 'permission')).toMatchObject({ resolved: { outcome: 'cancelled' } });
    expect(items.find((i) => i.type === 'error')).toMatchObject({ error: { type: 'rate_limited', message: 'slow down' } });
    expect(s.sessions.get('s1')!.status).toBe('error');
  });
  it('ignores the agent process exit in the turn (the session writes its own)', () => {
    const s = new CorralState();
    s.apply(ev(1, 'run.started', { prompt: 'crash' }));
    s.apply(ev(2, 'run.exited', { state: 'exited', reason: 'exit', code: 3 }, { processId: 'proc-1' }));
    expect(s.transcript('s1').activeRuns.size).toBe(1);
    s.apply(ev(3, 'run.exited', { runId: 'r1', reason: 'crashed' }));
    const exits = s.transcript('s1').items.filter((i) => i.type === 'exit');
    expect(exits).toMatchObject([{ exit: { reason: 'crashed' } }]);
    expect(s.sessions.get('s1')!.status).toBe('error');
  });
  it('joins a line that was cut at the maximum line size', () => {
    const s = new CorralState();
    s.apply({ seq: 1, processId: 'p', time: '', kind: 'stdout', data: { text: 'abc', seq: 1 } });
    s.apply({ seq: 2, processId: 'p', time: '', kind: 'stdout', data: { text: 'def', seq: 2, continued: true } });
    s.apply({ seq: 3, processId: 'p', time: '', kind: 'process.stats', data: { cpuPercent: 50, rss: 9 } });
    expect(s.terminals.get('p')!.lines.map((l) => l.spans.map((x) => x.text).join(''))).toEqual(['abcdef']);
    expect(s.processes.get('p')!.info).toMatchObject({ cpu: 50, rss: 9 });
  });
});
