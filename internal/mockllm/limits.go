package mockllm

import (
	"fmt"
	"sync"
	"time"
)

// UsageLimitMessage is the error message of a plan's usage limit as
// Claude's API words it: the reset time as unix seconds after the bar.
func UsageLimitMessage(reset time.Time) string {
	return fmt.Sprintf("Claude AI usage limit reached|%d", reset.Unix())
}

// Err429 is the rate-limit scenario: from its first model request until
// resetAfter later (rounded up to a whole second, the resolution of the
// message), every request is answered with HTTP 429, a retry-after of
// "0" and UsageLimitMessage of that reset time; from then on, then
// answers. A client that resumes at the reset it was told gets then's
// reply.
func Err429(resetAfter time.Duration, then Scenario) Scenario {
	var once sync.Once
	var reset time.Time
	return ScenarioFunc(func(r *Request) Reply {
		once.Do(func() { reset = time.Now().Add(resetAfter).Truncate(time.Second).Add(time.Second) })
		if time.Now().Before(reset) {
			return Reply{Status: 429, ErrorMessage: UsageLimitMessage(reset), RetryAfter: "0"}
		}
		return then.Reply(r)
	})
}
