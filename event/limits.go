package event

// Kinds of the rate-limit scheduler and of schedules (package schedule).
const (
	SessionRateLimited     = "session.rate_limited"     // a turn ended on a limit: resetAt, kind, autoResume
	SessionResumeScheduled = "session.resume_scheduled" // the automatic resume at resetAt was armed or cancelled (armed)
	SessionResumed         = "session.resumed"          // a rate-limited session's turn was sent again (by: timer | user)
	SessionResumeFailed    = "session.resume_failed"    // the resume could not start a turn
	ScheduleUpdated        = "schedule.updated"         // a schedule was created or changed (system stream)
	ScheduleDeleted        = "schedule.deleted"         // a schedule was deleted (system stream)
	ScheduleRun            = "schedule.run"             // a schedule ran, or a missed run was run or skipped (system stream)
)
