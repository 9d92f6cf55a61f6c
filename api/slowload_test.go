package api

import (
	"strings"
	"testing"
	"testing/fstest"
)

// A request with a body to the frontend (which needs no token) is answered
// without waiting for the body: net/http would otherwise read up to
// 256 KiB of it before writing the answer, at whatever pace the client
// sends it, and the connection would stay held for as long as it likes.
func TestStaticAnswersBeforeBody(t *testing.T) {
	static := fstest.MapFS{"index.html": {Data: []byte("<html></html>")}}
	_, hs := newTestServer(t, &fakeSessions{}, newMemSource(), func(o *ServerOptions) { o.Static = static })
	for _, c := range []struct{ head, want string }{
		{"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000", " 405 "},
		{"PUT /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked", " 405 "},
		{"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000", " 200 "},
		{"GET /nope.js HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000", " 404 "},
	} {
		conn := rawRequest(t, hs, c.head, "{")
		if st := readStatus(t, conn); !strings.Contains(st, c.want) {
			t.Errorf("%q: status line %q, want%s", strings.SplitN(c.head, "\r\n", 2)[0], st, c.want)
		}
	}
}
