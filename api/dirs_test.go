package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// dirTree makes
//
//	root/Alpha/inner/  root/beta/  root/.hidden/  root/zeta/
//	root/gamma -> Alpha   root/file.txt   root/filelink -> file.txt
//	root/broken -> (nothing)
//
// and returns root with its symlinks resolved (t.TempDir may itself sit
// behind one).
func dirTree(t *testing.T) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"Alpha/inner", "beta", ".hidden", "zeta"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "file.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"gamma": "Alpha", "filelink": "file.txt", "broken": "nowhere"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Skipf("symbolic links cannot be made here: %v", err)
		}
	}
	return root
}

func names(es []DirEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

func TestListDirectory(t *testing.T) {
	root := dirTree(t)
	t.Setenv("HOME", root)
	ctx := context.Background()
	visible := []string{"Alpha", "beta", "gamma", "zeta"}
	cases := []struct {
		name       string
		p          ListDirectoryParams
		wantPath   string
		wantParent string
		wantNames  []string
		wantCode   string
	}{
		{name: "home by default", p: ListDirectoryParams{}, wantPath: root, wantParent: filepath.Dir(root), wantNames: visible},
		{name: "tilde", p: ListDirectoryParams{Path: "~"}, wantPath: root, wantParent: filepath.Dir(root), wantNames: visible},
		{name: "below tilde", p: ListDirectoryParams{Path: "~/Alpha"}, wantPath: filepath.Join(root, "Alpha"), wantParent: root, wantNames: []string{"inner"}},
		{name: "hidden shown on request", p: ListDirectoryParams{Path: root, ShowHidden: true}, wantPath: root, wantParent: filepath.Dir(root),
			wantNames: []string{".hidden", "Alpha", "beta", "gamma", "zeta"}},
		{name: "unclean path is cleaned", p: ListDirectoryParams{Path: root + "/beta/../Alpha/"}, wantPath: filepath.Join(root, "Alpha"), wantParent: root, wantNames: []string{"inner"}},
		{name: "symlinked directory resolves", p: ListDirectoryParams{Path: filepath.Join(root, "gamma")}, wantPath: filepath.Join(root, "Alpha"), wantParent: root, wantNames: []string{"inner"}},
		{name: "empty directory", p: ListDirectoryParams{Path: filepath.Join(root, "zeta")}, wantPath: filepath.Join(root, "zeta"), wantParent: root, wantNames: []string{}},
		{name: "relative path", p: ListDirectoryParams{Path: "Alpha"}, wantCode: CodeInvalidArgument},
		{name: "dot-relative path", p: ListDirectoryParams{Path: "./Alpha"}, wantCode: CodeInvalidArgument},
		{name: "another user's home", p: ListDirectoryParams{Path: "~root"}, wantCode: CodeInvalidArgument},
		{name: "NUL byte", p: ListDirectoryParams{Path: root + "/a\x00b"}, wantCode: CodeInvalidArgument},
		{name: "nonexistent", p: ListDirectoryParams{Path: filepath.Join(root, "missing")}, wantCode: CodeNotFound},
		{name: "below a nonexistent", p: ListDirectoryParams{Path: filepath.Join(root, "missing", "deeper")}, wantCode: CodeNotFound},
		{name: "broken link", p: ListDirectoryParams{Path: filepath.Join(root, "broken")}, wantCode: CodeNotFound},
		{name: "a file", p: ListDirectoryParams{Path: filepath.Join(root, "file.txt")}, wantCode: CodeInvalidArgument},
		{name: "a link to a file", p: ListDirectoryParams{Path: filepath.Join(root, "filelink")}, wantCode: CodeInvalidArgument},
		{name: "below a file", p: ListDirectoryParams{Path: filepath.Join(root, "file.txt", "x")}, wantCode: CodeNotFound},
	}
	a := New(&fakeSessions{}, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := a.ListDirectory(ctx, c.p)
			if c.wantCode != "" {
				if err == nil {
					t.Fatalf("listed %+v, want error %s", r, c.wantCode)
				}
				if got := AsError(err); got.Code != c.wantCode || got.Message == "" {
					t.Fatalf("error %s %q, want code %s", got.Code, got.Message, c.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Path != c.wantPath || r.Parent != c.wantParent || r.Truncated {
				t.Fatalf("path %q parent %q truncated %v, want %q %q false", r.Path, r.Parent, r.Truncated, c.wantPath, c.wantParent)
			}
			if got := names(r.Entries); !slices.Equal(got, c.wantNames) {
				t.Fatalf("entries %v, want %v", got, c.wantNames)
			}
			for _, e := range r.Entries {
				if e.Path != filepath.Join(r.Path, e.Name) {
					t.Errorf("entry %q has path %q", e.Name, e.Path)
				}
				if st, err := os.Stat(e.Path); err != nil || !st.IsDir() {
					t.Errorf("entry %q is not a directory (%v)", e.Name, err)
				}
			}
		})
	}
}

func TestListDirectoryRoot(t *testing.T) {
	r, err := New(&fakeSessions{}, nil).ListDirectory(context.Background(), ListDirectoryParams{Path: "/"})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.VolumeName(r.Path) + string(filepath.Separator)
	if r.Path != want || r.Parent != "" {
		t.Fatalf("path %q parent %q, want %q and no parent", r.Path, r.Parent, want)
	}
	if len(r.Entries) == 0 {
		t.Fatal("the root lists no directories")
	}
}

func TestListDirectoryTruncates(t *testing.T) {
	root := t.TempDir()
	// More directories than the cap, in mixed case, plus files that must
	// not take places in the listing.
	var all []string
	for i := range MaxDirEntries + 37 {
		name := fmt.Sprintf("d%04d", (i*7919)%(MaxDirEntries+37)) // created out of order
		if i%3 == 0 {
			name = strings.ToUpper(name)
		}
		all = append(all, name)
		if err := os.Mkdir(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("a-file-%d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := New(&fakeSessions{}, nil).ListDirectory(context.Background(), ListDirectoryParams{Path: root})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Truncated || len(r.Entries) != MaxDirEntries {
		t.Fatalf("truncated %v with %d entries, want true with %d", r.Truncated, len(r.Entries), MaxDirEntries)
	}
	sort.Slice(all, func(i, j int) bool { return strings.ToLower(all[i]) < strings.ToLower(all[j]) })
	if got := names(r.Entries); !slices.Equal(got, all[:MaxDirEntries]) {
		t.Fatalf("the listing is not the first %d in case-insensitive order: starts %v, want %v", MaxDirEntries, got[:5], all[:5])
	}

	// At the cap exactly nothing is cut.
	for _, n := range all[MaxDirEntries:] {
		if err := os.Remove(filepath.Join(root, n)); err != nil {
			t.Fatal(err)
		}
	}
	r, err = New(&fakeSessions{}, nil).ListDirectory(context.Background(), ListDirectoryParams{Path: root})
	if err != nil {
		t.Fatal(err)
	}
	if r.Truncated || len(r.Entries) != MaxDirEntries {
		t.Fatalf("at the cap: truncated %v with %d entries", r.Truncated, len(r.Entries))
	}
}

func TestListDirectoryCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(&fakeSessions{}, nil).ListDirectory(ctx, ListDirectoryParams{Path: t.TempDir()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestListDirectoryHTTP(t *testing.T) {
	root := dirTree(t)
	_, hs := newTestServer(t, &fakeSessions{}, nil, nil)
	auth := map[string]string{"Authorization": "Bearer " + testToken}

	body, _ := json.Marshal(map[string]any{"path": filepath.Join(root, "gamma", ".."), "showHidden": true})
	code, resp, _ := do(t, hs, "POST", "/api/call/ListDirectory", string(body), auth)
	if code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	var r struct {
		Result struct {
			Path      string            `json:"path"`
			Parent    *string           `json:"parent"`
			Entries   []json.RawMessage `json:"entries"`
			Truncated *bool             `json:"truncated"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(resp), &r); err != nil {
		t.Fatal(err)
	}
	// The path is cleaned as text first (gamma/.. is root, as in a shell),
	// then its links are resolved.
	if r.Result.Path != root || r.Result.Parent == nil || *r.Result.Parent != filepath.Dir(root) ||
		r.Result.Truncated == nil || *r.Result.Truncated || len(r.Result.Entries) != 5 {
		t.Fatalf("result %s", resp)
	}
	code, resp, _ = do(t, hs, "POST", "/api/call/ListDirectory", fmt.Sprintf(`{"path":%q,"showHidden":true}`, root), auth)
	if code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	want := fmt.Sprintf(`{"name":".hidden","path":%q}`, filepath.Join(root, ".hidden"))
	if !strings.Contains(resp, want) || strings.Contains(resp, "file.txt") || strings.Contains(resp, "filelink") {
		t.Fatalf("entries: %s", resp)
	}

	// An empty directory answers entries: [] (not null).
	code, resp, _ = do(t, hs, "POST", "/api/call/ListDirectory", fmt.Sprintf(`{"path":%q}`, filepath.Join(root, "zeta")), auth)
	if code != 200 || !strings.Contains(resp, `"entries":[]`) || !strings.Contains(resp, `"truncated":false`) {
		t.Fatalf("empty: %d %s", code, resp)
	}

	for _, c := range []struct {
		body string
		code int
		err  string
	}{
		{`{"path":"relative/dir"}`, 400, CodeInvalidArgument},
		{fmt.Sprintf(`{"path":%q}`, filepath.Join(root, "missing")), 404, CodeNotFound},
		{fmt.Sprintf(`{"path":%q}`, filepath.Join(root, "file.txt")), 400, CodeInvalidArgument},
		{`{"dir":"/"}`, 400, CodeInvalidArgument}, // unknown field
	} {
		code, resp, _ := do(t, hs, "POST", "/api/call/ListDirectory", c.body, auth)
		if code != c.code || !strings.Contains(resp, `"code":"`+c.err+`"`) {
			t.Errorf("%s: %d %s, want %d %s", c.body, code, resp, c.code, c.err)
		}
	}
}
