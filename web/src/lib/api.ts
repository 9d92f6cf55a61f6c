// The contract between the UI and corral: the Backend interface every transport
// implements, the event envelope, the data of each event kind, and the
// parameters and results of every method. The Go facade (ARCHITECTURE.md §3,
// §4) produces exactly these JSON shapes; field names are camelCase.

/** Connection state of an event subscription. */
export type StreamState = 'connecting' | 'live' | 'reconnecting';

/** Filter for an event subscription. */
export interface EventFilter {
  session?: string;
}

/**
 * The only way the UI talks to corral. `call` rejects with a BackendError;
 * `subscribe` delivers events in order, starting after `since` (a global
 * cursor, 0 = from the oldest retained event, negative = only events
 * committed from now on; history is then read with GetEvents), and returns an unsubscribe
 * function. Events may be delivered twice around a reconnect; consumers
 * dedupe by (stream, seq).
 */
export interface Backend {
  readonly kind: 'http' | 'wails' | 'demo';
  call<T>(method: string, params: object): Promise<T>;
  subscribe(
    since: number,
    filter: EventFilter,
    onEvent: (ev: CorralEvent) => void,
    onState?: (s: StreamState) => void,
  ): () => void;
  /**
   * Opens a native folder chooser (desktop shell only); resolves to the
   * chosen path, or null when cancelled.
   */
  pickDirectory?(start?: string): Promise<string | null>;
}

/** The error a Backend call rejects with. */
export class BackendError extends Error {
  readonly code: string;
  /** the policy rule that refused, for policy_denied */
  readonly rule?: string;
  constructor(code: string, message: string, rule?: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
    if (rule) this.rule = rule;
  }
}

/** Well-known error codes. Others may appear; show their message. */
export const ErrorCodes = {
  NotFound: 'not_found',
  InvalidArgument: 'invalid_argument',
  PolicyDenied: 'policy_denied',
  /** the operating system refused corral's user (a directory it may not read) */
  PermissionDenied: 'permission_denied',
  LimitReached: 'limit_reached',
  SpawnFailed: 'spawn_failed',
  Conflict: 'conflict',
  Unauthorized: 'unauthorized',
  Internal: 'internal',
  /** corral could not be reached (raised by the transport itself) */
  Transport: 'transport',
} as const;

// ---------------------------------------------------------------- events

export type EventKind =
  | 'session.status'
  | 'run.started'
  | 'run.exited'
  | 'assistant.text'
  | 'assistant.thinking'
  | 'tool.call'
  | 'tool.result'
  | 'permission.request'
  | 'permission.resolved'
  | 'usage'
  | 'stdout'
  | 'stderr'
  | 'parse.error'
  | 'output.truncated'
  | 'process.state'
  | 'process.stats'
  | 'error'
  | 'agent.other'
  | 'agent.init'
  | 'agent.status'
  | 'agent.retry'
  | 'turn.completed'
  | 'policy.decision'
  | 'store.trimmed'
  | 'events.lost'
  | 'bus.dropped';

/**
 * One normalized event. `seq` increases strictly per session (or per process
 * for events that belong to no session); `cursor` is the global position used
 * to resume a subscription (the SSE `id:`).
 */
export interface CorralEvent<D = any> {
  seq: number;
  cursor?: number;
  sessionId?: string;
  runId?: string;
  processId?: string;
  time: string;
  kind: EventKind | string;
  data?: D;
  raw?: unknown;
}

export type SessionStatus =
  | 'active'
  | 'idle'
  | 'processing'
  | 'waiting_permission'
  | 'error'
  | 'interrupted'
  | 'terminated';

