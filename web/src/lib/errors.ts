// What a failed call tells the user. A toast says it in one short sentence
// of plain words (never the server's text: it may carry internal ids and Go
// error chains); the Errors view keeps the full detail (code, the server's
// message, the policy rule).

import { BackendError } from './api';

/** Plain sentences per error code of docs/api.md ("Errors"). */
export const CODE_SENTENCES: Record<string, string> = {
  not_found: 'It no longer exists; it may have been deleted.',
  invalid_argument: 'corral did not accept the request.',
  policy_denied: 'The policy does not allow this.',
  permission_denied: 'The operating system refused access.',
  limit_reached: 'A limit was reached; try again when something has finished.',
  spawn_failed: 'The program could not be started.',
  conflict: 'Not possible right now; a turn may still be running.',
  unauthorized: 'Not authorized; open the page again from the link corral serve printed.',
  storage_full: "The disk of corral's data directory is full.",
  store_failed: 'corral cannot write to its data directory.',
  internal: 'corral ran into an internal error.',
  transport: 'corral could not be reached.',
  unsupported: 'The agent cannot do this.',
  no_workspace: 'The session has no worktree (any more).',
  not_a_repository: 'The folder is not in a git repository.',
  bare_repository: 'The repository is bare: it has no checkout to work in.',
  no_commits: 'The repository has no commit yet.',
  branch_exists: 'The worktree\'s branch or folder is taken.',
  git_missing: 'git is not installed (or too old).',
  gh_missing: 'The GitHub CLI (gh) is not installed.',
  unsaved_work: 'The worktree holds work that would be lost.',
  dirty_worktree: 'Commit the changes first.',
  workspace_busy: 'A turn is running; wait until it ends.',
  nothing_to_commit: 'There is nothing to commit.',
  setup_failed: "The repository's setup command failed.",
  runner_not_found: 'That machine is not in the fleet (any more).',
  runner_offline: 'That machine is unreachable: the hub has not heard from it lately.',
  no_runner_for_agent: 'No online machine has that agent.',
};

const UNKNOWN_SENTENCE = 'Something went wrong.';

/** A failure as the views show it. */
export interface HumanError {
  /** the error code; "error" for a failure that was not a BackendError */
  code: string;
  /** the short toast: what failed and why, in plain words */
  short: string;
  /** the full detail for the Errors view: the server's message and rule */
  detail: string;
}

/**
 * Describes a failure. `what` names what was being done ("Could not send
 * the message"); the short text is `what: sentence`, or the sentence alone.
 */
export function humanError(e: unknown, what?: string): HumanError {
  let code = 'error';
  let detail: string;
  if (e instanceof BackendError) {
    code = e.code;
    detail = e.message + (e.rule ? ` (rule ${e.rule})` : '');
  } else {
    detail = String((e as Error)?.message ?? e);
  }
  const sentence = CODE_SENTENCES[code] ?? UNKNOWN_SENTENCE;
  return { code, short: what ? `${what}: ${lowerFirst(sentence)}` : sentence, detail };
}

// ("corral …" stays as it is: a name)
function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}
