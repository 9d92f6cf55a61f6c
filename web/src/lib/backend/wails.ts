// The desktop transport: Wails v2 binds the Go facade as
// `window.go.api.App.<Method>(params)` and emits every event as the Wails event
// `corral:event`. A Wails binding rejects with the Go error's text; corral's
// facade encodes it as JSON `{code, message}` so both transports raise the
// same BackendError.

import { BackendError, type Backend, type CorralEvent, type EventFilter, type StreamState } from '../api';

type Binding = (params: object) => Promise<unknown>;

export interface WailsWindow {
  go?: { api?: { App?: Record<string, Binding> }; main?: { Shell?: Record<string, Binding> } };
  runtime?: {
    EventsOn(name: string, cb: (...data: any[]) => void): (() => void) | void;
    EventsOff?(name: string): void;
  };
}

/** True when the page runs inside the Wails desktop shell. */
export function isWails(w: unknown): boolean {
  return !!(w as WailsWindow)?.go;
}

/** Converts whatever a Wails binding rejected with into a BackendError. */
export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  // The desktop shell's error formatter turns a facade error into
  // {code, message, rule?}; Wails hands it to the page as an Error whose
  // message is that object's JSON (or as the object, or its JSON text).
  const fromWire = (o: any): BackendError | null =>
    o && typeof o === 'object' && typeof o.message === 'string' && typeof o.code === 'string'
      ? new BackendError(o.code, o.message, typeof o.rule === 'string' ? o.rule : undefined, o.details)
      : null;
  const parse = (t: string): BackendError | null => {
    try {
      return fromWire(JSON.parse(t));
    } catch {
      return null;
    }
  };
  if (typeof e === 'string') return parse(e) ?? new BackendError('error', e);
  if (e instanceof Error) return parse(e.message) ?? fromWire(e) ?? new BackendError('error', e.message);
  return fromWire(e) ?? new BackendError('error', JSON.stringify(e));
}

export class WailsBackend implements Backend {
  readonly kind = 'wails' as const;
  constructor(private readonly w: WailsWindow) {}

  async call<T>(method: string, params: object): Promise<T> {
    const fn = this.w.go?.api?.App?.[method];
    if (typeof fn !== 'function') throw new BackendError('not_found', `method ${method} is not bound`);
    try {
      return (await fn(params ?? {})) as T;
    } catch (e) {
      throw toBackendError(e);
    }
  }

  /** The native folder chooser of the desktop shell (window.go.main.Shell). */
  async pickDirectory(start?: string): Promise<string | null> {
    const fn = this.w.go?.main?.Shell?.PickDirectory;
    if (typeof fn !== 'function') return null;
    try {
      const r = (await fn({ start })) as { path?: string } | null;
      return r?.path ? r.path : null;
    } catch (e) {
      throw toBackendError(e);
    }
  }

  /**
   * Wails events are in-process and are not lost, so there is no reconnect;
   * events at or before `since` are skipped. History older than the moment of
   * subscription is read with GetEvents (the session store does this).
   */
  subscribe(
    since: number,
    filter: EventFilter,
    onEvent: (ev: CorralEvent) => void,
    onState?: (s: StreamState) => void,
  ): () => void {
    const rt = this.w.runtime;
    if (!rt) {
      onState?.('reconnecting');
      return () => {};
    }
    let stopped = false;
    const off = rt.EventsOn('corral:event', (ev: CorralEvent) => {
      if (stopped || !ev) return;
      if (typeof ev.cursor === 'number' && ev.cursor <= since) return;
      if (filter.session && ev.sessionId !== filter.session) return;
      onEvent(ev);
    });
    onState?.('live');
    return () => {
      stopped = true;
      if (typeof off === 'function') off();
    };
  }
}
