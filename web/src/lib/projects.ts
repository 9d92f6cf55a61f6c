// The session list's order: pinned sessions first, then sessions grouped by
// project (the git repository root of their directory, else the
// directory), archived ones only when asked for.

import type { Session } from './api';
import { ms } from './format';

export interface SessionGroup {
  /** the project's path ('' for the pinned group) */
  key: string;
  /** what the header shows: the project's directory name */
  label: string;
  pinned: boolean;
  sessions: Session[];
}

/** The project of a session: its repository root, else its directory. */
export function projectOf(s: Session): string {
  return s.project || s.cwd || '';
}

/** The last path element of a project, for its header. */
export function projectLabel(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : path || '(no directory)';
}

/**
 * groupSessions orders the list: a "Pinned" group first (when any is
 * pinned), then one group per project, the most recently active project
 * first; sessions in a group most recent first. Archived sessions are left
 * out unless showArchived.
 */
export function groupSessions(list: Session[], showArchived: boolean): SessionGroup[] {
  const byRecent = (a: Session, b: Session) => ms(b.lastActivity) - ms(a.lastActivity) || a.id.localeCompare(b.id);
  const shown = list.filter((s) => showArchived || !s.archived).sort(byRecent);
  const out: SessionGroup[] = [];
  const pinned = shown.filter((s) => s.pinned);
  if (pinned.length) out.push({ key: '', label: 'Pinned', pinned: true, sessions: pinned });
  const groups = new Map<string, SessionGroup>();
  for (const s of shown) {
    if (s.pinned) continue;
    const key = projectOf(s);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, label: projectLabel(key), pinned: false, sessions: [] }));
    g.sessions.push(s);
  }
  // sessions are sorted, so each group's first is its most recent
  out.push(...[...groups.values()].sort((a, b) => byRecent(a.sessions[0], b.sessions[0])));
  return out;
}
