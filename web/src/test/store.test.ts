import { describe, expect, it } from 'vitest';
import { Store } from '../lib/store/store.svelte';
import { Api, BackendError, type CorralEvent } from '../lib/api';
import { PAGE_SIZE, arrived, startEarlyReads } from '../lib/store/early';
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

  it('subscribes to new events only and batches a burst into one version bump', async () => {
    const fake = new FakeBackend();
    const queued: (() => void)[] = [];
    const store = new Store(fake, { schedule: (fn) => queued.push(fn), notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    // a fresh page does not ask the server to replay its whole log
    expect(fake.subs[0].since).toBe(-1);
    const v0 = store.version;
    for (let i = 1; i <= 1000; i++) fake.push(ev(i, 'assistant.text', { text: 'x', delta: true, messageId: 'm' }));
    expect(queued.length).toBe(1);
    queued[0]();
    expect(store.version).toBe(v0 + 1);
    expect((store.state.transcript('s1').items[0] as any).text.length).toBe(1000);
  });

  it('opens a session at its newest page, pages older ones in and merges them with live events', async () => {
    const history: CorralEvent[] = Array.from({ length: 25 }, (_, i) =>
      ev(i + 1, 'assistant.text', { text: `${i + 1} `, delta: true, messageId: 'm' }),
    );
    let head = 23; // what the server has committed
    const fake = new FakeBackend({
      GetEvents: (p) => {
        const have = history.slice(0, head);
        if (p.tail || p.before) {
          const rest = have.filter((e) => e.seq < (p.before || Infinity));
          return { events: rest.slice(Math.max(0, rest.length - p.limit)), more: rest.length > p.limit };
        }
        const rest = have.filter((e) => e.seq > (p.since ?? 0));
        return { events: rest.slice(0, p.limit), more: rest.length > p.limit };
      },
    });
    const store = new Store(fake, { schedule: sync, pageSize: 10, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    // the live stream delivers seq 22 and 23 before the session is opened
    fake.push(history[21], history[22]);
    await store.select('s1');
    const tr = store.state.transcript('s1');
    expect(fake.callsOf('GetEvents')).toEqual([{ sessionId: 's1', tail: true, limit: 10 }]);
    expect(tr.events.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 14 + i));
    expect(store.olderPending.s1).toBe(true);
    // scrolling up pages backwards, one rebuild per page
    expect(await store.loadOlder('s1')).toBe(true);
    expect(fake.callsOf('GetEvents')[1]).toEqual({ sessionId: 's1', before: 14, limit: 10 });
    expect(await store.loadOlder('s1')).toBe(true);
    expect(await store.loadOlder('s1')).toBe(false);
    expect(store.olderPending.s1).toBe(false);
    expect(fake.callsOf('GetEvents').length).toBe(3);
    // live events continue after the history; a replayed overlap changes nothing
    head = 25;
    fake.push(history[22], history[23], history[24]);
    expect((tr.items[0] as any).text).toBe(history.map((e) => e.data.text).join(''));
    expect(tr.events.map((e) => e.seq)).toEqual(history.map((e) => e.seq));
    // once is enough
    await store.select(null);
    await store.select('s1');
    expect(fake.callsOf('GetEvents').length).toBe(3);
  });

  it('reads what a page read before the stream went live missed', async () => {
    const history: CorralEvent[] = Array.from({ length: 8 }, (_, i) => ev(i + 1, 'assistant.text', { text: `${i + 1} `, delta: true, messageId: 'm' }));
    let head = 5;
    const fake = new FakeBackend({
      GetEvents: (p) => {
        const have = history.slice(0, head);
        if (p.tail) return { events: have.slice(-10), more: false };
        return { events: have.filter((e) => e.seq > p.since), more: false };
      },
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.start();
    fake.setState('reconnecting');
    await store.select('s1'); // the newest page ends at 5
    head = 7; // 6 and 7 are committed before the stream is live again
    fake.setState('live');
    await until(() => expect(store.state.transcript('s1').maxSeq).toBe(7));
    fake.push(history[7]);
    expect(store.state.transcript('s1').events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('uses the replies asked for before it was built, once, and at once when they have come', async () => {
    const history: CorralEvent[] = Array.from({ length: 5 }, (_, i) => ev(i + 1, 'assistant.text', { text: `${i + 1} `, delta: true, messageId: 'm' }));
    const fake = new FakeBackend({
      ListSessions: () => [{ id: 's1', agent: 'claude', cwd: '/w', status: 'idle', createdAt: '', lastActivity: '', costUsd: 0 }],
      GetEvents: (p) => (p.tail ? { events: history.slice(-10), more: false } : { events: [], more: false }),
    });
    // what main.ts does before the application's code has loaded
    const early = startEarlyReads(new Api(fake), 's1');
    expect(fake.calls.map((c) => c.method)).toEqual(['ListSessions', 'GetEvents']);
    expect(fake.callsOf('GetEvents')).toEqual([{ sessionId: 's1', tail: true, limit: PAGE_SIZE }]);
    await arrived(early, 10_000);
    const store = new Store(fake, { schedule: sync, early, notifier: { hidden: () => false, notify: () => {} } });
    void store.start();
    void store.select('s1');
    // taken without waiting, so the first render shows them
    expect(store.state.sessions.get('s1')?.cwd).toBe('/w');
    expect(store.state.transcript('s1').events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    // the store asked for neither again; the stream went live while the
    // page was on its way, so it reads on from the page's end
    await until(() => expect(fake.callsOf('GetEvents')).toEqual([{ sessionId: 's1', tail: true, limit: PAGE_SIZE }, { sessionId: 's1', since: 5, limit: PAGE_SIZE }]));
    expect(fake.callsOf('ListSessions').length).toBe(1);
    // once: later refreshes ask the server
    await store.refreshSessions();
    expect(fake.callsOf('ListSessions').length).toBe(2);
  });

  it('reads on from an early page that came after the stream went live, and reports an early failure', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const history: CorralEvent[] = Array.from({ length: 6 }, (_, i) => ev(i + 1, 'assistant.text', { text: `${i + 1} `, delta: true, messageId: 'm' }));
    let head = 4;
    const fake = new FakeBackend({
      ListSessions: () => new BackendError('unavailable', 'down for a moment'),
      GetEvents: async (p) => {
        if (p.tail) {
          const page = { events: history.slice(0, head), more: false };
          await gate; // read now, delivered later
          return page;
        }
        return { events: history.slice(0, head).filter((e) => e.seq > p.since), more: false };
      },
    });
    const early = startEarlyReads(new Api(fake), 's1');
    const store = new Store(fake, { schedule: sync, early, notifier: { hidden: () => false, notify: () => {} } });
    await store.start(); // live at once (the fake's stream)
    expect(store.toast?.message).toBe('Could not load the sessions: something went wrong.');
    expect(store.state.errors.get('calls')?.[0].message).toBe('Could not load the sessions: down for a moment');
    const opened = store.select('s1');
    head = 6; // 5 and 6 were committed after the page was read
    release();
    await opened;
    await until(() => expect(store.state.transcript('s1').events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]));
    // a failed early list is not used again
    await store.refreshSessions();
    expect(fake.callsOf('ListSessions').length).toBe(2);
  });

  it("reads the sessions again when a fleet runner is lost or back", async () => {
    let status = 'idle';
    const fake = new FakeBackend({
      ListSessions: () => [{ id: 's1', agent: 'claude', cwd: '/w', status, runner: 'box', createdAt: '', lastActivity: '', costUsd: 0 }],
    });
    const store = mkStore(fake);
    await store.start();
    await store.refreshSessions();
    expect(store.state.sessions.get('s1')!.status).toBe('idle');
    status = 'disconnected';
    fake.push(ev(1, 'runner.status', { runner: 'box', status: 'lost' }, { sessionId: undefined, runId: undefined }));
    await until(() => expect(store.state.sessions.get('s1')!.status).toBe('disconnected'));
  });

  it('drops the toast of a failed list once the list loads', async () => {
    let down = true;
    const fake = new FakeBackend({
      ListSessions: () => (down ? new BackendError('unavailable', 'down for a moment') : []),
    });
    const store = new Store(fake, { schedule: sync, notifier: { hidden: () => false, notify: () => {} } });
    await store.refreshSessions();
    expect(store.toast?.message).toMatch(/^Could not load the sessions/);
    down = false;
    await store.refreshSessions();
    expect(store.toast).toBeNull();
    store.fail(new BackendError('internal', 'other'), 'Could not rename');
    const other = store.toast;
    await store.refreshSessions();
    expect(store.toast).toBe(other); // another call's failure stays
  });

  it('shows the requests of sessions waiting for an answer without opening them', async () => {
    const fake = new FakeBackend({
      ListSessions: () => [{ id: 's1', agent: 'claude', cwd: '/w', status: 'waiting_permission', createdAt: '', lastActivity: '', costUsd: 0, pendingPermissions: 1 }],
      GetEvents: (p) => (p.tail ? { events: [ev(1, 'run.started', { prompt: 'go' }), ev(2, 'permission.request', { requestId: 'p1', tool: 'Bash', input: {} })], more: false } : { events: [], more: false }),
    });
    const store = mkStore(fake, [], false);
    await store.start();
    await until(() => expect(store.state.permissions.map((p) => p.requestId)).toEqual(['p1']));
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

  it('says a call error in short in a toast and lists its full detail in the Errors view', async () => {
    const raw = 'session s-7f3a9c: run r-19ab: session: conflicts with the current state: a turn is running';
    const fake = new FakeBackend({ SendMessage: () => new BackendError('conflict', raw), Interrupt: () => new BackendError('policy_denied', 'no', 'agent.interrupt') });
    const store = mkStore(fake);
    expect(await store.send('s1', 'hi')).toBe(false);
    expect(store.toast).toMatchObject({ id: 1, message: 'Could not send the message: not possible right now; a turn may still be running.', code: 'conflict' });
    // no internal id, no Go error chain in what the toast says
    expect(store.toast!.message).not.toMatch(/s-7f3a9c|r-19ab|session:/);
    const [first] = store.state.errors.get('calls')!;
    expect(first).toMatchObject({ type: 'conflict', message: `Could not send the message: ${raw}` });
    await store.interrupt('s1');
    expect(store.toast?.id).toBe(2);
    expect(store.state.errors.get('calls')![1]).toMatchObject({ type: 'policy_denied', message: 'Could not interrupt: no (rule agent.interrupt)' });
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
