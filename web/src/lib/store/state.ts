// CorralState folds the event stream into everything the UI shows: session
// summaries, transcripts, the queue of pending permission requests, process
// monitors with 5-minute stats histories, run-console terminals and the last
// errors per process. It is plain TypeScript (no framework) so it can be
// tested directly; the reactive wrapper in store.svelte.ts only bumps a
// version number after each batch.

import type { CorralEvent, ErrorData, ProcessInfo, ProcessStateData, Session, SessionStatus, StatSeries } from '../api';
import { Terminal } from '../ansi';
import { ms } from '../format';
import { errorOf, exitOf, requestIdOf, statsOf, truncatedOf } from '../normalize';
import { Transcript, permissionOf, type PermissionView } from './transcript';

export interface PendingPermission extends PermissionView {
  sessionId: string;
  runId?: string;
  seq: number;
  time: string;
}

export interface StatSample {
  t: number; // ms since epoch
  cpu: number;
  rss: number;
}

export interface ProcessView {
  info: ProcessInfo;
  samples: StatSample[];
  /** true once an exit was seen; kept a while so the user sees how it ended */
  gone: boolean;
}

export interface ErrorEntry extends ErrorData {
  time: string;
  sessionId?: string;
  processId?: string;
  seq: number;
}

/**
 * A session's live agent process after a process.state event of one of its
 * processes: a running one is live (its last sample kept), an ended one is
 * gone; another process's end leaves the live one as it is.
 */
export function liveProcessAfter(cur: Session['process'], processId: string, st: ProcessStateData): Session['process'] {
  const same = cur?.id === processId;
  if (st.state === 'exited' || st.state === 'failed') return same ? undefined : cur;
  if (st.state !== 'running') return cur;
  return { id: processId, pid: st.pid ?? (same ? cur?.pid : undefined), state: st.state, rss: same ? cur!.rss : 0, cpuPercent: same ? cur!.cpuPercent : 0 };
}

export const STATS_WINDOW_MS = 5 * 60 * 1000;
export const ERRORS_PER_SOURCE = 50;
/** the source under which failed calls of this page are listed in the Errors view */
export const CALLS_SOURCE = 'calls';

export class CorralState {
  sessions = new Map<string, Session>();
  transcripts = new Map<string, Transcript>();
  /** pending permission requests in arrival order */
  permissions: PendingPermission[] = [];
  processes = new Map<string, ProcessView>();
  terminals = new Map<string, Terminal>();
  /** errors per source (process or session id), newest last, at most 50 each */
  errors = new Map<string, ErrorEntry[]>();
  /**
   * where the processes' samples come from: the server's series
   * (GetProcessStats), or, from a server without them, one sample per
   * ListProcesses poll; unknown until the first GetProcessStats answers
   */
  statsSource: 'unknown' | 'series' | 'list' = 'unknown';
  /** highest global cursor seen; a subscription resumes after it */
  cursor = 0;
  /** per-process seq dedupe for events that belong to no session */
  private processSeq = new Map<string, Set<number>>();

  transcript(sessionId: string): Transcript {
    let t = this.transcripts.get(sessionId);
    if (!t) {
      t = new Transcript();
      this.transcripts.set(sessionId, t);
    }
    return t;
  }

  terminal(processId: string): Terminal {
    let t = this.terminals.get(processId);
    if (!t) {
      t = new Terminal();
      this.terminals.set(processId, t);
    }
    return t;
  }

  /**
   * Records a session summary (ListSessions, GetSession, CreateSession…).
   * Fields the server leaves out when they do not hold (the live process,
   * approvals skipped) are cleared, not kept from an older summary.
   */
  upsertSession(s: Session): void {
    const next: Session = { ...this.sessions.get(s.id), ...s };
    if (!('process' in s)) delete next.process;
    if (!('approvalsSkipped' in s)) delete next.approvalsSkipped;
    this.sessions.set(s.id, next);
  }

  removeSession(id: string): void {
    this.sessions.delete(id);
    this.transcripts.delete(id);
    this.permissions = this.permissions.filter((p) => p.sessionId !== id);
  }

  setProcesses(list: ProcessInfo[]): void {
    const seen = new Set<string>();
    for (const p of list) {
      seen.add(p.processId);
      const v = this.processes.get(p.processId);
      if (v) {
        v.info = { ...v.info, ...p };
        v.gone = false;
      } else {
        this.processes.set(p.processId, { info: { ...p }, samples: [], gone: false });
      }
      if (this.statsSource === 'list') this.sample(p.processId, Date.now(), p.cpu, p.rss);
    }
    for (const [id, v] of this.processes) if (!seen.has(id)) v.gone = true;
  }

