// The reactive shell around CorralState. Events are queued and applied in one
// batch per animation frame (a burst of 10,000 deltas costs one re-render),
// after which `version` is bumped; components derive what they show from the
// plain state whenever `version` changes.

import { machineUnreachable } from '../fleet';
import { collectExport, saveFile, type ExportFile, type ExportFormat } from '../export';
import { budgetMessage } from '../usage';
import { Api, BackendError, ErrorCodes, type AttachmentParam, type Backend, type CorralEvent, type ProcessInfo, type Session, type StreamState } from '../api';
import type { QueueInfo } from '../contract.gen';
import { PAGE_SIZE, type EarlyReads } from './early';
import { CALLS_SOURCE, CorralState } from './state';
import { humanError, type HumanError } from '../errors';
import { permToolOf } from '../normalize';
import { ms } from '../format';
import type { AgentModels, OptionChange } from '../contract.gen';
import { notifyEnabled, notifyKindOf } from '../notifyprefs';

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
  /** replies asked for while the page was still loading (early.ts), used instead of asking again */
  early?: EarlyReads;
}

export class Store {
  readonly api: Api;
  readonly state = new CorralState();
  version = $state(0);
  connection = $state<StreamState>('connecting');
  selected = $state<string | null>(null);
  /** processes started from the run console, newest first */
  runs = $state<{ processId: string; capability: string; args: string[]; started: number }[]>([]);
  /**
   * the last failed call, as a short sentence for a toast (its full detail
   * is in the Errors view); `id` changes with every failure
   */
  toast = $state<{ id: number; message: string; code: string; what?: string } | null>(null);
  private failures = 0;

  private queue: CorralEvent[] = [];
  private scheduled = false;
  private unsubscribe: (() => void) | null = null;
  private readonly schedule: (fn: () => void) => void;
  private readonly notifier: Notifier;
  private readonly now: () => number;
  private readonly pageSize: number;
  private readonly startedAt: number;
  private loadingHistory = new Set<string>();
  /** sessions whose newest page was read (history then grows backwards on demand) */
  private historyLoaded = new Set<string>();
  /** sessions whose history is complete back to their first retained event */
  private historyDone = new Set<string>();
  /** sessions with older history still to page in, for the views to show it */
  olderPending = $state<Record<string, boolean>>({});
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private early: EarlyReads;

