package mockllm

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, sc Scenario) *Server {
	t.Helper()
	s, err := Start(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return s
}

func post(t *testing.T, ctx context.Context, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// sseData returns the data payloads of an SSE body.
func sseData(t *testing.T, r io.Reader) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var m map[string]any
			if err := json.Unmarshal([]byte(d), &m); err != nil {
				t.Fatalf("bad SSE data %q: %v", d, err)
			}
			out = append(out, m)
		}
	}
	return out
}

func TestAnthropicEchoStreamsAndRecordsConversation(t *testing.T) {
	s := start(t, Echo())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := `{"model":"m","stream":true,"messages":[
	 {"role":"user","content":"first"},
	 {"role":"assistant","content":[{"type":"text","text":"ok"}]},
	 {"role":"system","content":"agents list"},
	 {"role":"user","content":[{"type":"text","text":"<system-reminder>x</system-reminder>"},{"type":"text","text":"second one"}]}]}`
	resp := post(t, ctx, s.URL+"/v1/messages?beta=true", body)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var text string
	var types []string
	for _, ev := range sseData(t, resp.Body) {
		types = append(types, ev["type"].(string))
		if d, ok := ev["delta"].(map[string]any); ok && d["type"] == "text_delta" {
			text += d["text"].(string)
		}
	}
	if text != "reply 2: second one" {
		t.Fatalf("text %q", text)
	}
	if types[0] != "message_start" || types[len(types)-1] != "message_stop" {
		t.Fatalf("event order %v", types)
	}
	reqs := s.ModelRequests()
	if len(reqs) != 1 || len(reqs[0].Messages) != 3 || reqs[0].API != Anthropic || !reqs[0].Stream {
		t.Fatalf("recorded %+v", reqs)
	}
}