export interface SessionStatusData {
  status: SessionStatus;
  from?: SessionStatus;
  reason?: string;
}
export interface RunStartedData {
  /** the user's message that started the run */
  prompt?: string;
  pid?: number;
}
/**
 * run.exited, normalised by normalize.exitOf: the session layer writes
 * {runId, reason, exitCode?, signal?}; the supervisor (spawned processes)
 * writes {state, reason, code, signal?, signalName?, limit?, error?, attempts,
 * restarts, durationMs}. Reasons: exit, killed, timeout, idle-timeout,
 * spawn-failed, crashed, memory-limit, interrupted, error.
 */
export interface RunExitedData {
  reason: string;
  exitCode?: number;
  signal?: string;
  message?: string;
}
/**
 * assistant.text / assistant.thinking. Deltas carry a piece of a block and
 * may lack messageId; a whole block (delta false) repeats what the deltas
 * of that block carried.
 */
export interface TextData {
  text: string;
  delta: boolean;
  messageId?: string;
  parentToolUseId?: string;
  /** the agent's error code when the text reports an API error */
  error?: string;
}
export interface ToolCallData {
  id: string;
  name: string;
  input: any;
  status?: string;
  parentToolUseId?: string;
}
export interface ToolResultData {
  id: string;
  output: string;
  isError: boolean;
  status?: string;
  exitCode?: number;
  details?: unknown;
  /** Total size in bytes when `output` was cut by the server. */
  totalBytes?: number;
}
/** A remember-rule suggestion as the UI shows it (see normalize.suggestionsOf). */
export interface PermissionSuggestion {
  rule: string;
  description?: string;
}
export interface PermissionRequestData {
  requestId: string;
  tool: string;
  input: any;
  description?: string;
  toolUseId?: string;
  /** the agent's proposed rules, in the agent's own shape */
  suggestions?: unknown;
}
/**
 * permission.resolved: {requestId, decision: allow|deny|expired, by,
 * message?, remember?} from the session layer (requestId is
 * "<sessionId>/<requestId>"), or {requestId, outcome: "cancelled"} when the
 * agent withdrew the request.
 */
export interface PermissionResolvedData {
  requestId: string;
  decision?: 'allow' | 'deny' | 'expired';
  outcome?: string;
  by?: string;
  message?: string;
  remember?: boolean;
}
export interface UsageData {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  costUsd?: number;
  durationMs?: number;
}
export interface TurnCompletedData {
  ok: boolean;
  error?: { code: string; httpStatus?: number; message?: string };
  stopReason?: string;
  result?: string;
}
export interface OutputData {
  text?: string;
  /** base64 when binary is true */
  bytes?: string;
  binary?: boolean;
  /** a `\r`-terminated update that replaces the previous progress line */
  progress?: boolean;
  /** the rest of a line that was cut at the maximum line size */
  continued?: boolean;
  /** the last line had no newline when the stream ended */
  partial?: boolean;
}
export interface ParseErrorData {
  line: string;
  error: string;
}
export interface TruncatedData {
  reason?: string;
  stdout?: { lines: number; bytes: number };
  stderr?: { lines: number; bytes: number };
}
export type ProcessStateName = 'queued' | 'starting' | 'running' | 'stopping' | 'backoff' | 'exited' | 'failed';
export interface ProcessStateData {
  state: ProcessStateName;
  pid?: number;
  exitCode?: number;
  restarts?: number;
  reason?: string;
}
export interface ProcessStatsData {
  /** percent of one core, summed over the process tree */
  cpuPercent: number;
  /** bytes, summed over the process tree */
  rss: number;
  processes?: number;
  memoryLimit?: number;
  overLimit?: boolean;
}
/**
 * error: {type, message, recoverable, action} from the session layer, or
 * {code, message} from an agent adapter (normalize.errorOf reads both).
 */
export interface ErrorData {
  /** spawn_failed | crashed | timeout | parse_error | stdin_broken | policy_denied | … */
  type: string;
  message: string;
  /** unknown when the producer does not say */
  recoverable?: boolean;
  /** what the user should do next */
  action?: string;
}

// ---------------------------------------------------------------- methods

