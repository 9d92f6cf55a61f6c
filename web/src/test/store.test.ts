import { describe, expect, it } from 'vitest';
import { Store } from '../lib/store/store.svelte';
import type { CorralEvent } from '../lib/api';
import { FakeBackend, ev, sync, until } from './fake';

function mkStore(fake: FakeBackend, notes: string[] = [], hidden = true, now = Date.parse('2026-11-26T10:00:00Z')) {
  return new Store(fake, {
    schedule: sync,
    now: () => now,
    notifier: { hidden: () => hidden, notify: (t, b) => void notes.push(`${t}: ${b}`) },
  });
}

describe('Store', () => {
  it('shows each event once across a reconnect that replays an overlap', async () => {
    const fake = new FakeBackend();
    const store = mkStore(fake);
    await store.start();
    const evs = [
      ev(1, 'run.started', { prompt: 'go' }),
      ev(2, 'assistant.thinking', { text: 'thin', delta: true, messageId: 'm' }),
      ev(3, 'assistant.thinking', { text: 'king', delta: true, messageId: 'm' }),
      ev(4, 'assistant.text', { text: 'Done', delta: true, messageId: 'm2' }),
      ev(5, 'run.exited', { reason: 'exit', exitCode: 0 }),
    ];
    fake.push(evs[0], evs[1], evs[2]);
    fake.setState('reconnecting');
    expect(store.connection).toBe('reconnecting');
    // the server replays from an older cursor than needed: 2..5
    fake.setState('live');
    fake.push(evs[1], evs[2], evs[3], evs[4]);
    const tr = store.state.transcript('s1');
    expect(tr.items.map((i) => i.type)).toEqual(['user', 'thinking', 'text']);
    expect(tr.items[1]).toMatchObject({ text: 'thinking', streaming: false });
    expect(tr.activeRuns.size).toBe(0);
    expect(store.state.sessions.get('s1')!.status).toBe('idle');
    expect(store.state.cursor).toBe(5);
  });

  it('subscribes from its last cursor and batches a burst into one version bump', async () => {
    const fake = new FakeBackend();
    const queued: (() => void)[] = [];
    const store = new Store(fake, { schedule: (fn) => queued.push(fn), notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    expect(fake.subs[0].since).toBe(0);
    const v0 = store.version;
    for (let i = 1; i <= 1000; i++) fake.push(ev(i, 'assistant.text', { text: 'x', delta: true, messageId: 'm' }));
    expect(queued.length).toBe(1);
    queued[0]();
    expect(store.version).toBe(v0 + 1);
    expect((store.state.transcript('s1').items[0] as any).text.length).toBe(1000);
  });

  it('pages in history with GetEvents and merges it with live events', async () => {
    const history: CorralEvent[] = Array.from({ length: 25 }, (_, i) =>
      ev(i + 1, 'assistant.text', { text: `${i + 1} `, delta: true, messageId: 'm' }),
    );
    const fake = new FakeBackend({
      GetEvents: (p) => {
        const rest = history.filter((e) => e.seq > (p.since ?? 0));
        return { events: rest.slice(0, p.limit), more: rest.length > p.limit };
      },
    });
    const store = new Store(fake, { schedule: sync, pageSize: 10, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    // live stream already delivered the tail
    fake.push(history[23], history[24]);
    await store.select('s1');
    const pages = fake.callsOf('GetEvents');
    expect(pages.map((p) => p.since)).toEqual([0, 10, 20]);
    const text = (store.state.transcript('s1').items[0] as any).text;
    expect(text).toBe(history.map((e) => e.data.text).join(''));
    // once is enough, also when retention means the log does not start at 1
    await store.select(null);
    await store.select('s1');
    expect(fake.callsOf('GetEvents').length).toBe(3);
  });

  it('notifies only for new events while the page is hidden', async () => {
    const fake = new FakeBackend();
    const notes: string[] = [];
    const store = mkStore(fake, notes);
    await store.start();
    const old = { ...ev(1, 'permission.request', { requestId: 'old', tool: 'Bash', input: {} }), time: '2026-11-25T10:00:00Z' };
    fake.push(old);
    const req = ev(2, 'permission.request', { requestId: 'p', tool: 'Edit', input: {} });
    fake.push(req, req);
    fake.push(ev(3, 'run.exited', { reason: 'exit', exitCode: 0 }));
    expect(notes).toEqual(['Approval needed: Edit in s1', 'Run finished: s1']);
    // the run ended, so neither request can be answered any more
    expect(store.state.permissions).toEqual([]);
  });

  it('fetches the summary of a session it learns about from an event', async () => {
    let list: any[] = [];
    const fake = new FakeBackend({ ListSessions: () => list });
    const store = mkStore(fake, [], false);
    await store.start();
    list = [{ id: 's9', agent: 'codex', cwd: '/w', status: 'processing', createdAt: '', lastActivity: '', costUsd: 0 }];
    fake.push(ev(1, 'run.started', { prompt: 'from the CLI' }, { sessionId: 's9' }));
    await until(() => expect(store.state.sessions.get('s9')).toMatchObject({ agent: 'codex', cwd: '/w' }));
    expect(fake.callsOf('ListSessions').length).toBe(2);
  });

  it('notifies with a way back to the session', async () => {
    const fake = new FakeBackend();
    const clicks: (() => void)[] = [];
    const store = new Store(fake, { schedule: sync, now: () => Date.parse('2026-11-26T10:00:00Z'), notifier: { hidden: () => true, notify: (_t, _b, _g, on) => void clicks.push(on!) } });
    await store.start();
    fake.push(ev(1, 'permission.request', { requestId: 'p', tool: 'Bash', input: {} }));
    expect(clicks.length).toBe(1);
    clicks[0]();
    expect(store.selected).toBe('s1');
  });

  it('shows a call error as a toast', async () => {
    const { BackendError } = await import('../lib/api');
    const fake = new FakeBackend({ SendMessage: () => new BackendError('session_ended', 'resume it first') });
    const store = mkStore(fake);
    expect(await store.send('s1', 'hi')).toBe(false);
    expect(store.toast).toEqual({ message: 'resume it first', code: 'session_ended' });
  });

  it('folds 100,000 events of one session', async () => {
    const fake = new FakeBackend();
    const store = mkStore(fake, [], false);
    await store.start();
    let seq = 0;
    for (let turn = 0; turn < 5000; turn++) {
      const run = { runId: `r${turn}` };
      fake.push(ev(++seq, 'run.started', { prompt: `q${turn}` }, run));
      for (let k = 0; k < 15; k++) fake.push(ev(++seq, 'assistant.text', { text: 'w ', delta: true, messageId: `m${turn}` }, run));
      fake.push(ev(++seq, 'tool.call', { id: `t${turn}`, name: 'Bash', input: { command: 'ls' } }, run));
      fake.push(ev(++seq, 'tool.result', { id: `t${turn}`, output: 'ok', isError: false }, run));
      fake.push(ev(++seq, 'usage', { inputTokens: 1, outputTokens: 1, costUsd: 0.001, durationMs: 1 }, run));
      fake.push(ev(++seq, 'run.exited', { reason: 'exit', exitCode: 0 }, run));
    }
    const tr = store.state.transcript('s1');
    expect(tr.events.length).toBe(100_000);
    expect(tr.items.length).toBe(5000 * 4);
    expect(tr.activeRuns.size).toBe(0);
    expect(store.state.sessions.get('s1')!.costUsd).toBeCloseTo(5, 6);
  });
});
