// The contract between the UI and corral: the Backend interface every transport
// implements, the event envelope, the data of each event kind, and the
// parameters and results of every method.
//
// The shapes come from the Go types: contract.gen.ts is generated from them
// (go generate ./api; docs/api.md, "The contract in TypeScript") and CI fails
// when it is stale. This file re-exports them under the names the UI uses,
// narrows a few (a Go string the UI knows as a union, a JSON value the views
// read as `any`) with Refine, which only accepts fields the Go type has, and
// types by hand only the event data whose producers have no Go type.

import type * as gen from './contract.gen';
import type { ContractMethods, MethodName } from './contract.gen';

export type { ContractMethods, ErrorCode, MethodName } from './contract.gen';
export { methodNames } from './contract.gen';

/**
 * T with the fields of R in place of T's own: a narrower type for a field the
 * Go type has. A field Go does not have is a type error.
 */
export type Refine<T, R extends { [K in keyof R]: K extends keyof T ? unknown : never }> = Omit<T, keyof R> & R;

/** Where a paired device keeps its token (localStorage; docs/remote.md). */
export const DEVICE_TOKEN_KEY = 'corral.deviceToken';

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
  /** what the server said beyond the message (files a conflict is about, work a removal would lose) */
  readonly details?: unknown;
  constructor(code: string, message: string, rule?: string, details?: unknown) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
    if (rule) this.rule = rule;
    if (details !== undefined && details !== null) this.details = details;
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
  /** the disk of the data directory is full */
  StorageFull: 'storage_full',
  /** the store cannot write (read-only data directory, I/O error) */
  StoreFailed: 'store_failed',
  /** the agent cannot do what was asked (fork a session) */
  Unsupported: 'unsupported',
  // workspaces (docs/api.md, "Workspaces")
  NoWorkspace: 'no_workspace',
  NotARepository: 'not_a_repository',
  BareRepository: 'bare_repository',
  NoCommits: 'no_commits',
  BranchExists: 'branch_exists',
  GitMissing: 'git_missing',
  GhMissing: 'gh_missing',
  /** removing the worktree would lose work; details {files, commits, truncated?} */
  UnsavedWork: 'unsaved_work',
  /** the call needs committed work; details {files} */
  DirtyWorktree: 'dirty_worktree',
  WorkspaceBusy: 'workspace_busy',
  NothingToCommit: 'nothing_to_commit',
  SetupFailed: 'setup_failed',
  /** a budget cap is used up: raise it to run turns again */
  BudgetReached: 'budget_reached',
  // the fleet (docs/api.md, "Fleet"): CreateSession with a runner
  RunnerNotFound: 'runner_not_found',
  RunnerOffline: 'runner_offline',
  NoRunnerForAgent: 'no_runner_for_agent',
  /** corral could not be reached (raised by the transport itself) */
  Transport: 'transport',
} as const satisfies Record<string, gen.ErrorCode | 'transport'>;

// ---------------------------------------------------------------- events

export type EventKind = gen.EventKind;

/**
 * One normalized event (event.Event). `seq` increases strictly per session
 * (or per process for events that belong to no session); `cursor` is the
 * global position used to resume a subscription (the SSE `id:`). `data` is
 * typed by the reader (D), after its kind.
 */
export interface CorralEvent<D = any> extends Omit<gen.Event, 'kind' | 'data'> {
  kind: EventKind | string;
  data?: D;
}

export type SessionStatus = gen.SessionStatus;

/** session.status (store.StatusData). */
export type SessionStatusData = Refine<gen.SessionStatusData, { status: SessionStatus; from?: SessionStatus }>;
/** run.started: written by the session layer as a map (no Go type). */
export interface RunStartedData {
  /** the user's message that started the run */
  prompt?: string;
  pid?: number;
  /** the files sent with the message (GetAttachment fetches each) */
  attachments?: AttachmentInfo[];
}
/** run.exited of a session's run (store.RunEnd). */
export type RunEndData = gen.RunEndData;
/**
 * run.exited, normalised by normalize.exitOf: the session layer writes
 * RunEndData {runId, reason, exitCode?, signal?}; the supervisor (spawned
 * processes) writes {state, reason, code, signal?, signalName?, limit?,
 * error?, attempts, restarts, durationMs}. Reasons: exit, killed, timeout,
 * idle-timeout, spawn-failed, crashed, memory-limit, interrupted, error.
 */
