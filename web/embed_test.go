package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// The committed build must be servable as is: an index.html that loads only
// content-hashed files from assets/, no inline script (the server's CSP is
// script-src 'self') and nothing from another origin.
func TestDistIsSelfContained(t *testing.T) {
	dist := FS()
	index, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		t.Fatalf("index.html missing from the embedded build: %v", err)
	}
	html := string(index)

	scripts := regexp.MustCompile(`(?s)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(html, -1)
	if len(scripts) == 0 {
		t.Fatal("index.html loads no script")
	}
	for _, s := range scripts {
		if strings.TrimSpace(s[2]) != "" {
			t.Errorf("inline script in index.html: %.80q", s[2])
		}
		if !strings.Contains(s[1], `src="./assets/`) {
			t.Errorf("script not loaded from assets/: %s", s[1])
		}
	}
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(html) {
		t.Error("index.html references another origin")
	}

	hashed := regexp.MustCompile(`^[A-Za-z0-9_.-]+-[A-Za-z0-9_-]{8}\.(js|css)$`)
	refs := regexp.MustCompile(`(?:src|href)="\./assets/([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) == 0 {
		t.Fatal("index.html references nothing under assets/")
	}
	for _, r := range refs {
		if !hashed.MatchString(r[1]) {
			t.Errorf("asset %q has no content hash in its name", r[1])
		}
		if _, err := fs.Stat(dist, "assets/"+r[1]); err != nil {
			t.Errorf("index.html references %s, which is not embedded", r[1])
		}
	}

	err = fs.WalkDir(dist, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dist, path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"fonts.googleapis.com", "cdn.jsdelivr.net", "unpkg.com"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s loads from %s", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
