// A session's transcript: the ordered events of one session folded into the
// items the conversation view renders. Folding is incremental for events that
// arrive in order (the normal case: live stream) and falls back to a rebuild
// when an older event arrives late (history paged in with GetEvents after live
// events were already shown). Duplicates (same seq) are ignored, so replays
// around a reconnect never show anything twice.
//
// Items are immutable: a change replaces the item object at its index, so a
// keyed list re-renders exactly the rows that changed.

import type {
  CorralEvent,
  ErrorData,
  OutputData,
  PermissionSuggestion,
  RunExitedData,
  RunStartedData,
  AttachmentInfo,
  TextData,
  ToolCallData,
  ToolResultData,
  TurnCompletedData,
  UsageData,
} from '../api';
import { ms } from '../format';
import { errorOf, exitOf, permToolOf, resolutionOf, suggestionsOf, toolIdOf, truncatedOf, type Resolution } from '../normalize';

/** A permission request as the views show it. */
export interface PermissionView {
  requestId: string;
  toolName: string;
  input: any;
  description?: string;
  suggestions: PermissionSuggestion[];
}

/** Reads a permission.request's data. */
export function permissionOf(d: any): PermissionView {
  return {
    requestId: String(d?.requestId ?? ''),
    toolName: permToolOf(d),
    input: d?.input,
    description: typeof d?.description === 'string' && d.description ? d.description : undefined,
    suggestions: suggestionsOf(d?.suggestions),
  };
}

interface Base {
  key: string;
  seq: number;
  time: string;
  runId?: string;
  /** the tool call (a sub-agent task) this row was produced inside */
  parent?: string;
}
export type Item =
  | (Base & { type: 'user'; text: string; attachments?: AttachmentInfo[] })
  | (Base & { type: 'text'; messageId: string; text: string; streaming: boolean; error?: string })
  | (Base & { type: 'thinking'; messageId: string; text: string; streaming: boolean })
  | (Base & { type: 'tool'; toolUseId: string; name: string; input: any; status?: string; result?: ToolResultData })
  | (Base & { type: 'permission'; request: PermissionView; resolved?: Resolution })
  | (Base & { type: 'usage'; usage: UsageData })
  | (Base & { type: 'error'; error: ErrorData })
  | (Base & { type: 'exit'; exit: RunExitedData })
  | (Base & { type: 'output'; stream: 'stdout' | 'stderr'; lines: string[]; progressTail: boolean })
  | (Base & { type: 'notice'; level: 'info' | 'warn'; text: string; raw?: unknown });

export type ItemType = Item['type'];

/** What to do after a failed turn, by the agent's error code. */
const TURN_ACTIONS: Record<string, string> = {
  auth_failed: 'Log the agent CLI in again (its credentials were refused), then resend.',
  rate_limited: 'Wait a moment and resend; the model API is rate-limiting.',
  overloaded: 'The model API is overloaded; resend in a little while.',
  api_error: 'Resend; if it keeps failing, check the network or the API status.',
  max_turns: 'The agent hit its turn limit; send "continue" to go on.',
};

/** Lines kept in one grouped stdout/stderr item before a new item starts. */
const OUTPUT_GROUP_LINES = 200;

export class Transcript {
  /** events in seq order */
  readonly events: CorralEvent[] = [];
  items: Item[] = [];
  /** runs started and not yet exited */
  readonly activeRuns = new Set<string>();
  costUsd = 0;
  lastTime = '';
  /** agent.other events seen (kept in events, not shown as rows) */
  otherCount = 0;
  /** what the agent reported when it started (agent.init): model, version… */
  init: { model?: string; version?: string; permissionMode?: string } | null = null;
  /** models and modes the agent said it offers (agent.init) */
  offered: { models: string[]; modes: string[] } = { models: [], modes: [] };
  /** the usage the agent reported last: what the context meter reads */
  lastUsage: UsageData | null = null;
  private readonly seqs = new Set<number>();
  /** open (still streaming) text/thinking item per `${type}:${runId}` */
  private openText = new Map<string, number>();
  /** every text/thinking item, to close them when their run ends */
  private textItems: number[] = [];
  private toolIndex = new Map<string, number>();
  private permIndex = new Map<string, number>();