  /**
   * Applies one event. Returns false when it was a duplicate. Notification
   * hooks look at the returned value to avoid alerting twice.
   */
  apply(ev: CorralEvent): boolean {
    if (typeof ev.cursor === 'number' && ev.cursor > this.cursor) this.cursor = ev.cursor;
    if (ev.sessionId) {
      const tr = this.transcript(ev.sessionId);
      if (!tr.add(ev)) return false;
      this.applySession(ev, tr);
    } else if (ev.processId) {
      let seen = this.processSeq.get(ev.processId);
      if (!seen) this.processSeq.set(ev.processId, (seen = new Set()));
      if (seen.has(ev.seq)) return false;
      seen.add(ev.seq);
    }
    this.applyProcess(ev);
    return true;
  }

  /**
   * Applies a page of one session's history (GetEvents). Events after what
   * the transcript holds are applied like live ones (the newest page of a
   * session sets its status and pending requests); events before it only
   * extend the transcript, in one rebuild, and change no summary: the
   * newer events already did.
   */
  applyPage(sessionId: string, evs: CorralEvent[]): void {
    const tr = this.transcript(sessionId);
    const top = tr.maxSeq;
    const older: CorralEvent[] = [];
    for (const e of evs) {
      const ev = e.sessionId ? e : { ...e, sessionId };
      if (tr.events.length && ev.seq < top) older.push(ev);
      else this.apply(ev);
    }
    if (older.length) tr.addMany(older);
  }

  private applySession(ev: CorralEvent, tr: Transcript): void {
    const id = ev.sessionId!;
    let s = this.sessions.get(id);
    if (!s) {
      // An event for a session the list has not shown yet (created elsewhere).
      s = { id, agent: '', cwd: '', status: 'active', createdAt: ev.time, lastActivity: ev.time, costUsd: 0, inputTokens: 0, outputTokens: 0, messages: 0, eventCount: 0, pendingPermissions: 0 };
      this.sessions.set(id, s);
    }
    const next: Session = { ...s };
    // a rename is not activity: the session keeps its place in the list
    if (ev.kind !== 'session.updated' && ev.kind !== 'session.options' && ms(ev.time) > ms(next.lastActivity)) next.lastActivity = ev.time;
    const d: any = ev.data ?? {};
    switch (ev.kind) {
      case 'session.updated':
        if (typeof d.title === 'string' && d.title) next.title = d.title;
        if (typeof d.pinned === 'boolean') next.pinned = d.pinned;
        if (typeof d.archived === 'boolean') next.archived = d.archived;
        break;
      case 'session.options':
        if (d.option === 'model' || d.option === 'permissionMode') next[d.option as 'model'] = d.value || undefined;
        break;
      case 'workspace.changed': {
        // the worktree's change counts (and its removal) for the list and header
        const w = (next as { workspace?: Record<string, unknown> }).workspace;
        if (w) (next as { workspace?: Record<string, unknown> }).workspace = { ...w, ...(d.changes ? { changes: d.changes } : {}), ...(d.reason === 'removed' ? { removed: true } : {}) };
        break;
      }
      case 'session.status':
        next.status = d.status as SessionStatus;
        if (next.status === 'terminated') this.dropPermissions((p) => p.sessionId === id);
        break;
      case 'run.started':
        if (d.imported) break; // a past prompt of an imported conversation, not a turn
        if (next.status !== 'waiting_permission') next.status = 'processing';
        if (!next.title && d.prompt) next.title = String(d.prompt).slice(0, 80);
        break;
      case 'run.exited': {
        if (ev.processId) break; // the agent process ended, not the turn
        // The one terminal event of a run: no request of it can be answered
        // any more, and the session is no longer processing that run.
        this.dropPermissions((p) => p.sessionId === id && (!ev.runId || p.runId === ev.runId));
        if (tr.activeRuns.size === 0 && (next.status === 'processing' || next.status === 'waiting_permission')) {
          const r = exitOf(d).reason;
          next.status = r === 'interrupted' || r === 'killed' ? 'interrupted' : r !== 'exit' ? 'error' : 'idle';
        }
        break;
      }
      case 'permission.request': {
        const p = permissionOf(d);
        if (!this.permissions.some((x) => x.sessionId === id && x.requestId === p.requestId)) {
          this.permissions.push({ ...p, sessionId: id, runId: ev.runId, seq: ev.seq, time: ev.time });
        }
        next.status = 'waiting_permission';
        break;
      }
      case 'permission.resolved': {
        const rid = requestIdOf(d, id);
        this.dropPermissions((p) => p.sessionId === id && p.requestId === rid);
        if (!this.permissions.some((p) => p.sessionId === id) && next.status === 'waiting_permission') {
          next.status = tr.activeRuns.size ? 'processing' : 'idle';
        }
        break;
      }
      case 'usage':
        next.costUsd = tr.costUsd;
        break;
      case 'process.state':
        if (ev.processId) next.process = liveProcessAfter(next.process, ev.processId, d as ProcessStateData);
        if (!next.process) delete next.process;
        break;
    }
    next.pendingPermissions = this.permissions.filter((p) => p.sessionId === id).length;
    if (tr.costUsd > next.costUsd) next.costUsd = tr.costUsd;
    this.sessions.set(id, next);
  }

