// The fleet in the UI: whether it is on, and what the Machines view, the
// new-session dialog's machine chooser and the sessions show of each runner.
import { BackendError, ErrorCodes, type AgentInfo } from './api';
import type { RunnerInfo } from './contract.gen';
import { fmtAgo } from './format';

export type { RunnerInfo };

/** The machine chooser's value for the hub: CreateSession gets no runner. */
export const THIS_MACHINE = '';
/** The machine chooser's value for "any machine with the agent": the hub places it (docs/api.md, "Fleet"). */
export const ANY_MACHINE = '*';

/** ListRunners' answer, or null when the fleet is off (code unsupported). */
export async function loadRunners(list: () => Promise<RunnerInfo[]>): Promise<RunnerInfo[] | null> {
  try {
    return (await list()) ?? [];
  } catch (e) {
    if (e instanceof BackendError && e.code === ErrorCodes.Unsupported) return null;
    throw e;
  }
}

/** One machine chooser entry: the value sent as CreateSession's runner. */
export interface MachineChoice {
  value: string; // THIS_MACHINE, ANY_MACHINE, else a runner's name
  label: string;
  disabled: boolean;
  why?: string; // why it cannot take a session
}

/** A runner that can take a session: online and with at least one agent. */
function able(r: RunnerInfo): boolean {
  return r.status === 'online' && (r.agents ?? []).length > 0;
}

/**
 * A runner's status in words for the chooser: "online · 1/4 sessions", or,
 * for a runner the hub has not heard from within its timeout, "lost: last
 * heard 2m ago" (an unknown status is shown as it is).
 */
export function runnerStatusText(r: RunnerInfo, now = Date.now()): string {
  if (r.status === 'online') return 'online · ' + loadText(r);
  const ago = fmtAgo(r.lastSeen, now);
  if (r.status === 'lost') return ago ? `lost: last heard ${ago}` : 'lost';
  return r.status || 'unknown';
}

/**
 * What the dialog says under a chosen runner (its status and load are in
 * the chooser already): its version and when the hub last heard from it.
 */
export function runnerDetail(r: RunnerInfo, now = Date.now()): string {
  const ago = fmtAgo(r.lastSeen, now);
  return [r.version && `corral ${r.version}`, ago && `heard ${ago}`, `${(r.agents ?? []).length} agent${(r.agents ?? []).length === 1 ? '' : 's'}`]
    .filter(Boolean)
    .join(' · ');
}

/**
 * The machine chooser of the new-session dialog: this machine (the hub),
 * any machine with the agent (disabled when no runner is online with an
 * agent), then each runner with its status; one that is not online, or
 * that has no agent, is disabled with the reason.
 */
export function machineChoices(runners: RunnerInfo[], now = Date.now()): MachineChoice[] {
  const anyAble = runners.some(able);
  const out: MachineChoice[] = [
    { value: THIS_MACHINE, label: 'This machine', disabled: false },
    { value: ANY_MACHINE, label: 'Any machine with the agent', disabled: !anyAble, why: anyAble ? undefined : 'no machine is online' },
  ];
  for (const r of runners) {
    const status = runnerStatusText(r, now);
    let why: string | undefined;
    if (r.status !== 'online') why = status;
    else if (!(r.agents ?? []).length) why = 'no agents';
    out.push({ value: r.name, label: why ? r.name : `${r.name} — ${status}`, disabled: !!why, why });
  }
  return out;
}

/**
 * The machine a new session should be on once the runners are (re)loaded:
 * the chosen one while it can still take a session, else this machine.
 */
export function keepMachine(chosen: string, runners: RunnerInfo[] | null): string {
  if (!runners || chosen === THIS_MACHINE) return THIS_MACHINE;
  const ok = machineChoices(runners).find((c) => c.value === chosen && !c.disabled);
  return ok ? chosen : THIS_MACHINE;
}

