// The service worker: precaches the app shell (the build's files, listed
// into PRECACHE at build time), serves it when corral is unreachable, shows
// Web Push notifications and answers a permission request from one. A new
// build installs beside the old one and waits; the page offers to reload
// (lib/pwa.ts), which sends "skipWaiting". Decisions: lib/swlogic.ts.
/// <reference lib="webworker" />
import { answerRequest, notificationFor, parsePush, precacheList, routeOf, sessionUrl, type NotificationData } from '../lib/swlogic';
import { readToken } from '../lib/pushdb';

declare const self: ServiceWorkerGlobalScope;
// replaced at build time with the build's file list and its digest
declare const __CORRAL_PRECACHE__: string[];
declare const __CORRAL_BUILD__: string;

const CACHE = 'corral-shell-' + __CORRAL_BUILD__;
const scope = () => new URL(self.registration.scope);

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(precacheList(__CORRAL_PRECACHE__))));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    (async () => {
      for (const k of await caches.keys()) if (k.startsWith('corral-shell-') && k !== CACHE) await caches.delete(k);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (e) => {
  if (e.data?.type === 'skipWaiting') void self.skipWaiting();
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const route = routeOf(new URL(req.url), scope(), req.method, req.mode);
  if (route === 'network') return;
  if (route === 'shell') {
    e.respondWith(fetch(req).catch(async () => (await caches.match('./', { ignoreSearch: true })) ?? (await caches.match('index.html')) ?? Response.error()));
    return;
  }
  e.respondWith(caches.match(req).then((hit) => hit ?? fetch(req)));
});

self.addEventListener('push', (e) => {
  const m = parsePush(e.data?.text());
  if (!m) return;
  const n = notificationFor(m);
  e.waitUntil(self.registration.showNotification(n.title, n.options));
});

self.addEventListener('notificationclick', (e) => {
  const n = e.notification;
  const d = n.data as NotificationData | undefined;
  n.close();
  e.waitUntil(
    (async () => {
      if (e.action === 'allow' || e.action === 'deny') {
        const r = answerRequest(d, e.action, await readToken(self.indexedDB), self.registration.scope);
        if (r && (await fetch(r.url, r.init).then((x) => x.ok, () => false))) return;
        // no token, or refused: open the session to answer there
      }
      if (!d?.sessionId) return;
      const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const w = wins.find((c) => c.url.startsWith(scope().href));
      if (w) {
        w.postMessage({ type: 'open-session', sessionId: d.sessionId });
        await w.focus();
        return;
      }
      await self.clients.openWindow(sessionUrl(d.sessionId, self.registration.scope));
    })(),
  );
});
