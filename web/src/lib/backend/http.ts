// The browser transport: calls are `POST /api/call/{Method}` and events are a
// Server-Sent Events stream read with fetch (EventSource cannot send the
// Bearer header). The stream reconnects with exponential backoff and resumes
// from the last `id:` it saw, so a dropped connection loses nothing.

import { BackendError, ErrorCodes, type Backend, type CorralEvent, type EventFilter, type StreamState } from '../api';
import { SseParser } from './sse';

export interface HttpBackendOptions {
  /** origin + path prefix, '' for same origin */
  base?: string;
  token: string;
  fetch?: typeof fetch;
  /** waits ms; injected by tests */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** first reconnect delay in ms (doubled per failure up to maxDelay) */
  minDelay?: number;
  maxDelay?: number;
  /**
   * Called once when corral refuses the token (HTTP 401): a wrong token, or
   * one replaced with `corral serve --rotate-token`. Retrying cannot help,
   * so the event stream stops; the page should ask for the token.
   */
  onUnauthorized?: () => void;
}

const TOKEN_KEY = 'corral.token';

/**
 * Takes the token from the URL fragment (`#token=…`) on first load, keeps it
 * in sessionStorage for reloads, and removes it from the address bar so it is
 * not bookmarked, shared or shown. Other fragment parameters are kept.
 */
export function takeToken(loc: Location, storage: Storage, hist: History): string | null {
  const hash = loc.hash.startsWith('#') ? loc.hash.slice(1) : loc.hash;
  const parts = hash.split('&');
  const tok = parts.find((p) => p.startsWith('token='));
  const fromHash = tok ? decodeURIComponent(tok.slice(6)) : '';
  if (fromHash) {
    storage.setItem(TOKEN_KEY, fromHash);
    const rest = parts.filter((p) => p !== tok && p !== '').join('&');
    hist.replaceState(hist.state, '', loc.pathname + loc.search + (rest ? '#' + rest : ''));
    return fromHash;
  }
  return storage.getItem(TOKEN_KEY);
}

/** Forgets the token takeToken kept (corral refused it). */
export function forgetToken(storage: Storage): void {
  storage.removeItem(TOKEN_KEY);
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export class HttpBackend implements Backend {
  readonly kind = 'http' as const;
  private readonly base: string;
  private readonly token: string;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly onUnauthorized?: () => void;
  private refused = false;

  constructor(opts: HttpBackendOptions) {
    this.base = opts.base ?? '';
    this.token = opts.token;
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.sleep = opts.sleep ?? defaultSleep;
    this.minDelay = opts.minDelay ?? 250;
    this.maxDelay = opts.maxDelay ?? 10_000;
    this.onUnauthorized = opts.onUnauthorized;
  }

  /** Reports a refused token once. */
  private unauthorized(): void {
    if (this.refused) return;
    this.refused = true;
    this.onUnauthorized?.();
  }

  async call<T>(method: string, params: object): Promise<T> {
    let res: Response;
    try {
      res = await this.fetch(`${this.base}/api/call/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(params ?? {}),
      });
    } catch (e) {
      throw new BackendError(ErrorCodes.Transport, `corral is not reachable: ${(e as Error).message}`);
    }
    if (res.status === 401) this.unauthorized();
    let body: any = null;
    const text = await res.text();
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new BackendError(ErrorCodes.Transport, `bad reply from corral (HTTP ${res.status})`);
      }
    }
    if (body && typeof body === 'object' && body.error) {
      throw new BackendError(String(body.error.code ?? 'error'), String(body.error.message ?? 'unknown error'), typeof body.error.rule === 'string' ? body.error.rule : undefined, body.error.details);
    }
    if (!res.ok) {
      const code = res.status === 401 || res.status === 403 ? ErrorCodes.Unauthorized : ErrorCodes.Transport;
      throw new BackendError(code, `HTTP ${res.status}`);
    }
    return (body ? body.result : undefined) as T;
  }

  subscribe(
    since: number,
    filter: EventFilter,
    onEvent: (ev: CorralEvent) => void,
    onState?: (s: StreamState) => void,
  ): () => void {
    const ctl = new AbortController();
    let cursor = since;
    const run = async () => {
      let failures = 0;
      onState?.('connecting');
      while (!ctl.signal.aborted) {
        let gotLive = false;
        try {
          // Until the server has named a cursor, "now": only new events.
          const q = new URLSearchParams({ since: cursor < 0 ? 'now' : String(cursor) });
          if (filter.session) q.set('session', filter.session);
          const headers: Record<string, string> = {
            Authorization: `Bearer ${this.token}`,
            Accept: 'text/event-stream',
          };
          if (cursor > 0) headers['Last-Event-ID'] = String(cursor);
          const res = await this.fetch(`${this.base}/api/events?${q}`, { headers, signal: ctl.signal });
          if (res.status === 401) {
            // a refused token stays refused: stop instead of retrying
            this.unauthorized();
            onState?.('reconnecting');
            return;
          }
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          onState?.('live');
          gotLive = true;
          failures = 0;
          const parser = new SseParser((m) => {
            if (m.data === '') {
              // keep-alive, or the resume point the stream started at
              const id = m.id !== undefined && m.id !== '' ? Number(m.id) : NaN;
              if (Number.isFinite(id) && id > cursor) cursor = id;
              return;
            }
            if (m.event === 'ping') return;
            let ev: CorralEvent;
            try {
              ev = JSON.parse(m.data);
            } catch {
              return; // a frame we cannot read; the server never sends one
            }
            const id = m.id !== undefined ? Number(m.id) : NaN;
            if (Number.isFinite(id)) {
              if (ev.cursor === undefined) ev.cursor = id;
              if (id > cursor) cursor = id;
            } else if (typeof ev.cursor === 'number' && ev.cursor > cursor) {
              cursor = ev.cursor;
            }
            if (!ev.kind && m.event !== 'message') ev.kind = m.event;
            onEvent(ev);
          });
          const reader = res.body.getReader();
          const dec = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.push(dec.decode(value, { stream: true }));
          }
          parser.push(dec.decode());
        } catch {
          // network error or abort; handled below
        }
        if (ctl.signal.aborted) break;
        if (!gotLive) failures++;
        onState?.('reconnecting');
        const delay = Math.min(this.maxDelay, this.minDelay * 2 ** Math.max(0, failures - 1));
        await this.sleep(delay, ctl.signal);
      }
    };
    void run();
    return () => ctl.abort();
  }
}