/** An agent the dialog offers for the chosen machine. */
export interface AgentChoice {
  name: string;
  displayName?: string;
  protocol?: string;
  version?: string;
  /** ok | missing | error (a runner's agents are ok: it lists those it can start) */
  status: string;
  install?: string;
  message?: string;
  models?: string[];
  permissionModes?: string[];
  /** for "any machine": the online runners that have it */
  where?: string[];
}

/**
 * The agents to offer for a machine choice. This machine: the hub's own
 * (ListAgents, with versions and what is missing). A runner: the agents of
 * its heartbeat. Any machine: every agent of an online runner, each with the
 * runners that have it. A runner's heartbeat carries names only, so the
 * hub's agent of the same name, if any, lends its display name, protocol,
 * models and permission modes; the version is the runner's, unknown here.
 */
export function agentChoices(machine: string, runners: RunnerInfo[] | null, hubAgents: AgentInfo[]): AgentChoice[] {
  if (machine === THIS_MACHINE || !runners) return hubAgents;
  const lend = (name: string): AgentChoice => {
    const h = hubAgents.find((a) => a.name === name);
    return { name, status: 'ok', displayName: h?.displayName, protocol: h?.protocol, models: h?.models, permissionModes: h?.permissionModes };
  };
  if (machine === ANY_MACHINE) {
    const where = new Map<string, string[]>();
    for (const r of runners.filter(able)) for (const a of r.agents) where.set(a, [...(where.get(a) ?? []), r.name]);
    return [...where.keys()].sort().map((name) => ({ ...lend(name), where: where.get(name) }));
  }
  const r = runners.find((x) => x.name === machine);
  return [...new Set(r?.agents ?? [])].map(lend);
}

/**
 * Why CreateSession could not place a session, in a sentence naming the
 * machine and the agent; undefined for a code that is not about placement.
 */
export function placementSentence(code: string, machine: string, agent: string): string | undefined {
  const any = machine === ANY_MACHINE;
  switch (code) {
    case ErrorCodes.RunnerNotFound:
      return `There is no machine named ${machine} in the fleet (any more). Choose another machine.`;
    case ErrorCodes.RunnerOffline:
      return `${machine} is unreachable: the hub has not heard from it lately. Choose another machine, or try again once it is back online.`;
    case ErrorCodes.NoRunnerForAgent:
      return any ? `No online machine has the agent ${agent}.` : `${machine} has no agent ${agent}. Choose one of its agents or another machine.`;
    case ErrorCodes.Unsupported:
      return machine === THIS_MACHINE ? undefined : 'This hub cannot start sessions on other machines (the fleet is off, or this build cannot yet). Start it on this machine.';
  }
  return undefined;
}

/** Where a session runs, as the session list and header show it. */
export interface SessionMachine {
  label: string;
  title: string;
  remote: boolean;
}

/**
 * The machine of a session from its runner field: the runner's name, or
 * "this machine" when it has none. Nothing when the fleet is off and the
 * session is the hub's own (a single corral shows no machines).
 */
export function sessionMachine(runner: string | undefined, fleetOn: boolean): SessionMachine | null {
  if (runner) return { label: runner, title: `Runs on the machine ${runner}`, remote: true };
  if (!fleetOn) return null;
  return { label: 'this machine', title: 'Runs on this machine (the hub)', remote: false };
}

/**
 * Whether a session's status says its machine cannot be reached
 * ("disconnected": the hub lost the runner that owns it). Takes any string,
 * so it holds whether or not the contract's SessionStatus lists the value.
 */
export function machineUnreachable(status: string | undefined): boolean {
  return status === 'disconnected';
}

/** A runner's load in words: its sessions (of its capacity) and load average. */
export function loadText(r: RunnerInfo): string {
  const s = r.capacity > 0 ? `${r.sessions}/${r.capacity}` : `${r.sessions}`;
  return `${s} session${r.sessions === 1 && !(r.capacity > 0) ? '' : 's'}` + (r.load ? ` · load ${r.load.toFixed(2)}` : '');
}