  constructor(readonly backend: Backend, opts: StoreOptions = {}) {
    this.api = new Api(backend);
    this.schedule =
      opts.schedule ?? ((fn) => (typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => fn()) : setTimeout(fn, 16)));
    this.notifier = opts.notifier ?? browserNotifier;
    this.now = opts.now ?? Date.now;
    this.pageSize = opts.pageSize ?? PAGE_SIZE;
    this.early = { ...opts.early };
    this.startedAt = this.now();
  }

  /**
   * Loads the session list and starts the event subscription. A fresh page
   * subscribes to new events only (the server would otherwise replay its
   * whole log, 25 MB for 100,000 events); history comes per session with
   * GetEvents, newest page first, when a session is opened.
   */
  async start(): Promise<void> {
    this.unsubscribe = this.backend.subscribe(
      this.state.cursor > 0 ? this.state.cursor : -1,
      {},
      (ev) => this.enqueue(ev),
      (s) => {
        const was = this.connection;
        this.connection = s;
        if (s === 'live' && was !== 'live') {
          // A page read before the stream was live may end before the
          // stream's first event: read what lies between.
          for (const id of this.historyLoaded) void this.catchUp(id);
          // After a reconnect, refresh summaries the stream does not carry.
          if (was === 'reconnecting') void this.refreshSessions();
        }
      },
    );
    await this.refreshSessions();
    // The permission queue spans sessions: read the newest page of those
    // waiting for an answer so their requests show without opening them.
    for (const s of this.state.sessions.values()) if ((s.pendingPermissions ?? 0) > 0) void this.loadHistory(s.id);
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
      // A fleet hub lost a runner or has it back: its sessions' statuses
      // changed on the hub without an event in their own logs.
      if (ev.kind === 'runner.status') unknown = true;
      if (this.state.apply(ev)) this.maybeNotify(ev);
      if (ev.sessionId && ev.kind.startsWith('queue.')) this.queueChanged(ev.sessionId);
      if (ev.kind === 'budget.notice' && Date.parse(ev.time) >= this.startedAt - 2000) {
        const s = this.state.sessions.get(ev.sessionId ?? '');
        this.toast = { id: ++this.failures, message: budgetMessage(ev.data, s?.title || ev.sessionId || ''), code: 'budget_' + ev.data?.level };
      }
    }
    this.version++;
    // A session created elsewhere (another tab, the CLI), or a runner's
    // sessions changed: fetch the summaries.
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
    const kind = notifyKindOf(ev);
    if (!kind || !notifyEnabled(kind)) return;
    const d: any = ev.data ?? {};
    if (kind === 'permission') {
      this.notifier.notify('Approval needed', `${permToolOf(ev.data)} in ${name}`, `perm-${id}`, open);
    } else if (kind === 'done' || kind === 'error') {
      const how = d.reason && d.reason !== 'exit' ? d.reason : 'finished';
      this.notifier.notify(`Run ${how}`, String(name), `run-${id}`, open);
    } else if (kind === 'rate_limited') {
      const at = d.resetAt ? new Date(d.resetAt).toLocaleTimeString() : 'later';
      const then = d.armed ? `resumes by itself at ${at}` : `limit resets at ${at}`;
      this.notifier.notify('Rate-limited', `${name}: ${then}`, `limit-${id}`, open);
    } else if (kind === 'resumed') {
      this.notifier.notify('Resumed', `${name} resumed after its rate limit`, `limit-${id}`, open);
    } else {
      this.notifier.notify('Budget reached', `${name}: ${d.message ?? ev.kind}`, `budget-${id}`, open);
    }
  }

  /**
   * Lists a failed call in the Errors view with its full detail and returns
   * how to say it in short. `what` says what failed ("Could not send the
   * message").
   */
  report(e: unknown, what?: string): HumanError {
    const h = humanError(e, what);
    this.state.addError(CALLS_SOURCE, {
      type: h.code,
      message: what ? `${what}: ${h.detail}` : h.detail,
      action: h.short,
      time: new Date(this.now()).toISOString(),
      seq: ++this.failures,
    });
    this.version++;
    return h;
  }

  /** Reports a failed call and shows it in short as a toast. */
  fail(e: unknown, what?: string): void {
    const h = this.report(e, what);
    this.toast = { id: this.failures, message: h.short, code: h.code, what };
  }

  /**
   * Runs a call and shows its error as a toast; returns undefined on error.
   * When it succeeds, a toast left by an earlier failure of the same call
   * (same `what`) goes: it no longer says what is true.
   */
  async attempt<T>(fn: () => Promise<T>, what?: string): Promise<T | undefined> {
    try {
      const v = await fn();
      if (what && this.toast?.what === what) this.toast = null;
      return v;
    } catch (e) {
      this.fail(e, what);
      return undefined;
    }
  }

  async refreshSessions(): Promise<void> {
    const early = this.early.sessions;
    this.early.sessions = undefined;
    // (an early reply already here is used at once, without a turn of the event loop)
    const list = early?.value ?? (await this.attempt(() => early?.reply ?? this.api.listSessions(), 'Could not load the sessions'));
    if (!list) return;
    // Keep live fields the list may lag behind on.
    for (const s of list) {
      const live = this.state.sessions.get(s.id);
      const tr = this.state.transcripts.get(s.id);
      // (the hub's word that a session's machine is unreachable wins: no
      // event of the session's own says so)
      this.state.upsertSession(
        live && tr && ms(tr.lastTime) > ms(s.lastActivity) && !machineUnreachable(s.status)
          ? { ...s, status: live.status, lastActivity: live.lastActivity, costUsd: Math.max(s.costUsd, live.costUsd) }
          : s,
      );
    }
    const ids = new Set(list.map((s) => s.id));
    for (const id of [...this.state.sessions.keys()]) if (!ids.has(id) && !this.state.transcripts.get(id)?.events.length) this.state.sessions.delete(id);
    this.version++;
  }

  /**
   * Selects a session and reads the newest page of its history (GetEvents
   * `tail`) unless it is already here; older pages follow with loadOlder as
   * the user scrolls up. Duplicates with the live stream are dropped by the
   * transcript.
   */
  async select(id: string | null): Promise<void> {
    this.selected = id;
    if (id) await this.loadHistory(id);
  }

  private markDone(id: string, done: boolean): void {
    if (done) this.historyDone.add(id);
    if (this.olderPending[id] !== !done) this.olderPending = { ...this.olderPending, [id]: !done };
  }

  /** Reads the newest page of a session's history, once. */
  async loadHistory(id: string): Promise<void> {
    if (this.loadingHistory.has(id) || this.historyLoaded.has(id)) return;
    const tr = this.state.transcript(id);
    if (tr.minSeq === 1) {
      this.historyLoaded.add(id);
      this.markDone(id, true);
      return;
    }
    this.loadingHistory.add(id);
    const early = this.early.history?.sessionId === id ? this.early.history : undefined;
    if (early) this.early.history = undefined;
    // A read that may have been answered before the stream was live can
    // miss what was committed in between: once live, read on from its end.
    const beforeLive = !!early || this.connection !== 'live';
    try {
      const page = early?.value ?? (await (early?.reply ?? this.api.getEvents({ sessionId: id, tail: true, limit: this.pageSize })));
      const evs = page?.events ?? [];
      this.state.applyPage(id, evs);
      this.historyLoaded.add(id);
      this.markDone(id, !page?.more || tr.minSeq === 1);
      this.version++;
      // (if the stream goes live later, its handler reads on)
      if (beforeLive && this.connection === 'live') void this.catchUp(id);
    } catch (e) {
      this.fail(e, "Could not load the session's history");
    } finally {
      this.loadingHistory.delete(id);
    }
  }

  /**
   * Pages in the events before the oldest one held (GetEvents `before`).
   * Resolves to false when there is nothing (more) to read or a read is
   * already running.
   */
  async loadOlder(id: string): Promise<boolean> {
    if (!this.historyLoaded.has(id) || this.historyDone.has(id) || this.loadingHistory.has(id)) return false;
    const tr = this.state.transcript(id);
    if (tr.minSeq <= 1) {
      this.markDone(id, true);
      return false;
    }
    this.loadingHistory.add(id);
    try {
      const page = await this.api.getEvents({ sessionId: id, before: tr.minSeq, limit: this.pageSize });
      const evs = page?.events ?? [];
      this.state.applyPage(id, evs);
      this.markDone(id, !page?.more || !evs.length || tr.minSeq === 1);
      this.version++;
      return evs.length > 0;
    } catch (e) {
      this.fail(e, 'Could not load older messages');
      return false;
    } finally {
      this.loadingHistory.delete(id);
    }
  }

  /** Reads forwards from the newest event held until the log's end. */
  private async catchUp(id: string): Promise<void> {
    const tr = this.state.transcript(id);
    try {
      for (;;) {
        const since = tr.maxSeq;
        const page = await this.api.getEvents({ sessionId: id, since, limit: this.pageSize });
        const evs = page?.events ?? [];
        this.state.applyPage(id, evs);
        this.version++;
        if (!page?.more || !evs.length) break;
      }
    } catch (e) {
      this.fail(e, 'Could not load new messages');
    }
  }

  // ------------------------------------------------------------ actions

  async send(sessionId: string, text: string, attachments?: AttachmentParam[]): Promise<boolean> {
    const p = attachments?.length ? { sessionId, text, attachments } : { sessionId, text };
    const r = await this.attempt(() => this.api.sendMessage(p), 'Could not send the message');
    if (r?.queued) this.queueChanged(sessionId);
    return r !== undefined;
  }

  // ------------------------------------------------------------ message queue

  /** each session's queue as ListQueued last said (queue.ts) */
  queues = $state<Record<string, QueueInfo>>({});
  private queueLoads = new Map<string, boolean>();
  /** Reads a session's queue again; calls that overlap coalesce into one more read. */
  queueChanged(sessionId: string): void {
    if (this.queueLoads.has(sessionId)) {
      this.queueLoads.set(sessionId, true);
      return;
    }
    this.queueLoads.set(sessionId, false);
    void this.api
      .listQueued({ sessionId })
      .then((q) => {
        this.queues = { ...this.queues, [sessionId]: q };
      })
      .catch(() => {})
      .finally(() => {
        const again = this.queueLoads.get(sessionId);
        this.queueLoads.delete(sessionId);
        if (again) this.queueChanged(sessionId);
      });
  }
  async editQueued(sessionId: string, messageId: string, text: string): Promise<boolean> {
    const r = await this.attempt(() => this.api.editQueued({ sessionId, messageId, text }), 'Could not edit the queued message');
    this.queueChanged(sessionId);
    return r !== undefined;
  }
  async cancelQueued(sessionId: string, messageId: string) {
    await this.attempt(() => this.api.cancelQueued({ sessionId, messageId }), 'Could not cancel the queued message');
    this.queueChanged(sessionId);
  }
  async resumeQueue(sessionId: string) {
    await this.attempt(() => this.api.resumeQueue({ sessionId }), 'Could not resume the queue');
    this.queueChanged(sessionId);
  }
  async sendQueuedNow(sessionId: string, messageId: string) {
    await this.attempt(() => this.api.sendQueuedNow({ sessionId, messageId }), 'Could not send the queued message now');
    this.queueChanged(sessionId);
  }
  interrupt(sessionId: string) {
    return this.attempt(() => this.api.interrupt({ sessionId }), 'Could not interrupt');
  }
  async respond(p: { sessionId: string; requestId: string; allow: boolean; message?: string; remember?: boolean; updatedInput?: unknown }): Promise<boolean> {
    try {
      await this.api.respondPermission(p);
      // Hide it at once; permission.resolved confirms it later.
      this.state.permissions = this.state.permissions.filter((x) => !(x.sessionId === p.sessionId && x.requestId === p.requestId));
      this.version++;
      return true;
    } catch (e) {
      this.fail(e, 'Could not answer the request');
      return false;
    }
  }
  async resume(sessionId: string) {
    const s = await this.attempt(() => this.api.resumeSession({ sessionId }), 'Could not resume the session');
    if (s) {
      this.state.upsertSession(s);
      this.version++;
    }
  }
  async stopSession(sessionId: string) {
    await this.attempt(() => this.api.stopSession({ sessionId }), 'Could not end the session');
  }
  /** Renames a session; every client sees it through session.updated. */
  async renameSession(sessionId: string, title: string): Promise<boolean> {
    const s = await this.attempt(() => this.api.renameSession({ sessionId, title }), 'Could not rename the session');
    if (!s) return false;
    this.state.upsertSession(s);
    this.version++;
    return true;
  }
  /** Pins a session to the top of the list, or unpins it. */
  async pinSession(sessionId: string, pinned: boolean): Promise<boolean> {
    return this.applySession(await this.attempt(() => this.api.pinSession({ sessionId, pinned }), 'Could not pin the session'));
  }
  /** Archives a session (hidden unless archived ones are shown), or brings it back. */
  async archiveSession(sessionId: string, archived: boolean): Promise<boolean> {
    return this.applySession(await this.attempt(() => this.api.archiveSession({ sessionId, archived }), 'Could not archive the session'));
  }
  /** The models, modes and limits of an agent, asked once per agent. */
  async agentModels(agent: string): Promise<AgentModels | undefined> {
    const hit = this.modelCache.get(agent);
    if (hit) return hit;
    // quietly: without the list the picker still offers what the agent reported
    const m = await this.api.listModels({ agent }).catch(() => undefined);
    if (m) this.modelCache.set(agent, m);
    return m;
  }
  private modelCache = new Map<string, AgentModels>();
  /** Switches a session's model or permission mode; the history shows it (session.options). */
  async setOption(sessionId: string, option: 'model' | 'permissionMode', value: string): Promise<OptionChange | undefined> {
    const ch = await this.attempt(
      () => (option === 'model' ? this.api.setModel({ sessionId, model: value }) : this.api.setPermissionMode({ sessionId, mode: value })),
      option === 'model' ? 'Could not change the model' : 'Could not change the permission mode',
    );
    const s = this.state.sessions.get(sessionId);
    if (ch && s) {
      this.state.sessions.set(sessionId, { ...s, [option]: value || undefined });
      this.version++;
    }
    return ch;
  }
  private applySession(s: Session | undefined): boolean {
    if (!s) return false;
    this.state.upsertSession(s);
    this.version++;
    return true;
  }
  /** Downloads a session as Markdown or JSON Lines. */
  async exportSession(sessionId: string, format: ExportFormat, save: (f: ExportFile) => void = saveFile): Promise<boolean> {
    const f = await this.attempt(() => collectExport(this.api, sessionId, format), 'Could not export the session');
    if (f) save(f);
    return f !== undefined;
  }
  async deleteSession(sessionId: string) {
    const ok = await this.attempt(async () => (await this.api.deleteSession({ sessionId }), true), 'Could not delete the session');
    if (ok) {
      this.state.removeSession(sessionId);
      if (this.selected === sessionId) this.selected = null;
      this.version++;
    }
  }
  /**
   * Creates a session and selects it. A failure is listed in the Errors
   * view, and shown with `onError` when given (a dialog shows it in place),
   * else as a toast.
   */
  async createSession(p: Parameters<Api['createSession']>[0], onError?: (h: HumanError) => void) {
    const what = 'Could not start the session';
    let s: Session | undefined;
    try {
      s = await this.api.createSession(p);
    } catch (e) {
      if (onError) onError(this.report(e, what));
      else this.fail(e, what);
    }
    if (s) {
      this.state.upsertSession(s);
      this.version++;
      // a new session has (next to) no history: the dialog need not wait for it
      void this.select(s.id);
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
      this.fail(e, 'Could not list the processes');
      return undefined;
    }
  }

  /** newest sample time (server ms) read with GetProcessStats */
  private statsSince = 0;
  private statsFailed = false;

  /**
   * Reads the processes' resource samples kept by the server
   * (GetProcessStats): all of them the first time, then what is new (with
   * a few seconds of overlap, merged without duplicates). A server without
   * the method leaves the sparklines to one sample per ListProcesses poll;
   * its failure is listed in the Errors view once, never as a toast.
   */
  async refreshStats(): Promise<void> {
    try {
      const since = this.statsSince > 0 ? this.statsSince - 5000 : undefined;
      const r = await this.api.getProcessStats(since ? { sinceMs: since } : {});
      this.state.statsSource = 'series';
      this.statsFailed = false;
      const newest = this.state.mergeSeries(r?.series ?? []);
      if (newest > this.statsSince) this.statsSince = newest;
    } catch (e) {
      if (this.state.statsSource !== 'series') {
        this.state.statsSource = 'list';
        this.state.sampleList();
      }
      // (a server from before GetProcessStats answers not_found: nothing to report)
      const missing = e instanceof BackendError && e.code === ErrorCodes.NotFound;
      if (!this.statsFailed && !missing) this.report(e, 'Could not read the resource history');
      this.statsFailed = true;
    }
    this.version++;
  }

  /** Polls ListProcesses and the resource series every `ms` while the processes view is open. */
  pollProcesses(ms = 2000): () => void {
    const poll = async () => {
      if (await this.refreshProcesses()) await this.refreshStats();
    };
    void poll();
    const t = setInterval(() => void poll(), ms);
    return () => clearInterval(t);
  }
}
