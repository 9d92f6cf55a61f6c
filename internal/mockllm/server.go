// Package mockllm is a model API server for tests: it speaks the three wire
// protocols the supported agent CLIs use (Anthropic Messages, OpenAI
// Responses and Gemini generateContent / streamGenerateContent), always
// streaming with Server-Sent Events where the real API does, and answers
// according to a Scenario chosen by the test.
//
// The server listens on 127.0.0.1 on a free port and never reaches beyond
// it. Every request is recorded, parsed into a protocol-neutral
// conversation (Request.Messages), so a test can assert what the CLI sent:
// that a second turn carries the first, that a denied tool call reached the
// model as an error result, and so on.
//
// A Scenario maps a parsed request to a Reply: text (optionally thinking),
// a tool call, an HTTP error, slow streaming, or a stream that stalls after
// its headers. Scenarios see the whole conversation, so replies can depend
// on earlier turns and on tool results.
package mockllm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// API names a wire protocol.
type API string

// The protocols the server speaks.
const (
	Anthropic API = "anthropic" // POST /v1/messages
	OpenAI    API = "openai"    // POST /v1/responses
	Gemini    API = "gemini"    // POST /v1beta/models/{model}:streamGenerateContent and :generateContent
)

// Request is one recorded HTTP request with its parsed conversation.
type Request struct {
	API    API
	Method string
	Path   string // URL path with the query string
	Header http.Header
	Body   []byte
	Time   time.Time

	// Stream reports whether the client asked for a streamed answer.
	Stream bool
	// Model is the model the client named.
	Model string
	// Messages is the conversation in order, system and developer
	// prompts excluded.
	Messages []Message
	// Structured is set for a Gemini request that asks for JSON matching
	// a schema (the CLI's model router); such requests are answered with
	// a value built from the schema, not by the scenario.
	Structured bool
	// Index counts the model-turn requests the scenario has answered
	// before this one (0 for the first).
	Index int
}

// Message is one entry of a conversation in protocol-neutral form.
type Message struct {
	Role        string // "user" or "assistant"
	Texts       []string
	ToolCalls   []ToolCall
	ToolResults []ToolResult
}

// ToolCall is a tool invocation the model made.
type ToolCall struct {
	ID    string
	Name  string
	Input json.RawMessage // a JSON object
}

// ToolResult is what the client reported back for a tool call.
type ToolResult struct {
	ID      string
	Content string
	IsError bool
}

// Text returns the message's text blocks joined by newlines.
func (m Message) Text() string { return strings.Join(m.Texts, "\n") }

// LastUserText returns the newest user text of the conversation that is
// not client-injected context: CLIs add blocks such as
// "<system-reminder>…" to user messages, and those are skipped.
func (r *Request) LastUserText() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		m := r.Messages[i]
		if m.Role != "user" {
			continue
		}
		for j := len(m.Texts) - 1; j >= 0; j-- {
			t := strings.TrimSpace(m.Texts[j])
			if t != "" && !strings.HasPrefix(t, "<") {
				return t
			}
		}
	}
	return ""
}

// UserTexts returns every user text of the conversation in order, with
// client-injected context skipped as in LastUserText.
func (r *Request) UserTexts() []string {
	var out []string
	for _, m := range r.Messages {
		if m.Role != "user" {
			continue
		}
		for _, t := range m.Texts {
			t = strings.TrimSpace(t)
			if t != "" && !strings.HasPrefix(t, "<") {
				out = append(out, t)
			}
		}
	}
	return out
}

// LastToolResult returns the newest tool result in the conversation.
func (r *Request) LastToolResult() (ToolResult, bool) {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if n := len(r.Messages[i].ToolResults); n > 0 {
			return r.Messages[i].ToolResults[n-1], true
		}
		if r.Messages[i].Role == "assistant" {
			// Results older than the last assistant message belong to
			// an earlier exchange.
			return ToolResult{}, false
		}
	}
	return ToolResult{}, false
}

// Server is a running mock. Create one with Start and stop it with Close.
type Server struct {
	URL string // http://127.0.0.1:PORT, no trailing slash

	ln       net.Listener
	srv      *http.Server
	done     chan struct{}
	closeOne sync.Once

	mu       sync.Mutex
	scenario Scenario
	requests []Request
	answered int
}

// Start listens on 127.0.0.1 on a free port and serves sc.
func Start(sc Scenario) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mockllm: listen: %w", err)
	}
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		ln:       ln,
		done:     make(chan struct{}),
		scenario: sc,
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) // error ignored: returns http.ErrServerClosed on Close
	return s, nil
}

// SetScenario replaces the scenario for the requests that follow.
func (s *Server) SetScenario(sc Scenario) {
	s.mu.Lock()
	s.scenario = sc
	s.mu.Unlock()
}

// Close releases stalled streams and stops the server.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// Requests returns a copy of every request recorded so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ModelRequests returns the recorded requests that asked a model for a
// turn: structured router calls, probes and unknown paths are left out.
func (s *Server) ModelRequests() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.API != "" && !r.Structured {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
}

