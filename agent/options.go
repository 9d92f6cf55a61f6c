package agent

import (
	"fmt"
	"regexp"
	"strconv"
)

// InvalidOptionError is a model or permission mode an agent cannot be
// given.
type InvalidOptionError struct {
	Option string // "model" or "permission mode"
	Value  string
	Reason string
}

func (e *InvalidOptionError) Error() string {
	return fmt.Sprintf("%s %s %s", e.Option, strconv.Quote(e.Value), e.Reason)
}

// tokenRE is a plain model or mode token: it starts with a letter or a
// digit (so never with '-', which a CLI would read as an option) and holds
// only characters model names use (claude-opus-4-1[1m], gpt-5-codex,
// gemini-2.5-pro, openai/gpt-4o, us.anthropic.claude-3-7-sonnet-v1:0,
// gpt-oss:20b).
var tokenRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+\[\]-]{0,127}$`)

// CheckModel accepts an empty model (the agent's default) or a plain token
// (tokenRE). Model names change too often for a closed list, so any plain
// token is passed on and the agent itself refuses names it does not know.
func CheckModel(model string) error {
	if model == "" || tokenRE.MatchString(model) {
		return nil
	}
	return &InvalidOptionError{Option: "model", Value: model,
		Reason: "is not a plain model name (a letter or digit, then letters, digits and . _ : / @ + [ ] -, at most 128)"}
}

// checkOptions is what every adapter's Launch checks before it builds a
// command line: a value that could be read as an option never reaches it.
func checkOptions(protocol string, opts SessionOptions) error {
	if err := CheckModel(opts.Model); err != nil {
		return err
	}
	return CheckPermissionMode(protocol, opts.PermissionMode)
}
