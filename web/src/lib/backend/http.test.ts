import { describe, expect, it } from 'vitest';
import { BackendError, type CorralEvent, type StreamState } from '../api';
import { HttpBackend, forgetToken, takeToken } from './http';
import { SseParser, type SseMessage } from './sse';
import { WailsBackend, toBackendError } from './wails';

function frame(cursor: number, seq: number, kind = 'assistant.text'): string {
  const ev = { seq, sessionId: 's', time: '2026-11-26T10:00:00Z', kind, data: { text: `t${seq}`, delta: true, messageId: 'm' } };
  return `id: ${cursor}\nevent: ${kind}\ndata: ${JSON.stringify(ev)}\n\n`;
}

function streamOf(chunks: string[], opts: { error?: boolean } = {}): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(ctl) {
      if (i < chunks.length) ctl.enqueue(enc.encode(chunks[i++]));
      else if (opts.error) ctl.error(new Error('connection reset'));
      else ctl.close();
    },
  });
}

describe('SseParser', () => {
  it('parses frames split at any byte, with CRLF, comments and multi-line data', () => {
    const text = ': hello\r\nid: 7\r\nevent: x\r\ndata: a\r\ndata: b\r\n\r\nretry: 100\ndata:c\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const got: SseMessage[] = [];
      const p = new SseParser((m) => got.push(m));
      p.push(text.slice(0, cut));
      p.push(text.slice(cut));
      expect(got).toEqual([
        { id: '7', event: 'x', data: 'a\nb', retry: undefined },
        { id: '7', event: 'message', data: 'c', retry: 100 },
      ]);
    }
  });
  it('ignores a frame without data', () => {
    const got: SseMessage[] = [];
    const p = new SseParser((m) => got.push(m));
    p.push('event: ping\n\n');
    expect(got).toEqual([]);
  });
});

describe('HttpBackend', () => {
  it('sends the bearer token and unwraps result / error', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const fetch = async (url: any, init: any) => {
      seen.push({ url, init });
      if (url.endsWith('/Bad')) return new Response(JSON.stringify({ error: { code: 'policy_denied', message: 'rule x' } }), { status: 403 });
      return new Response(JSON.stringify({ result: { runId: 'r9' } }), { status: 200 });
    };
    const b = new HttpBackend({ token: 'tok', fetch: fetch as any });
    expect(await b.call('SendMessage', { sessionId: 's', text: 'hi' })).toEqual({ runId: 'r9' });
    expect(seen[0].url).toBe('/api/call/SendMessage');
    expect((seen[0].init.headers as any).Authorization).toBe('Bearer tok');
    expect(JSON.parse(seen[0].init.body as string)).toEqual({ sessionId: 's', text: 'hi' });
    const err = await b.call('Bad', {}).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: 'policy_denied', message: 'rule x' });
  });

  it('reconnects with backoff and resumes from the last id without gaps', async () => {
    const urls: string[] = [];
    const lastIds: (string | undefined)[] = [];
    const delays: number[] = [];
    const plan = [
      // first connection: two events, the second split mid-frame, then reset
      () => new Response(streamOf([frame(1, 1), frame(2, 2).slice(0, 20), frame(2, 2).slice(20), frame(3, 3).slice(0, 30)], { error: true })),
      () => Promise.reject(new TypeError('offline')),
      () => new Response('', { status: 502 }),
      () => new Response(streamOf([frame(3, 3), frame(4, 4)])),
    ];
    let n = 0;
    let resolveDone: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const fetch = async (url: any, init: any) => {
      urls.push(url);
      lastIds.push(init.headers['Last-Event-ID']);
      const f = plan[n++];
      if (!f) {
        resolveDone();
        return new Promise<Response>(() => {});
      }
      return f();
    };
    const b = new HttpBackend({ token: 't', fetch: fetch as any, sleep: async (ms) => void delays.push(ms), minDelay: 100, maxDelay: 1000 });
    const got: CorralEvent[] = [];
    const states: StreamState[] = [];
    const stop = b.subscribe(0, { session: 's' }, (e) => got.push(e), (s) => states.push(s));
    await done;
    stop();
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(got.map((e) => e.cursor)).toEqual([1, 2, 3, 4]);
    expect(urls[0]).toBe('/api/events?since=0&session=s');
    expect(urls[1]).toBe('/api/events?since=2&session=s');
    expect(urls[3]).toBe('/api/events?since=2&session=s');
    expect(urls[4]).toBe('/api/events?since=4&session=s');
    expect(lastIds[1]).toBe('2');
    // after a live connection the delay starts small, then doubles per failure
    expect(delays).toEqual([100, 100, 200, 100]);
    expect(states.slice(0, 3)).toEqual(['connecting', 'live', 'reconnecting']);
    expect(states).toContain('live');
  });
});