func TestToolThenTextSeesToolResultPerProtocol(t *testing.T) {
	s := start(t, ToolThenText(Shell("touch x")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// First request: the model asks for the tool.
	resp := post(t, ctx, s.URL+"/v1/responses", `{"model":"g","stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"go"}]}]}`)
	var call map[string]any
	for _, ev := range sseData(t, resp.Body) {
		if ev["type"] == "response.output_item.done" {
			if it := ev["item"].(map[string]any); it["type"] == "function_call" {
				call = it
			}
		}
	}
	resp.Body.Close()
	if call == nil || call["name"] != "exec_command" || !strings.Contains(call["arguments"].(string), "touch x") {
		t.Fatalf("no exec_command call: %v", call)
	}
	// Second request carries a rejected result.
	resp = post(t, ctx, s.URL+"/v1/responses", `{"model":"g","stream":true,"input":[
	 {"type":"message","role":"user","content":[{"type":"input_text","text":"go"}]},
	 {"type":"function_call","call_id":"c1","name":"exec_command","arguments":"{}"},
	 {"type":"function_call_output","call_id":"c1","output":"exec_command failed: rejected by user"}]}`)
	var text string
	for _, ev := range sseData(t, resp.Body) {
		if ev["type"] == "response.output_text.delta" {
			text += ev["delta"].(string)
		}
	}
	resp.Body.Close()
	if !strings.HasPrefix(text, "tool error: exec_command failed") {
		t.Fatalf("text %q", text)
	}

	// Gemini: a function response with output.
	resp = post(t, ctx, s.URL+"/v1beta/models/gem:streamGenerateContent?alt=sse", `{"contents":[
	 {"role":"user","parts":[{"text":"go"}]},
	 {"role":"model","parts":[{"functionCall":{"name":"run_shell_command","args":{}}}]},
	 {"role":"user","parts":[{"functionResponse":{"name":"run_shell_command","response":{"output":"done"}}}]}]}`)
	text = ""
	for _, ev := range sseData(t, resp.Body) {
		for _, c := range ev["candidates"].([]any) {
			for _, p := range c.(map[string]any)["content"].(map[string]any)["parts"].([]any) {
				text += p.(map[string]any)["text"].(string)
			}
		}
	}
	resp.Body.Close()
	if text != "tool result: done" {
		t.Fatalf("gemini text %q", text)
	}
	if got := len(s.ModelRequests()); got != 3 {
		t.Fatalf("%d model requests", got)
	}
}

func TestGeminiRouterGetsSchemaValue(t *testing.T) {
	s := start(t, Text("unused"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := post(t, ctx, s.URL+"/v1beta/models/lite:generateContent", `{"contents":[{"role":"user","parts":[{"text":"route"}]}],
	 "generationConfig":{"responseJsonSchema":{"type":"object","properties":{"complexity_reasoning":{"type":"string"},"complexity_score":{"type":"integer","minimum":1,"maximum":100}}}}}`)
	defer resp.Body.Close()
	var body struct {
		Candidates []struct {
			Content struct {
				Parts []struct{ Text string }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(body.Candidates[0].Content.Parts[0].Text), &v); err != nil {
		t.Fatal(err)
	}
	if v["complexity_score"] != float64(100) || v["complexity_reasoning"] == "" {
		t.Fatalf("router value %v", v)
	}
	if len(s.ModelRequests()) != 0 || len(s.Requests()) != 1 {
		t.Fatal("router call counted as a model turn")
	}
}

func TestErrorsCarryProtocolBodies(t *testing.T) {
	for _, tc := range []struct {
		status int
		path   string
		want   string
	}{
		{500, "/v1/messages", `"api_error"`},
		{429, "/v1/messages", `"rate_limit_error"`},
		{401, "/v1/messages", `"authentication_error"`},
		{401, "/v1/responses", `"invalid_request_error"`},
		{429, "/v1beta/models/x:streamGenerateContent", `"RESOURCE_EXHAUSTED"`},
	} {
		s := start(t, Error(tc.status, "boom"))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp := post(t, ctx, s.URL+tc.path, `{"stream":true}`)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) || !strings.Contains(string(b), "boom") {
			t.Errorf("%d %s: got %d %s", tc.status, tc.path, resp.StatusCode, b)
		}
		if tc.status == 429 && resp.Header.Get("retry-after") == "" {
			t.Errorf("429 without retry-after")
		}
	}
}

// TestDailyQuotaBody checks the Gemini body of DailyQuota: the details
// Gemini CLI classifies as a terminal quota (a per-day quota id) and the
// plain 429 the other protocols get.
func TestDailyQuotaBody(t *testing.T) {
	s := start(t, DailyQuota())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := post(t, ctx, s.URL+"/v1beta/models/x:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`)
	var body struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
			Details []struct {
				Type       string `json:"@type"`
				RetryDelay string `json:"retryDelay"`
				Violations []struct {
					QuotaID string `json:"quotaId"`
				} `json:"violations"`
			} `json:"details"`
		} `json:"error"`
	}
	err := json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 429 {
		t.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	e := body.Error
	var quotaID, retry string
	for _, d := range e.Details {
		switch d.Type {
		case "type.googleapis.com/google.rpc.QuotaFailure":
			if len(d.Violations) == 1 {
				quotaID = d.Violations[0].QuotaID
			}
		case "type.googleapis.com/google.rpc.RetryInfo":
			retry = d.RetryDelay
		}
	}
	if e.Code != 429 || e.Status != "RESOURCE_EXHAUSTED" || e.Message != DailyQuotaMessage || !strings.Contains(quotaID, "PerDay") || retry == "" {
		t.Fatalf("body %+v", e)
	}

	resp = post(t, ctx, s.URL+"/v1/messages", `{"stream":true}`)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || !strings.Contains(string(b), `"rate_limit_error"`) || strings.Contains(string(b), `"details"`) {
		t.Fatalf("Anthropic: %d %s", resp.StatusCode, b)
	}
}

func TestStallHoldsStreamUntilClientGivesUp(t *testing.T) {
	s := start(t, Stall())
	ctx, cancel := context.WithCancel(context.Background())
	resp := post(t, ctx, s.URL+"/v1/messages", `{"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	// The first event arrives...
	line, err := br.ReadString('\n')
	if err != nil || line != "event: message_start\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	br.ReadString('\n')
	br.ReadString('\n')
	// ...then nothing: a read only returns once the client cancels.
	got := make(chan error, 1)
	go func() {
		_, err := br.ReadString('\n')
		got <- err
	}()
	cancel()
	if err := <-got; err == nil {
		t.Fatal("stalled stream delivered more data")
	}
	resp.Body.Close()
}

func TestWordsRejoin(t *testing.T) {
	for _, s := range []string{"", "a", "hello big world", "trailing ", "ünï cödé"} {
		for per := 0; per < 3; per++ {
			if got := strings.Join(words(s, per), ""); got != s {
				t.Errorf("words(%q,%d) rejoined %q", s, per, got)
			}
		}
	}
}