export interface AgentInfo {
  name: string;
  displayName?: string;
  command: string;
  path?: string;
  version?: string;
  /** ok | missing | error */
  status: 'ok' | 'missing' | 'error';
  /** claude | codex | acp | jsonl | text … */
  protocol?: string;
  /** how to install the CLI when it is missing */
  install?: string;
  message?: string;
  models?: string[];
  permissionModes?: string[];
}

export interface Session {
  id: string;
  agent: string;
  cwd: string;
  model?: string;
  permissionMode?: string;
  status: SessionStatus;
  title?: string;
  createdAt: string;
  lastActivity: string;
  costUsd: number;
  inputTokens?: number;
  outputTokens?: number;
  messages?: number;
  eventCount?: number;
  pendingPermissions?: number;
  /** the run in progress, if any */
  runId?: string;
  /** the agent's own id of the conversation */
  agentSessionId?: string;
  /** the permission mode runs tools without asking (bypassPermissions, yolo, …) */
  approvalsSkipped?: boolean;
  /** the session's live agent process; absent when it holds none */
  process?: LiveProcess;
}

/** The live agent process of a session (session.LiveProcess). */
export interface LiveProcess {
  id: string;
  pid?: number;
  state: string;
  /** resident memory of its process tree, bytes (0 before the first sample) */
  rss: number;
  cpuPercent: number;
}

/**
 * events.lost: events of the session the store could not write (the disk
 * was full, or another write failure), counted.
 */
export interface EventsLostData {
  code: 'storage_full' | 'store_failed' | string;
  lostEvents: number;
  message?: string;
}

/** What ReloadConfig changed (session.ReloadResult). */
export interface ReloadResult {
  /** the file read; "" when there was none (the defaults) */
  path: string;
  /** tables now in effect: "agents", "sessions" */
  applied: string[];
  /** tables that changed but need a restart: "capability", "limits", "server", "policy" */
  restartNeeded: string[];
}

/** GetProcessStats: one process, the processes of a session, or every one. */
export interface GetProcessStatsParams {
  processId?: string;
  sessionId?: string;
  /** Unix ms: only later samples */
  sinceMs?: number;
}
export interface StatSampleData {
  /** Unix ms */
  t: number;
  /** percent of one core */
  cpu: number;
  rss: number;
  processes?: number;
}
/** The kept samples of one process, oldest first. */
export interface StatSeries {
  processId: string;
  sessionId?: string;
  ended?: boolean;
  samples: StatSampleData[];
}

export interface CreateSessionParams {
  agent: string;
  cwd: string;
  model?: string;
  permissionMode?: string;
  prompt?: string;
}
export interface SendMessageParams {
  sessionId: string;
  text: string;
}
export interface SessionParams {
  sessionId: string;
}
export interface RespondPermissionParams {
  sessionId: string;
  requestId: string;
  allow: boolean;
  message?: string;
  remember?: boolean;
  updatedInput?: unknown;
}
/**
 * Forwards (the default): the events with seq > since. Backwards: `tail`
 * gives the newest events of the session, `before` the newest with
 * seq < before (not combined with `since`). Pages are in ascending seq order.
 */
export interface GetEventsParams {
  sessionId: string;
  since?: number;
  limit?: number;
  tail?: boolean;
  before?: number;
}
export interface GetEventsResult {
  events: CorralEvent[];
  /** forwards: more events follow the page; backwards: older ones precede it */
  more: boolean;
}

