package main

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// Every kind of slow connection sends a request head net/http parses (all
// but headers, whose last header never ends), announcing a body the
// server must wait for.
func TestSlowHead(t *testing.T) {
	for kind := range slowKinds {
		h := slowHead(kind, "127.0.0.1:9")
		if kind == "headers" {
			if strings.Contains(h, "\r\n\r\n") {
				t.Errorf("headers: the head ends: %q", h)
			}
			continue
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(h)))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if req.Method != "POST" || req.ContentLength != slowBodyLen || req.Host != "127.0.0.1:9" {
			t.Errorf("%s: %s %s CL %d host %s", kind, req.Method, req.URL, req.ContentLength, req.Host)
		}
		auth := req.Header.Get("Authorization")
		if (kind == "wrong") != (auth != "") {
			t.Errorf("%s: Authorization %q", kind, auth)
		}
		if (kind == "static") != (req.URL.Path == "/") {
			t.Errorf("%s: path %s", kind, req.URL.Path)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for in, want := range map[string]int{"HTTP/1.1 401 Unauthorized\r\n": 401, "HTTP/1.0 408 x": 408, "HTTP/1.1 4": 0, "garbage here": 0, "": 0} {
		if got := statusOf([]byte(in)); got != want {
			t.Errorf("statusOf(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSlowBodyVerdict(t *testing.T) {
	ok := slowBodyRun{CallsMs: []float64{2, 30}, MaxMs: 30, AfterMs: 2, RSSAfterMB: 24}
	if f := slowBodyVerdict(ok); f != nil {
		t.Errorf("a run within the bounds fails: %v", f)
	}
	for name, r := range map[string]slowBodyRun{
		"a call without answer": {CallsMs: []float64{2}, CallsFailed: 1, MaxMs: 10000, AfterMs: 2, RSSAfterMB: 24},
		"a call of 1 s":         {CallsMs: []float64{2, 1000}, MaxMs: 1000, AfterMs: 2, RSSAfterMB: 24},
		"the call after failed": {CallsMs: []float64{2}, MaxMs: 2, AfterMs: -1, RSSAfterMB: 24},
		"RSS of 100 MB after":   {CallsMs: []float64{2}, MaxMs: 2, AfterMs: 2, RSSAfterMB: 100},
	} {
		if f := slowBodyVerdict(r); len(f) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
}
