package mockllm

import (
	"encoding/json"
	"net/http"
	"time"
)

// parseOpenAI fills the conversation of a Responses API request. Input is
// a string or a list of items: messages (roles developer and system are
// prompts and skipped), function_call and function_call_output.
func parseOpenAI(req *Request) {
	var body struct {
		Model  string          `json:"model"`
		Stream bool            `json:"stream"`
		Input  json.RawMessage `json:"input"`
	}
	if json.Unmarshal(req.Body, &body) != nil {
		return
	}
	req.Model, req.Stream = body.Model, body.Stream
	var s string
	if json.Unmarshal(body.Input, &s) == nil {
		req.Messages = append(req.Messages, Message{Role: "user", Texts: []string{s}})
		return
	}
	var items []struct {
		Type      string          `json:"type"`
		Role      string          `json:"role"`
		Content   json.RawMessage `json:"content"`
		CallID    string          `json:"call_id"`
		Name      string          `json:"name"`
		Arguments string          `json:"arguments"`
		Output    json.RawMessage `json:"output"`
	}
	json.Unmarshal(body.Input, &items) // error ignored: tolerate odd shapes
	// Consecutive items of one role form one message, as in the other
	// protocols, so tool results land in a "user" message after the
	// assistant's calls.
	add := func(role string) *Message {
		if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == role {
			return &req.Messages[n-1]
		}
		req.Messages = append(req.Messages, Message{Role: role})
		return &req.Messages[len(req.Messages)-1]
	}
	for _, it := range items {
		switch it.Type {
		case "message", "":
			if it.Role != "user" && it.Role != "assistant" {
				continue
			}
			m := add(it.Role)
			var s string
			if json.Unmarshal(it.Content, &s) == nil {
				m.Texts = append(m.Texts, s)
				continue
			}
			var parts []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}
			json.Unmarshal(it.Content, &parts)
			for _, p := range parts {
				if p.Text != "" {
					m.Texts = append(m.Texts, p.Text)
				}
			}
		case "function_call", "custom_tool_call", "local_shell_call":
			m := add("assistant")
			m.ToolCalls = append(m.ToolCalls, ToolCall{ID: it.CallID, Name: it.Name, Input: json.RawMessage(it.Arguments)})
		case "function_call_output", "custom_tool_call_output":
			m := add("user")
			out := flattenOpenAIOutput(it.Output)
			m.ToolResults = append(m.ToolResults, ToolResult{ID: it.CallID, Content: out, IsError: looksFailed(out)})
		}
	}
}

// flattenOpenAIOutput turns a function_call_output (a string or a list of
// input_text parts) into text.
func flattenOpenAIOutput(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		out := ""
		for _, p := range parts {
			out += p.Text
		}
		return out
	}
	return string(raw)
}

// looksFailed reports whether a Codex tool output says the call was
// rejected or failed: the Responses API has no error flag, so Codex
// reports failures in the text.
func looksFailed(out string) bool {
	for _, m := range []string{"rejected by user", "exec_command failed", "declined"} {
		if containsFold(out, m) {
			return true
		}
	}
	return false
}

func (s *Server) answerOpenAI(w http.ResponseWriter, r *http.Request, req *Request, rep Reply) {
	in, out := usageCounts(req, rep)
	model := req.Model
	if model == "" {
		model = "gpt-mock"
	}
	id := "resp_mock_" + itoa(req.Index)
	created := time.Now().Unix()
	resp := func(status string, output []any, usage any) map[string]any {
		m := map[string]any{"id": id, "object": "response", "created_at": created, "status": status, "model": model, "output": output}
		if usage != nil {
			m["usage"] = usage
		}
		return m
	}
	e := s.newSSE(w, r, rep)
	seq := 0
	ev := func(typ string, fields map[string]any) bool {
		fields["type"] = typ
		fields["sequence_number"] = seq
		seq++
		return e.event(typ, fields)
	}
	if !ev("response.created", map[string]any{"response": resp("in_progress", []any{}, nil)}) ||
		!ev("response.in_progress", map[string]any{"response": resp("in_progress", []any{}, nil)}) {
		return
	}
	var output []any
	oi := 0
	if rep.Text != "" {
		itemID := "msg_mock_" + itoa(req.Index)
		if !ev("response.output_item.added", map[string]any{"output_index": oi, "item": map[string]any{"id": itemID, "type": "message", "status": "in_progress", "role": "assistant", "content": []any{}}}) ||
			!ev("response.content_part.added", map[string]any{"item_id": itemID, "output_index": oi, "content_index": 0, "part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}}) {
			return
		}
		for _, c := range words(rep.Text, rep.ChunkWords) {
			if !ev("response.output_text.delta", map[string]any{"item_id": itemID, "output_index": oi, "content_index": 0, "delta": c, "logprobs": []any{}}) {
				return
			}
		}
		part := map[string]any{"type": "output_text", "text": rep.Text, "annotations": []any{}}
		item := map[string]any{"id": itemID, "type": "message", "status": "completed", "role": "assistant", "content": []any{part}}
		if !ev("response.output_text.done", map[string]any{"item_id": itemID, "output_index": oi, "content_index": 0, "text": rep.Text, "logprobs": []any{}}) ||
			!ev("response.content_part.done", map[string]any{"item_id": itemID, "output_index": oi, "content_index": 0, "part": part}) ||
			!ev("response.output_item.done", map[string]any{"output_index": oi, "item": item}) {
			return
		}
		output = append(output, item)
		oi++
	}
	if rep.Tool != nil {
		itemID := "fc_mock_" + itoa(req.Index)
		args := string(rep.Tool.Input)
		if !ev("response.output_item.added", map[string]any{"output_index": oi, "item": map[string]any{"id": itemID, "type": "function_call", "status": "in_progress", "call_id": rep.Tool.ID, "name": rep.Tool.Name, "arguments": ""}}) ||
			!ev("response.function_call_arguments.delta", map[string]any{"item_id": itemID, "output_index": oi, "delta": args}) ||
			!ev("response.function_call_arguments.done", map[string]any{"item_id": itemID, "output_index": oi, "arguments": args}) {
			return
		}
		item := map[string]any{"id": itemID, "type": "function_call", "status": "completed", "call_id": rep.Tool.ID, "name": rep.Tool.Name, "arguments": args}
		if !ev("response.output_item.done", map[string]any{"output_index": oi, "item": item}) {
			return
		}
		output = append(output, item)
	}
	usage := map[string]any{
		"input_tokens": in, "input_tokens_details": map[string]any{"cached_tokens": 0},
		"output_tokens": out, "output_tokens_details": map[string]any{"reasoning_tokens": 0},
		"total_tokens": in + out,
	}
	ev("response.completed", map[string]any{"response": resp("completed", output, usage)})
}
