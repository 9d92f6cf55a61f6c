package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// claudeDir is Claude Code's configuration directory for env:
// $CLAUDE_CONFIG_DIR, else $HOME/.claude.
func claudeDir(env []string) string {
	if d := envValue(env, "CLAUDE_CONFIG_DIR"); d != "" {
		return d
	}
	return filepath.Join(homeOf(env), ".claude")
}

// claudeMaxProjectName is the longest project directory name Claude Code
// makes before it cuts the name and appends a hash.
const claudeMaxProjectName = 200

// ClaudeProjectName is the directory name under ~/.claude/projects that
// Claude Code 2.1 keeps the sessions of cwd in: every character other than
// an ASCII letter or digit (each UTF-16 unit) replaced by "-"; a name over
// 200 characters is cut to 200 and followed by "-" and the absolute value
// of the Java-style string hash of cwd in base 36.
func ClaudeProjectName(cwd string) string {
	units := utf16Units(cwd)
	var b strings.Builder
	for _, u := range units {
		if u < 128 && (u >= 'a' && u <= 'z' || u >= 'A' && u <= 'Z' || u >= '0' && u <= '9') {
			b.WriteByte(byte(u))
		} else {
			b.WriteByte('-')
		}
	}
	name := b.String()
	if len(name) <= claudeMaxProjectName {
		return name
	}
	var h int32
	for _, u := range units {
		h = h*31 + int32(u)
	}
	abs := int64(h)
	if abs < 0 {
		abs = -abs
	}
	return name[:claudeMaxProjectName] + "-" + strconv.FormatInt(abs, 36)
}

func utf16Units(s string) []uint16 {
	var out []uint16
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
			continue
		}
		out = append(out, uint16(r))
	}
	return out
}

func listClaude(dir, cwd string, limit int) ([]ExternalSession, error) {
	dirs := []string{filepath.Join(dir, "projects", ClaudeProjectName(cwd))}
	if real, err := filepath.EvalSymlinks(cwd); err == nil && real != cwd {
		dirs = append(dirs, filepath.Join(dir, "projects", ClaudeProjectName(real)))
	}
	var paths []string
	for _, d := range dirs {
		m, err := filepath.Glob(filepath.Join(d, "*.jsonl"))
		if err != nil {
			return nil, err
		}
		paths = append(paths, m...)
	}
	var out []ExternalSession
	for _, f := range newestFirst(paths) {
		if len(out) == limit {
			break
		}
		s, _, err := readExternalFile("claude", f.path, MaxExternalHead)
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted meanwhile
			}
			return nil, err
		}
		if s.Messages == 0 {
			continue // no conversation (a session that never got a prompt)
		}
		if s.Cwd == "" {
			s.Cwd = cwd
		}
		out = append(out, s)
	}
	return out, nil
}

// claudeEntry is the part of a line of a Claude Code session file that an
// import reads.
type claudeEntry struct {
	Type        string `json:"type"`
	SessionID   string `json:"sessionId"`
	Cwd         string `json:"cwd"`
	Timestamp   string `json:"timestamp"`
	IsSidechain bool   `json:"isSidechain"`
	IsMeta      bool   `json:"isMeta"`
	Message     *struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"message"`
}

type claudeFileBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

// claudeLine reads one line of a Claude Code session file: the messages
// of the main conversation (not a subagent's sidechain, not the CLI's own
// meta messages); s gets the session id and cwd.
func claudeLine(b []byte, s *ExternalSession) []ExternalMessage {
	var e claudeEntry
	if json.Unmarshal(b, &e) != nil || (e.Type != "user" && e.Type != "assistant") || e.Message == nil {
		return nil
	}
	if s.ExternalID == "" && e.SessionID != "" {
		s.ExternalID = e.SessionID
	}
	if s.Cwd == "" && e.Cwd != "" {
		s.Cwd = e.Cwd
	}
	if e.IsSidechain || e.IsMeta {
		return nil
	}
	at := parseTime(e.Timestamp)
	role := RoleUser
	if e.Type == "assistant" {
		role = RoleAssistant
	}
	var text string
	if json.Unmarshal(e.Message.Content, &text) == nil {
		if strings.TrimSpace(text) == "" {
			return nil
		}
		return []ExternalMessage{{Role: role, Time: at, Text: text}}
	}
	var blocks []claudeFileBlock
	if json.Unmarshal(e.Message.Content, &blocks) != nil {
		return nil
	}
	var out []ExternalMessage
	for _, bl := range blocks {
		switch bl.Type {
		case "text":
			if strings.TrimSpace(bl.Text) != "" {
				out = append(out, ExternalMessage{Role: role, Time: at, Text: bl.Text})
			}
		case "tool_use":
			out = append(out, ExternalMessage{Role: RoleToolCall, Time: at, ToolID: bl.ID, ToolName: bl.Name, Input: bl.Input})
		case "tool_result":
			out = append(out, ExternalMessage{Role: RoleToolResult, Time: at, ToolID: bl.ToolUseID, Text: claudeResultText(bl.Content), IsError: bl.IsError})
		}
	}
	return out
}

// claudeResultText is a tool result's content: a string, or the text of
// its text blocks.
func claudeResultText(c json.RawMessage) string {
	var s string
	if json.Unmarshal(c, &s) == nil {
		return s
	}
	var blocks []claudeFileBlock
	json.Unmarshal(c, &blocks) // error ignored: another shape: no text
	var parts []string
	for _, b := range blocks {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}
