package agent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

var (
	testPNG  = Attachment{ID: "a1", Name: "shot.png", MimeType: "image/png", Data: []byte("\x89PNG fake"), Path: "/data/attachments/s1/a1/shot.png"}
	testText = Attachment{ID: "a2", Name: "notes.txt", MimeType: "text/plain", Data: []byte("hello"), Path: "/data/attachments/s1/a2/notes.txt"}
)

// roundTrip marshals v and unmarshals it into a generic value, the form a
// reader of the protocol line sees.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestClaudeContent(t *testing.T) {
	if got := ClaudeContent(UserTurn{Text: "hi"}); got != "hi" {
		t.Fatalf("no attachments: %v, want the plain string", got)
	}
	got := roundTrip(t, ClaudeContent(UserTurn{Text: "look", Attachments: []Attachment{testPNG, testText}}))
	want := roundTrip(t, []any{
		map[string]any{"type": "text", "text": "look\n\nAttached files:\n- notes.txt (text/plain, 5 bytes): /data/attachments/s1/a2/notes.txt"},
		map[string]any{"type": "image", "source": map[string]any{
			"type": "base64", "media_type": "image/png", "data": base64.StdEncoding.EncodeToString(testPNG.Data)}},
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("content\n got %v\nwant %v", got, want)
	}
}

func TestCodexInput(t *testing.T) {
	got := roundTrip(t, CodexInput(UserTurn{Text: "look", Attachments: []Attachment{testPNG, testText}}))
	want := roundTrip(t, []any{
		map[string]any{"type": "text", "text_elements": []any{},
			"text": "look\n\nAttached files:\n- notes.txt (text/plain, 5 bytes): /data/attachments/s1/a2/notes.txt"},
		map[string]any{"type": "localImage", "path": testPNG.Path},
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("input\n got %v\nwant %v", got, want)
	}
}

func TestACPPrompt(t *testing.T) {
	turn := UserTurn{Text: "look", Attachments: []Attachment{testPNG}}
	got := roundTrip(t, ACPPrompt(turn, true))
	want := roundTrip(t, []any{
		map[string]any{"type": "text", "text": "look"},
		map[string]any{"type": "image", "mimeType": "image/png", "data": base64.StdEncoding.EncodeToString(testPNG.Data)},
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("declared images\n got %v\nwant %v", got, want)
	}
	// An agent that did not declare images gets the path only.
	got = roundTrip(t, ACPPrompt(turn, false))
	want = roundTrip(t, []any{map[string]any{"type": "text",
		"text": "look\n\nAttached files:\n- shot.png (image/png, 9 bytes): " + testPNG.Path}})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("undeclared images\n got %v\nwant %v", got, want)
	}
}

func TestGeminiPromptAndLaunch(t *testing.T) {
	spaced := testText
	spaced.Path = `/data/attachments/s1/a3/my notes.txt`
	turn := &Turn{Text: "look", Attachments: []Attachment{testPNG, spaced}}
	got := GeminiPrompt(UserTurn{Text: turn.Text, Attachments: turn.Attachments})
	want := "look\n\nAttached files:\n@/data/attachments/s1/a1/shot.png\n@/data/attachments/s1/a3/my\\ notes.txt"
	if got != want {
		t.Fatalf("prompt\n got %q\nwant %q", got, want)
	}
	spec, err := Gemini{}.Launch(SessionOptions{Cwd: "/w"}, turn)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Join(spec.Args, " ")
	if !strings.Contains(args, "--include-directories /data/attachments/s1/a1 --include-directories /data/attachments/s1/a3") {
		t.Fatalf("args %q lack the attachments' directories", args)
	}
	var stdin bytes.Buffer
	c := Gemini{}.NewConn(SessionOptions{}, &stdin, ConnConfig{Turn: turn})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if stdin.String() != want {
		t.Fatalf("stdin %q, want %q", stdin.String(), want)
	}
}

func TestClaudeConnSendsImageBlocks(t *testing.T) {
	var w bytes.Buffer
	c := Claude{}.NewConn(SessionOptions{}, &w, ConnConfig{})
	if err := SendTurn(c, UserTurn{Text: "look", Attachments: []Attachment{testPNG}}); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Type    string `json:"type"`
		Message struct {
			Content []struct {
				Type   string `json:"type"`
				Source struct {
					MediaType string `json:"media_type"`
					Data      string `json:"data"`
				} `json:"source"`
			} `json:"content"`
		} `json:"message"`
	}
	if err := json.Unmarshal(w.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, w.String())
	}
	if c := line.Message.Content; line.Type != "user" || len(c) != 2 || c[1].Type != "image" || c[1].Source.MediaType != "image/png" {
		t.Fatalf("line %s", w.String())
	}
}