export interface CapabilityArg {
  /** a literal argument the caller must pass exactly */
  literal?: string;
  /** an anchored regex the argument must match */
  validator?: string;
  optional?: boolean;
  rest?: boolean;
}
export interface Capability {
  name: string;
  program: string;
  args: CapabilityArg[];
  description?: string;
  cwd?: string[];
}
export interface ExecuteParams {
  capability: string;
  args: string[];
  cwd?: string;
  stdin?: string;
  timeoutMs?: number;
}
export interface ExecuteResult {
  code: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** The exact bytes of stdout, present only when they are not valid UTF-8. */
  stdoutBase64?: string;
  stderrBase64?: string;
}
export interface SpawnParams {
  capability: string;
  args: string[];
  cwd?: string;
}
export interface ProcessParams {
  processId: string;
  data?: string;
}
export interface ProcessInfo {
  processId: string;
  pid: number;
  /** capability name or agent name */
  name: string;
  argv?: string[];
  sessionId?: string;
  state: ProcessStateName;
  startedAt: string;
  uptimeMs: number;
  cpu: number;
  rss: number;
  restarts: number;
  children?: number;
}

/**
 * A directory to list: `path` absolute, or `~`/`~/…`; empty is the home
 * directory of corral's user. Names starting with "." are left out unless
 * `showHidden`.
 */
export interface ListDirectoryParams {
  path?: string;
  showHidden?: boolean;
}
export interface DirEntry {
  name: string;
  /** absolute */
  path: string;
}
/**
 * The subdirectories of a directory (never its files). `path` is absolute,
 * clean and free of symlinks; `parent` is "" at the root; entries are sorted
 * case-insensitively; `truncated` says more exist than were listed (at most
 * 2,000 are).
 */
export interface ListDirectoryResult {
  path: string;
  parent: string;
  entries: DirEntry[];
  truncated: boolean;
}

/** Typed wrappers over Backend.call, one per contract method. */
export class Api {
  constructor(readonly backend: Backend) {}
  listAgents() {
    return this.backend.call<AgentInfo[]>('ListAgents', {});
  }
  createSession(p: CreateSessionParams) {
    return this.backend.call<Session>('CreateSession', p);
  }
  sendMessage(p: SendMessageParams) {
    return this.backend.call<{ runId: string }>('SendMessage', p);
  }
  interrupt(p: SessionParams) {
    return this.backend.call<void>('Interrupt', p);
  }
  respondPermission(p: RespondPermissionParams) {
    return this.backend.call<void>('RespondPermission', p);
  }
  stopSession(p: SessionParams) {
    return this.backend.call<void>('StopSession', p);
  }
  resumeSession(p: SessionParams) {
    return this.backend.call<Session>('ResumeSession', p);
  }
  deleteSession(p: SessionParams) {
    return this.backend.call<void>('DeleteSession', p);
  }
  listSessions() {
    return this.backend.call<Session[]>('ListSessions', {});
  }
  getSession(p: SessionParams) {
    return this.backend.call<Session>('GetSession', p);
  }
  getEvents(p: GetEventsParams) {
    return this.backend.call<GetEventsResult>('GetEvents', p);
  }
  listCapabilities() {
    return this.backend.call<Capability[]>('ListCapabilities', {});
  }
  execute(p: ExecuteParams) {
    return this.backend.call<ExecuteResult>('Execute', p);
  }
  spawn(p: SpawnParams) {
    return this.backend.call<{ processId: string }>('Spawn', p);
  }
  writeStdin(p: ProcessParams) {
    return this.backend.call<void>('WriteStdin', p);
  }
  closeStdin(p: ProcessParams) {
    return this.backend.call<void>('CloseStdin', p);
  }
  kill(p: ProcessParams) {
    return this.backend.call<void>('Kill', p);
  }
  listProcesses() {
    return this.backend.call<ProcessInfo[]>('ListProcesses', {});
  }
  stopProcess(p: ProcessParams) {
    return this.backend.call<void>('StopProcess', p);
  }
  listDirectory(p: ListDirectoryParams) {
    return this.backend.call<ListDirectoryResult>('ListDirectory', p);
  }
  reloadConfig() {
    return this.backend.call<ReloadResult>('ReloadConfig', {});
  }
  getProcessStats(p: GetProcessStatsParams) {
    return this.backend.call<{ series: StatSeries[] }>('GetProcessStats', p);
  }
}
