package mockllm

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"
)

// Reply is what the server answers to one model-turn request.
type Reply struct {
	// Status, when not 0 or 200, answers with that HTTP status and the
	// protocol's error body (ErrorMessage, RetryAfter) instead of a stream.
	Status       int
	ErrorMessage string
	RetryAfter   string // the retry-after header, in seconds
	// ErrorDetails are the google.rpc details of a Gemini API error body
	// (QuotaFailure, RetryInfo, ...), which Gemini CLI reads to tell a
	// quota that resets soon from one that does not. The other protocols
	// have no such field and ignore it.
	ErrorDetails []any

	// Thinking, when set, is streamed as a reasoning block before Text
	// (Anthropic only; the other protocols ignore it).
	Thinking string
	// Text is streamed in chunks of ChunkWords words.
	Text       string
	ChunkWords int
	// Tool, when set, is a tool call the model makes after Text.
	Tool *ToolCall

	// Delay is the pause before every streamed event but the first.
	Delay time.Duration
	// Stall keeps the stream open and silent after its headers and first
	// event; StallAfter sets how many events are written first.
	Stall      bool
	StallAfter int

	// InputTokens and OutputTokens are reported as usage; zero means a
	// count derived from the request and reply sizes.
	InputTokens, OutputTokens int

	// RateLimits, when set, are reported in the response's headers
	// (see RateWindows), on success and error answers alike.
	RateLimits *RateWindows
}

// Scenario chooses the reply for each model-turn request. Reply may be
// called from several goroutines at once.
type Scenario interface {
	Reply(req *Request) Reply
}

// ScenarioFunc adapts a function to Scenario.
type ScenarioFunc func(req *Request) Reply

// Reply calls f.
func (f ScenarioFunc) Reply(req *Request) Reply { return f(req) }

// Text always answers with text.
func Text(text string) Scenario {
	return ScenarioFunc(func(*Request) Reply { return Reply{Text: text} })
}

// Echo answers "reply N: <last user text>", where N counts the user texts
// in the conversation, so each answer depends on the history the client
// sent: a client that drops earlier turns gets a different N.
func Echo() Scenario {
	return ScenarioFunc(func(r *Request) Reply {
		return Reply{Text: fmt.Sprintf("reply %d: %s", len(r.UserTexts()), r.LastUserText())}
	})
}

// Slow streams text one word per event with delay between events; used
// to interrupt a turn while it streams.
func Slow(text string, delay time.Duration) Scenario {
	return ScenarioFunc(func(*Request) Reply { return Reply{Text: text, Delay: delay} })
}

// Error answers every model request with HTTP status and a message.
func Error(status int, message string) Scenario {
	return ScenarioFunc(func(*Request) Reply {
		r := Reply{Status: status, ErrorMessage: message}
		if status == 429 {
			r.RetryAfter = "0"
		}
		return r
	})
}

// DailyQuotaMessage is the error message of DailyQuota, worded as the
// Gemini API words it.
const DailyQuotaMessage = "You exceeded your current quota, please check your plan and billing details. " +
	"For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n" +
	"* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50, model: gemini-2.5-pro\n" +
	"Please retry in 31.5s."

// DailyQuota answers every model request with HTTP 429 and, for the
// Gemini API, the body it sends when a per-day request quota is used up:
// RESOURCE_EXHAUSTED with a QuotaFailure naming a per-day quota id, a
// Help link and a RetryInfo. Gemini CLI treats such a quota as terminal
// and ends the turn without retrying; the other protocols get the plain
// 429 of Error.
func DailyQuota() Scenario {
	details := []any{
		map[string]any{"@type": "type.googleapis.com/google.rpc.Help", "links": []any{
			map[string]any{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}}},
		map[string]any{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []any{map[string]any{
			"quotaMetric":     "generativelanguage.googleapis.com/generate_content_free_tier_requests",
			"quotaId":         "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
			"quotaDimensions": map[string]any{"location": "global", "model": "gemini-2.5-pro"},
			"quotaValue":      "50"}}},
		map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "31s"},
	}
	return ScenarioFunc(func(*Request) Reply {
		return Reply{Status: 429, ErrorMessage: DailyQuotaMessage, RetryAfter: "0", ErrorDetails: details}
	})
}

// Stall sends headers and the first event of a stream, then nothing.
func Stall() Scenario {
	return ScenarioFunc(func(*Request) Reply { return Reply{Text: "never finished", Stall: true} })
}

// ToolThenText makes the model call a tool when the newest user message is
// a prompt, and answer with text once the tool's result comes back. The
// final text is "tool result: <content>" or, for a result marked as an
// error, "tool error: <content>", so a test can see what the client
// reported. call picks the tool for the protocol, since each CLI offers
// different tools (see Shell and WriteFile).
func ToolThenText(call func(API) ToolCall) Scenario {
	var n atomic.Int64
	return ScenarioFunc(func(r *Request) Reply {
		if res, ok := r.LastToolResult(); ok {
			if res.IsError {
				return Reply{Text: "tool error: " + res.Content}
			}
			return Reply{Text: "tool result: " + res.Content}
		}
		tc := call(r.API)
		if tc.ID == "" {
			tc.ID = fmt.Sprintf("call_mock_%d", n.Add(1))
		}
		return Reply{Text: "Running the tool.", Tool: &tc}
	})
}

// Shell returns a tool call that runs command with each CLI's shell tool:
// Bash for Claude Code, exec_command for Codex, run_shell_command for
// Gemini CLI.
func Shell(command string) func(API) ToolCall {
	return func(api API) ToolCall {
		switch api {
		case Anthropic:
			return ToolCall{Name: "Bash", Input: mustJSON(map[string]any{"command": command, "description": "mock command"})}
		case OpenAI:
			return ToolCall{Name: "exec_command", Input: mustJSON(map[string]any{"cmd": command})}
		default:
			return ToolCall{Name: "run_shell_command", Input: mustJSON(map[string]any{"command": command})}
		}
	}
}

// WriteFile returns a tool call that writes content to path with each
// CLI's file-writing tool (path should be absolute for Claude Code).
// Codex has no separate write tool, so it gets a shell command.
func WriteFile(path, content string) func(API) ToolCall {
	return func(api API) ToolCall {
		switch api {
		case Anthropic:
			return ToolCall{Name: "Write", Input: mustJSON(map[string]any{"file_path": path, "content": content})}
		case OpenAI:
			return ToolCall{Name: "exec_command", Input: mustJSON(map[string]any{"cmd": fmt.Sprintf("printf %%s %q > %q", content, path)})}
		default:
			return ToolCall{Name: "write_file", Input: mustJSON(map[string]any{"file_path": path, "content": content})}
		}
	}
}

// Sequence answers the i-th model request with replies[i] and repeats the
// last reply after that.
func Sequence(replies ...Reply) Scenario {
	return ScenarioFunc(func(r *Request) Reply {
		if r.Index < len(replies) {
			return replies[r.Index]
		}
		return replies[len(replies)-1]
	})
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
