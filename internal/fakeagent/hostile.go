package fakeagent

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// HostilePrefix starts the user text of a hostile turn: "hostile:URL",
// optionally followed by a space and anything (the session title comes
// from the first line of the first prompt, so what follows is a payload
// of its own). URL is the base address of a listener the test runs;
// every payload that manages to run or load something reaches it.
const HostilePrefix = "hostile:"

// LongLineBytes is the length of the long line of a hostile turn (its
// head and tail carry payloads).
const LongLineBytes = 100 << 10

// Act is the JavaScript every hostile payload tries to run for payload
// id: it sets window.__pwned, calls alert and fetches base+"/hit/"+id.
// It has no space, so it fits unquoted attributes and link destinations.
func Act(base, id string) string {
	return "window.__pwned='" + id + "';alert('" + id + "');fetch('" + base + "/hit/" + id + "')"
}

var actRef = regexp.MustCompile(`\{act:([a-z0-9-]+)\}`)

// hostileText fills a template: {L} becomes base, {act:ID} becomes Act(base, ID).
func hostileText(base, tmpl string) string {
	s := actRef.ReplaceAllStringFunc(tmpl, func(m string) string {
		return Act(base, actRef.FindStringSubmatch(m)[1])
	})
	return strings.ReplaceAll(s, "{L}", base)
}

// hostileMarkdown is the assistant reply of a hostile turn: raw HTML that
// runs script or loads something, links and autolinks to javascript:,
// vbscript: and data: targets (also entity- and case-disguised), images by
// data: and http addresses, style and link injections, and payloads inside
// code spans, fences, a fence's language and a table. Each payload is a
// paragraph of its own.
const hostileMarkdown = `# Heading <img src=x onerror="{act:md-h1}">

Plain words first, **bold**, and a [harmless link]({L}/hit/md-harmless-link) nobody clicks.

<img src=x onerror="{act:md-img-onerror}">

<img src={L}/hit/md-img-src>

<script>{act:md-script}</script>

<svg onload="{act:md-svg-onload}"><circle r="1"/></svg>

<svg><animate onbegin="{act:md-svg-animate}" attributeName="x" dur="1s"/></svg>

<iframe srcdoc="<script>top.__pwned='md-iframe-srcdoc';fetch('{L}/hit/md-iframe-srcdoc')</script>"></iframe>

<iframe src="javascript:top.__pwned='md-iframe-js'"></iframe>

<object data="data:text/html,<script>alert('md-object')</script>"></object>

<embed src="{L}/hit/md-embed">

<math><maction actiontype="statusline" xlink:href="javascript:{act:md-math}">x</maction></math>

<style>@import '{L}/hit/md-style-import'; body { background: url('{L}/hit/md-style-url') }</style>

<link rel="stylesheet" href="{L}/hit/md-link-css">

<link rel="prefetch" href="{L}/hit/md-link-prefetch">

<meta http-equiv="refresh" content="0; url={L}/hit/md-meta-refresh">

<base href="{L}/hit/md-base/">

<form action="{L}/hit/md-form"><button formaction="javascript:{act:md-formaction}">go</button></form>

<div style="background-image: url('{L}/hit/md-inline-style')">styled div</div>

<a href="javascript:{act:md-a-js}">raw javascript link</a>

<a href="&#106;avascript&#58;{act:md-a-entity}">entity-encoded javascript link</a>

<a href="jav&#x09;ascript:{act:md-a-tab}">tab inside the scheme</a>

<details open ontoggle="{act:md-details}">details</details>

<input autofocus onfocus="{act:md-input-focus}">

<video src=x onerror="{act:md-video}"></video>

<body onload="{act:md-body}">

[markdown javascript link](javascript:{act:md-link-js})

[mixed-case scheme](JaVaScRiPt:{act:md-link-case})

[entity-encoded scheme](&#106;avascript&#58;{act:md-link-entity})

[vbscript link](vbscript:msgbox("md-link-vb"))

[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgnbWQtbGluay1kYXRhJyk8L3NjcmlwdD4=)

[reference link][evil]

[evil]: javascript:{act:md-link-ref}

Autolinks: <javascript:{act:md-autolink-js}> and <vbscript:msgbox("md-autolink-vb")> and <data:text/html,<script>alert('md-autolink-data')</script>>

Bare: javascript:{act:md-bare-js} and {L}/hit/md-bare-http (a link, not followed)

![data svg image](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KCdtZC1pbWFnZS1kYXRhJykiLz4=)

![http image]({L}/hit/md-image-http)

![image by reference][img]

[img]: {L}/hit/md-image-ref

[![linked image]({L}/hit/md-image-nested)]({L}/hit/md-image-nested-link)

[title attack](https://example.invalid "a\" onmouseover=\"{act:md-title}")

Inline code: ` + "`" + `<img src=x onerror="{act:md-code}">` + "`" + `

~~~html
<script>{act:md-fence}</script>
~~~

~~~js" onmouseover="{act:md-fence-lang}
alert('fence body');
~~~

| raw html | link |
| --- | --- |
| <img src=x onerror="{act:md-table}"> | [cell link](javascript:{act:md-table-link}) |

The end of the reply.
`