  get maxSeq(): number {
    return this.events.length ? this.events[this.events.length - 1].seq : 0;
  }
  get minSeq(): number {
    return this.events.length ? this.events[0].seq : 0;
  }
  has(seq: number): boolean {
    return this.seqs.has(seq);
  }

  /**
   * Adds one event. Returns false when it was a duplicate and nothing changed.
   */
  add(ev: CorralEvent): boolean {
    if (this.seqs.has(ev.seq)) return false;
    this.seqs.add(ev.seq);
    if (ev.seq > this.maxSeq || this.events.length === 0) {
      this.events.push(ev);
      this.fold(ev);
      return true;
    }
    // Out of order: insert and rebuild. Rare (history backfill), O(n).
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid].seq < ev.seq) lo = mid + 1;
      else hi = mid;
    }
    this.events.splice(lo, 0, ev);
    this.rebuild();
    return true;
  }

  /**
   * Adds a page of events (any order, duplicates skipped) with at most one
   * rebuild: history paged in before what is already here would otherwise
   * rebuild the rows once per event. Returns how many were new.
   */
  addMany(evs: CorralEvent[]): number {
    const fresh = evs.filter((e) => !this.seqs.has(e.seq));
    if (!fresh.length) return 0;
    fresh.sort((a, b) => a.seq - b.seq);
    for (const e of fresh) this.seqs.add(e.seq);
    if (this.events.length === 0 || fresh[0].seq > this.maxSeq) {
      for (const e of fresh) {
        this.events.push(e);
        this.fold(e);
      }
      return fresh.length;
    }
    if (fresh[fresh.length - 1].seq < this.minSeq) this.events.unshift(...fresh);
    else {
      this.events.push(...fresh);
      this.events.sort((a, b) => a.seq - b.seq);
    }
    this.rebuild();
    return fresh.length;
  }

  private rebuild(): void {
    this.items = [];
    this.openText = new Map();
    this.textItems = [];
    this.toolIndex = new Map();
    this.permIndex = new Map();
    this.activeRuns.clear();
    this.costUsd = 0;
    this.otherCount = 0;
    this.init = null;
    this.offered = { models: [], modes: [] };
    this.lastUsage = null;
    for (const e of this.events) this.fold(e);
  }

  private push(item: Item): number {
    this.items.push(item);
    return this.items.length - 1;
  }
  private replace(i: number, item: Item): void {
    this.items[i] = item;
  }

  private fold(ev: CorralEvent): void {
    const base: Base = { key: `${ev.seq}`, seq: ev.seq, time: ev.time, runId: ev.runId };
    const parent = (ev.data as any)?.parentToolUseId;
    if (typeof parent === 'string' && parent) base.parent = parent;
    if (ms(ev.time) > ms(this.lastTime)) this.lastTime = ev.time;
    const d: any = ev.data ?? {};
    switch (ev.kind) {
      case 'run.started': {
        if (ev.runId) this.activeRuns.add(ev.runId);
        const rs = d as RunStartedData;
        const atts = Array.isArray(rs.attachments) && rs.attachments.length ? rs.attachments : undefined;
        if (rs.prompt || atts) this.push({ ...base, type: 'user', text: rs.prompt ?? '', ...(atts ? { attachments: atts } : {}) });
        break;
      }
      case 'queue.sent': {
        // A queued message taken into the running turn (steered) is a
        // user message of that turn; one sent as a turn has its run.started.
        if (d.steered && typeof d.text === 'string') {
          const atts = Array.isArray(d.attachments) && d.attachments.length ? (d.attachments as AttachmentInfo[]) : undefined;
          this.push({ ...base, runId: d.runId, type: 'user', text: d.text, ...(atts ? { attachments: atts } : {}) });
        }
        break;
      }
      case 'run.exited': {
        // The supervisor's run.exited of the agent process (it carries a
        // processId) is about the process, not the turn: the session layer
        // writes the turn's own terminal event.
        if (ev.processId) break;
        if (ev.runId) this.activeRuns.delete(ev.runId);
        // A run is over: nothing of it streams any more.
        this.finishStreaming(ev.runId);
        const x: RunExitedData = exitOf(d);
        if (x.reason && x.reason !== 'exit') this.push({ ...base, type: 'exit', exit: x });
        else if (typeof x.exitCode === 'number' && x.exitCode !== 0) this.push({ ...base, type: 'exit', exit: x });
        break;
      }
      case 'assistant.text':
      case 'assistant.thinking':
        this.foldText(ev, base, d as TextData);
        break;
      case 'tool.call': {
        const c = d as ToolCallData;
        const id = toolIdOf(c);
        const at = this.toolIndex.get(id);
        if (at !== undefined) {
          // agents that report progress send the same call again with a new status
          const old = this.items[at] as Extract<Item, { type: 'tool' }>;
          this.replace(at, { ...old, name: c.name || old.name, input: c.input ?? old.input, status: c.status });
        } else {
          const i = this.push({ ...base, type: 'tool', toolUseId: id, name: c.name, input: c.input, status: c.status });
          this.toolIndex.set(id, i);
        }
        break;
      }
      case 'tool.result': {
        const r = d as ToolResultData;
        const id = toolIdOf(r);
        const at = this.toolIndex.get(id);
        if (at !== undefined) {
          this.replace(at, { ...(this.items[at] as Extract<Item, { type: 'tool' }>), result: r });
        } else {
          this.push({ ...base, type: 'tool', toolUseId: id, name: '(unknown tool)', input: null, result: r });
        }
        break;
      }
      case 'permission.request': {
        const p = permissionOf(d);
        const i = this.push({ ...base, type: 'permission', request: p });
        this.permIndex.set(p.requestId, i);
        break;
      }
      case 'permission.resolved': {
        const r = resolutionOf(d, ev.sessionId);
        const at = this.permIndex.get(r.requestId);
        if (at !== undefined) {
          const old = this.items[at] as Extract<Item, { type: 'permission' }>;
          // the first decision is the one that counts (an adapter's
          // "cancelled" may be followed by the session's own record)
          if (!old.resolved) this.replace(at, { ...old, resolved: r });
        }
        break;
      }
      case 'turn.completed': {
        const t = d as TurnCompletedData;
        if (!t.ok && t.error && t.error.code !== 'interrupted') {
          this.push({
            ...base,
            type: 'error',
            error: { type: t.error.code, message: t.error.message ?? (t.error.httpStatus ? `HTTP ${t.error.httpStatus}` : 'the turn failed'), recoverable: true, action: TURN_ACTIONS[t.error.code] },
          });
        }
        break;
      }
      case 'agent.init':
        this.init = { model: d.model || undefined, version: d.version || undefined, permissionMode: d.permissionMode || undefined };
        this.offered = { models: Array.isArray(d.models) ? d.models : [], modes: Array.isArray(d.modes) ? d.modes : [] };
        break;
      case 'session.options': {
        const what = d.option === 'model' ? 'Model' : 'Permission mode';
        const when = d.applies === 'live' ? 'now' : d.applies === 'next_turn' ? 'from the next turn' : 'on the next start of the agent';
        this.push({ ...base, type: 'notice', level: 'info', text: `${what} changed to ${d.value || 'the default'}${d.previous ? ` (was ${d.previous})` : ''}; applies ${when}.` });
        if (d.option === 'model' && this.init) this.init = { ...this.init, model: d.value || this.init.model };
        break;
      }
      case 'agent.retry':
        this.push({ ...base, type: 'notice', level: 'warn', text: `Retrying the model API call${d.attempt ? ` (attempt ${d.attempt}${d.maxRetries ? ' of ' + d.maxRetries : ''})` : ''}${d.error ? ': ' + d.error : ''}` });
        break;
      case 'usage': {
        const u = d as UsageData;
        this.costUsd += u.costUsd || 0;
        this.lastUsage = u;
        this.push({ ...base, type: 'usage', usage: u });
        break;
      }
      case 'error':
        this.push({ ...base, type: 'error', error: errorOf(d) as ErrorData });
        break;
      case 'stdout':
      case 'stderr': {
        const o = d as OutputData;
        const text: string = o.binary ? `[${o.bytes ? Math.floor((o.bytes.length * 3) / 4) : 0} bytes of binary output]` : (o.text ?? '');
        const last = this.items[this.items.length - 1];
        if (last && last.type === 'output' && last.stream === ev.kind && last.lines.length < OUTPUT_GROUP_LINES) {
          // a progress update replaces the previous line only if that line
          // was itself a progress line
          const lines =
            o.progress && last.progressTail
              ? [...last.lines.slice(0, -1), text]
              : o.continued && last.lines.length
                ? [...last.lines.slice(0, -1), last.lines[last.lines.length - 1] + text]
                : [...last.lines, text];
          this.replace(this.items.length - 1, { ...last, lines, progressTail: !!o.progress });
        } else {
          this.push({ ...base, type: 'output', stream: ev.kind as 'stdout' | 'stderr', lines: [text], progressTail: !!o.progress });
        }
        break;
      }
      case 'parse.error':
        this.push({ ...base, type: 'notice', level: 'warn', text: `Unreadable line from the agent: ${d.error ?? d.message ?? ''}`, raw: d.line });
        break;
      case 'output.truncated': {
        const t = truncatedOf(d);
        const parts = [];
        if (t.lines) parts.push(`${t.lines} lines`);
        if (t.bytes) parts.push(`${t.bytes} bytes`);
        this.push({ ...base, type: 'notice', level: 'warn', text: `Output cut: ${parts.join(', ') || 'some output'} dropped${t.reason ? ' (' + t.reason + ')' : ''}.` });
        break;
      }
      case 'agent.other':
        // Lines corral does not map (stream bookkeeping such as
        // message_start) stay in the event log, downloadable from the
        // conversation, but are not rows: they would drown the reply.
        this.otherCount++;
        break;
      case 'events.lost': {
        const n = Number(d.lostEvents) || 0;
        const why = d.code === 'storage_full' ? 'disk full' : 'the store could not write';
        this.push({ ...base, type: 'notice', level: 'warn', text: `${n ? n.toLocaleString('en-US') : 'Some'} event${n === 1 ? ' was' : 's were'} lost (${why}).`, raw: d.message ? d : undefined });
        break;
      }
      case 'store.trimmed':
        this.push({ ...base, type: 'notice', level: 'info', text: 'Older events were removed by the retention limit.' });
        break;
      default:
        // session.status, process.*, policy.decision: reflected elsewhere
        break;
    }
  }

  /**
   * Deltas extend the open item of their kind in their run (a delta without
   * messageId continues whatever is open; one with a different messageId
   * starts a new item). A whole block closes the open item, replacing its
   * text (the whole repeats the deltas), or becomes an item of its own.
   */
  private foldText(ev: CorralEvent, base: Base, t: TextData): void {
    const type = ev.kind === 'assistant.text' ? 'text' : 'thinking';
    const slot = `${type}:${ev.runId ?? ''}:${t.parentToolUseId ?? ''}`;
    const mid = t.messageId ?? '';
    const text = t.text ?? '';
    const at = this.openText.get(slot);
    let open = at !== undefined ? (this.items[at] as Extract<Item, { type: 'text' | 'thinking' }>) : undefined;
    if (open && mid && open.messageId && open.messageId !== mid) {
      this.replace(at!, { ...open, streaming: false });
      this.openText.delete(slot);
      open = undefined;
    }
    if (open) {
      const next = {
        ...open,
        messageId: open.messageId || mid,
        text: t.delta ? open.text + text : text,
        streaming: !!t.delta,
        ...(t.error && type === 'text' ? { error: t.error } : {}),
      };
      this.replace(at!, next);
      if (!t.delta) this.openText.delete(slot);
      return;
    }
    const item = { ...base, type, messageId: mid, text, streaming: !!t.delta, ...(t.error && type === 'text' ? { error: t.error } : {}) } as Item;
    const i = this.push(item);
    this.textItems.push(i);
    if (t.delta) this.openText.set(slot, i);
  }

  private finishStreaming(runId?: string): void {
    for (const [slot, i] of this.openText) {
      const it = this.items[i] as Extract<Item, { type: 'text' | 'thinking' }>;
      if (!runId || it.runId === runId || !it.runId) {
        this.replace(i, { ...it, streaming: false });
        this.openText.delete(slot);
      }
    }
  }
}
