// The reads a page needs first, started by the entry script (main.ts) before
// the application's code has loaded, so their replies travel while it loads.
// Kept apart from the store so the entry chunk stays small.

import type { Api, GetEventsResult, Session } from '../api';

/** Events per GetEvents page of a session's history. */
export const PAGE_SIZE = 1000;

/** A reply on its way; `value` is set once it has come. */
export interface Early<T> {
  reply: Promise<T>;
  value?: T;
}

function early<T, X extends object>(reply: Promise<T>, extra: X): Early<T> & X {
  const e: Early<T> & X = { ...extra, reply };
  // a failure is the store's to report, when it takes the reply
  reply.then(
    (v) => (e.value = v),
    () => {},
  );
  return e;
}

/**
 * Replies asked for early. The store uses each once, in place of the call it
 * would make itself: `sessions` for its first ListSessions, `history` for
 * the first read of that session's newest page (GetEvents `tail`, PAGE_SIZE
 * events). A reply that has already come is used at once, so a store built
 * after it shows it in its first render.
 */
export interface EarlyReads {
  sessions?: Early<Session[]>;
  history?: Early<GetEventsResult> & { sessionId: string };
}

/** Asks for the session list and, for a link that opens a session, that session's newest page. */
export function startEarlyReads(api: Api, sessionId: string | null): EarlyReads {
  const reads: EarlyReads = { sessions: early(api.listSessions(), {}) };
  if (sessionId) reads.history = early(api.getEvents({ sessionId, tail: true, limit: PAGE_SIZE }), { sessionId });
  return reads;
}

/**
 * Resolves when every early reply has come (or failed), or after `ms`,
 * whichever is first. The page waits for it before its first render, so that
 * render already shows the list and the conversation instead of an empty
 * screen drawn once and then again.
 */
export function arrived(reads: EarlyReads, ms: number): Promise<void> {
  const replies = Promise.allSettled([reads.sessions?.reply, reads.history?.reply]).then(() => {});
  return Promise.race([replies, new Promise<void>((r) => setTimeout(r, ms))]);
}
