package mockllm

import (
	"encoding/json"
	"net/http"
	"strings"
)

type anthropicBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

// parseAnthropic fills the conversation of a Messages API request. Content
// is a string or a list of blocks; role "system" entries (Claude Code sends
// some) are skipped like the top-level system prompt.
func parseAnthropic(req *Request) {
	var body struct {
		Model    string `json:"model"`
		Stream   bool   `json:"stream"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if json.Unmarshal(req.Body, &body) != nil {
		return
	}
	req.Model, req.Stream = body.Model, body.Stream
	for _, m := range body.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			continue
		}
		msg := Message{Role: m.Role}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			msg.Texts = append(msg.Texts, s)
			req.Messages = append(req.Messages, msg)
			continue
		}
		var blocks []anthropicBlock
		json.Unmarshal(m.Content, &blocks) // error ignored: tolerate odd shapes
		for _, b := range blocks {
			switch b.Type {
			case "text":
				msg.Texts = append(msg.Texts, b.Text)
			case "tool_use":
				msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: b.ID, Name: b.Name, Input: b.Input})
			case "tool_result":
				msg.ToolResults = append(msg.ToolResults, ToolResult{ID: b.ToolUseID, Content: flattenContent(b.Content), IsError: b.IsError})
			}
		}
		req.Messages = append(req.Messages, msg)
	}
}

// flattenContent turns a tool_result content (a string or text blocks)
// into plain text.
func flattenContent(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []anthropicBlock
	if json.Unmarshal(raw, &blocks) == nil {
		var parts []string
		for _, b := range blocks {
			if b.Type == "text" {
				parts = append(parts, b.Text)
			}
		}
		return strings.Join(parts, "\n")
	}
	return string(raw)
}

func usageCounts(req *Request, rep Reply) (in, out int) {
	in, out = rep.InputTokens, rep.OutputTokens
	if in == 0 {
		in = len(req.Body)/4 + 1
	}
	if out == 0 {
		out = len(rep.Text)/4 + len(rep.Thinking)/4 + 1
		if rep.Tool != nil {
			out += len(rep.Tool.Input)/4 + 5
		}
	}
	return in, out
}

func (s *Server) answerAnthropic(w http.ResponseWriter, r *http.Request, req *Request, rep Reply) {
	in, out := usageCounts(req, rep)
	model := req.Model
	if model == "" {
		model = "claude-mock"
	}
	stop := "end_turn"
	if rep.Tool != nil {
		stop = "tool_use"
	}
	if !req.Stream {
		// The non-streaming fallback Claude Code uses after a dropped stream.
		var content []map[string]any
		if rep.Thinking != "" {
			content = append(content, map[string]any{"type": "thinking", "thinking": rep.Thinking, "signature": "mock"})
		}
		if rep.Text != "" {
			content = append(content, map[string]any{"type": "text", "text": rep.Text})
		}
		if rep.Tool != nil {
			content = append(content, map[string]any{"type": "tool_use", "id": rep.Tool.ID, "name": rep.Tool.Name, "input": rep.Tool.Input})
		}
		w.Header().Set("request-id", "req_mock")
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
			"content": content, "stop_reason": stop, "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": in, "output_tokens": out},
		})
		return
	}

	e := s.newSSE(w, r, rep)
	if !e.event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_mock_" + itoa(req.Index), "type": "message", "role": "assistant", "model": model,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": in, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
	}}) {
		return
	}
	idx := 0
	if rep.Thinking != "" {
		if !e.event("content_block_start", map[string]any{"type": "content_block_start", "index": idx, "content_block": map[string]any{"type": "thinking", "thinking": "", "signature": ""}}) {
			return
		}
		for _, c := range words(rep.Thinking, rep.ChunkWords) {
			if !e.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx, "delta": map[string]any{"type": "thinking_delta", "thinking": c}}) {
				return
			}
		}
		if !e.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx, "delta": map[string]any{"type": "signature_delta", "signature": "mocksig"}}) ||
			!e.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx}) {
			return
		}
		idx++
	}
	if rep.Text != "" {
		if !e.event("content_block_start", map[string]any{"type": "content_block_start", "index": idx, "content_block": map[string]any{"type": "text", "text": ""}}) {
			return
		}
		for _, c := range words(rep.Text, rep.ChunkWords) {
			if !e.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx, "delta": map[string]any{"type": "text_delta", "text": c}}) {
				return
			}
		}
		if !e.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx}) {
			return
		}
		idx++
	}
	if rep.Tool != nil {
		if !e.event("content_block_start", map[string]any{"type": "content_block_start", "index": idx, "content_block": map[string]any{"type": "tool_use", "id": rep.Tool.ID, "name": rep.Tool.Name, "input": map[string]any{}}}) ||
			!e.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx, "delta": map[string]any{"type": "input_json_delta", "partial_json": string(rep.Tool.Input)}}) ||
			!e.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx}) {
			return
		}
	}
	if !e.event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": out}}) {
		return
	}
	e.event("message_stop", map[string]any{"type": "message_stop"})
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
