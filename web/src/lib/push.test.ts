import { describe, expect, it, vi } from 'vitest';
import { b64urlToBytes, bytesToB64url, enablePush, pushSupport, sameServerKey, subscribeParams } from './push';
import { answerRequest, notificationFor, parsePush, precacheList, routeOf, sessionUrl } from './swlogic';

describe('push on the page', () => {
  it('round-trips base64url keys with and without padding', () => {
    const bytes = new Uint8Array([4, 250, 251, 0, 62, 63, 255]);
    const s = bytesToB64url(bytes);
    expect(s).not.toMatch(/[+/=]/);
    expect([...b64urlToBytes(s)]).toEqual([...bytes]);
    expect([...b64urlToBytes(s + '=')]).toEqual([...bytes]);
  });

  it('builds SubscribePush parameters from toJSON() and refuses a subscription without keys', () => {
    const json = { endpoint: 'https://push.example/a', expirationTime: null, keys: { p256dh: 'P', auth: 'A' } };
    expect(subscribeParams(json, ['permission'])).toEqual({ subscription: { endpoint: 'https://push.example/a', keys: { p256dh: 'P', auth: 'A' } }, events: ['permission'] });
    expect(subscribeParams(json)).not.toHaveProperty('events');
    expect(() => subscribeParams({ endpoint: 'https://x', keys: {} })).toThrow();
  });

  it('tells support apart from an insecure page', () => {
    const nav = { serviceWorker: {} } as unknown as Navigator;
    expect(pushSupport({ isSecureContext: true, navigator: nav, PushManager: {}, Notification: {} })).toBe('ok');
    expect(pushSupport({ isSecureContext: false, navigator: nav, PushManager: {}, Notification: {} })).toBe('insecure');
    expect(pushSupport({ isSecureContext: true, navigator: {} as Navigator })).toBe('unsupported');
  });

  it('replaces a subscription made with another server key', async () => {
    const key = bytesToB64url(new Uint8Array([4, 1, 2, 3]));
    const old = { options: { applicationServerKey: new Uint8Array([4, 9, 9, 9]).buffer }, unsubscribe: vi.fn(async () => true) };
    expect(sameServerKey(old, key)).toBe(false);
    const fresh = { options: { applicationServerKey: new Uint8Array([4, 1, 2, 3]).buffer }, toJSON: () => ({ endpoint: 'https://p/1', keys: { p256dh: 'P', auth: 'A' } }) };
    expect(sameServerKey(fresh, key)).toBe(true);
    const reg = { pushManager: { getSubscription: vi.fn(async () => old), subscribe: vi.fn(async () => fresh) } };
    const calls: [string, any][] = [];
    const backend = { call: async (m: string, p: any) => (calls.push([m, p]), m === 'GetPushConfig' ? { publicKey: key, supported: true } : {}) };
    vi.stubGlobal('Notification', { requestPermission: async () => 'granted' });
    await enablePush(backend as any, reg as any, null, ['done']);
    vi.unstubAllGlobals();
    expect(old.unsubscribe).toHaveBeenCalled();
    expect([...(reg.pushManager.subscribe.mock.calls[0] as any)[0].applicationServerKey]).toEqual([4, 1, 2, 3]);
    expect(calls.map((c) => c[0])).toEqual(['GetPushConfig', 'SubscribePush']);
    expect(calls[1][1].events).toEqual(['done']);
  });

  it('stops when the server has no push or the user blocks notifications', async () => {
    const reg = { pushManager: { getSubscription: vi.fn(), subscribe: vi.fn() } };
    const off = { call: async () => ({ publicKey: '', supported: false }) };
    await expect(enablePush(off as any, reg as any, null)).rejects.toThrow(/does not send/);
    vi.stubGlobal('Notification', { requestPermission: async () => 'denied' });
    const on = { call: async () => ({ publicKey: 'BA', supported: true }) };
    await expect(enablePush(on as any, reg as any, null)).rejects.toThrow(/blocked/);
    vi.unstubAllGlobals();
    expect(reg.pushManager.subscribe).not.toHaveBeenCalled();
  });
});

describe('service worker decisions', () => {
  const scope = new URL('https://host:8080/');
  it('routes: the API and other origins to the network, pages to the shell, files to the cache', () => {
    expect(routeOf(new URL('https://host:8080/api/call/ListSessions'), scope, 'POST', 'cors')).toBe('network');
    expect(routeOf(new URL('https://host:8080/api/events'), scope, 'GET', 'cors')).toBe('network');
    expect(routeOf(new URL('https://other/x.js'), scope, 'GET', 'cors')).toBe('network');
    expect(routeOf(new URL('https://host:8080/sw.js'), scope, 'GET', 'same-origin')).toBe('network');
    expect(routeOf(new URL('https://host:8080/'), scope, 'GET', 'navigate')).toBe('shell');
    expect(routeOf(new URL('https://host:8080/assets/app-1.js'), scope, 'GET', 'cors')).toBe('cache');
  });

  it('precaches the build but the worker', () => {
    expect(precacheList(['index.html', 'sw.js', 'assets/a.js', 'assets/a.js.map', 'favicon.svg'])).toEqual(['./', './assets/a.js', './favicon.svg', './index.html']);
  });

  it('shows a permission request with Allow and Deny, other pushes without', () => {
    const p = parsePush(JSON.stringify({ kind: 'permission', sessionId: 's1', title: 'Approval needed', body: 'Bash in proj', requestId: 'r1' }))!;
    const n = notificationFor(p);
    expect(n.title).toBe('Approval needed');
    expect(n.options.actions?.map((a) => a.action)).toEqual(['allow', 'deny']);
    expect(n.options.requireInteraction).toBe(true);
    expect(n.options.data).toEqual({ kind: 'permission', sessionId: 's1', requestId: 'r1' });
    const d = notificationFor(parsePush(JSON.stringify({ kind: 'done', sessionId: 's1', title: 'Turn done', body: 'proj' }))!);
    expect(d.options.actions).toBeUndefined();
    expect(d.options.tag).toBe('done-s1');
    expect(parsePush('not json')).toBeNull();
    expect(parsePush(JSON.stringify({ title: 'x' }))).toBeNull();
  });

  it('answers a request with the stored token in a header, never in the URL', () => {
    const d = { kind: 'permission', sessionId: 's1', requestId: 'r1' };
    const r = answerRequest(d, 'deny', 'tok', 'https://host:8080/')!;
    expect(r.url).toBe('https://host:8080/api/call/RespondPermission');
    expect(r.url).not.toContain('tok');
    expect((r.init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(JSON.parse(r.init.body as string)).toEqual({ sessionId: 's1', requestId: 'r1', allow: false });
    expect(answerRequest(d, 'allow', null, 'https://host:8080/')).toBeNull();
    expect(answerRequest(d, '', 'tok', 'https://host:8080/')).toBeNull();
    expect(answerRequest({ kind: 'done', sessionId: 's1' }, 'allow', 'tok', 'https://host:8080/')).toBeNull();
    expect(sessionUrl('a b', 'https://host:8080/')).toBe('https://host:8080/#session=a%20b');
  });
});
