// Package stream turns the bytes a child process writes into lines, and
// reads JSON lines (JSONL) without decoding more than the reader needs. It
// depends on the standard library only, so any Go program can use it.
//
// A typical reader of an agent CLI's output does three things, each with
// one part of this package:
//
//  1. Frame the bytes into lines with a [Framer] ([NewFramer], then
//     [Framer.Next] until io.EOF).
//  2. Route a JSON line on a few fields: [DecodeEnvelope] gives the fields
//     Claude Code, Codex, Gemini CLI and JSON-RPC/ACP lines are routed on
//     (see [Envelope]); [ScanObject] hands out every top-level member's
//     raw value in the same single pass, and [Members], [Member] and
//     [Elements] walk the values it handed out.
//  3. Or only check a line: [Valid] is encoding/json.Valid in one pass,
//     [ValidUTF8JSON] also checks that the line is UTF-8, so it can be
//     embedded as is in JSON output.
//
// A line that is not JSON is an error for that line only (a *[SyntaxError]
// with the byte offset): report it and go on with the next line.
//
// # Framing
//
// A [Framer] reads an io.Reader (a child's stdout or stderr) and returns one
// [Line] per call to [Framer.Next]. The rules, precisely:
//
//   - A line ends at '\n'. One or more '\r' immediately before the '\n'
//     belong to the terminator, so "a\r\n" and "a\r\r\n" are both the line
//     "a". A CRLF split across two reads is still one terminator.
//   - A bare '\r' (one or more '\r' followed by a byte other than '\n') ends
//     a progress update: the text after it replaces the text before it, as a
//     terminal redraws a progress bar. Updates are coalesced: of all the
//     complete updates the Framer has buffered, only the latest non-empty one
//     is returned, with Progress set; the others are dropped. When a '\n'
//     ends a run of updates, only the text after the last bare '\r' is
//     returned, as a normal line. Empty updates (a line that starts with
//     '\r', as tqdm-style bars print) are never returned. A '\r' that is the
//     last byte of the stream is a bare '\r'.
//   - A line (or progress update) longer than MaxLine bytes is cut into parts
//     of exactly MaxLine bytes flagged Continued; the final part has
//     Continued false and the flags of the terminator that ended it. Nothing
//     is lost and a long line is never an error. Once a part has been
//     returned, the rest of that line is never coalesced away: the next line
//     returned is its continuation.
//   - Bytes after the last terminator are returned at EOF with Partial set.
//   - Bytes are never altered: invalid UTF-8, NUL bytes and escape sequences
//     pass through exactly. Only terminators are removed, and coalesced
//     progress updates are dropped.
//
// Memory is bounded: a Framer holds one buffer that starts at BufSize bytes
// and grows only while a line is longer than the buffer, up to
// max(BufSize, MaxLine+2) bytes. A flood of '\r' updates with no newline,
// however long, never grows it: complete updates are consumed as they are
// found, and each refill of the buffer yields at most one Progress line.
//
// # JSON lines
//
// One scanner is behind [Valid], [ValidUTF8JSON], [DecodeEnvelope],
// [ScanObject], [Members], [Member] and [Elements]. It accepts exactly what
// encoding/json accepts (differential and fuzz tests hold it to that),
// walks a value once, eight string bytes at a time, and allocates nothing
// below 128 levels of nesting; values it hands out alias the line.
package stream
