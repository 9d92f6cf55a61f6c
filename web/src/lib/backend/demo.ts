// A scripted stand-in for corral used by `npm run dev` without a Go server
// and by the `#demo` fragment. It keeps an event log with global cursors and
// per-session sequence numbers exactly like the real store, so the UI code
// paths (replay, dedupe, permission round-trips, process stats, console) are
// the same ones used against corral. It is loaded only on demand (dynamic
// import), so the production bundle does not run it unless asked.

import {
  BackendError,
  ErrorCodes,
  type AgentInfo,
  type Backend,
  type Capability,
  type CorralEvent,
  type EventFilter,
  type ProcessInfo,
  type Session,
  type StreamState,
} from '../api';
import { memoryTree } from '../dirtree';
import { markWords } from '../search';

type Listener = { since: number; filter: EventFilter; on: (ev: CorralEvent) => void };

const CLAUDE_CAPS = { images: 'inline', files: 'path', slashCommands: true, compact: true, clear: true, note: 'the model is chosen when the session is created; /model cannot change it' };
const CODEX_CAPS = { images: 'local-path', files: 'path', slashCommands: false, compact: false, clear: false, note: "Codex's app-server lists no slash commands" };
const AGENTS: AgentInfo[] = [
  { name: 'claude', displayName: 'Claude Code', command: 'claude', protocol: 'claude', path: '/usr/local/bin/claude', version: '2.1.4', status: 'ok', models: ['opus', 'sonnet', 'haiku'], permissionModes: ['default', 'acceptEdits', 'plan', 'bypassPermissions'], capabilities: CLAUDE_CAPS },
  { name: 'codex', displayName: 'Codex', command: 'codex', protocol: 'codex', path: '/usr/local/bin/codex', version: '0.150.0', status: 'ok', permissionModes: ['default', 'full-auto'], capabilities: CODEX_CAPS },
  { name: 'gemini', displayName: 'Gemini CLI', command: 'gemini', protocol: 'gemini', status: 'missing', message: 'gemini was not found on PATH.', install: 'npm install -g @google/gemini-cli', capabilities: { ...CODEX_CAPS, note: "Gemini's headless mode runs no slash commands" } },
];

/** The files the demo's ListFiles offers for @-mentions. */
const DEMO_FILES = ['README.md', 'go.mod', 'docs/api.md', 'docs/web.md', 'web/src/App.svelte', 'web/src/lib/composer.ts', 'session/attach.go', 'agent/attach.go'];

/** The totals of a session that has done nothing yet. */
const NO_TOTALS = { costUsd: 0, inputTokens: 0, outputTokens: 0, messages: 0, eventCount: 0, pendingPermissions: 0 };

/** The folders the demo's ListDirectory shows. */
const listDirectory = memoryTree(
  ['/home/dev/src/corral/web/src', '/home/dev/src/corral/docs', '/home/dev/src/scratch', '/home/dev/src/big', '/home/dev/.config/corral', '/home/dev/Documents', '/srv/www', '/tmp'],
  '/home/dev',
);

const CAPS: Capability[] = [
  { name: 'build', program: 'make', args: [{ literal: 'build' }, { validator: 'V=[01]', optional: true }], description: 'Builds the project (prints coloured progress).' },
  { name: 'git-log', program: 'git', args: [{ literal: 'log' }, { validator: '--max-count=[0-9]{1,3}' }, { validator: '[A-Za-z0-9._/-]+', optional: true }] },
  { name: 'cat', program: 'cat', args: [], description: 'Echoes what you type on stdin.' },
  { name: 'rm', program: 'rm', args: [{ validator: '.*', rest: true }], description: 'Listed so the policy refusal can be seen.' },
];

const LONG_ANSWER = `Here is what I found in **corral**'s supervisor:

1. \`Stop\` sends \`SIGTERM\` to the process group, then waits.
2. After 5 s it escalates to \`SIGKILL\`, so nothing of the tree survives.

\`\`\`go
func (s *Supervisor) Stop(id string) error {
	p, ok := s.procs[id]
	if !ok {
		return ErrNotFound // nothing to stop
	}
	return p.Signal(syscall.SIGTERM)
}
\`\`\`

| limit | default |
|---|--:|
| stop grace | 5 s |
| max line | 1 MiB |

> Note: <script>alert("agent text is escaped")</script> stays text.`;

