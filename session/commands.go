package session

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/store"
)

// Command is one entry of a session's slash-command menu.
type Command struct {
	// Name is the command without its slash.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Source is "agent" for a command the agent advertised, "corral" for
	// one of corral's own (/model, /clear, /compact).
	Source string `json:"source"`
	// Supported: sending "/name" as a message runs it. An unsupported
	// command is listed with Note saying why, for the menu to grey out.
	Supported bool   `json:"supported"`
	Note      string `json:"note,omitempty"`
}

// metaSlashCommands is the key of the session record's meta under which
// the commands the agent advertised last are kept.
const metaSlashCommands = "slashCommands"

// corralCommands are corral's own commands, in menu order.
var corralCommands = []Command{
	{Name: "compact", Description: "summarize the conversation so far to free the context"},
	{Name: "clear", Description: "start the conversation afresh"},
	{Name: "model", Description: "change the model"},
}

// CommandMenu builds a session's slash-command menu (pure): corral's own
// commands first, /compact and /clear supported when the agent's list has
// them or, before it has listed any, when its CLI is known to run them
// (caps); /model never; then the other advertised commands, sorted. Every command the agent runs is passed through as the
// message's text.
func CommandMenu(caps agent.Capabilities, advertised []string) []Command {
	adv := map[string]bool{}
	for _, a := range advertised {
		adv[strings.TrimPrefix(a, "/")] = true
	}
	// Before the agent has listed its commands, what its CLI is known to
	// run; after, what it listed.
	runs := func(name string, known bool) bool {
		if len(advertised) == 0 {
			return known
		}
		return adv[name]
	}
	var out []Command
	for _, c := range corralCommands {
		c.Source = "corral"
		switch c.Name {
		case "compact":
			c.Supported = runs("compact", caps.Compact)
		case "clear":
			c.Supported = runs("clear", caps.Clear)
		}
		if c.Supported {
			c.Note = "run by the agent"
		} else if c.Name == "model" {
			c.Note = "the model is chosen when the session is created; start a new session to change it"
		} else {
			c.Note = "not supported by this agent"
		}
		out = append(out, c)
		delete(adv, c.Name)
	}
	rest := make([]string, 0, len(adv))
	for name := range adv {
		if name != "" {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		out = append(out, Command{Name: name, Source: "agent", Supported: true})
	}
	return out
}

// CommandList is what a session's composer needs: its slash-command menu,
// its agent's capabilities and the attachment limits in bytes.
type CommandList struct {
	Commands       []Command          `json:"commands"`
	Capabilities   agent.Capabilities `json:"capabilities"`
	MaxFileSize    int64              `json:"maxFileSize"`
	MaxMessageSize int64              `json:"maxMessageSize"`
}

// Commands returns the slash-command menu of a session: what its agent
// last advertised (kept in the session's record, so it survives a
// restart) merged with corral's own commands.
func (m *Manager) Commands(_ context.Context, id string) (CommandList, error) {
	rec, err := m.o.Recorder.GetSession(id)
	if err != nil {
		return CommandList{}, err
	}
	cfg, _ := m.agentConfig(rec.Agent)
	caps := agent.ProtocolCapabilities(cfg.Protocol)
	file, message := m.AttachmentLimits()
	return CommandList{Commands: CommandMenu(caps, metaCommands(rec.Meta)), Capabilities: caps,
		MaxFileSize: file, MaxMessageSize: message}, nil
}

// metaCommands reads the advertised commands from a record's meta.
func metaCommands(meta json.RawMessage) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(meta, &m) != nil {
		return nil
	}
	var out []string
	json.Unmarshal(m[metaSlashCommands], &out) // error ignored: absent or malformed: none
	return out
}

// withMetaCommands returns meta with the advertised commands set.
func withMetaCommands(meta json.RawMessage, cmds []string) json.RawMessage {
	m := map[string]json.RawMessage{}
	json.Unmarshal(meta, &m) // error ignored: a malformed meta is replaced
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m[metaSlashCommands], _ = json.Marshal(cmds)
	out, _ := json.Marshal(m)
	return out
}

// noteCommands keeps the slash commands an agent.init advertised in the
// session's record, when they differ from those it holds (on the actor;
// the write is queued).
func (m *Manager) noteCommands(l *live, cmds []string) {
	if len(cmds) == 0 {
		return
	}
	key := strings.Join(cmds, "\n")
	if prev, ok := m.cmdSeen.Load(l.id); ok && prev == key {
		return
	}
	m.cmdSeen.Store(l.id, key)
	m.record("keep the agent's slash commands", l.id, m.o.Recorder.QueueUpdateSession(l.id, func(s *store.Session) error {
		if !slices.Equal(metaCommands(s.Meta), cmds) {
			s.Meta = withMetaCommands(s.Meta, cmds)
		}
		return nil
	}))
}
