package proc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestChildInheritsNoStrayDescriptor opens a file without O_CLOEXEC, as a
// careless library (or C code) in corral might, and checks that no child
// sees it: only stdin, stdout and stderr are passed.
func TestChildInheritsNoStrayDescriptor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stray-descriptor")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	for _, mode := range []StdinMode{StdinNone, StdinPipe, StdinPTY} {
		t.Run(mode.String(), func(t *testing.T) {
			// ls lists its own descriptors, which are the ones sh passed on.
			spec := shSpec(t, "ls -l /proc/self/fd/")
			spec.Stdin = mode
			res, err := Execute(context.Background(), spec, ExecOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out := string(res.Stdout)
			if !res.Success() || !strings.Contains(out, "/proc/") {
				t.Fatalf("ls failed: %+v %q %q", res.ExitStatus, out, res.Stderr)
			}
			if strings.Contains(out, path) {
				t.Fatalf("descriptor %d (%s) reached the child:\n%s", fd, path, out)
			}
		})
	}
}

// TestListedDescriptorsAreMarked covers the path taken where close_range
// is not available: the descriptors listed in /proc/self/fd are marked.
func TestListedDescriptorsAreMarked(t *testing.T) {
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	flags := func() int {
		f, err := unix.FcntlInt(uintptr(fd), syscall.F_GETFD, 0)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if flags()&syscall.FD_CLOEXEC != 0 {
		t.Fatal("opened without O_CLOEXEC, yet marked")
	}
	if err := markListedCloseOnExec(fdDir); err != nil {
		t.Fatal(err)
	}
	if flags()&syscall.FD_CLOEXEC == 0 {
		t.Fatalf("descriptor %d not marked close-on-exec", fd)
	}
}
