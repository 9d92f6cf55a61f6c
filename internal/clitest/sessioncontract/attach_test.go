package sessioncontract

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/session"
)

func TestClaudeAttachImage(t *testing.T) { attachImage(t, clitest.Claude, true) }
func TestCodexAttachImage(t *testing.T)  { attachImage(t, clitest.Codex, false) }
func TestGeminiAttachImage(t *testing.T) { attachImage(t, clitest.Gemini, false) }

// TestGeminiACPAttachImage: `gemini --acp` declares promptCapabilities.image,
// so the image goes as an ACP image block.
func TestGeminiACPAttachImage(t *testing.T) { attachImage(t, clitest.Gemini, true, withGeminiACP()) }

// testPNG is a valid 8x8 PNG (Codex decodes the images it sends).
func testPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 255, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// attachImage: a message with an image and a text file through the
// session layer; the model's request holds the image as image content
// (the same bytes when the CLI passes them on as given: exact) and the
// text names the file's saved path.
func attachImage(t *testing.T, cli clitest.CLI, exact bool, ro ...rigOption) {
	r := newRig(t, cli, mockllm.Echo(), ro...)
	headless := r.agent == "gemini" // the per-turn adapter: files as @path
	s := r.create("")
	w := r.watch(s.ID)
	pic := testPNG(t)
	run, err := r.mgr().SendWithAttachments(r.ctx, s.ID, "describe the picture", []session.NewAttachment{
		{Name: "dot.png", MimeType: "image/png", Data: pic},
		{Name: "notes.txt", MimeType: "text/plain", Data: []byte("remember the milk")},
	})
	if err != nil {
		t.Fatalf("SendWithAttachments: %v", err)
	}
	evs := w.turnEnd(run)
	if tc := completed(t, evs); !tc.OK {
		t.Fatalf("turn.completed %+v; events %s", tc, kinds(evs))
	}
	var req *mockllm.Request
	for _, q := range r.mock.ModelRequests() {
		if strings.Contains(strings.Join(q.UserTexts(), "\n"), "describe the picture") {
			req = &q
			break
		}
	}
	if req == nil {
		t.Fatalf("no model request holds the text; requests: %d", len(r.mock.ModelRequests()))
	}
	imgs := req.Images()
	if len(imgs) != 1 || imgs[0].Role != "user" || imgs[0].MimeType != "image/png" {
		t.Fatalf("images in the model request: %d %+v", len(imgs), imgs)
	}
	if exact && !bytes.Equal(imgs[0].Data, pic) {
		t.Fatalf("the image arrived changed: %d bytes, sent %d", len(imgs[0].Data), len(pic))
	}
	got, _, err := image.Decode(bytes.NewReader(imgs[0].Data))
	if err != nil || got.Bounds().Dx() != 8 {
		t.Fatalf("the image the model got: %v %v", got, err)
	}
	body := string(req.Body)
	if !headless && !strings.Contains(body, "notes.txt") {
		t.Fatalf("the text file is not named in the request")
	}
	if headless && !strings.Contains(body, "remember the milk") {
		t.Fatalf("Gemini did not read the text file named with @")
	}
	if cli.Name == "claude" || r.agent == "gemini-acp" {
		// Claude Code's system/init and an ACP agent's
		// available_commands_update list commands; the session keeps them.
		w.settled(session.Idle)
		cmds, err := r.mgr().Commands(r.ctx, s.ID)
		if err != nil || len(cmds.Commands) < 4 || cmds.Commands[3].Source != "agent" || cmds.Commands[0].Name != "compact" {
			t.Fatalf("the agent's advertised commands were not kept: %+v %v", cmds, err)
		}
	}
	r.checkLog(s.ID)
}