describe('a live-only subscription', () => {
  it('starts at "now" and resumes from the cursor the server named, even before any event', async () => {
    const urls: string[] = [];
    const lastIds: (string | undefined)[] = [];
    const plan = [
      // the server names its resume point (an id without data), then drops
      () => new Response(streamOf([': corral events\n\n', 'id: 41\n\n'], { error: true })),
      () => new Response(streamOf([': corral events\n\n', 'id: 41\n\n', frame(42, 1)])),
    ];
    let n = 0;
    let resolveDone: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const fetch = async (url: any, init: any) => {
      urls.push(url);
      lastIds.push(init.headers['Last-Event-ID']);
      const f = plan[n++];
      if (!f) {
        resolveDone();
        return new Promise<Response>(() => {});
      }
      return f();
    };
    const b = new HttpBackend({ token: 't', fetch: fetch as any, sleep: async () => {}, minDelay: 1, maxDelay: 1 });
    const got: CorralEvent[] = [];
    const stop = b.subscribe(-1, {}, (e) => got.push(e));
    await done;
    stop();
    expect(urls[0]).toBe('/api/events?since=now');
    expect(lastIds[0]).toBeUndefined();
    // not "now" again: that would skip what was committed while away
    expect(urls[1]).toBe('/api/events?since=41');
    expect(lastIds[1]).toBe('41');
    expect(urls[2]).toBe('/api/events?since=42');
    expect(got.map((e) => e.cursor)).toEqual([42]);
  });
});

describe('takeToken', () => {
  it('moves the token from the fragment to sessionStorage and cleans the address bar', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as Storage;
    let replaced = '';
    const hist = { state: null, replaceState: (_s: unknown, _t: string, u: string) => void (replaced = u) } as unknown as History;
    const loc = { hash: '#token=abc123&demo', pathname: '/', search: '' } as Location;
    expect(takeToken(loc, storage, hist)).toBe('abc123');
    expect(replaced).toBe('/#demo');
    expect(store.get('corral.token')).toBe('abc123');
    const later = { hash: '', pathname: '/', search: '' } as Location;
    expect(takeToken(later, storage, hist)).toBe('abc123');
  });
});

describe('WailsBackend', () => {
  it('calls bound methods and turns errors into BackendError', async () => {
    let handler: ((ev: CorralEvent) => void) | undefined;
    const w = {
      go: { api: { App: { ListSessions: async () => [{ id: 'a' }], Spawn: async () => { throw '{"code":"policy_denied","message":"no"}'; } } } },
      runtime: { EventsOn: (_n: string, cb: any) => { handler = cb; return () => (handler = undefined); } },
    };
    const b = new WailsBackend(w);
    expect(await b.call('ListSessions', {})).toEqual([{ id: 'a' }]);
    await expect(b.call('Spawn', {})).rejects.toMatchObject({ code: 'policy_denied', message: 'no' });
    await expect(b.call('Nope', {})).rejects.toMatchObject({ code: 'not_found' });
    const got: number[] = [];
    const stop = b.subscribe(5, { session: 's' }, (e) => got.push(e.seq));
    handler!({ seq: 1, cursor: 4, sessionId: 's', time: '', kind: 'x' });
    handler!({ seq: 2, cursor: 6, sessionId: 's', time: '', kind: 'x' });
    handler!({ seq: 3, cursor: 7, sessionId: 'other', time: '', kind: 'x' });
    stop();
    expect(handler).toBeUndefined();
    expect(got).toEqual([2]);
    expect(toBackendError(new Error('plain'))).toMatchObject({ code: 'error', message: 'plain' });
    // what the desktop shell really rejects with: an Error carrying the JSON
    const wire = new Error(JSON.stringify({ code: 'policy_denied', message: 'policy: capability "echo" denied', rule: 'arg.literal' }));
    expect(toBackendError(wire)).toMatchObject({ code: 'policy_denied', message: 'policy: capability "echo" denied', rule: 'arg.literal' });
  });
});

