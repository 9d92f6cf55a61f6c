package policy

import (
	"fmt"
	"strconv"
)

// Rules are the stable identifiers a denial carries. A UI, a test or an
// audit query may match on them; the wording of Message may change, the rule
// ids do not.
const (
	RuleCapabilityUnknown = "capability.unknown" // no capability of that name
	RuleArgNUL            = "arg.nul"            // an argument contains a NUL byte
	RuleArgFixed          = "arg.fixed"          // a fixed argument was given a different value
	RuleArgPattern        = "arg.pattern"        // an argument does not match its anchored validator
	RuleArgMissing        = "arg.missing"        // a required argument is absent
	RuleArgExtra          = "arg.extra"          // more arguments than the capability allows
	RuleFlagRepeated      = "arg.flag-repeated"  // an allow-listed flag given twice
	RuleEnvInvalid        = "env.invalid"        // a malformed variable name or value
	RuleEnvInjection      = "env.injection"      // a loader/interpreter injection variable not named by the capability
	RuleEnvUnlisted       = "env.unlisted"       // a variable the caller may not set
	RuleEnvFixed          = "env.fixed"          // the caller tried to change a fixed variable
	RuleCwdNone           = "cwd.none"           // a directory was requested but the capability has no roots
	RuleCwdRelative       = "cwd.relative"       // a relative working directory
	RuleCwdMissing        = "cwd.missing"        // the directory does not exist or cannot be resolved
	RuleCwdNotDir         = "cwd.notdir"         // the path is not a directory
	RuleCwdOutside        = "cwd.outside"        // the resolved directory is outside every root
	RuleProgramRelative   = "program.relative"   // the program would be found relative to the current directory
	RuleProgramNotFound   = "program.notfound"   // the program is not on PATH / not at its path
	RuleProgramNotExec    = "program.notexec"    // not a regular executable file
	RuleProgramWritable   = "program.writable"   // the program or its directory is writable by others
	RuleProgramBatch      = "program.batch"      // a Windows .bat/.cmd file (cmd.exe re-parses its arguments)
	RuleSidecarName       = "sidecar.name"       // a sidecar name with path separators or other bad characters
	RuleSidecarNotFound   = "sidecar.notfound"   // no sidecar file for this target triple
	RuleSHA256Mismatch    = "sha256.mismatch"    // the program's contents differ from the pin
	RuleLimitTimeout      = "limit.timeout"      // the caller asked for more time than the capability allows
	RuleLimitConcurrent   = "limit.concurrent"   // max_concurrent runs are already live
	RuleOwnerMismatch     = "owner.mismatch"     // the process belongs to another owner
	RuleOwnerUnknown      = "owner.unknown"      // no such process handle
	RuleOwnerNone         = "owner.none"         // the caller has no owner identity
	RuleOwnerRawPID       = "owner.rawpid"       // a raw OS pid was offered instead of a process handle
	RuleAgentUnsafeMode   = "agent.unsafe-mode"  // a session mode that skips approvals without the agent's allow_unsafe_modes
)

// Denied is a typed refusal. It names the capability, the rule that refused
// and, for argument rules, the argument position, the pattern it had to
// match and what was given.
type Denied struct {
	Capability string
	Rule       string
	// Position is the index into Request.Args of the offending argument,
	// or -1 when the rule is not about one argument. For RuleArgMissing it
	// is the index the missing argument would have had.
	Position int
	// Pattern is what was required: the anchored validator, the fixed
	// value, the allowed roots, the pinned hash.
	Pattern string
	// Given is what the caller (or the file system) supplied.
	Given string
	// Message is the specific reason, a clause without the capability.
	Message string
}

// Error is a complete sentence, e.g.
// `policy: capability "git-log" denied (arg.pattern): args[1] "--foo; rm" does not match ^(?:--max-count=[0-9]{1,3})$`.
func (d *Denied) Error() string {
	if d.Capability == "" { // ownership and other checks outside a capability
		return fmt.Sprintf("policy: denied (%s): %s", d.Rule, d.Message)
	}
	return fmt.Sprintf("policy: capability %q denied (%s): %s", d.Capability, d.Rule, d.Message)
}

// Is makes errors.Is(err, &Denied{Rule: r}) match any denial with rule r
// (and, when set in the target, the capability).
func (d *Denied) Is(target error) bool {
	t, ok := target.(*Denied)
	if !ok {
		return false
	}
	return (t.Rule == "" || t.Rule == d.Rule) && (t.Capability == "" || t.Capability == d.Capability)
}

func deny(capName, rule string, msg string) *Denied {
	return &Denied{Capability: capName, Rule: rule, Position: -1, Message: msg}
}

func denyArg(capName, rule string, pos int, pattern, given, msg string) *Denied {
	return &Denied{Capability: capName, Rule: rule, Position: pos, Pattern: pattern, Given: given, Message: msg}
}

// quote renders untrusted text for a message, escaping control characters
// and capping the length so a hostile argument cannot flood a log line.
func quote(s string) string {
	const max = 200
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}
