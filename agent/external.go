package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// External sessions are the conversations an agent CLI keeps in its own
// files, outside corral: Claude Code under
// $CLAUDE_CONFIG_DIR (default ~/.claude)/projects/<cwd, every character
// other than an ASCII letter or digit replaced by "-">/<session id>.jsonl,
// Codex under $CODEX_HOME (default ~/.codex)/sessions/YYYY/MM/DD/rollout-*-<thread id>.jsonl,
// whose first line (session_meta) names the cwd. They are only read, never
// written.

// ExternalSession is one conversation of an agent CLI found in its files.
type ExternalSession struct {
	ExternalID string    `json:"externalId"` // the CLI's session (Claude) or thread (Codex) id: what a resume passes back
	Agent      string    `json:"agent"`
	Cwd        string    `json:"cwd"`
	Title      string    `json:"title"` // the first user message, trimmed
	StartedAt  time.Time `json:"startedAt"`
	UpdatedAt  time.Time `json:"updatedAt"` // the file's modification time
	// Messages counts the user and assistant messages read; for a file
	// larger than MaxExternalHead only its head is read and Partial is set.
	Messages int    `json:"messages"`
	Partial  bool   `json:"partial,omitempty"`
	Path     string `json:"-"`
}

// ExternalMessage is one message of an external session, as the
// session layer imports it.
type ExternalMessage struct {
	Role     string          // RoleUser, RoleAssistant, RoleToolCall or RoleToolResult
	Time     time.Time       // zero when the file has none
	Text     string          // the message's text; a tool result's output
	ToolID   string          // tool calls and results
	ToolName string          // tool calls
	Input    json.RawMessage // a tool call's input
	IsError  bool            // a failed tool result
}

// Roles of ExternalMessage.
const (
	RoleUser       = "user"
	RoleAssistant  = "assistant"
	RoleToolCall   = "tool_call"
	RoleToolResult = "tool_result"
)

// Bounds of reading external sessions.
const (
	// MaxExternalHead is how much of a file a listing reads.
	MaxExternalHead = 1 << 20
	// MaxExternalFile is the largest file ReadExternal imports whole; a
	// larger one is read up to this size (its first messages).
	MaxExternalFile = 64 << 20
	// maxExternalLine is the longest line read (Codex's session_meta
	// holds its instructions: over 20 KB).
	maxExternalLine = 16 << 20
	// maxCodexScan bounds the rollout files a Codex listing opens.
	maxCodexScan = 2000
	maxTitle     = 80
)

// ErrNoImport says an agent's protocol has no external sessions corral can
// read (Gemini CLI, ACP, generic agents).
var ErrNoImport = errors.New("agent has no external sessions to import")

// ErrExternalNotFound says no file holds the external session asked for.
var ErrExternalNotFound = errors.New("external session not found")

// CanImport reports whether ListExternal and ReadExternal support protocol.
func CanImport(protocol string) bool { return protocol == "claude" || protocol == "codex" }

// ListExternal lists the external sessions of protocol's CLI for cwd,
// newest first (by file modification time), at most limit (<= 0: 50). env
// is the environment the agent runs with: its HOME, CLAUDE_CONFIG_DIR or
// CODEX_HOME say where the CLI keeps its files. A missing directory is an
// empty list.
func ListExternal(protocol string, env []string, cwd string, limit int) ([]ExternalSession, error) {
	if limit <= 0 {
		limit = 50
	}
	switch protocol {
	case "claude":
		return listClaude(claudeDir(env), cwd, limit)
	case "codex":
		return listCodex(codexDir(env), cwd, limit)
	}
	return nil, fmt.Errorf("%w: protocol %q", ErrNoImport, protocol)
}