  private dropPermissions(pred: (p: PendingPermission) => boolean): void {
    if (this.permissions.some(pred)) this.permissions = this.permissions.filter((p) => !pred(p));
  }

  /** Adds an error to its source's list, keeping the newest ERRORS_PER_SOURCE. */
  addError(src: string, e: ErrorEntry): void {
    const list = this.errors.get(src) ?? [];
    list.push(e);
    if (list.length > ERRORS_PER_SOURCE) list.splice(0, list.length - ERRORS_PER_SOURCE);
    this.errors.set(src, list);
  }

  private applyProcess(ev: CorralEvent): void {
    const d: any = ev.data ?? {};
    if (ev.kind === 'error') {
      this.addError(ev.processId || ev.sessionId || 'corral', { ...(errorOf(d) as ErrorData), time: ev.time, sessionId: ev.sessionId, processId: ev.processId, seq: ev.seq });
    }
    if (!ev.processId) return;
    const pid = ev.processId;
    switch (ev.kind) {
      case 'process.stats': {
        const st = statsOf(d);
        const v = this.ensureProcess(pid, ev);
        v.info = { ...v.info, cpu: st.cpu, rss: st.rss };
        this.sample(pid, Date.parse(ev.time) || Date.now(), st.cpu, st.rss);
        break;
      }
      case 'process.state': {
        const st = d as ProcessStateData;
        const v = this.ensureProcess(pid, ev);
        v.info = {
          ...v.info,
          state: st.state,
          pid: st.pid ?? v.info.pid,
          restarts: st.restarts ?? v.info.restarts,
        };
        v.gone = st.state === 'exited' || st.state === 'failed';
        if (!ev.sessionId) this.terminal(pid).status(st);
        break;
      }
      case 'stdout':
      case 'stderr':
        if (!ev.sessionId) this.terminal(pid).write(ev.kind, d);
        break;
      case 'output.truncated': {
        const t = truncatedOf(d);
        if (!ev.sessionId) this.terminal(pid).note(`[output cut: ${t.lines} lines, ${t.bytes} bytes dropped${t.reason ? ' (' + t.reason + ')' : ''}]`);
        break;
      }
      case 'run.exited':
        if (!ev.sessionId) this.terminal(pid).exit(exitOf(d));
        break;
    }
  }

  private ensureProcess(pid: string, ev: CorralEvent): ProcessView {
    let v = this.processes.get(pid);
    if (!v) {
      v = {
        info: { processId: pid, pid: 0, name: pid, sessionId: ev.sessionId, state: 'running', startedAt: ev.time, uptimeMs: 0, cpu: 0, rss: 0, restarts: 0 },
        samples: [],
        gone: false,
      };
      this.processes.set(pid, v);
    }
    return v;
  }

  /** Takes one sample of every listed process from its last ListProcesses numbers. */
  sampleList(): void {
    const t = Date.now();
    for (const [id, v] of this.processes) if (!v.gone) this.sample(id, t, v.info.cpu, v.info.rss);
  }

  /**
   * Merges resource series (GetProcessStats) into the processes shown:
   * samples in time order, each instant once, the last five minutes of
   * each. Returns the newest sample time seen, 0 if none.
   */
  mergeSeries(series: StatSeries[]): number {
    let newest = 0;
    for (const sr of series) {
      const v = this.processes.get(sr.processId);
      const last = sr.samples[sr.samples.length - 1];
      if (last && last.t > newest) newest = last.t;
      if (!v || !sr.samples.length) continue;
      const byT = new Map<number, StatSample>();
      for (const x of v.samples) byT.set(x.t, x);
      for (const x of sr.samples) byT.set(x.t, { t: x.t, cpu: x.cpu, rss: x.rss });
      const all = [...byT.values()].sort((a, b) => a.t - b.t);
      const cut = all[all.length - 1].t - STATS_WINDOW_MS;
      v.samples = all.filter((x) => x.t >= cut);
    }
    return newest;
  }

  /** Records one stats sample, keeping only the last five minutes. */
  sample(pid: string, t: number, cpu: number, rss: number): void {
    const v = this.processes.get(pid);
    if (!v) return;
    const s = v.samples;
    if (s.length && s[s.length - 1].t >= t) return; // same instant seen already
    s.push({ t, cpu, rss });
    const cut = t - STATS_WINDOW_MS;
    let drop = 0;
    while (drop < s.length && s[drop].t < cut) drop++;
    if (drop) s.splice(0, drop);
  }
}
