//go:build unix

package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// listAsEnv makes the test binary a helper that lists the directory named
// by the variable and prints the facade's answer as JSON, then exits (the
// os/exec test pattern). TestListDirectoryPermissionDenied runs it under
// another user id when the tests run as root, since root reads every
// directory.
const listAsEnv = "CORRAL_TEST_LIST_DIRECTORY"

func init() {
	dir, ok := os.LookupEnv(listAsEnv)
	if !ok {
		return
	}
	r, err := New(nil, nil).ListDirectory(context.Background(), ListDirectoryParams{Path: dir})
	out := map[string]any{"result": r}
	if err != nil {
		out = map[string]any{"error": AsError(err)}
	}
	json.NewEncoder(os.Stdout).Encode(out) // error ignored: the parent reports a short read
	os.Exit(0)
}

// listedAs is the helper's answer.
type listedAs struct {
	Result ListDirectoryResult `json:"result"`
	Error  *Error              `json:"error"`
}

func TestListDirectoryPermissionDenied(t *testing.T) {
	// Every ancestor of the tree must be traversable by the other user.
	base, err := os.MkdirTemp("", "corral-listdir-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(base, "tree", "locked"), 0o755); os.RemoveAll(base) }) // error ignored: cleanup
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(base, "tree")
	locked := filepath.Join(tree, "locked")
	if err := os.MkdirAll(filepath.Join(locked, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(locked, 0o700); err != nil {
		t.Fatal(err)
	}

	var list func(dir string) listedAs
	if os.Geteuid() == 0 {
		// Root may read anything, so the listing runs in a copy of this
		// test binary under the nobody user id, which owns nothing here.
		list = listAsNobody(t, base)
	} else {
		if err := os.Chmod(locked, 0o000); err != nil {
			t.Fatal(err)
		}
		list = func(dir string) listedAs {
			r, err := New(nil, nil).ListDirectory(context.Background(), ListDirectoryParams{Path: dir})
			return listedAs{Result: r, Error: AsError(err)}
		}
	}

	// The parent lists the locked directory (its name is readable)...
	got := list(tree)
	if got.Error != nil || len(got.Result.Entries) != 1 || got.Result.Entries[0].Name != "locked" {
		t.Fatalf("listing the parent: %+v", got)
	}
	// ...which itself cannot be opened, nor anything below it be reached.
	for _, dir := range []string{locked, filepath.Join(locked, "inside")} {
		got := list(dir)
		if got.Error == nil {
			t.Fatalf("%s listed: %+v", dir, got.Result)
		}
		if got.Error.Code != CodePermissionDenied || !strings.Contains(got.Error.Message, dir) ||
			!strings.Contains(got.Error.Message, "permission denied") {
			t.Fatalf("%s: %s %q, want %s naming the directory", dir, got.Error.Code, got.Error.Message, CodePermissionDenied)
		}
	}
}

// listAsNobody copies the test binary into dir and returns a function that
// runs ListDirectory in it as uid/gid 65534.
func listAsNobody(t *testing.T, dir string) func(string) listedAs {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "api.test")
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return func(path string) listedAs {
		t.Helper()
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), listAsEnv+"="+path)
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
		out, err := cmd.Output()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Skipf("cannot run a process as another user here (the permission check needs one when the tests run as root): %v", err)
		}
		if err != nil {
			t.Fatalf("helper as nobody: %v: %s", err, ee.Stderr)
		}
		var got listedAs
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("helper output %q: %v", out, err)
		}
		return got
	}
}