// ServeHTTP routes by path. Unknown paths get 404 and are recorded so a
// test can see what a new CLI version asks for.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	req := Request{
		Method: r.Method,
		Path:   r.URL.RequestURI(),
		Header: r.Header.Clone(),
		Body:   body,
		Time:   time.Now(),
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/v1/messages"):
		req.API = Anthropic
		parseAnthropic(&req)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/v1/responses"):
		req.API = OpenAI
		parseOpenAI(&req)
	case r.Method == http.MethodPost && strings.Contains(path, "/models/") &&
		(strings.HasSuffix(path, ":streamGenerateContent") || strings.HasSuffix(path, ":generateContent")):
		req.API = Gemini
		parseGemini(&req, path)
	case r.Method == http.MethodPost && strings.HasSuffix(path, ":countTokens"):
		s.record(req)
		writeJSON(w, http.StatusOK, map[string]any{"totalTokens": len(body) / 4})
		return
	case (r.Method == http.MethodHead || r.Method == http.MethodGet) && path == "/":
		// Claude Code probes connectivity with HEAD / before a run.
		s.record(req)
		w.WriteHeader(http.StatusOK)
		return
	default:
		s.record(req)
		http.NotFound(w, r)
		return
	}

	if req.Structured {
		s.record(req)
		answerStructured(w, &req)
		return
	}

	s.mu.Lock()
	req.Index = s.answered
	s.answered++
	sc := s.scenario
	s.mu.Unlock()
	s.record(req)

	reply := sc.Reply(&req)
	setRateLimitHeaders(w.Header(), req.API, reply.RateLimits, time.Now())
	if reply.Status != 0 && reply.Status != http.StatusOK {
		writeError(w, req.API, reply)
		return
	}
	switch req.API {
	case Anthropic:
		s.answerAnthropic(w, r, &req, reply)
	case OpenAI:
		s.answerOpenAI(w, r, &req, reply)
	case Gemini:
		s.answerGemini(w, r, &req, reply)
	}
}

// sse writes Server-Sent Events and applies the reply's pacing.
type sse struct {
	w     http.ResponseWriter
	r     *http.Request
	done  <-chan struct{}
	delay time.Duration
	n     int // events written
	stall int // stall after this many events (0: never)
}

func (s *Server) newSSE(w http.ResponseWriter, r *http.Request, rep Reply) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("request-id", "req_mock")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	st := rep.StallAfter
	if rep.Stall && st == 0 {
		st = 1
	}
	return &sse{w: w, r: r, done: s.done, delay: rep.Delay, stall: st}
}

// event writes one event. It reports false once the client is gone, the
// server closes, or the stream stalls; the caller then stops writing.
func (e *sse) event(name string, data any) bool {
	if e.stall > 0 && e.n >= e.stall {
		// Keep the connection open and silent until the client or the
		// server gives up: this is the stall scenario.
		select {
		case <-e.r.Context().Done():
		case <-e.done:
		}
		return false
	}
	if e.n > 0 && e.delay > 0 {
		t := time.NewTimer(e.delay)
		select {
		case <-t.C:
		case <-e.r.Context().Done():
			t.Stop()
			return false
		case <-e.done:
			t.Stop()
			return false
		}
	}
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	if name != "" {
		buf.WriteString("event: ")
		buf.WriteString(name)
		buf.WriteByte('\n')
	}
	buf.WriteString("data: ")
	buf.Write(b)
	buf.WriteString("\n\n")
	if _, err := e.w.Write(buf.Bytes()); err != nil {
		return false
	}
	if f, ok := e.w.(http.Flusher); ok {
		f.Flush()
	}
	e.n++
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // error ignored: client may be gone
}

// writeError answers with the protocol's error body for rep.Status.
func writeError(w http.ResponseWriter, api API, rep Reply) {
	msg := rep.ErrorMessage
	if msg == "" {
		msg = fmt.Sprintf("mock error %d", rep.Status)
	}
	if rep.RetryAfter != "" {
		w.Header().Set("retry-after", rep.RetryAfter)
	}
	switch api {
	case Anthropic:
		typ := "api_error"
		switch rep.Status {
		case 401:
			typ = "authentication_error"
		case 429:
			typ = "rate_limit_error"
		case 529:
			typ = "overloaded_error"
		case 400:
			typ = "invalid_request_error"
		}
		w.Header().Set("request-id", "req_mock")
		writeJSON(w, rep.Status, map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}})
	case OpenAI:
		typ := "server_error"
		switch rep.Status {
		case 401:
			typ = "invalid_request_error"
		case 429:
			typ = "rate_limit_exceeded"
		}
		writeJSON(w, rep.Status, map[string]any{"error": map[string]any{"type": typ, "message": msg, "code": nil}})
	default:
		status := "INTERNAL"
		switch rep.Status {
		case 401:
			status = "UNAUTHENTICATED"
		case 429:
			status = "RESOURCE_EXHAUSTED"
		case 400:
			status = "INVALID_ARGUMENT"
		}
		body := map[string]any{"code": rep.Status, "message": msg, "status": status}
		if len(rep.ErrorDetails) > 0 {
			body["details"] = rep.ErrorDetails
		}
		writeJSON(w, rep.Status, map[string]any{"error": body})
	}
}

// words splits text into streaming chunks: each word keeps its trailing
// space so the chunks concatenate back to text.
func words(text string, per int) []string {
	if per <= 0 {
		per = 1
	}
	var out []string
	var cur strings.Builder
	n := 0
	for i, r := range text {
		cur.WriteRune(r)
		if r == ' ' || i == len(text)-1 {
			n++
			if n%per == 0 || i == len(text)-1 {
				out = append(out, cur.String())
				cur.Reset()
			}
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}
