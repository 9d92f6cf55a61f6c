package session

import (
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// Title limits: an automatic title keeps at most titleWords words and
// titleChars characters.
const (
	titleWords = 6
	titleChars = 80
)

// politePrefixes are openings that say nothing about the task; they are
// dropped from the front of a first message.
var politePrefixes = []string{
	"please", "pls", "hey", "hi", "hello", "ok", "okay", "so", "now",
	"can you", "could you", "would you", "will you", "i want you to", "i'd like you to", "i need you to",
	"let's", "lets",
}

// genericWords are words that, alone, do not say what a session is about:
// a first message made only of them ("please run the tool", "hello",
// "continue") gives no title.
var genericWords = map[string]bool{
	"a": true, "an": true, "the": true, "it": true, "this": true, "that": true, "me": true, "my": true,
	"run": true, "tool": true, "tools": true, "test": true, "try": true, "do": true, "go": true, "start": true,
	"continue": true, "again": true, "help": true, "yes": true, "no": true, "ok": true, "okay": true,
	"hello": true, "hi": true, "hey": true, "please": true, "thanks": true, "thank": true, "you": true,
	"something": true, "anything": true, "stuff": true, "now": true, "one": true, "more": true, "time": true,
	"what": true, "can": true, "do?": true, "there": true,
}

// deriveTitle returns the automatic title of a session from its first
// user message: the first line with text, without markdown marks and
// polite openings, cut to a few words. generic is true when nothing
// specific is left (the caller then names the session after the agent's
// first reply or its directory).
func deriveTitle(message string) (title string, generic bool) {
	line := firstTextLine(message)
	words := strings.Fields(line)
	for changed := true; changed && len(words) > 0; {
		changed = false
		low := strings.ToLower(strings.Join(words, " "))
		for _, p := range politePrefixes {
			if low == p || strings.HasPrefix(low, p+" ") || strings.HasPrefix(low, p+",") {
				words = strings.Fields(strings.TrimLeft(strings.Join(words, " ")[len(p):], " ,:;!"))
				changed = true
				break
			}
		}
	}
	specific := false
	for _, w := range words {
		if !genericWords[strings.ToLower(strings.Trim(w, ".,;:!?\"'`"))] {
			specific = true
		}
	}
	if !specific {
		return "", true
	}
	return shortTitle(words), false
}

// replyTitle is a title from the first line of an agent's reply, for a
// session whose first message was generic; "" when the reply has no text.
func replyTitle(reply string) string {
	return shortTitle(strings.Fields(firstTextLine(reply)))
}

// dirTitle names a session after its working directory.
func dirTitle(cwd string) string {
	if cwd == "" {
		return ""
	}
	b := filepath.Base(filepath.Clean(cwd))
	if b == "." || b == string(filepath.Separator) {
		return cwd
	}
	return b
}

// sessionTitle is the automatic title of a session created with message in
// cwd: deriveTitle's, else the directory's name; generic says the
// directory was used (and a reply may name it better). An empty message
// gives no title.
func sessionTitle(message, cwd string) (title string, generic bool) {
	if strings.TrimSpace(message) == "" {
		return "", false
	}
	t, generic := deriveTitle(message)
	if generic {
		return dirTitle(cwd), true
	}
	return t, false
}

// firstTextLine is the first line of s with letters or digits, without
// markdown marks around it.
func firstTextLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "```") {
			continue
		}
		line = strings.TrimLeft(line, "#>*-+` \t")
		line = strings.NewReplacer("**", "", "__", "", "`", "").Replace(line)
		if strings.IndexFunc(line, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			return strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return ' '
				}
				return r
			}, line)
		}
	}
	return ""
}

// shortTitle joins up to titleWords words within titleChars characters,
// without trailing punctuation (the case is the writer's: "npm" stays
// "npm"), with "…" when words were cut.
func shortTitle(words []string) string {
	var b strings.Builder
	cut := false
	for i, w := range words {
		if i == titleWords || utf8.RuneCountInString(b.String())+1+utf8.RuneCountInString(w) > titleChars {
			cut = true
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	t := b.String()
	if t == "" && len(words) > 0 {
		r := []rune(words[0])
		t, cut = string(r[:min(len(r), titleChars)]), len(r) > titleChars || len(words) > 1
	}
	t = strings.TrimRight(t, ".,;:!?-– ")
	if cut && t != "" {
		t += "…"
	}
	return t
}

// autoTitleOf is the title a session created with prompt in cwd starts
// with.
func autoTitleOf(prompt, cwd string) string {
	t, _ := sessionTitle(prompt, cwd)
	return t
}

// awaitReplyTitle arms titleFromReply when prompt, the session's first
// message, is too generic to name it.
func (m *Manager) awaitReplyTitle(l *live, prompt, cwd string) {
	if t, generic := sessionTitle(prompt, cwd); generic {
		m.record("await a title from the reply", l.id, do(m, l, func() error {
			l.replyTitle = t
			return nil
		}))
	}
}

// autoTitle names a session that has no title after text, its first
// message. A title the user chose is never replaced.
func (m *Manager) autoTitle(l *live, text, cwd string) {
	t, _ := sessionTitle(text, cwd)
	m.record("set the session title", l.id, m.o.Recorder.QueueUpdateSession(l.id, func(s *store.Session) error {
		if s.Title == "" && !s.TitleByUser {
			s.Title = t
		}
		return nil
	}))
	m.awaitReplyTitle(l, text, cwd)
}

// titleFromReply renames a session named after its directory (a generic
// first message) after the first line of the agent's first whole reply,
// unless the user renamed it meanwhile. On the actor.
func (m *Manager) titleFromReply(l *live, ev event.Event) {
	if l.replyTitle == "" || ev.Kind != event.AssistantText {
		return
	}
	d, err := payload[agent.TextData](ev)
	if err != nil || d.Delta || d.ParentToolUseID != "" || d.Error != "" {
		return
	}
	t := replyTitle(d.Text)
	if t == "" {
		return
	}
	fallback := l.replyTitle
	l.replyTitle = ""
	// A read of the record (no wait for a write): a title the user chose
	// meanwhile stays, and then no event announces another.
	if rec, err := m.o.Recorder.GetSession(l.id); err != nil || rec.TitleByUser || (rec.Title != fallback && rec.Title != "") {
		return
	}
	m.record("set the session title from the reply", l.id, m.o.Recorder.QueueUpdateSession(l.id, func(s *store.Session) error {
		if !s.TitleByUser {
			s.Title = t
		}
		return nil
	}))
	up := event.New(event.SessionUpdated, store.SessionUpdatedData{Title: t})
	up.SessionID, up.Time = l.id, m.o.Now()
	m.append(up)
}
