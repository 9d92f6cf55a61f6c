package agent

// capabilities are the composer features each protocol supports, as the
// pinned CLI versions do (see attach.go for the encodings). Claude Code's
// system/init lists its slash commands, clear and compact among them, and
// runs them when they arrive as a stream-json turn's text; an ACP agent
// lists its commands in available_commands_update and runs them when a
// prompt's text starts with one; Codex's app-server and Gemini's headless
// mode list none and treat "/compact" as plain text.
var capabilities = map[string]Capabilities{
	"claude": {Images: ImagesInline, Files: "path", SlashCommands: true, Compact: true, Clear: true,
		Note: "the model is chosen when the session is created; /model cannot change it"},
	"codex": {Images: ImagesLocalPath, Files: "path",
		Note: "Codex's app-server lists no slash commands; /compact, /clear and /model are not available"},
	"gemini": {Images: ImagesLocalPath, Files: "path",
		Note: "Gemini's headless mode runs no slash commands; attachments reach it as @path references"},
	"acp": {Images: ImagesDeclared, Files: "path", SlashCommands: true,
		Note: "images go as image content only to agents that declare they accept them; the slash commands are those the agent lists"},
	"jsonl": {Images: ImagesAsPath, Files: "path", Note: "attachments are named by path in the text"},
	"text":  {Images: ImagesAsPath, Files: "path", Note: "attachments are named by path in the text"},
}

// Capabilities returns what corral can do with the composer features of
// an agent of this protocol (zero for an unknown protocol).
func (e Entry) Capabilities() Capabilities { return capabilities[e.Protocol] }

// ProtocolCapabilities is Entry.Capabilities for protocol.
func ProtocolCapabilities(protocol string) Capabilities { return capabilities[protocol] }