const hostileThinking = `Thinking about <img src=x onerror="{act:think-img}"> and <script>{act:think-script}</script> and [a link](javascript:{act:think-link}).`

// hostileLongLine is one line of LongLineBytes without a space between a
// payload at its head and one at its tail.
func hostileLongLine(base string) string {
	head := hostileText(base, `<img src=x onerror="{act:long-head}">`)
	tail := hostileText(base, `<script>{act:long-tail}</script>`)
	return head + strings.Repeat("A", LongLineBytes-len(head)-len(tail)) + tail
}

// hostileTurn answers "hostile:URL": agent output carrying payloads in
// every place the web client shows it: a second init (model name), an
// API retry notice, a stdout line that is not JSON, an unreadable JSON
// line, a stderr line, thinking, the streamed Markdown reply, a reply of
// one long line, an Edit and a Write tool call (diffs) with their results,
// a Bash call whose permission request (input, description, suggested
// rule) waits for an answer, its output (ending with the long line), and
// the turn's error message.
func (a *fake) hostileTurn(rest string, start time.Time) (int, bool) {
	base := "http://127.0.0.1:9"
	if f := strings.Fields(rest); len(f) > 0 {
		base = strings.TrimRight(f[0], "/")
	}
	h := func(tmpl string) string { return hostileText(base, tmpl) }
	a.emit(map[string]any{"type": "system", "subtype": "init", "session_id": SessionID, "model": h(`fake-model<img src=x onerror="{act:model}">`),
		"cwd": wd(), "permissionMode": "default", "claude_code_version": "0.0.0-fake", "tools": []string{"Bash", "Edit", "Write"}})
	a.emit(map[string]any{"type": "system", "subtype": "api_retry", "session_id": SessionID, "attempt": 1, "max_retries": 3,
		"retry_delay_ms": 1, "error_status": 529, "error": h(`overloaded <img src=x onerror="{act:retry}">`)})
	a.raw(h(`<script>{act:stdout-script}</script> <img src=x onerror="{act:stdout-img}">`))
	a.raw(h(`{"type": <img src=x onerror="{act:parse-error}">`))
	fmt.Fprintln(os.Stderr, h(`<svg onload="{act:stderr}"></svg>`))

	thinking := h(hostileThinking)
	a.emit(map[string]any{"type": "stream_event", "session_id": SessionID, "parent_tool_use_id": nil,
		"event": map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "thinking_delta", "thinking": thinking}}})
	a.assistant(map[string]any{"type": "thinking", "thinking": thinking, "signature": "fake"})

	// the reply streams in pieces that cut tags and links in two
	reply := h(hostileMarkdown)
	for i := 0; i < len(reply); i += 97 {
		a.delta(reply[i:min(i+97, len(reply))])
	}
	a.assistant(map[string]any{"type": "text", "text": reply})
	long := hostileLongLine(base)
	a.assistant(map[string]any{"type": "text", "text": long})

	a.hostileTool("Edit", map[string]any{"file_path": h(`/tmp/<img src=x onerror="{act:edit-path}">.html`),
		"old_string": h("<p>old</p>\n<script>{act:edit-old}</script>\n"),
		"new_string": h("<p>new</p>\n<img src=x onerror=\"{act:edit-new}\">\n<iframe srcdoc=\"<script>top.__pwned='edit-iframe'</script>\"></iframe>\n")},
		h(`The file <img src=x onerror="{act:edit-result}"> has been updated.`), false)
	a.hostileTool("Write", map[string]any{"file_path": "/tmp/hostile.svg",
		"content": h("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"{act:write-svg}\">\n<script>{act:write-script}</script>\n</svg>\n")},
		h(`<b>Write failed</b> <img src=x onerror="{act:write-error}">`), true)

	a.reqN++
	toolID := "toolu_fake_" + strconv.Itoa(a.reqN)
	reqID := "fake-perm-" + strconv.Itoa(a.reqN)
	input := map[string]any{"command": h(`echo '<img src=x onerror="{act:perm-command}">'`),
		"description": h(`<svg onload="{act:perm-description}"></svg> [x](javascript:{act:perm-description-link})`)}
	a.assistant(map[string]any{"type": "tool_use", "id": toolID, "name": "Bash", "input": input})
	a.emit(map[string]any{"type": "control_request", "request_id": reqID, "request": map[string]any{
		"subtype": "can_use_tool", "tool_name": "Bash", "input": input, "tool_use_id": toolID,
		"description": h(`Run <script>{act:perm-title}</script>`),
		"permission_suggestions": []map[string]any{{"type": "addRules", "behavior": "allow", "destination": "session",
			"rules": []map[string]any{{"toolName": "Bash", "ruleContent": h(`<img src=x onerror="{act:perm-rule}">`)}}}}}})
	answer, code, exit, ok := a.permission(reqID, start)
	if !ok {
		return code, exit
	}
	out := h("<script>{act:tool-out-script}</script>\n<img src=x onerror=\"{act:tool-out-img}\">\n[x](javascript:{act:tool-out-link})\n") + long
	if answer["behavior"] != "allow" {
		out = h(`denied <img src=x onerror="{act:tool-denied}">`)
	}
	a.emit(map[string]any{"type": "user", "session_id": SessionID, "parent_tool_use_id": nil,
		"message": map[string]any{"role": "user", "content": []map[string]any{{
			"type": "tool_result", "tool_use_id": toolID, "content": out, "is_error": answer["behavior"] != "allow"}}}})
	a.result(false, h(`Turn failed: <img src=x onerror="{act:result-img}"> <script>{act:result-script}</script>`), "", start)
	return 0, false
}