// ReadExternal reads the external session id of protocol's CLI: its
// summary and its messages in order (at most MaxExternalFile bytes of it).
// A missing file is ErrExternalNotFound.
func ReadExternal(protocol string, env []string, id string) (ExternalSession, []ExternalMessage, error) {
	if !validExternalID(id) {
		return ExternalSession{}, nil, fmt.Errorf("%w: %q is not a session id", ErrExternalNotFound, id)
	}
	var path string
	var err error
	switch protocol {
	case "claude":
		path, err = findOne(filepath.Join(claudeDir(env), "projects", "*", id+".jsonl"))
	case "codex":
		path, err = findOne(filepath.Join(codexDir(env), "sessions", "*", "*", "*", "rollout-*-"+id+".jsonl"))
	default:
		return ExternalSession{}, nil, fmt.Errorf("%w: protocol %q", ErrNoImport, protocol)
	}
	if err != nil {
		return ExternalSession{}, nil, fmt.Errorf("%s session %s: %w", protocol, id, err)
	}
	return readExternalFile(protocol, path, MaxExternalFile)
}

func readExternalFile(protocol, path string, max int64) (ExternalSession, []ExternalMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return ExternalSession{}, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ExternalSession{}, nil, err
	}
	p := externalParser{protocol: protocol}
	if err := eachLine(io.LimitReader(f, max), p.line); err != nil {
		return ExternalSession{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	s := p.session
	s.Agent, s.Path, s.UpdatedAt, s.Partial = protocol, path, fi.ModTime(), fi.Size() > max
	if protocol == "claude" && s.ExternalID == "" {
		s.ExternalID = strings.TrimSuffix(filepath.Base(path), ".jsonl")
	}
	return s, p.msgs, nil
}

// externalParser folds the lines of one file into a session and its
// messages.
type externalParser struct {
	protocol string
	session  ExternalSession
	msgs     []ExternalMessage
}

func (p *externalParser) line(b []byte) {
	var msgs []ExternalMessage
	switch p.protocol {
	case "claude":
		msgs = claudeLine(b, &p.session)
	case "codex":
		msgs = codexLine(b, &p.session)
	}
	for _, m := range msgs {
		if m.Role == RoleUser || m.Role == RoleAssistant {
			p.session.Messages++
		}
		if m.Role == RoleUser && p.session.Title == "" {
			p.session.Title = titleOf(m.Text)
		}
		if p.session.StartedAt.IsZero() && !m.Time.IsZero() {
			p.session.StartedAt = m.Time
		}
	}
	p.msgs = append(p.msgs, msgs...)
}

// eachLine calls fn with each non-empty line of r (without its newline);
// a line longer than maxExternalLine ends the reading there.
func eachLine(r io.Reader, fn func([]byte)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxExternalLine)
	for sc.Scan() {
		if b := sc.Bytes(); len(b) > 0 {
			fn(b)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return err
	}
	return nil
}

func findOne(pattern string) (string, error) {
	m, err := filepath.Glob(pattern)
	if err != nil {
		return "", err
	}
	if len(m) == 0 {
		return "", ErrExternalNotFound
	}
	slices.Sort(m)
	return m[len(m)-1], nil
}

// validExternalID accepts the ids the CLIs make (UUIDs): letters, digits,
// "-" and "_", so an id never names another path.
func validExternalID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// titleOf is a session title from a user message: its first non-empty
// line, trimmed, at most maxTitle characters.
func titleOf(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(l); t != "" {
			if utf8.RuneCountInString(t) > maxTitle {
				t = string([]rune(t)[:maxTitle]) + "…"
			}
			return t
		}
	}
	return ""
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

func homeOf(env []string) string {
	if h := envValue(env, "HOME"); h != "" {
		return h
	}
	if h := envValue(env, "USERPROFILE"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// listFiles returns the files of paths with their modification times,
// newest first, skipping those that cannot be read.
func newestFirst(paths []string) []fileAt {
	out := make([]fileAt, 0, len(paths))
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			out = append(out, fileAt{p, fi.ModTime()})
		}
	}
	slices.SortFunc(out, func(a, b fileAt) int { return b.mod.Compare(a.mod) })
	return out
}

type fileAt struct {
	path string
	mod  time.Time
}