func TestCodexConnQueuesTurnWithImages(t *testing.T) {
	var w bytes.Buffer
	c := newCodex(&w, SessionOptions{})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := SendTurn(c, UserTurn{Text: "look", Attachments: []Attachment{testPNG}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.String(), "turn/start") {
		t.Fatalf("turn sent before the thread exists: %s", w.String())
	}
	w.Reset()
	decodeAll(t, c, [][]byte{[]byte(`{"id":2,"result":{"thread":{"id":"th1"}}}`)})
	want := `"input":[{"text":"look","text_elements":[],"type":"text"},{"path":"` + testPNG.Path + `","type":"localImage"}]`
	if !strings.Contains(w.String(), `"method":"turn/start"`) || !strings.Contains(w.String(), want) {
		t.Fatalf("queued turn:\n%s\nwant %s", w.String(), want)
	}
}

func TestTextWithPathsAndSplit(t *testing.T) {
	if got := TextWithPaths("x", nil); got != "x" {
		t.Fatalf("%q", got)
	}
	img := Attachment{MimeType: "IMAGE/JPEG"}
	svg := Attachment{MimeType: "image/svg+xml"}
	if !img.IsImage() || svg.IsImage() {
		t.Fatal("jpeg is an image content type, svg is sent as a file")
	}
	if dirs := GeminiIncludeDirs([]Attachment{testPNG, testPNG}); len(dirs) != 1 {
		t.Fatalf("dirs %v", dirs)
	}
}

func TestCapabilitiesCoverEveryProtocol(t *testing.T) {
	for _, p := range Protocols() {
		c := ProtocolCapabilities(p)
		if c.Images == "" || c.Files == "" {
			t.Errorf("protocol %s has no attachment capability", p)
		}
	}
}

func TestACPAdvertisedCommands(t *testing.T) {
	var w bytes.Buffer
	c := ACP{}.NewConn(SessionOptions{}, &w, ConnConfig{Now: fixedNow})
	evs := decodeAll(t, c, [][]byte{[]byte(`{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"available_commands_update","availableCommands":[{"name":"compact","description":"Clear history but keep a summary","input":{"hint":"x"}},{"name":"review","description":"Review"}]}}}`)})
	if len(evs) != 1 || evs[0].Kind != event.AgentCommands {
		t.Fatalf("events %v", evs)
	}
	d := data[CommandsData](t, evs[0])
	if !reflect.DeepEqual(d.Names(), []string{"compact", "review"}) || d.Commands[0].Description != "Clear history but keep a summary" {
		t.Fatalf("commands %+v", d)
	}
	// Every recorded ACP agent lists its commands this way.
	for _, f := range []string{"claude-code-acp-0.16.2/acp-multiturn.jsonl", "codex-acp-0.16.0/acp-multiturn.jsonl", "gemini-0.61.0/acp-multiturn.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, line := range bytes.Split(b, []byte("\n")) {
			if !bytes.Contains(line, []byte("available_commands_update")) {
				continue
			}
			for _, ev := range decodeAll(t, ACP{}.NewConn(SessionOptions{}, &w, ConnConfig{Now: fixedNow}), [][]byte{line}) {
				found = found || (ev.Kind == event.AgentCommands && len(data[CommandsData](t, ev).Names()) > 0)
			}
		}
		if !found {
			t.Errorf("%s: no agent.commands with a command", f)
		}
	}
}
