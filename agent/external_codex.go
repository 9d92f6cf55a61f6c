package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// codexDir is Codex's home for env: $CODEX_HOME, else $HOME/.codex.
func codexDir(env []string) string {
	if d := envValue(env, "CODEX_HOME"); d != "" {
		return d
	}
	return filepath.Join(homeOf(env), ".codex")
}

// listCodex walks sessions/YYYY/MM/DD newest day first, and in each day the
// newest files first, reading only the first line of each (session_meta,
// with the cwd) until limit sessions of cwd are found or maxCodexScan
// files were opened.
func listCodex(dir, cwd string, limit int) ([]ExternalSession, error) {
	days, err := filepath.Glob(filepath.Join(dir, "sessions", "[0-9]*", "[0-9]*", "[0-9]*"))
	if err != nil {
		return nil, err
	}
	slices.Sort(days)
	slices.Reverse(days)
	real, _ := filepath.EvalSymlinks(cwd)
	var out []ExternalSession
	scanned := 0
	for _, day := range days {
		files, err := filepath.Glob(filepath.Join(day, "rollout-*.jsonl"))
		if err != nil {
			return nil, err
		}
		for _, f := range newestFirst(files) {
			if len(out) == limit || scanned == maxCodexScan {
				return out, nil
			}
			scanned++
			meta, ok := codexMetaOf(f.path)
			if !ok || (meta.Cwd != cwd && meta.Cwd != real) {
				continue
			}
			s, _, err := readExternalFile("codex", f.path, MaxExternalHead)
			if err != nil {
				if os.IsNotExist(err) {
					continue
				}
				return nil, err
			}
			if s.Messages > 0 {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

type codexMeta struct {
	ID        string `json:"id"`
	Cwd       string `json:"cwd"`
	Timestamp string `json:"timestamp"`
}

// codexMetaOf reads the session_meta of a rollout file's first line.
func codexMetaOf(path string) (codexMeta, bool) {
	f, err := os.Open(path)
	if err != nil {
		return codexMeta{}, false
	}
	defer f.Close()
	var m codexMeta
	ok := false
	first := true
	eachLine(f, func(b []byte) { // error ignored: an unreadable file is skipped
		if !first {
			return
		}
		first = false
		var e codexEntry
		if json.Unmarshal(b, &e) == nil && e.Type == "session_meta" && json.Unmarshal(e.Payload, &m) == nil {
			ok = true
		}
	})
	return m, ok
}

type codexEntry struct {
	Timestamp string          `json:"timestamp"`
	Type      string          `json:"type"`
	Payload   json.RawMessage `json:"payload"`
}

type codexFileItem struct {
	Type    string `json:"type"`
	Role    string `json:"role"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Input     string          `json:"input"`
	CallID    string          `json:"call_id"`
	Output    json.RawMessage `json:"output"`
}

// codexContextPrefixes start the user-role messages Codex writes itself
// (the environment, AGENTS.md, skills), which are not the user's.
var codexContextPrefixes = []string{"<environment_context>", "<user_instructions>", "<skills_instructions>",
	"# AGENTS.md instructions", "<permissions instructions>", "<user_shell_command>", "<turn_aborted>"}

// codexLine reads one line of a Codex rollout file: session_meta (id,
// cwd, start) and the response items of the conversation (user and
// assistant messages, function calls and their outputs).
func codexLine(b []byte, s *ExternalSession) []ExternalMessage {
	var e codexEntry
	if json.Unmarshal(b, &e) != nil {
		return nil
	}
	at := parseTime(e.Timestamp)
	switch e.Type {
	case "session_meta":
		var m codexMeta
		if json.Unmarshal(e.Payload, &m) == nil && s.ExternalID == "" {
			s.ExternalID, s.Cwd = m.ID, m.Cwd
			s.StartedAt = parseTime(m.Timestamp)
		}
		return nil
	case "response_item":
	default:
		return nil
	}
	var it codexFileItem
	if json.Unmarshal(e.Payload, &it) != nil {
		return nil
	}
	switch it.Type {
	case "message":
		if it.Role != "user" && it.Role != "assistant" {
			return nil
		}
		var parts []string
		for _, c := range it.Content {
			if (c.Type == "input_text" || c.Type == "output_text") && strings.TrimSpace(c.Text) != "" {
				parts = append(parts, c.Text)
			}
		}
		text := strings.Join(parts, "\n")
		if text == "" || it.Role == "user" && codexContext(text) {
			return nil
		}
		return []ExternalMessage{{Role: it.Role, Time: at, Text: text}}
	case "function_call", "custom_tool_call":
		in := it.Arguments
		if in == "" {
			in = it.Input
		}
		var input json.RawMessage
		if json.Valid([]byte(in)) {
			input = json.RawMessage(in)
		} else {
			input, _ = json.Marshal(map[string]string{"input": in})
		}
		return []ExternalMessage{{Role: RoleToolCall, Time: at, ToolID: it.CallID, ToolName: it.Name, Input: input}}
	case "function_call_output", "custom_tool_call_output":
		return []ExternalMessage{{Role: RoleToolResult, Time: at, ToolID: it.CallID, Text: codexOutput(it.Output)}}
	}
	return nil
}

func codexContext(text string) bool {
	t := strings.TrimSpace(text)
	for _, p := range codexContextPrefixes {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// codexOutput is a function call's output: a string, or {"output": ...}.
func codexOutput(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Output string `json:"output"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Output
	}
	return string(raw)
}
