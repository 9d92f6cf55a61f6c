package mockllm

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"
)

// parseGemini fills the conversation of a generateContent or
// streamGenerateContent request. The model name is the path segment before
// the colon. A request whose generationConfig carries a JSON schema is
// marked Structured (Gemini CLI's model router asks that way).
func parseGemini(req *Request, path string) {
	seg := path[strings.LastIndex(path, "/models/")+len("/models/"):]
	name, method, _ := strings.Cut(seg, ":")
	req.Model = name
	req.Stream = method == "streamGenerateContent"
	var body struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []struct {
				Text         string `json:"text"`
				Thought      bool   `json:"thought"`
				FunctionCall *struct {
					ID   string          `json:"id"`
					Name string          `json:"name"`
					Args json.RawMessage `json:"args"`
				} `json:"functionCall"`
				FunctionResponse *struct {
					ID       string          `json:"id"`
					Name     string          `json:"name"`
					Response json.RawMessage `json:"response"`
				} `json:"functionResponse"`
			} `json:"parts"`
		} `json:"contents"`
		GenerationConfig struct {
			ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
			ResponseSchema     json.RawMessage `json:"responseSchema"`
			ResponseMimeType   string          `json:"responseMimeType"`
		} `json:"generationConfig"`
	}
	if json.Unmarshal(req.Body, &body) != nil {
		return
	}
	gc := body.GenerationConfig
	req.Structured = len(gc.ResponseJSONSchema) > 0 || len(gc.ResponseSchema) > 0 || gc.ResponseMimeType == "application/json"
	for _, c := range body.Contents {
		role := "user"
		if c.Role == "model" {
			role = "assistant"
		}
		m := Message{Role: role}
		for _, p := range c.Parts {
			switch {
			case p.FunctionCall != nil:
				m.ToolCalls = append(m.ToolCalls, ToolCall{ID: p.FunctionCall.ID, Name: p.FunctionCall.Name, Input: p.FunctionCall.Args})
			case p.FunctionResponse != nil:
				out, isErr := geminiFunctionOutput(p.FunctionResponse.Response)
				m.ToolResults = append(m.ToolResults, ToolResult{ID: p.FunctionResponse.ID, Content: out, IsError: isErr})
			case p.Text != "" && !p.Thought:
				m.Texts = append(m.Texts, p.Text)
			}
		}
		req.Messages = append(req.Messages, m)
	}
}

// geminiFunctionOutput reads a functionResponse.response object: Gemini CLI
// puts the tool's output under "output" and failures under "error".
func geminiFunctionOutput(raw json.RawMessage) (string, bool) {
	var r struct {
		Output json.RawMessage `json:"output"`
		Error  json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return string(raw), false
	}
	if len(r.Error) > 0 {
		return flattenContent(r.Error), true
	}
	if len(r.Output) > 0 {
		out := flattenContent(r.Output)
		return out, looksFailed(out) || containsFold(out, "canceled by the user") || containsFold(out, "cancelled by the user")
	}
	return string(raw), false
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func geminiUsage(in, out int) map[string]any {
	return map[string]any{"promptTokenCount": in, "candidatesTokenCount": out, "totalTokenCount": in + out}
}

// answerStructured answers a JSON-schema request with a value built from
// the schema, so a router that parses the answer gets what it expects.
func answerStructured(w http.ResponseWriter, req *Request) {
	var body struct {
		GenerationConfig struct {
			ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
			ResponseSchema     json.RawMessage `json:"responseSchema"`
		} `json:"generationConfig"`
	}
	json.Unmarshal(req.Body, &body)
	schema := body.GenerationConfig.ResponseJSONSchema
	if len(schema) == 0 {
		schema = body.GenerationConfig.ResponseSchema
	}
	var s any
	json.Unmarshal(schema, &s)
	text, _ := json.Marshal(fromSchema(s, ""))
	writeJSON(w, http.StatusOK, map[string]any{
		"candidates": []any{map[string]any{
			"content":      map[string]any{"role": "model", "parts": []any{map[string]any{"text": string(text)}}},
			"finishReason": "STOP", "index": 0,
		}},
		"usageMetadata": geminiUsage(len(req.Body)/4+1, len(text)/4+1),
		"modelVersion":  req.Model,
	})
}

// fromSchema builds a value that satisfies a (simple) JSON schema: the
// first enum value, numbers at their maximum or 10, strings "mock".
func fromSchema(s any, name string) any {
	m, _ := s.(map[string]any)
	if m == nil {
		return "mock"
	}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	typ, _ := m["type"].(string)
	switch strings.ToLower(typ) {
	case "object":
		out := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		for k, v := range props {
			out[k] = fromSchema(v, k)
		}
		return out
	case "array":
		return []any{fromSchema(m["items"], name)}
	case "integer", "number":
		if max, ok := m["maximum"].(float64); ok {
			return max
		}
		return 10
	case "boolean":
		return false
	default:
		return "mock " + strings.TrimFunc(name, func(r rune) bool { return !unicode.IsLetter(r) })
	}
}

func (s *Server) answerGemini(w http.ResponseWriter, r *http.Request, req *Request, rep Reply) {
	in, out := usageCounts(req, rep)
	model := req.Model
	var parts []any
	if !req.Stream {
		if rep.Text != "" {
			parts = append(parts, map[string]any{"text": rep.Text})
		}
		if rep.Tool != nil {
			parts = append(parts, map[string]any{"functionCall": map[string]any{"name": rep.Tool.Name, "args": rep.Tool.Input}})
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"candidates":    []any{map[string]any{"content": map[string]any{"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}},
			"usageMetadata": geminiUsage(in, out),
			"modelVersion":  model,
		})
		return
	}
	e := s.newSSE(w, r, rep)
	chunk := func(part map[string]any, final bool) bool {
		cand := map[string]any{"content": map[string]any{"role": "model", "parts": []any{part}}, "index": 0}
		m := map[string]any{"candidates": []any{cand}, "modelVersion": model, "responseId": "mock_" + itoa(req.Index)}
		if final {
			cand["finishReason"] = "STOP"
			m["usageMetadata"] = geminiUsage(in, out)
		}
		return e.event("", m)
	}
	chunks := []string{}
	if rep.Text != "" {
		chunks = words(rep.Text, rep.ChunkWords)
	}
	for i, c := range chunks {
		if !chunk(map[string]any{"text": c}, rep.Tool == nil && i == len(chunks)-1) {
			return
		}
	}
	if rep.Tool != nil {
		chunk(map[string]any{"functionCall": map[string]any{"name": rep.Tool.Name, "args": rep.Tool.Input}}, true)
	} else if len(chunks) == 0 {
		chunk(map[string]any{"text": ""}, true)
	}
}
