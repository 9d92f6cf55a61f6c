// The service worker's decisions, as pure functions (src/sw/sw.ts does the
// I/O; these are tested in swlogic.test.ts). The worker is built from the
// same tree as the app (vite.config.ts: corralServiceWorker), with the
// list of the build's files put in for PRECACHE.

/** A push's payload, as the server sends it (push/message.go: Message). */
export interface PushMessage {
  kind: string;
  sessionId: string;
  title: string;
  body: string;
  requestId?: string;
}

/** What a notification carries for its click (Notification.data). */
export interface NotificationData {
  kind: string;
  sessionId: string;
  requestId?: string;
}

export type Route = 'network' | 'shell' | 'cache';

/**
 * How the worker answers a request: `network` (not ours to cache: the API,
 * the event stream, other origins, anything but GET), `shell` (a page
 * navigation: the network, and the cached index.html when it is
 * unreachable), `cache` (a file of the build: the cache first).
 */
export function routeOf(url: URL, scope: URL, method: string, mode: string): Route {
  if (method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return 'network';
  const rest = url.pathname.slice(scope.pathname.length);
  if (rest.startsWith('api/') || rest === 'sw.js') return 'network';
  if (mode === 'navigate') return 'shell';
  return 'cache';
}

/** The files to precache: the build's files but the worker itself, with the scope's root. */
export function precacheList(files: string[]): string[] {
  const out = new Set<string>(['./']);
  for (const f of files) {
    if (f === 'sw.js' || f.endsWith('.map') || f.startsWith('.')) continue;
    out.add('./' + f.replace(/^\.?\//, ''));
  }
  return [...out].sort();
}

/** Parses a push's data; null when it is not a corral message. */
export function parsePush(text: string | null | undefined): PushMessage | null {
  if (!text) return null;
  try {
    const m = JSON.parse(text);
    if (!m || typeof m.kind !== 'string' || typeof m.sessionId !== 'string') return null;
    return { kind: m.kind, sessionId: m.sessionId, title: String(m.title ?? 'corral'), body: String(m.body ?? ''), requestId: typeof m.requestId === 'string' && m.requestId ? m.requestId : undefined };
  } catch {
    return null;
  }
}

/**
 * The notification a push shows. A permission request gets Allow and Deny
 * actions and stays until answered; a newer notification of the same
 * session and kind replaces an older one (tag).
 */
export function notificationFor(m: PushMessage): { title: string; options: NotificationOptions & { actions?: { action: string; title: string }[] } } {
  const data: NotificationData = { kind: m.kind, sessionId: m.sessionId, requestId: m.requestId };
  const perm = m.kind === 'permission' && !!m.requestId;
  return {
    title: m.title,
    options: {
      body: m.body,
      tag: perm ? `perm-${m.sessionId}-${m.requestId}` : `${m.kind}-${m.sessionId}`,
      data,
      icon: './icon-192.png',
      badge: './icon-192.png',
      requireInteraction: perm,
      ...(perm ? { actions: [{ action: 'allow', title: 'Allow' }, { action: 'deny', title: 'Deny' }] } : {}),
    },
  };
}

/**
 * The API request that answers a permission request from a notification's
 * action, or null when the click is not an answer (no action, no request,
 * no token).
 */
export function answerRequest(d: NotificationData | undefined, action: string, token: string | null, scope: string): { url: string; init: RequestInit } | null {
  if (!d || d.kind !== 'permission' || !d.requestId || !token) return null;
  if (action !== 'allow' && action !== 'deny') return null;
  return {
    url: new URL('api/call/RespondPermission', scope).href,
    init: {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ sessionId: d.sessionId, requestId: d.requestId, allow: action === 'allow' }),
    },
  };
}

/** The page a click opens: the app at the session. */
export function sessionUrl(sessionId: string, scope: string): string {
  return new URL('./#session=' + encodeURIComponent(sessionId), scope).href;
}