export interface RunExitedData {
  reason: string;
  exitCode?: number;
  signal?: string;
  message?: string;
}
/** assistant.text / assistant.thinking (agent.TextData). */
export type TextData = gen.TextData;
/** tool.call (agent.ToolCallData); `input` is the tool's JSON input. */
export type ToolCallData = Refine<gen.ToolCallData, { input?: any }>;
/**
 * tool.result (agent.ToolResultData). `totalBytes` is not sent by corral
 * today (no producer cuts `output`); the view shows it when present.
 */
export type ToolResultData = gen.ToolResultData & { totalBytes?: number };
/** A remember-rule suggestion as the UI shows it (see normalize.suggestionsOf). */
export interface PermissionSuggestion {
  rule: string;
  description?: string;
}
/** permission.request (agent.PermissionRequestData). */
export type PermissionRequestData = Refine<gen.PermissionRequestData, { input?: any }>;
/**
 * permission.resolved: {requestId, decision: allow|deny|expired, by,
 * message?, remember?} from the session layer (store.ResolvedData;
 * requestId is "<sessionId>/<requestId>"), or {requestId, outcome:
 * "cancelled"} when the agent withdrew the request
 * (agent.PermissionResolvedData); this is the union of the two.
 */
export type PermissionResolvedData = Partial<Refine<gen.PermissionDecisionData, { decision: 'allow' | 'deny' | 'expired' }>> &
  Partial<gen.AgentPermissionResolvedData> & { requestId: string };
/** usage (agent.UsageData). */
export type UsageData = gen.UsageData;
/** turn.completed (agent.TurnCompletedData). */
export type TurnCompletedData = gen.TurnCompletedData;
/** stdout/stderr of an agent (agent.LineData); see OutputData for spawned processes. */
export type LineData = gen.LineData;
/** stdout / stderr: written by the stream reader (no Go type of its own). */
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
/** parse.error (agent.ParseErrorData). */
export type ParseErrorData = gen.ParseErrorData;
/** output.truncated (no Go type). */
export interface TruncatedData {
  reason?: string;
  stdout?: { lines: number; bytes: number };
  stderr?: { lines: number; bytes: number };
}
/** supervise.State. */
export type ProcessStateName = gen.ProcessStateName;
/** process.state (written by the supervisor as a map). */
export interface ProcessStateData {
  state: ProcessStateName;
  pid?: number;
  exitCode?: number;
  restarts?: number;
  reason?: string;
}
/** process.stats (an anonymous struct of the supervisor). */
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
 * error: {type, message, recoverable, action} from the session layer (a
 * map, no Go type), or AgentErrorData {code, message} from an agent adapter
 * (normalize.errorOf reads both).
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
export type AgentErrorData = gen.AgentErrorData;
/** events.lost (store.LostData): events the store could not write, counted. */
export type EventsLostData = Refine<gen.EventsLostData, { code: 'storage_full' | 'store_failed' | string }>;
export type AgentInitData = gen.AgentInitData;
export type AgentStatusData = gen.AgentStatusData;
export type AgentRetryData = gen.AgentRetryData;

// ---------------------------------------------------------------- methods

/**
 * session.AgentInfo. `models` is not sent by corral today (the demo backend
 * fills it); the new-session dialog offers them when present.
 */
export type AgentInfo = Refine<gen.AgentInfo, { status: 'ok' | 'missing' | 'error' }> & { models?: string[] };
/** session.Info. */
export type Session = gen.Session;
/** The live agent process of a session (session.LiveProcess). */
export type LiveProcess = gen.LiveProcess;
/** What ReloadConfig changed (session.ReloadResult). */
export type ReloadResult = gen.ReloadResult;
export type GetProcessStatsParams = gen.GetProcessStatsParams;
export type StatSampleData = gen.StatSample;
export type StatSeries = gen.StatSeries;
export type ProcessStatsResult = gen.ProcessStatsResult;
export type Empty = gen.Empty;
export type CreateSessionParams = gen.CreateSessionParams;
export type SendMessageParams = gen.SendMessageParams;
export type SendMessageResult = gen.SendMessageResult;
export type SessionParams = gen.SessionParams;
export type RespondPermissionParams = gen.RespondPermissionParams;
export type GetEventsParams = gen.GetEventsParams;
export type GetEventsResult = Refine<gen.GetEventsResult, { events: CorralEvent[] }>;
export type CapabilityArg = gen.CapabilityArg;
export type Capability = gen.Capability;
export type ExecuteParams = gen.ExecuteParams;
export type ExecuteResult = gen.ExecuteResult;
export type SpawnParams = gen.SpawnParams;
export type SpawnResult = gen.SpawnResult;
export type ProcessParams = gen.ProcessParams;
export type ProcessInfo = Refine<gen.ProcessInfo, { state: ProcessStateName }>;
export type ListDirectoryParams = gen.ListDirectoryParams;
export type DirEntry = gen.DirEntry;
export type ListDirectoryResult = gen.ListDirectoryResult;
export type AttachmentParam = gen.AttachmentParam;
export type AttachmentResult = gen.AttachmentResult;
/** A file of a user message as run.started names it (session.AttachmentInfo). */
export interface AttachmentInfo {
  id: string;
  name: string;
  mimeType: string;
  size: number;
}
export type Command = gen.Command;
export type CommandList = gen.CommandList;
export type FileList = gen.FileList;
export type ListFilesParams = gen.ListFilesParams;
export type GetAttachmentParams = gen.GetAttachmentParams;

