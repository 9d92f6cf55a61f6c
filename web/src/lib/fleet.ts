// The fleet in the UI: whether it is on, and what the Machines view and the
// new-session dialog's machine chooser show of each runner.
import { BackendError, ErrorCodes } from './api';
import type { RunnerInfo } from './contract.gen';

export type { RunnerInfo };

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
  value: string; // "" this machine, "*" any runner, else a runner's name
  label: string;
  disabled: boolean;
  why?: string; // why it cannot take a session with the agent
}

/**
 * The machine chooser of the new-session dialog for agent: this machine,
 * any runner with the agent, then each runner (a lost one, or one without
 * the agent, disabled with the reason).
 */
export function machineChoices(runners: RunnerInfo[], agent: string): MachineChoice[] {
  const able = runners.filter((r) => r.status === 'online' && (r.agents ?? []).includes(agent));
  const out: MachineChoice[] = [
    { value: '', label: 'This machine', disabled: false },
    { value: '*', label: 'Any machine with ' + (agent || 'the agent'), disabled: able.length === 0, why: able.length ? undefined : 'no online machine has it' },
  ];
  for (const r of runners) {
    let why: string | undefined;
    if (r.status !== 'online') why = 'lost';
    else if (!(r.agents ?? []).includes(agent)) why = 'no ' + (agent || 'agent');
    out.push({ value: r.name, label: r.name, disabled: !!why, why });
  }
  return out;
}

/** A runner's load in words: its sessions (of its capacity) and load average. */
export function loadText(r: RunnerInfo): string {
  const s = r.capacity > 0 ? `${r.sessions}/${r.capacity}` : `${r.sessions}`;
  return `${s} session${r.sessions === 1 && !(r.capacity > 0) ? '' : 's'}` + (r.load ? ` · load ${r.load.toFixed(2)}` : '');
}