// hostileTool writes a tool call and its result at once (no permission).
func (a *fake) hostileTool(name string, input map[string]any, output string, isErr bool) {
	a.reqN++
	id := "toolu_fake_" + strconv.Itoa(a.reqN)
	a.assistant(map[string]any{"type": "tool_use", "id": id, "name": name, "input": input})
	a.emit(map[string]any{"type": "user", "session_id": SessionID, "parent_tool_use_id": nil,
		"message": map[string]any{"role": "user", "content": []map[string]any{{
			"type": "tool_result", "tool_use_id": id, "content": output, "is_error": isErr}}}})
}

// raw writes one line as it is (not JSON).
func (a *fake) raw(line string) {
	a.mu.Lock()
	a.out.WriteString(line)
	a.out.WriteByte('\n')
	a.out.Flush()
	a.mu.Unlock()
}

// permission waits for the answer to permission request reqID and returns
// its inner response (behavior, message), ok=true. An interrupt meanwhile
// ends the turn (its result written) and a closed stdin ends the process:
// then ok is false and code, exit are what the turn returns.
func (a *fake) permission(reqID string, start time.Time) (answer map[string]any, code int, exit, ok bool) {
	for msg := range a.in {
		switch msg["type"] {
		case "control_request":
			req, _ := msg["request"].(map[string]any)
			a.controlOK(msg["request_id"], req["subtype"])
			if req["subtype"] == "interrupt" {
				a.emit(map[string]any{"type": "control_cancel_request", "request_id": reqID})
				a.result(false, "", "aborted_tools", start)
				return nil, 0, false, false
			}
		case "control_response":
			resp, _ := msg["response"].(map[string]any)
			if resp["request_id"] != reqID {
				continue
			}
			inner, _ := resp["response"].(map[string]any)
			return inner, 0, false, true
		}
	}
	return nil, 0, true, false
}
