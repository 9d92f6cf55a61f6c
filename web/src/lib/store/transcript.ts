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
  PermissionRequestData,
  PermissionResolvedData,
  RunExitedData,
  RunStartedData,
  TextData,
  ToolCallData,
  ToolResultData,
  TruncatedData,
  UsageData,
} from '../api';

interface Base {
  key: string;
  seq: number;
  time: string;
  runId?: string;
}
export type Item =
  | (Base & { type: 'user'; text: string })
  | (Base & { type: 'text'; messageId: string; text: string; streaming: boolean })
  | (Base & { type: 'thinking'; messageId: string; text: string; streaming: boolean })
  | (Base & { type: 'tool'; toolUseId: string; name: string; input: any; result?: ToolResultData })
  | (Base & { type: 'permission'; request: PermissionRequestData; resolved?: PermissionResolvedData })
  | (Base & { type: 'usage'; usage: UsageData })
  | (Base & { type: 'error'; error: ErrorData })
  | (Base & { type: 'exit'; exit: RunExitedData })
  | (Base & { type: 'output'; stream: 'stdout' | 'stderr'; lines: string[]; progressTail: boolean })
  | (Base & { type: 'notice'; level: 'info' | 'warn'; text: string; raw?: unknown });

export type ItemType = Item['type'];

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
  private readonly seqs = new Set<number>();
  private textIndex = new Map<string, number>();
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

  private rebuild(): void {
    this.items = [];
    this.textIndex = new Map();
    this.toolIndex = new Map();
    this.permIndex = new Map();
    this.activeRuns.clear();
    this.costUsd = 0;
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
    const base = { key: `${ev.seq}`, seq: ev.seq, time: ev.time, runId: ev.runId };
    if (ev.time > this.lastTime) this.lastTime = ev.time;
    const d: any = ev.data ?? {};
    switch (ev.kind) {
      case 'run.started': {
        if (ev.runId) this.activeRuns.add(ev.runId);
        const rs = d as RunStartedData;
        if (rs.prompt) this.push({ ...base, type: 'user', text: rs.prompt });
        break;
      }
      case 'run.exited': {
        if (ev.runId) this.activeRuns.delete(ev.runId);
        // A run is over: nothing of it streams any more.
        this.finishStreaming(ev.runId);
        const x = d as RunExitedData;
        if (x.reason && x.reason !== 'exit') this.push({ ...base, type: 'exit', exit: x });
        else if (typeof x.exitCode === 'number' && x.exitCode !== 0) this.push({ ...base, type: 'exit', exit: x });
        break;
      }
      case 'assistant.text':
      case 'assistant.thinking': {
        const t = d as TextData;
        const type = ev.kind === 'assistant.text' ? 'text' : 'thinking';
        const id = `${type}:${t.messageId ?? ev.seq}`;
        const at = this.textIndex.get(id);
        if (at !== undefined) {
          const old = this.items[at] as Extract<Item, { type: 'text' | 'thinking' }>;
          this.replace(at, {
            ...old,
            text: t.delta ? old.text + (t.text ?? '') : (t.text ?? ''),
            streaming: !!t.delta,
          });
        } else {
          const i = this.push({
            ...base,
            type,
            messageId: t.messageId ?? String(ev.seq),
            text: t.text ?? '',
            streaming: !!t.delta,
          });
          this.textIndex.set(id, i);
        }
        break;
      }
      case 'tool.call': {
        const c = d as ToolCallData;
        const i = this.push({ ...base, type: 'tool', toolUseId: c.toolUseId, name: c.name, input: c.input });
        this.toolIndex.set(c.toolUseId, i);
        break;
      }
      case 'tool.result': {
        const r = d as ToolResultData;
        const at = this.toolIndex.get(r.toolUseId);
        if (at !== undefined) {
          this.replace(at, { ...(this.items[at] as Extract<Item, { type: 'tool' }>), result: r });
        } else {
          this.push({ ...base, type: 'tool', toolUseId: r.toolUseId, name: '(unknown tool)', input: null, result: r });
        }
        break;
      }
      case 'permission.request': {
        const p = d as PermissionRequestData;
        const i = this.push({ ...base, type: 'permission', request: p });
        this.permIndex.set(p.requestId, i);
        break;
      }
      case 'permission.resolved': {
        const p = d as PermissionResolvedData;
        const at = this.permIndex.get(p.requestId);
        if (at !== undefined) {
          this.replace(at, { ...(this.items[at] as Extract<Item, { type: 'permission' }>), resolved: p });
        }
        break;
      }
      case 'usage': {
        const u = d as UsageData;
        this.costUsd += u.costUsd || 0;
        this.push({ ...base, type: 'usage', usage: u });
        break;
      }
      case 'error':
        this.push({ ...base, type: 'error', error: d as ErrorData });
        break;
      case 'stdout':
      case 'stderr': {
        const o = d as OutputData;
        const text = o.binary ? `[${o.bytes ? Math.floor((o.bytes.length * 3) / 4) : 0} bytes of binary output]` : (o.text ?? '');
        const last = this.items[this.items.length - 1];
        if (last && last.type === 'output' && last.stream === ev.kind && last.lines.length < OUTPUT_GROUP_LINES) {
          // a progress update replaces the previous line only if that line
          // was itself a progress line
          const lines = o.progress && last.progressTail ? [...last.lines.slice(0, -1), text] : [...last.lines, text];
          this.replace(this.items.length - 1, { ...last, lines, progressTail: !!o.progress });
        } else {
          this.push({ ...base, type: 'output', stream: ev.kind as 'stdout' | 'stderr', lines: [text], progressTail: !!o.progress });
        }
        break;
      }
      case 'parse.error':
        this.push({ ...base, type: 'notice', level: 'warn', text: `Unreadable line from the agent: ${d.message ?? ''}`, raw: d.line });
        break;
      case 'output.truncated': {
        const t = d as TruncatedData;
        const parts = [];
        if (t.lines) parts.push(`${t.lines} lines`);
        if (t.bytes) parts.push(`${t.bytes} bytes`);
        this.push({ ...base, type: 'notice', level: 'warn', text: `Output cut: ${parts.join(', ') || 'some output'} dropped${t.stream ? ' from ' + t.stream : ''}.` });
        break;
      }
      case 'agent.other':
        this.push({ ...base, type: 'notice', level: 'info', text: `Agent message${d && d.type ? ' ' + d.type : ''}`, raw: ev.raw ?? d });
        break;
      case 'store.trimmed':
        this.push({ ...base, type: 'notice', level: 'info', text: 'Older events were removed by the retention limit.' });
        break;
      default:
        // session.status, process.*, policy.decision: reflected elsewhere
        break;
    }
  }

  private finishStreaming(runId?: string): void {
    for (const i of this.textIndex.values()) {
      const it = this.items[i] as Extract<Item, { type: 'text' | 'thinking' }>;
      if (it.streaming && (!runId || it.runId === runId || !it.runId)) this.replace(i, { ...it, streaming: false });
    }
  }
}