describe('errors and the folder picker', () => {
  it('keeps the policy rule of an error, from both transports', async () => {
    const fetch = async () => new Response(JSON.stringify({ error: { code: 'policy_denied', message: 'no', rule: 'capability.rm' } }), { status: 403 });
    const err = await new HttpBackend({ token: 't', fetch: fetch as any }).call('Spawn', {}).catch((e) => e);
    expect(err).toMatchObject({ code: 'policy_denied', rule: 'capability.rm' });
    expect(toBackendError({ code: 'limit_reached', message: 'busy', rule: 'max_concurrent' })).toMatchObject({ code: 'limit_reached', message: 'busy', rule: 'max_concurrent' });
  });
  it('uses the desktop shell folder chooser when there is one', async () => {
    const seen: any[] = [];
    const w = { go: { api: { App: {} }, main: { Shell: { PickDirectory: async (p: any) => (seen.push(p), { path: '/home/x' }) } } } };
    expect(await new WailsBackend(w).pickDirectory('/start')).toBe('/home/x');
    expect(seen).toEqual([{ start: '/start' }]);
    const cancelled = { go: { main: { Shell: { PickDirectory: async () => ({ path: '' }) } } } };
    expect(await new WailsBackend(cancelled).pickDirectory()).toBeNull();
  });
});

describe('HttpBackend with a refused token', () => {
  const refuse = () => new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'missing or wrong bearer token' } }), { status: 401 });
  it('reports a 401 once, from calls and from the event stream, and stops the stream', async () => {
    let refusals = 0;
    let streams = 0;
    const fetch = async (url: any) => {
      if (String(url).includes('/api/events')) streams++;
      return refuse();
    };
    const b = new HttpBackend({ token: 'wrong', fetch: fetch as any, onUnauthorized: () => refusals++, sleep: async () => {} });
    const err = (await b.call('ListSessions', {}).catch((e) => e)) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('unauthorized');
    const states: StreamState[] = [];
    const stop = b.subscribe(0, {}, () => {}, (s) => states.push(s));
    await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(streams).toBe(1);
    expect(refusals).toBe(1);
    expect(states).not.toContain('live');
  });
  it('does not take an application error with HTTP 403 for a refused token', async () => {
    let refusals = 0;
    const fetch = async () => new Response(JSON.stringify({ error: { code: 'policy_denied', message: 'rule x' } }), { status: 403 });
    const b = new HttpBackend({ token: 'tok', fetch: fetch as any, onUnauthorized: () => refusals++ });
    await b.call('Spawn', {}).catch(() => {});
    expect(refusals).toBe(0);
  });
  it('forgets the kept token', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v), removeItem: (k: string) => store.delete(k) } as unknown as Storage;
    const hist = { state: null, replaceState: () => {} } as unknown as History;
    expect(takeToken({ hash: '#token=abc', pathname: '/', search: '' } as Location, storage, hist)).toBe('abc');
    forgetToken(storage);
    expect(takeToken({ hash: '', pathname: '/', search: '' } as Location, storage, hist)).toBeNull();
  });
});
