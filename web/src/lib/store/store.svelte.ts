// The reactive shell around CorralState. Events are queued and applied in one
// batch per animation frame (a burst of 10,000 deltas costs one re-render),
// after which `version` is bumped; components derive what they show from the
// plain state whenever `version` changes.

import { Api, BackendError, type Backend, type CorralEvent, type ProcessInfo, type StreamState } from '../api';
import { CorralState } from './state';
import { permToolOf } from '../normalize';
import { ms } from '../format';

export interface Notifier {
  /** whether the page is hidden (notifications only then) */
  hidden(): boolean;
  /** shows a notification; `onclick` runs when the user clicks it */
  notify(title: string, body: string, tag: string, onclick?: () => void): void;
}

export const browserNotifier: Notifier = {
  hidden: () => typeof document !== 'undefined' && document.hidden,
  notify(title, body, tag, onclick) {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    try {
      const n = new Notification(title, { body, tag });
      n.onclick = () => {
        window.focus();
        onclick?.();
        n.close();
      };
    } catch {
      // some browsers allow notifications only from a service worker
    }
  },
};

export interface StoreOptions {
  /** schedules a flush; defaults to requestAnimationFrame (tests pass a microtask) */
  schedule?: (fn: () => void) => void;
  notifier?: Notifier;
  now?: () => number;
  /** page size for GetEvents history */
  pageSize?: number;
}

export class Store {
  readonly api: Api;
  readonly state = new CorralState();
  version = $state(0);
  connection = $state<StreamState>('connecting');
  selected = $state<string | null>(null);
  /** processes started from the run console, newest first */
  runs = $state<{ processId: string; capability: string; args: string[]; started: number }[]>([]);
  /** the last error of a call, shown as a toast */
  toast = $state<{ message: string; code?: string } | null>(null);

