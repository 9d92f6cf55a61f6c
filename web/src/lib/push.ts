// Web Push on the page: whether this browser can have it, subscribing this
// device (the browser's PushManager with corral's VAPID key, then
// SubscribePush) and unsubscribing. The API calls are in docs/api.md
// (Push); the service worker that shows the pushes is src/sw/sw.ts.

import { Api, type Backend } from './api';
import { clearToken, saveToken } from './pushdb';

export type PushSupport = 'ok' | 'insecure' | 'unsupported';

/**
 * Whether the page can subscribe: a secure context (https, or loopback),
 * service workers, the Push API and notifications. `insecure`: the browser
 * has them but refuses them on this address (plain http to another host).
 */
export function pushSupport(w: { isSecureContext?: boolean; navigator?: Navigator; PushManager?: unknown; Notification?: unknown }): PushSupport {
  const has = !!w.navigator && 'serviceWorker' in w.navigator && !!w.PushManager && !!w.Notification;
  if (w.isSecureContext === false) return 'insecure';
  return has ? 'ok' : 'unsupported';
}

/** Decodes base64url (with or without padding) to bytes: the applicationServerKey. */
export function b64urlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Encodes bytes as base64url without padding. */
export function bytesToB64url(b: ArrayBuffer | Uint8Array | null): string {
  if (!b) return '';
  const u = b instanceof Uint8Array ? b : new Uint8Array(b);
  let s = '';
  for (const x of u) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** SubscribePush's parameters from a PushSubscription's toJSON(). */
export function subscribeParams(json: PushSubscriptionJSON, events?: string[]) {
  const keys = json.keys ?? {};
  if (!json.endpoint || !keys.p256dh || !keys.auth) throw new Error('the browser gave a subscription without an endpoint or keys');
  return { subscription: { endpoint: json.endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } }, ...(events ? { events } : {}) };
}

/** Whether an existing subscription was made with this server key (else it must be replaced). */
export function sameServerKey(sub: { options?: { applicationServerKey?: ArrayBuffer | null } } | null, publicKey: string): boolean {
  const k = sub?.options?.applicationServerKey;
  return !!k && bytesToB64url(k) === publicKey.replace(/=+$/, '');
}

/** The current subscription of this browser, if any. */
export async function currentSubscription(reg: ServiceWorkerRegistration): Promise<PushSubscription | null> {
  return reg.pushManager.getSubscription();
}

/**
 * Turns push on for this device: asks for notification permission,
 * subscribes with corral's key (replacing a subscription made with another
 * key), registers it with SubscribePush and keeps the token for the
 * worker. Throws a sentence for the user when something refuses.
 */
export async function enablePush(backend: Backend, reg: ServiceWorkerRegistration, token: string | null, events?: string[]): Promise<PushSubscription> {
  const api = new Api(backend);
  const cfg = await api.getPushConfig();
  if (!cfg.supported) throw new Error('This corral does not send push notifications.');
  if ((await Notification.requestPermission()) !== 'granted') throw new Error('Notifications are blocked for this site in the browser.');
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameServerKey(sub, cfg.publicKey)) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlToBytes(cfg.publicKey) });
  await api.subscribePush(subscribeParams(sub.toJSON(), events));
  if (token) await saveToken(token);
  return sub;
}

/** Turns push off for this device: UnsubscribePush, then the browser's subscription and the kept token. */
export async function disablePush(backend: Backend, reg: ServiceWorkerRegistration): Promise<void> {
  const sub = await reg.pushManager.getSubscription();
  if (sub) {
    await new Api(backend).unsubscribePush({ endpoint: sub.endpoint }).catch(() => undefined);
    await sub.unsubscribe();
  }
  await clearToken().catch(() => undefined);
}
