package store

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestURIPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		if got := uriPath(`C:\Users\me\corral\corral.db`); got != "/C:/Users/me/corral/corral.db" {
			t.Fatalf("got %q", got)
		}
		return
	}
	p := filepath.Join("/tmp", "a b#?", FileName)
	if got := uriPath(p); got != p {
		t.Fatalf("got %q", got)
	}
	// Special characters survive the URI: they are escaped, not read as
	// query or fragment.
	if d := dsn(p, false); d[:len("file:/tmp/a%20b%23%3F/corral.db?")] != "file:/tmp/a%20b%23%3F/corral.db?" {
		t.Fatalf("dsn %q", d)
	}
}