/** The parameters of method M. */
export type Params<M extends MethodName> = ContractMethods[M]['params'];
/** The result of method M. */
export type Result<M extends MethodName> = ContractMethods[M]['result'];

/**
 * Typed wrappers over Backend.call, one per contract method (methodNames),
 * named after the method with a lower-case first letter. A wrapper may
 * declare a narrower result (R), never another shape.
 */
export class Api {
  constructor(readonly backend: Backend) {}
  private c<M extends MethodName, R extends Result<M> = Result<M>>(m: M, p: Params<M>): Promise<R> {
    return this.backend.call<R>(m, p);
  }
  listAgents() {
    return this.c<'ListAgents', AgentInfo[]>('ListAgents', {});
  }
  createSession(p: CreateSessionParams) {
    return this.c('CreateSession', p);
  }
  sendMessage(p: SendMessageParams) {
    return this.c('SendMessage', p);
  }
  getAttachment(p: GetAttachmentParams) {
    return this.c('GetAttachment', p);
  }
  listCommands(p: SessionParams) {
    return this.c('ListCommands', p);
  }
  listFiles(p: ListFilesParams) {
    return this.c('ListFiles', p);
  }
  interrupt(p: SessionParams) {
    return this.c('Interrupt', p);
  }
  respondPermission(p: RespondPermissionParams) {
    return this.c('RespondPermission', p);
  }
  stopSession(p: SessionParams) {
    return this.c('StopSession', p);
  }
  resumeSession(p: SessionParams) {
    return this.c('ResumeSession', p);
  }
  deleteSession(p: SessionParams) {
    return this.c('DeleteSession', p);
  }
  listSessions() {
    return this.c('ListSessions', {});
  }
  getSession(p: SessionParams) {
    return this.c('GetSession', p);
  }
  getEvents(p: GetEventsParams) {
    return this.c<'GetEvents', GetEventsResult>('GetEvents', p);
  }
  listCapabilities() {
    return this.c('ListCapabilities', {});
  }
  execute(p: ExecuteParams) {
    return this.c('Execute', p);
  }
  spawn(p: SpawnParams) {
    return this.c('Spawn', p);
  }
  writeStdin(p: ProcessParams) {
    return this.c('WriteStdin', p);
  }
  closeStdin(p: ProcessParams) {
    return this.c('CloseStdin', p);
  }
  kill(p: ProcessParams) {
    return this.c('Kill', p);
  }
  listProcesses() {
    return this.c<'ListProcesses', ProcessInfo[]>('ListProcesses', {});
  }
  stopProcess(p: ProcessParams) {
    return this.c('StopProcess', p);
  }
  listDirectory(p: ListDirectoryParams) {
    return this.c('ListDirectory', p);
  }
  reloadConfig() {
    return this.c('ReloadConfig', {});
  }
  getProcessStats(p: GetProcessStatsParams) {
    return this.c('GetProcessStats', p);
  }
  renameSession(p: gen.RenameSessionParams) {
    return this.c('RenameSession', p);
  }
  exportSession(p: gen.ExportSessionParams) {
    return this.c('ExportSession', p);
  }
  searchEvents(p: Params<'SearchEvents'>) {
    return this.c('SearchEvents', p);
  }
  listQueued(p: SessionParams) {
    return this.c('ListQueued', p);
  }
  editQueued(p: gen.EditQueuedParams) {
    return this.c('EditQueued', p);
  }
  cancelQueued(p: gen.QueuedParams) {
    return this.c('CancelQueued', p);
  }
  resumeQueue(p: SessionParams) {
    return this.c('ResumeQueue', p);
  }
  sendQueuedNow(p: gen.QueuedParams) {
    return this.c('SendQueuedNow', p);
  }
  // workspaces
  listCheckpoints(p: Params<'ListCheckpoints'>) {
    return this.c('ListCheckpoints', p);
  }
  restoreCheckpoint(p: Params<'RestoreCheckpoint'>) {
    return this.c('RestoreCheckpoint', p);
  }
  forkSession(p: Params<'ForkSession'>) {
    return this.c('ForkSession', p);
  }
  getChanges(p: Params<'GetChanges'>) {
    return this.c('GetChanges', p);
  }
  discardChanges(p: Params<'DiscardChanges'>) {
    return this.c('DiscardChanges', p);
  }
  commitChanges(p: Params<'CommitChanges'>) {
    return this.c('CommitChanges', p);
  }
  mergeWorkspace(p: Params<'MergeWorkspace'>) {
    return this.c('MergeWorkspace', p);
  }
  createPullRequest(p: Params<'CreatePullRequest'>) {
    return this.c('CreatePullRequest', p);
  }
  removeWorkspace(p: Params<'RemoveWorkspace'>) {
    return this.c('RemoveWorkspace', p);
  }
  listModels(p: gen.ListModelsParams) {
    return this.c('ListModels', p);
  }
  setModel(p: gen.SetModelParams) {
    return this.c('SetModel', p);
  }
  setPermissionMode(p: gen.SetPermissionModeParams) {
    return this.c('SetPermissionMode', p);
  }
  pinSession(p: gen.PinSessionParams) {
    return this.c('PinSession', p);
  }
  archiveSession(p: gen.ArchiveSessionParams) {
    return this.c('ArchiveSession', p);
  }
  listExternalSessions(p: Params<'ListExternalSessions'>) {
    return this.c('ListExternalSessions', p);
  }
  importSession(p: Params<'ImportSession'>) {
    return this.c('ImportSession', p);
  }
  // rate limits and schedules (docs/api.md, "Rate limits and schedules")
  setAutoResume(p: gen.SetAutoResumeParams) {
    return this.c('SetAutoResume', p);
  }
  resumeNow(p: SessionParams) {
    return this.c('ResumeNow', p);
  }
  cancelResume(p: SessionParams) {
    return this.c('CancelResume', p);
  }
  createSchedule(p: gen.CreateScheduleParams) {
    return this.c('CreateSchedule', p);
  }
  listSchedules() {
    return this.c('ListSchedules', {});
  }
  startPairing() {
    return this.c('StartPairing', {});
  }
  listDevices() {
    return this.c('ListDevices', {});
  }
  revokeDevice(p: Params<'RevokeDevice'>) {
    return this.c('RevokeDevice', p);
  }
  pauseSchedule(p: gen.PauseScheduleParams) {
    return this.c('PauseSchedule', p);
  }
  deleteSchedule(p: gen.ScheduleParams) {
    return this.c('DeleteSchedule', p);
  }
  getUsage(p: Params<'GetUsage'>) {
    return this.c('GetUsage', p);
  }
  /** the VAPID public key, and whether this corral sends pushes */
  getPushConfig() {
    return this.c('GetPushConfig', {});
  }
  /** registers this device's browser subscription (and its kinds of events) */
  subscribePush(p: Params<'SubscribePush'>) {
    return this.c('SubscribePush', p);
  }
  unsubscribePush(p: Params<'UnsubscribePush'>) {
    return this.c('UnsubscribePush', p);
  }
  /** the kinds of events pushed to this device */
  setPushSettings(p: Params<'SetPushSettings'>) {
    return this.c('SetPushSettings', p);
  }
  listPushSubscriptions() {
    return this.c('ListPushSubscriptions', {});
  }
  /** the fleet's runners; rejects with code unsupported when the fleet is off */
  listRunners() {
    return this.c('ListRunners', {});
  }
  setBudget(p: Params<'SetBudget'>) {
    return this.c('SetBudget', p);
  }
}

export type Schedule = gen.Schedule;
export type LimitInfo = gen.LimitInfo;
