package agent

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Attachments: files the user attached to a turn. The session layer saves
// each one under corral's data directory before the turn is sent (Path),
// so every protocol can at least name the file; an image also goes to the
// model as image content where the protocol carries it. The functions
// below are pure: they build the protocol's turn from the text and the
// attachments and write nothing.

// Attachment is one file attached to a user turn.
type Attachment struct {
	ID       string // corral's id of the stored attachment
	Name     string // the file name the user gave
	MimeType string
	Data     []byte // the content
	// Path is the absolute path of the saved copy, readable by the agent.
	Path string
}

// UserTurn is one user turn: its text and its attachments.
type UserTurn struct {
	Text        string
	Attachments []Attachment
}

// AttachmentSender is a Conn that can send a turn with attachments. The
// Conns of the claude, codex and acp adapters implement it; per-turn
// adapters take the attachments in Turn (Launch and ConnConfig.Turn).
type AttachmentSender interface {
	SendUserTurnWith(t UserTurn) error
}

// SendTurn sends t on c: with its attachments when c is an
// AttachmentSender, else (no such Conn exists among the adapters, but a
// test double may be one) the text with the attachments named by path.
func SendTurn(c Conn, t UserTurn) error {
	if s, ok := c.(AttachmentSender); ok {
		return s.SendUserTurnWith(t)
	}
	return c.SendUserTurn(TextWithPaths(t.Text, t.Attachments))
}

// How an image attachment reaches the model (Capabilities.Images).
const (
	// ImagesInline: as image content of the user message (base64).
	ImagesInline = "inline"
	// ImagesLocalPath: the CLI reads the saved file and sends it to the
	// model as an image (Codex localImage, Gemini's @path).
	ImagesLocalPath = "local-path"
	// ImagesDeclared: as image content when the agent declares it accepts
	// images (ACP promptCapabilities.image), else by path in the text.
	ImagesDeclared = "if-declared"
	// ImagesAsPath: only the path, in the text; the model sees the image
	// only if it reads the file with a tool.
	ImagesAsPath = "path"
)

// Capabilities are what corral can do with an agent's composer features.
type Capabilities struct {
	// Images is how image attachments reach the model (Images* consts).
	Images string `json:"images"`
	// Files: other attachments are saved and named by path in the text
	// (every protocol can do this).
	Files string `json:"files"`
	// SlashCommands: the agent advertises its slash commands (Claude's
	// system/init slash_commands), which corral passes through as text.
	SlashCommands bool `json:"slashCommands"`
	// Compact and Clear: the agent's CLI runs /compact and /clear when
	// they are sent as a turn's text in corral's mode of driving it.
	Compact bool `json:"compact"`
	Clear   bool `json:"clear"`
	// Note says what the agent cannot do, for a UI.
	Note string `json:"note,omitempty"`
}

// inlineImageTypes are the image types the model APIs take as image
// content (Anthropic, OpenAI and Gemini all accept these four).
var inlineImageTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
}

// IsImage reports whether a is an image a model takes as image content.
func (a Attachment) IsImage() bool { return inlineImageTypes[strings.ToLower(a.MimeType)] }

// TextWithPaths returns text followed by a list of the attachments' saved
// paths, the form in which every agent can be told about a file (it reads
// it with its own tools). No attachments: text unchanged.
func TextWithPaths(text string, atts []Attachment) string {
	if len(atts) == 0 {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	b.WriteString("\n\nAttached files:")
	for _, a := range atts {
		fmt.Fprintf(&b, "\n- %s (%s, %d bytes): %s", a.Name, a.MimeType, len(a.Data), a.Path)
	}
	return b.String()
}

// splitImages separates the attachments that go as image content from
// the others.
func splitImages(atts []Attachment) (images, files []Attachment) {
	for _, a := range atts {
		if a.IsImage() {
			images = append(images, a)
		} else {
			files = append(files, a)
		}
	}
	return images, files
}

// ClaudeContent is the content of a Claude stream-json user message: the
// text as is when there is no attachment, else content blocks: the text
// (with the paths of non-image files) and one image block per image,
// {type: image, source: {type: base64, media_type, data}}.
func ClaudeContent(t UserTurn) any {
	if len(t.Attachments) == 0 {
		return t.Text
	}
	images, files := splitImages(t.Attachments)
	var blocks []any
	if text := TextWithPaths(t.Text, files); text != "" {
		// The API refuses an empty text block (a message of images only).
		blocks = append(blocks, map[string]any{"type": "text", "text": text})
	}
	for _, a := range images {
		blocks = append(blocks, map[string]any{
			"type": "image",
			"source": map[string]any{
				"type": "base64", "media_type": strings.ToLower(a.MimeType),
				"data": base64.StdEncoding.EncodeToString(a.Data),
			},
		})
	}
	return blocks
}

// CodexInput is the input of a Codex app-server turn/start: a text item
// (with the paths of non-image files) and a localImage item per image,
// {type: localImage, path}, which Codex reads and sends as an image.
func CodexInput(t UserTurn) []any {
	images, files := splitImages(t.Attachments)
	in := []any{map[string]any{"type": "text", "text": TextWithPaths(t.Text, files), "text_elements": []any{}}}
	for _, a := range images {
		in = append(in, map[string]any{"type": "localImage", "path": a.Path})
	}
	return in
}

// ACPPrompt is the prompt of an ACP session/prompt: a text block and, when
// the agent declared promptCapabilities.image (images true), an image
// block per image, {type: image, mimeType, data}; otherwise images are
// named by path like other files.
func ACPPrompt(t UserTurn, images bool) []any {
	imgs, files := splitImages(t.Attachments)
	if !images {
		imgs, files = nil, t.Attachments
	}
	prompt := []any{map[string]any{"type": "text", "text": TextWithPaths(t.Text, files)}}
	for _, a := range imgs {
		prompt = append(prompt, map[string]any{
			"type": "image", "mimeType": strings.ToLower(a.MimeType),
			"data": base64.StdEncoding.EncodeToString(a.Data),
		})
	}
	return prompt
}

// GeminiPrompt is a Gemini CLI headless prompt with attachments: the text
// followed by an @path reference per attachment, which the CLI resolves
// itself (an image is sent to the model as inline data, a text file as
// its content). Characters the CLI's @-parser treats specially (white
// space, and the backslash) are escaped with a backslash. The directories
// holding the files must be given with --include-directories
// (GeminiIncludeDirs), or the CLI ignores paths outside the workspace.
func GeminiPrompt(t UserTurn) string {
	if len(t.Attachments) == 0 {
		return t.Text
	}
	var b strings.Builder
	b.WriteString(t.Text)
	b.WriteString("\n\nAttached files:")
	for _, a := range t.Attachments {
		b.WriteString("\n@")
		b.WriteString(geminiEscapePath(a.Path))
	}
	return b.String()
}

func geminiEscapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r == ' ' || r == '\t' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// GeminiIncludeDirs returns the distinct directories of the attachments'
// paths, in order, for --include-directories.
func GeminiIncludeDirs(atts []Attachment) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range atts {
		dir := a.Path
		if i := strings.LastIndexAny(dir, `/\`); i > 0 {
			dir = dir[:i]
		}
		if !seen[dir] {
			seen[dir] = true
			out = append(out, dir)
		}
	}
	return out
}