  private queue: CorralEvent[] = [];
  private scheduled = false;
  private unsubscribe: (() => void) | null = null;
  private readonly schedule: (fn: () => void) => void;
  private readonly notifier: Notifier;
  private readonly now: () => number;
  private readonly pageSize: number;
  private readonly startedAt: number;
  private loadingHistory = new Set<string>();
  /** sessions whose history was paged in once (retention may mean it starts after seq 1) */
  private historyLoaded = new Set<string>();
  private pollTimer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly backend: Backend, opts: StoreOptions = {}) {
    this.api = new Api(backend);
    this.schedule =
      opts.schedule ?? ((fn) => (typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => fn()) : setTimeout(fn, 16)));
    this.notifier = opts.notifier ?? browserNotifier;
    this.now = opts.now ?? Date.now;
    this.pageSize = opts.pageSize ?? 1000;
    this.startedAt = this.now();
  }

  /** Loads the session list and starts the event subscription. */
  async start(): Promise<void> {
    this.unsubscribe = this.backend.subscribe(
      this.state.cursor,
      {},
      (ev) => this.enqueue(ev),
      (s) => {
        const was = this.connection;
        this.connection = s;
        // After a reconnect, refresh summaries the stream does not carry.
        if (s === 'live' && was === 'reconnecting') void this.refreshSessions();
      },
    );
    await this.refreshSessions();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  enqueue(ev: CorralEvent): void {
    this.queue.push(ev);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /** Applies every queued event now. */
  flush(): void {
    this.scheduled = false;
    const q = this.queue;
    if (!q.length) return;
    this.queue = [];
    let unknown = false;
    for (const ev of q) {
      if (ev.sessionId && !this.state.sessions.has(ev.sessionId)) unknown = true;
      if (this.state.apply(ev)) this.maybeNotify(ev);
    }
    this.version++;
    // A session created elsewhere (another tab, the CLI): fetch its summary.
    if (unknown && !this.refreshPending) {
      this.refreshPending = true;
      setTimeout(() => {
        this.refreshPending = false;
        void this.refreshSessions();
      }, 300);
    }
  }
  private refreshPending = false;

  private maybeNotify(ev: CorralEvent): void {
    // The desktop shell raises native notifications itself.
    if (this.backend.kind === 'wails') return;
    if (!ev.sessionId || !this.notifier.hidden()) return;
    // Replayed history is not news: only events from after the page opened.
    const t = Date.parse(ev.time);
    if (!(t >= this.startedAt - 2000)) return;
    const s = this.state.sessions.get(ev.sessionId);
    const name = s?.title || s?.cwd || ev.sessionId;
    const id = ev.sessionId;
    const open = () => void this.select(id);
    if (ev.kind === 'permission.request') {
      this.notifier.notify('Approval needed', `${permToolOf(ev.data)} in ${name}`, `perm-${id}`, open);
    } else if (ev.kind === 'run.exited' && !ev.processId) {
      const d: any = ev.data ?? {};
      const how = d.reason && d.reason !== 'exit' ? d.reason : 'finished';
      this.notifier.notify(`Run ${how}`, String(name), `run-${id}`, open);
    }
  }

  private fail(e: unknown): void {
    if (e instanceof BackendError) this.toast = { message: e.message, code: e.code };
    else this.toast = { message: String((e as Error)?.message ?? e) };
  }

  /** Runs a call and shows its error as a toast; returns undefined on error. */
  async attempt<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.fail(e);
      return undefined;
    }
  }

  async refreshSessions(): Promise<void> {
    const list = await this.attempt(() => this.api.listSessions());
    if (!list) return;
    // Keep live fields the list may lag behind on.
    for (const s of list) {
      const live = this.state.sessions.get(s.id);
      const tr = this.state.transcripts.get(s.id);
      this.state.upsertSession(
        live && tr && ms(tr.lastTime) > ms(s.lastActivity)
          ? { ...s, status: live.status, lastActivity: live.lastActivity, costUsd: Math.max(s.costUsd, live.costUsd) }
          : s,
      );
    }
    const ids = new Set(list.map((s) => s.id));
    for (const id of [...this.state.sessions.keys()]) if (!ids.has(id) && !this.state.transcripts.get(id)?.events.length) this.state.sessions.delete(id);
    this.version++;
  }

  /**
   * Selects a session and pages in its history with GetEvents when the
   * transcript does not start at seq 1. Duplicates with the live stream are
   * dropped by the transcript.
   */
  async select(id: string | null): Promise<void> {
    this.selected = id;
    if (id) await this.loadHistory(id);
  }

  async loadHistory(id: string): Promise<void> {
    if (this.loadingHistory.has(id) || this.historyLoaded.has(id)) return;
    const tr = this.state.transcript(id);
    if (tr.minSeq === 1) return;
    this.loadingHistory.add(id);
    try {
      let since = 0;
      for (;;) {
        const page = await this.api.getEvents({ sessionId: id, since, limit: this.pageSize });
        const evs = page?.events ?? [];
        for (const ev of evs) this.state.apply({ ...ev, sessionId: ev.sessionId ?? id });
        this.version++;
        if (!page?.more || !evs.length) break;
        since = evs[evs.length - 1].seq;
        // stop once we reached what the live stream already delivered
        if (tr.has(since + 1)) break;
      }
      this.historyLoaded.add(id);
    } catch (e) {
      this.fail(e);
    } finally {
      this.loadingHistory.delete(id);
    }
  }

  // ------------------------------------------------------------ actions

  async send(sessionId: string, text: string): Promise<boolean> {
    const r = await this.attempt(() => this.api.sendMessage({ sessionId, text }));
    return r !== undefined;
  }
  interrupt(sessionId: string) {
    return this.attempt(() => this.api.interrupt({ sessionId }));
  }
  async respond(p: { sessionId: string; requestId: string; allow: boolean; message?: string; remember?: boolean; updatedInput?: unknown }): Promise<boolean> {
    try {
      await this.api.respondPermission(p);
      // Hide it at once; permission.resolved confirms it later.
      this.state.permissions = this.state.permissions.filter((x) => !(x.sessionId === p.sessionId && x.requestId === p.requestId));
      this.version++;
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }
  async resume(sessionId: string) {
    const s = await this.attempt(() => this.api.resumeSession({ sessionId }));
    if (s) {
      this.state.upsertSession(s);
      this.version++;
    }
  }
  async stopSession(sessionId: string) {
    await this.attempt(() => this.api.stopSession({ sessionId }));
  }
  async deleteSession(sessionId: string) {
    const ok = await this.attempt(async () => (await this.api.deleteSession({ sessionId }), true));
    if (ok) {
      this.state.removeSession(sessionId);
      if (this.selected === sessionId) this.selected = null;
      this.version++;
    }
  }
  async createSession(p: Parameters<Api['createSession']>[0]) {
    const s = await this.attempt(() => this.api.createSession(p));
    if (s) {
      this.state.upsertSession(s);
      this.version++;
      await this.select(s.id);
    }
    return s;
  }

  async refreshProcesses(): Promise<ProcessInfo[] | undefined> {
    try {
      const list = await this.api.listProcesses();
      this.state.setProcesses(list ?? []);
      this.version++;
      return list;
    } catch (e) {
      this.fail(e);
      return undefined;
    }
  }

  /** Polls ListProcesses every `ms` while the processes view is open. */
  pollProcesses(ms = 2000): () => void {
    void this.refreshProcesses();
    const t = setInterval(() => void this.refreshProcesses(), ms);
    return () => clearInterval(t);
  }
}
