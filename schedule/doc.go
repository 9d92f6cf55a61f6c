// Package schedule runs prompts later: it resumes rate-limited sessions
// when their limit resets, and runs schedules (a prompt at a time or on a
// cron schedule, in a session or a new one).
//
// # Who owns what
//
// A Scheduler has one goroutine (run) that owns all of its state: the
// limit of each rate-limited session and its resume timer, the turns it
// follows on the bus (to know a limited turn's prompt and what its events
// said of the reset), the schedules and the runs in flight. API calls,
// bus events, the fire of the one timer of the injected Clock (armed at
// the earliest deadline) and the outcome of each turn it started are
// messages to that goroutine. The turns themselves (session Send or
// Create) run on goroutines of their own, cancelled and waited for by
// Close. Limit() reads a snapshot the loop republishes after each change,
// so the session list never waits for the loop.
//
// # Durability
//
// The limits and schedules live in the store (session_limits, schedules);
// every change is written, with the event that announces it, in one
// transaction before it takes effect. At Start a resume timer or a
// schedule run that fell due while corral was down fires at once (a
// missed schedule runs once or is skipped, by its policy, and says so in
// its last result and a schedule.run event); later ones are armed again.
// A schedule's next run is stored before its turn starts, so a crash
// during the run does not run it twice.
//
// The decisions are pure functions: agent.LimitOfTurn, agent.LimitHint
// and agent.ResetTime (what limit, and when it resets), NextRun (a one-off
// time or a cron expression's next activation) and Due (run, skip or
// wait, with the missed-run policy).
package schedule
