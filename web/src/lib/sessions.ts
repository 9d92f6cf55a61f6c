// How the views name a session's live agent process.
import type { LiveProcess } from './api';
import { fmtBytes } from './format';

/** "live · 180 MB", or "live" before the first memory sample. */
export function liveLabel(p: LiveProcess): string {
  return p.rss > 0 ? `live · ${fmtBytes(p.rss)}` : 'live';
}

/** The badge's tooltip: what is running and what it costs. */
export function liveTitle(p: LiveProcess): string {
  const parts = [`Agent process running${p.pid ? ` (pid ${p.pid})` : ''}`];
  if (p.rss > 0) parts.push(`${fmtBytes(p.rss)} of memory`);
  if (p.cpuPercent > 0) parts.push(`${p.cpuPercent.toFixed(1)}% CPU`);
  return parts.join(', ');
}

/**
 * What a session's agent asks the user before, as the header's tooltip
 * says it. Claude Code runs read-only commands without asking in every mode
 * that asks at all.
 */
export function modeHelp(claude: boolean, mode: string | undefined, skipped: boolean): string {
  if (skipped) return `Permission mode ${mode ?? ''}: the agent runs every tool without asking anyone.`;
  if (!claude) return mode ? `Permission mode ${mode}.` : '';
  const m = mode || 'default';
  const what: Record<string, string> = {
    default: 'it asks before editing files and before commands that change things.',
    acceptEdits: 'it edits files without asking and asks before other commands that change things.',
    plan: 'it only reads and plans, and changes nothing.',
  };
  return `Permission mode ${m}: Claude Code runs read-only commands (reading files, searching, ls) without asking; ${what[m] ?? 'see its documentation for what it asks before.'}`;
}
