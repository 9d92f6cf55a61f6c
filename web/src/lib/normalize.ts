// Readers for event data. Several producers write some kinds (an agent
// adapter and the session layer both write permission.resolved and error;
// the supervisor and the session layer both write run.exited), and their
// fields differ a little. These functions turn each into the one shape the
// views use, so a view never guesses field names.

import type { ErrorData, PermissionSuggestion, RunExitedData } from './api';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The tool-use id of a tool.call or tool.result (`id`; older: `toolUseId`). */
export function toolIdOf(d: any): string {
  return String(d?.id ?? d?.toolUseId ?? '');
}

/** The tool name of a permission.request (`tool`; older: `toolName`). */
export function permToolOf(d: any): string {
  return String(d?.tool ?? d?.toolName ?? 'tool');
}

/**
 * The request id a permission.resolved refers to. The session layer stores
 * requests as "<sessionId>/<requestId>"; the prefix is dropped so it matches
 * the id of the permission.request.
 */
export function requestIdOf(d: any, sessionId?: string): string {
  const id = String(d?.requestId ?? '');
  if (sessionId && id.startsWith(sessionId + '/')) return id.slice(sessionId.length + 1);
  return id;
}

export interface Resolution {
  requestId: string;
  allow: boolean;
  /** allow | deny | expired | cancelled */
  outcome: string;
  by?: string;
  message?: string;
  remember?: boolean;
}

/** A permission.resolved from the session layer ({decision}) or an adapter ({outcome}). */
export function resolutionOf(d: any, sessionId?: string): Resolution {
  const outcome = str(d?.decision) ?? str(d?.outcome) ?? (d?.allow === true ? 'allow' : d?.allow === false ? 'deny' : 'deny');
  return {
    requestId: requestIdOf(d, sessionId),
    allow: outcome === 'allow',
    outcome,
    by: str(d?.by),
    message: str(d?.message),
    remember: d?.remember === true || undefined,
  };
}

/** Readable labels for an agent's "remember" suggestions, whatever their shape. */
export function suggestionsOf(raw: unknown): PermissionSuggestion[] {
  if (!Array.isArray(raw)) return [];
  const out: PermissionSuggestion[] = [];
  for (const s of raw) {
    if (typeof s === 'string') out.push({ rule: s });
    else if (s && typeof s === 'object') {
      const o = s as any;
      if (typeof o.rule === 'string') out.push({ rule: o.rule, description: str(o.description) });
      else if (Array.isArray(o.rules)) {
        // Claude Code: {type:"addRules", rules:[{toolName, ruleContent}], behavior, destination}
        const rules = o.rules.map((r: any) => (r?.ruleContent ? `${r.toolName}(${r.ruleContent})` : String(r?.toolName ?? ''))).filter(Boolean);
        if (rules.length) out.push({ rule: rules.join(', '), description: str(o.destination) && `saved to ${o.destination}` });
      } else if (typeof o.mode === 'string') out.push({ rule: `mode: ${o.mode}` });
      else if (typeof o.name === 'string') out.push({ rule: o.name, description: str(o.kind) });
      else out.push({ rule: JSON.stringify(o).slice(0, 80) });
    }
  }
  return out;
}

/**
 * A run.exited from the session layer ({reason, exitCode?, signal?}) or the
 * supervisor ({reason, code, signalName?, error?, limit?}); reasons are
 * normalised to underscores (spawn-failed → spawn_failed).
 */
export function exitOf(d: any): RunExitedData {
  const reason = String(d?.reason ?? 'exit').replace(/-/g, '_');
  const exitCode = num(d?.exitCode) ?? (reason === 'exit' ? num(d?.code) : undefined);
  const signal = str(d?.signal) ?? str(d?.signalName);
  const message = str(d?.message) ?? str(d?.error) ?? (str(d?.limit) ? `${d.limit} limit` : undefined);
  return { reason, exitCode, signal, message };
}

/** An error event from the session layer ({type, recoverable, action}) or an adapter ({code}). */
export function errorOf(d: any): ErrorData {
  return {
    type: String(d?.type ?? d?.code ?? 'error'),
    message: String(d?.message ?? d?.error ?? ''),
    recoverable: typeof d?.recoverable === 'boolean' ? d.recoverable : undefined,
    action: str(d?.action),
  };
}

/** process.stats: `cpuPercent` (supervisor) or `cpu`, and `rss`. */
export function statsOf(d: any): { cpu: number; rss: number } {
  return { cpu: num(d?.cpuPercent) ?? num(d?.cpu) ?? 0, rss: num(d?.rss) ?? 0 };
}

/** output.truncated: per stream ({stdout:{lines,bytes}, stderr:{…}}) or flat. */
export function truncatedOf(d: any): { lines: number; bytes: number; reason?: string } {
  let lines = num(d?.lines) ?? 0;
  let bytes = num(d?.bytes) ?? 0;
  for (const k of ['stdout', 'stderr']) {
    lines += num(d?.[k]?.lines) ?? 0;
    bytes += num(d?.[k]?.bytes) ?? 0;
  }
  return { lines, bytes, reason: str(d?.reason) };
}