function rnd(seed: { v: number }) {
  seed.v = (seed.v * 1103515245 + 12345) % 2147483648;
  return seed.v / 2147483648;
}

export class DemoBackend implements Backend {
  readonly kind = 'demo' as const;
  private log: CorralEvent[] = [];
  private cursor = 0;
  private seqs = new Map<string, number>();
  private listeners = new Set<Listener>();
  private sessions = new Map<string, Session>();
  private procs = new Map<string, ProcessInfo>();
  private pending = new Map<string, (allow: boolean, message?: string) => void>();
  private runs = new Map<string, { cancel: () => void }>();
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private seed = { v: 42 };
  private nextId = 1;

  /**
   * @param speed  multiplies the pace of scripted runs
   * @param stress when > 0, adds a session "s-big" with this many events
   */
  constructor(
    private readonly speed = 1,
    stress = 0,
  ) {
    this.seedData();
    if (stress > 0) this.seedStress(stress);
    const tick = setInterval(() => this.tickStats(), 1000);
    this.timers.add(tick as any);
  }

  // ------------------------------------------------------------ plumbing

  private later(ms: number, fn: () => void) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms / this.speed);
    this.timers.add(t);
    return t;
  }

  private emit(kind: string, data: any, where: { sessionId?: string; runId?: string; processId?: string }, time = new Date()) {
    const key = where.sessionId ? 's:' + where.sessionId : 'p:' + where.processId;
    const seq = (this.seqs.get(key) ?? 0) + 1;
    this.seqs.set(key, seq);
    const ev: CorralEvent = { seq, cursor: ++this.cursor, time: time.toISOString(), kind, data, ...where };
    this.log.push(ev);
    if (where.sessionId) {
      const s = this.sessions.get(where.sessionId);
      if (s) {
        s.lastActivity = ev.time;
        if (kind === 'session.status') s.status = data.status;
        if (kind === 'usage') s.costUsd += data.costUsd;
      }
    }
    for (const l of this.listeners) if (!l.filter.session || l.filter.session === where.sessionId) l.on(ev);
    return ev;
  }

  call<T>(method: string, params: any): Promise<T> {
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(this.dispatch(method, params ?? {}) as T);
        } catch (e) {
          reject(e);
        }
      }, 30);
    });
  }

  subscribe(since: number, filter: EventFilter, onEvent: (ev: CorralEvent) => void, onState?: (s: StreamState) => void): () => void {
    onState?.('connecting');
    const l: Listener = { since, filter, on: onEvent };
    setTimeout(() => {
      onState?.('live');
      for (const ev of this.log) if ((ev.cursor ?? 0) > since && (!filter.session || filter.session === ev.sessionId)) onEvent(ev);
      this.listeners.add(l);
    }, 50);
    return () => this.listeners.delete(l);
  }

  // ------------------------------------------------------------ methods

  private dispatch(method: string, p: any): unknown {
    switch (method) {
      case 'ListAgents':
        return AGENTS;
      case 'ListSessions':
        return [...this.sessions.values()].map((s) => ({ ...s }));
      case 'GetSession':
        return { ...this.session(p.sessionId) };
      case 'CreateSession': {
        const a = AGENTS.find((x) => x.name === p.agent);
        if (!a || a.status !== 'ok') throw new BackendError('agent_missing', `${p.agent} is not installed`);
        const now = new Date().toISOString();
        const s: Session = { id: `s${this.nextId++}`, agent: p.agent, cwd: p.cwd, model: p.model, permissionMode: p.permissionMode, status: 'idle', createdAt: now, lastActivity: now, ...NO_TOTALS };
        this.sessions.set(s.id, s);
        this.emit('session.status', { status: 'idle' }, { sessionId: s.id });
        if (p.prompt) this.later(100, () => this.runScript(s.id, p.prompt));
        return { ...s };
      }
      case 'SendMessage': {
        const s = this.session(p.sessionId);
        if (s.status === 'terminated') throw new BackendError('session_ended', 'the session has ended; resume it first');
        return { runId: this.runScript(s.id, p.text) };
      }
      case 'Interrupt': {
        for (const [rid, r] of this.runs) if (rid.startsWith(p.sessionId + ':')) r.cancel();
        return null;
      }
      case 'RespondPermission': {
        const resume = this.pending.get(p.requestId);
        if (!resume) throw new BackendError(ErrorCodes.NotFound, 'no such pending request');
        this.pending.delete(p.requestId);
        const req = this.log.find((e) => e.kind === 'permission.request' && e.data.requestId === p.requestId)!;
        this.emit('permission.resolved', { requestId: `${req.sessionId}/${p.requestId}`, decision: p.allow ? 'allow' : 'deny', message: p.message, by: 'user', remember: p.remember }, { sessionId: req.sessionId, runId: req.runId });
        resume(p.allow, p.message);
        return null;
      }
      case 'StopSession': {
        for (const [rid, r] of this.runs) if (rid.startsWith(p.sessionId + ':')) r.cancel();
        this.emit('session.status', { status: 'terminated' }, { sessionId: p.sessionId });
        return null;
      }
      case 'ResumeSession': {
        this.emit('session.status', { status: 'idle' }, { sessionId: p.sessionId });
        return { ...this.session(p.sessionId) };
      }
      case 'DeleteSession':
        this.sessions.delete(p.sessionId);
        return null;
      case 'GetEvents': {
        const limit = p.limit ?? 1000;
        if (p.tail || p.before) {
          const before = p.before || Infinity;
          const all = this.log.filter((e) => e.sessionId === p.sessionId && e.seq < before);
          return { events: all.slice(Math.max(0, all.length - limit)), more: all.length > limit };
        }
        const since = p.since ?? 0;
        const all = this.log.filter((e) => e.sessionId === p.sessionId && e.seq > since);
        return { events: all.slice(0, limit), more: all.length > limit };
      }
      case 'SearchEvents':
        return { hits: this.search(p.query ?? '', p.sessionId, p.limit || 20) };
      case 'ListCapabilities':
        return CAPS;
      case 'Spawn':
        return { processId: this.spawn(p.capability, p.args ?? []) };
      case 'WriteStdin': {
        const pr = this.procs.get(p.processId);
        if (!pr || pr.state !== 'running') throw new BackendError('stdin_broken', 'the process is not running');
        for (const line of String(p.data ?? '').replace(/\n$/, '').split('\n')) this.emit('stdout', { text: line }, { processId: p.processId });
        return null;
      }
      case 'CloseStdin':
      case 'StopProcess':
      case 'Kill': {
        const pr = this.procs.get(p.processId);
        if (pr && pr.state === 'running') this.endProcess(p.processId, method === 'Kill' ? 'killed' : 'exit', method === 'Kill' ? 137 : 0);
        return null;
      }
      case 'ListProcesses':
        return [...this.procs.values()].filter((x) => x.state !== 'exited').map((x) => ({ ...x, uptimeMs: Date.now() - Date.parse(x.startedAt) }));
      case 'ListDirectory':
        return listDirectory(p);
      case 'Execute':
        throw new BackendError(ErrorCodes.PolicyDenied, 'Execute is not scripted in the demo');
      case 'ReloadConfig':
        // The demo runs on the defaults: there is no file, so nothing changes.
        return { path: '', applied: [], restartNeeded: [] };
      case 'GetProcessStats':
        // The demo's processes are scripted and have no samples.
        return { series: [] };
      case 'RenameSession': {
        const title = String(p.title ?? '').trim();
        if (!title || title.length > 200) throw new BackendError(ErrorCodes.InvalidArgument, 'title must be 1 to 200 characters');
        const s = this.session(p.sessionId);
        s.title = title;
        this.emit('session.updated', { title }, { sessionId: s.id });
        return { ...s };
      }
      case 'ListModels':
        // The demo's agents speak Claude Code's protocol: models switch at once.
        return { agent: p.agent, models: [{ id: 'claude-sonnet-4-5', contextWindow: 200000 }, { id: 'claude-opus-4-5', contextWindow: 200000 }], permissionModes: ['default', 'acceptEdits', 'plan'], planMode: 'plan', modelSwitch: 'live', modeSwitch: 'live' };
      case 'SetModel':
      case 'SetPermissionMode': {
        const s = this.session(p.sessionId);
        const option = method === 'SetModel' ? 'model' : 'permissionMode';
        const value = String((method === 'SetModel' ? p.model : p.mode) ?? '');
        const ch = { option, value, previous: s[option] ?? '', applies: 'live' };
        s[option] = value || undefined;
        this.emit('session.options', ch, { sessionId: s.id });
        return ch;
      }
      case 'PinSession':
      case 'ArchiveSession': {
        const s = this.session(p.sessionId);
        if (method === 'PinSession') s.pinned = !!p.pinned;
        else s.archived = !!p.archived;
        this.emit('session.updated', { pinned: !!s.pinned, archived: !!s.archived }, { sessionId: s.id });
        return { ...s };
      }
      case 'ExportSession': {
        // The demo exports its log as JSON Lines in one part (a Markdown
        // transcript is made by the server only).
        const s = this.session(p.sessionId);
        const lines = this.log.filter((e) => e.sessionId === s.id).map((e) => JSON.stringify(e) + '\n');
        return { fileName: `corral-${s.id}.jsonl`, mediaType: 'application/x-ndjson', content: lines.join(''), next: 0, more: false };
      }
      case 'ListCommands': {
        const s = this.session(p.sessionId);
        const claude = s.agent === 'claude';
        const note = claude ? 'run by the agent' : 'not supported by this agent';
        return {
          commands: [
            { name: 'compact', description: 'summarize the conversation so far to free the context', source: 'corral', supported: claude, note },
            { name: 'clear', description: 'start the conversation afresh', source: 'corral', supported: claude, note },
            { name: 'model', description: 'change the model', source: 'corral', supported: false, note: 'the model is chosen when the session is created; start a new session to change it' },
            ...(claude ? ['init', 'review'].map((name) => ({ name, source: 'agent', supported: true })) : []),
          ],
          capabilities: claude ? CLAUDE_CAPS : CODEX_CAPS,
          maxFileSize: 10 << 20,
          maxMessageSize: 20 << 20,
        };
      }
      case 'ListFiles': {
        const q = String(p.query ?? '').toLowerCase();
        return { files: DEMO_FILES.filter((f) => f.toLowerCase().includes(q)).slice(0, p.limit || 50), source: 'walk' };
      }
      case 'GetAttachment':
        throw new BackendError(ErrorCodes.NotFound, 'the demo keeps no attachments');
      default:
        throw new BackendError(ErrorCodes.NotFound, `unknown method ${method}`);
    }
  }

  /** SearchEvents without an index: every word a substring of an event's text, newest first. */
  private search(query: string, sessionId: string | undefined, limit: number) {
    const words = query.trim().split(/\s+/).filter(Boolean);
    if (!words.length) throw new BackendError(ErrorCodes.InvalidArgument, 'store: invalid search query: the query is empty');
    const hits = [];
    for (let i = this.log.length - 1; i >= 0 && hits.length < Math.min(limit, 100); i--) {
      const e = this.log[i];
      const s = this.sessions.get(e.sessionId ?? '');
      if (!s || (sessionId && e.sessionId !== sessionId)) continue;
      const d: any = e.data ?? {};
      const text = e.kind === 'tool.call' ? `${d.name ?? ''} ${JSON.stringify(d.input ?? '')}` : [d.prompt, d.text, d.output, d.message].find((t) => typeof t === 'string');
      const snippet = typeof text === 'string' ? markWords(text, words) : null;
      if (snippet) hits.push({ sessionId: s.id, sessionTitle: s.title ?? '', seq: e.seq, kind: e.kind, snippet, at: e.time });
    }
    return hits;
  }

  private session(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new BackendError(ErrorCodes.NotFound, `no session ${id}`);
    return s;
  }

  // ------------------------------------------------------------ scripts

  /** One scripted turn: think, answer in deltas, run a tool (asking first), report usage. */
  private runScript(sessionId: string, prompt: string): string {
    const runId = `${sessionId}:r${this.nextId++}`;
    const at = { sessionId, runId };
    let cancelled = false;
    const steps: (() => void)[] = [];
    const s = this.session(sessionId);
    this.runs.set(runId, {
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        for (const [rid, resume] of this.pending) {
          const req = this.log.find((e) => e.kind === 'permission.request' && e.data.requestId === rid);
          if (req?.runId === runId) {
            this.pending.delete(rid);
            this.emit('permission.resolved', { requestId: rid, outcome: 'cancelled' }, at);
            void resume;
          }
        }
        this.emit('run.exited', { reason: 'interrupted' }, at);
        this.emit('session.status', { status: 'interrupted' }, { sessionId });
        this.runs.delete(runId);
      },
    });
    this.emit('run.started', { prompt }, at);
    this.emit('session.status', { status: 'processing' }, { sessionId });
    const mid = `m${this.nextId++}`;
    const think = 'The user wants me to look at the code. I will list the files first, then read the supervisor.';
    let t = 200;
    for (const w of think.match(/\S+\s*/g) ?? []) {
      const piece = w;
      steps.push(() => this.emit('assistant.thinking', { text: piece, delta: true, messageId: mid }, at));
    }
    const tool = `t${this.nextId++}`;
    const run = () => {
      const next = steps.shift();
      if (cancelled) return;
      if (next) {
        next();
        this.later(40 + rnd(this.seed) * 60, run);
      }
    };
    steps.push(() => this.emit('assistant.thinking', { text: think, delta: false, messageId: mid }, at));
    steps.push(() => this.emit('tool.call', { id: tool, name: 'Bash', input: { command: 'ls -la supervise/', description: 'List files' } }, at));
    const askOrRun = () => {
      if (s.permissionMode === 'bypassPermissions' || s.permissionMode === 'acceptEdits') return finish(true);
      const requestId = `p${this.nextId++}`;
      this.emit('permission.request', { requestId, tool: 'Bash', input: { command: 'ls -la supervise/' }, suggestions: [{ type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'ls:*' }], behavior: 'allow', destination: 'localSettings' }] }, at);
      this.emit('session.status', { status: 'waiting_permission' }, { sessionId });
      this.pending.set(requestId, (allow, msg) => {
        this.emit('session.status', { status: 'processing' }, { sessionId });
        finish(allow, msg);
      });
    };
    const finish = (allow: boolean, msg?: string) => {
      if (cancelled) return;
      if (allow) {
        this.emit('tool.result', { id: tool, output: 'total 48\n-rw-r--r-- 1 dev dev  5120 supervise.go\n-rw-r--r-- 1 dev dev  2210 restart.go\n-rw-r--r-- 1 dev dev  8731 supervise_test.go', isError: false, exitCode: 0 }, at);
      } else {
        this.emit('tool.result', { id: tool, output: `Permission denied by the user${msg ? ': ' + msg : ''}`, isError: true }, at);
      }
      const mid2 = `m${this.nextId++}`;
      const answer = allow ? LONG_ANSWER.replace('Here is', `You asked: “${prompt.slice(0, 60)}”. Here is`) : 'Understood, I will not run that command.';
      for (const w of answer.match(/[\s\S]{1,12}/g) ?? []) {
        const piece = w;
        steps.push(() => this.emit('assistant.text', { text: piece, delta: true, messageId: mid2 }, at));
      }
      steps.push(() => this.emit('assistant.text', { text: answer, delta: false, messageId: mid2 }, at));
      steps.push(() => this.emit('usage', { inputTokens: 1200 + Math.round(rnd(this.seed) * 9000), outputTokens: 300 + Math.round(rnd(this.seed) * 900), costUsd: 0.004 + rnd(this.seed) * 0.05, durationMs: 4000 + rnd(this.seed) * 8000 }, at));
      steps.push(() => {
        this.emit('run.exited', { reason: 'exit', exitCode: 0 }, at);
        this.emit('session.status', { status: 'idle' }, { sessionId });
        this.runs.delete(runId);
      });
      run();
    };
    steps.push(askOrRun);
    this.later(t, run);
    return runId;
  }

  private spawn(capability: string, args: string[]): string {
    const cap = CAPS.find((c) => c.name === capability);
    if (!cap) throw new BackendError(ErrorCodes.PolicyDenied, `capability "${capability}" is not in the policy`);
    if (cap.name === 'rm') throw new BackendError(ErrorCodes.PolicyDenied, 'rule "rm": program rm is not allowed: no capability permits it (policy.toml line 12)');
    if (cap.name === 'git-log' && !/^--max-count=[0-9]{1,3}$/.test(args[1] ?? '')) {
      throw new BackendError(ErrorCodes.PolicyDenied, `rule "git-log": argument 2 "${args[1] ?? ''}" does not match --max-count=[0-9]{1,3}`);
    }
    const processId = `proc${this.nextId++}`;
    const info: ProcessInfo = { processId, pid: 40000 + this.nextId, name: capability, argv: [cap.program, ...args], state: 'running', startedAt: new Date().toISOString(), uptimeMs: 0, cpu: 0, rss: 3_000_000, restarts: 0 };
    this.procs.set(processId, info);
    const at = { processId };
    this.emit('process.state', { state: 'running', pid: info.pid }, at);
    if (cap.name === 'cat') {
      this.emit('stdout', { text: '\x1b[2m(cat is waiting for stdin; Close stdin ends it)\x1b[0m' }, at);
      return processId;
    }
    const lines: (() => void)[] = [];
    if (cap.name === 'build') {
      lines.push(() => this.emit('stdout', { text: '\x1b[1;34m==>\x1b[0m \x1b[1mBuilding corral\x1b[0m' }, at));
      for (let i = 0; i <= 10; i++) {
        const pct = i * 10;
        const bar = '█'.repeat(i) + '░'.repeat(10 - i);
        lines.push(() => this.emit('stderr', { text: `\x1b[36m${bar}\x1b[0m ${pct}%`, progress: true }, at));
      }
      lines.push(() => this.emit('stdout', { text: '\x1b[32m✓\x1b[0m compiled \x1b[38;5;208m42\x1b[0m packages' }, at));
      lines.push(() => this.emit('stderr', { text: '\x1b[33mwarning:\x1b[0m unused variable \x1b[1mx\x1b[0m in proc/pty.go:88' }, at));
      lines.push(() => this.emit('stdout', { text: '\x1b[7m DONE \x1b[0m in 2.1s' }, at));
    } else {
      const n = Number((args[1] ?? '').split('=')[1] ?? 5) || 5;
      for (let i = 0; i < Math.min(n, 40); i++) {
        const k = i;
        lines.push(() => this.emit('stdout', { text: `\x1b[33m${(0xabcdef1 + k * 7919).toString(16).slice(0, 7)}\x1b[0m demo commit number ${k + 1}` }, at));
      }
    }
    const step = () => {
      const f = lines.shift();
      if (this.procs.get(processId)?.state !== 'running') return;
      if (f) {
        f();
        this.later(cap.name === 'build' ? 180 : 40, step);
      } else this.endProcess(processId, 'exit', 0);
    };
    this.later(100, step);
    return processId;
  }

  private endProcess(processId: string, reason: string, code: number) {
    const pr = this.procs.get(processId)!;
    pr.state = 'exited';
    this.emit('process.state', { state: 'exited' }, { processId });
    this.emit('run.exited', { state: 'exited', reason, code, signalName: reason === 'killed' ? 'SIGKILL' : undefined, attempts: 1, restarts: 0, durationMs: Date.now() - Date.parse(pr.startedAt) }, { processId });
  }

  private tickStats() {
    const now = new Date();
    for (const pr of this.procs.values()) {
      if (pr.state !== 'running') continue;
      pr.cpu = Math.max(0, Math.min(190, pr.cpu + (rnd(this.seed) - 0.45) * 20));
      pr.rss = Math.max(2_000_000, pr.rss + (rnd(this.seed) - 0.4) * 4_000_000);
      this.emit('process.stats', { cpuPercent: pr.cpu, rss: pr.rss }, { processId: pr.processId }, now);
    }
  }

  // ------------------------------------------------------------ seed

  /** A long transcript: turns of streamed text, a tool call and usage. */
  private seedStress(n: number) {
    const id = 's-big';
    const t0 = Date.now() - 86400_000;
    this.sessions.set(id, { id, agent: 'claude', cwd: '/home/dev/src/big', title: `Long transcript (${n} events)`, status: 'idle', createdAt: new Date(t0).toISOString(), lastActivity: new Date(t0).toISOString(), ...NO_TOTALS });
    let i = 0;
    let turn = 0;
    while (i < n) {
      const at = { sessionId: id, runId: `${id}:r${turn}` };
      const when = new Date(t0 + i * 10);
      const left = n - i;
      if (left < 20) {
        this.emit('assistant.text', { text: `tail ${i} `, delta: true, messageId: `tail` }, at, when);
        i++;
        continue;
      }
      this.emit('run.started', { prompt: `Turn ${turn}: explain part ${turn} of the design` }, at, when);
      for (let k = 0; k < 14; k++) this.emit('assistant.text', { text: k === 0 ? `**Turn ${turn}.** ` : k % 5 === 0 ? 'with `code` and more words.\n\n' : 'some streamed words ', delta: true, messageId: `m${turn}` }, at, when);
      this.emit('tool.call', { id: `b${turn}`, name: 'Bash', input: { command: `grep -n part${turn} design.md` } }, at, when);
      this.emit('tool.result', { id: `b${turn}`, output: `${turn}: part${turn} is here\n${turn + 1}: and here`, isError: false, exitCode: 0 }, at, when);
      this.emit('usage', { inputTokens: 900, outputTokens: 120, costUsd: 0.001, durationMs: 2100 }, at, when);
      this.emit('run.exited', { reason: 'exit', exitCode: 0 }, at, when);
      i += 19;
      turn++;
    }
  }

  private seedData() {
    const base = Date.now() - 3 * 3600_000;
    const at = (min: number) => new Date(base + min * 60_000);
    const mk = (id: string, agent: string, cwd: string, title: string, status: Session['status'], model?: string): Session => {
      const s: Session = { id, agent, cwd, title, status, model, createdAt: at(0).toISOString(), lastActivity: at(0).toISOString(), ...NO_TOTALS, permissionMode: 'default' };
      this.sessions.set(id, s);
      return s;
    };
    // 1: a finished conversation with an edit and a big output
    mk('s-api', 'claude', '/home/dev/src/corral', 'Fix the restart backoff in supervise', 'idle', 'opus');
    let w = { sessionId: 's-api', runId: 's-api:r1' };
    this.emit('run.started', { prompt: 'Fix the restart backoff in supervise: it never waits longer than 1s.' }, w, at(1));
    this.emit('assistant.thinking', { text: 'The backoff is computed with an int overflow… let me read `restart.go`.', delta: false, messageId: 'a1' }, w, at(1));
    this.emit('tool.call', { id: 'tu1', name: 'Read', input: { file_path: '/home/dev/src/corral/supervise/restart.go' } }, w, at(1));
    this.emit('tool.result', { id: 'tu1', output: 'package supervise\n\nfunc next(n int) time.Duration {\n\treturn time.Second << min(n, 0)\n}\n', isError: false }, w, at(1));
    this.emit('tool.call', { id: 'tu2', name: 'Edit', input: { file_path: '/home/dev/src/corral/supervise/restart.go', old_string: 'func next(n int) time.Duration {\n\treturn time.Second << min(n, 0)\n}', new_string: 'func next(n int) time.Duration {\n\t// double per restart, capped at 2^6 s\n\treturn time.Second << min(n, 6)\n}' } }, w, at(2));
    this.emit('tool.result', { id: 'tu2', output: 'The file was updated.', isError: false }, w, at(2));
    this.emit('tool.call', { id: 'tu3', name: 'Bash', input: { command: 'go test ./supervise/ -run Restart -v', description: 'Run the restart tests' } }, w, at(2));
    const big = Array.from({ length: 3000 }, (_, i) => `=== RUN   TestRestart/case_${i}\n--- PASS: TestRestart/case_${i} (0.00s)`).join('\n') + '\nok  \tgithub.com/corral-dev/corral/supervise\t0.412s';
    this.emit('tool.result', { id: 'tu3', output: big, isError: false, exitCode: 0 }, w, at(3));
    this.emit('assistant.text', { text: 'Fixed: the shift used `min(n, 0)`, so every restart waited **1 s**. It now doubles per restart up to 64 s.\n\n```diff\n-\treturn time.Second << min(n, 0)\n+\treturn time.Second << min(n, 6)\n```\n\nAll 3000 restart cases pass.', delta: false, messageId: 'a2' }, w, at(3));
    this.emit('usage', { inputTokens: 18234, outputTokens: 1022, costUsd: 0.0843, durationMs: 48200 }, w, at(3));
    this.emit('run.exited', { reason: 'exit', exitCode: 0 }, w, at(3));
    this.emit('session.status', { status: 'idle' }, { sessionId: 's-api' }, at(3));

    // 2: waiting for approval
    mk('s-web', 'codex', '/home/dev/src/corral/web', 'Add dark theme to the console', 'processing');
    w = { sessionId: 's-web', runId: 's-web:r1' };
    this.emit('run.started', { prompt: 'Add dark theme to the console' }, w, at(150));
    this.emit('assistant.text', { text: 'I will update the stylesheet and then run the tests.', delta: false, messageId: 'b1' }, w, at(150));
    this.emit('tool.call', { id: 'tw1', name: 'Bash', input: { command: 'npm test -- --run' } }, w, at(151));
    this.emit('permission.request', { requestId: 'perm-web-1', tool: 'Bash', input: { command: 'npm test -- --run', timeout: 120000 }, suggestions: [{ type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }], behavior: 'allow', destination: 'localSettings' }] }, w, at(151));
    this.emit('permission.request', { requestId: 'perm-web-2', tool: 'Write', input: { file_path: '/home/dev/src/corral/web/src/theme.css', content: ':root { --bg: #000; }\n' } }, w, at(151));
    this.emit('session.status', { status: 'waiting_permission' }, { sessionId: 's-web' }, at(151));
    const runWeb = w;
    const resumeWeb = (id: string, tool: string) => (allow: boolean) => {
      this.emit('tool.result', { id: tool, output: allow ? ' ✓ 43 tests passed' : 'denied', isError: !allow, exitCode: allow ? 0 : undefined }, runWeb);
      if (![...this.pending.keys()].some((k) => k.startsWith('perm-web'))) {
        this.emit('usage', { inputTokens: 5400, outputTokens: 800, costUsd: 0.021, durationMs: 15000 }, runWeb);
        this.emit('run.exited', { reason: 'exit', exitCode: 0 }, runWeb);
        this.emit('session.status', { status: 'idle' }, { sessionId: 's-web' });
      }
      void id;
    };
    this.pending.set('perm-web-1', resumeWeb('perm-web-1', 'tw1'));
    this.pending.set('perm-web-2', resumeWeb('perm-web-2', 'tw1'));

    // 3: crashed and ended
    mk('s-old', 'claude', '/home/dev/src/scratch', 'Summarise the logs', 'terminated', 'haiku');
    w = { sessionId: 's-old', runId: 's-old:r1' };
    this.emit('run.started', { prompt: 'Summarise the logs in ./logs' }, w, at(20));
    this.emit('stderr', { text: 'node: warning: something odd' }, w, at(20));
    this.emit('error', { type: 'crashed', message: 'claude exited with signal SIGKILL (out of memory?) — last stderr: "FATAL ERROR: Reached heap limit"', recoverable: true, action: 'Resume the session; if it happens again, raise the memory limit or split the logs.' }, w, at(21));
    this.emit('run.exited', { runId: 's-old:r1', reason: 'crashed', signal: 'SIGKILL' }, w, at(21));
    this.emit('session.status', { status: 'terminated' }, { sessionId: 's-old' }, at(21));

    // processes: the agent of s-web and a dev server
    const p1: ProcessInfo = { processId: 'proc-agent', pid: 31337, name: 'codex', argv: ['codex', 'exec', '--json'], sessionId: 's-web', state: 'running', startedAt: at(150).toISOString(), uptimeMs: 0, cpu: 12, rss: 180_000_000, restarts: 0, children: 2 };
    const p2: ProcessInfo = { processId: 'proc-dev', pid: 31400, name: 'vite-dev', argv: ['npm', 'run', 'dev'], state: 'running', startedAt: at(30).toISOString(), uptimeMs: 0, cpu: 3, rss: 95_000_000, restarts: 2, children: 4 };
    this.procs.set(p1.processId, p1);
    this.procs.set(p2.processId, p2);
    // back-filled samples so the 5-minute charts are not empty
    for (let k = 300; k > 0; k -= 2) {
      for (const pr of [p1, p2]) {
        pr.cpu = Math.max(0, Math.min(100, pr.cpu + (rnd(this.seed) - 0.5) * 10));
        pr.rss = Math.max(20_000_000, pr.rss + (rnd(this.seed) - 0.45) * 3_000_000);
        this.emit('process.stats', { cpuPercent: pr.cpu, rss: pr.rss }, { processId: pr.processId }, new Date(Date.now() - k * 1000));
      }
    }
    this.emit('error', { type: 'crashed', message: 'vite-dev exited with code 1: "EADDRINUSE: address already in use :::5173"', recoverable: true, action: 'Restarted automatically (2 of 5). Free port 5173 if it keeps failing.' }, { processId: 'proc-dev' }, at(60));
    this.emit('error', { type: 'stdin_broken', message: 'write to stdin failed: broken pipe', recoverable: false, action: 'The process closed its input; start it again to send more.' }, { processId: 'proc-dev' }, at(90));
  }
}
