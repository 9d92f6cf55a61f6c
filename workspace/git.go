package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/corral-dev/corral/proc"
)

// run is one invocation of git (or gh) with a fixed argument vector.
type run struct {
	dir    string
	args   []string
	env    []string // added to the base environment (later entries win)
	stdin  []byte
	maxOut int   // stdout cap; 0 = proc.DefaultMaxCapture
	okExit []int // exit codes that are not errors besides 0
}

// baseEnv is the complete environment of every child: nothing is inherited
// except what is listed here. GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE and the
// like from corral's own environment never reach git.
func (m *Manager) baseEnv() []string {
	env := []string{
		"PATH=" + m.opts.PATH,
		"LC_ALL=C",
		"LANG=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_PAGER=cat",
		"PAGER=cat",
		"GIT_EDITOR=true",
		"GIT_MERGE_AUTOEDIT=no",
	}
	if m.opts.Home != "" {
		env = append(env, "HOME="+m.opts.Home)
	}
	return append(env, m.opts.ExtraEnv...)
}

// exec runs program with r and returns its stdout. A non-zero exit not in
// okExit is a *GitError; a program that cannot start is missing (ErrGitMissing
// for git, ErrGhMissing for gh); a cancelled ctx returns ctx.Err().
func (m *Manager) exec(ctx context.Context, program string, r run) ([]byte, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	env := append(m.baseEnv(), r.env...)
	spec := proc.Spec{Program: program, Args: r.args, Dir: r.dir, Env: env}
	res, err := proc.Execute(ctx, spec, proc.ExecOptions{Stdin: r.stdin, MaxStdout: r.maxOut, MaxStderr: 64 << 10})
	if err != nil {
		var sf *proc.SpawnFailed
		if errors.As(err, &sf) && strings.Contains(sf.Reason, "directory") {
			return nil, 0, fmt.Errorf("%w: %s", os.ErrNotExist, r.dir)
		}
		if program == m.opts.Gh {
			return nil, 0, fmt.Errorf("%w: %v", ErrGhMissing, err)
		}
		return nil, 0, fmt.Errorf("%w: %v", ErrGitMissing, err)
	}
	if res.TimedOut {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		return nil, 0, context.Canceled
	}
	code := res.ExitStatus.Code
	if res.ExitStatus.Signaled() {
		code = -1
	}
	if code != 0 && !contains(r.okExit, code) {
		return res.Stdout, code, &GitError{Program: program, Args: r.args, Code: code, Stderr: strings.TrimSpace(string(res.Stderr))}
	}
	if res.StdoutDropped > 0 {
		return nil, code, fmt.Errorf("git %s: output larger than %d bytes", r.args[0], cap0(r.maxOut))
	}
	return res.Stdout, code, nil
}

// git runs git in dir with args.
func (m *Manager) git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	out, _, err := m.exec(ctx, m.opts.Git, run{dir: dir, args: args})
	return out, err
}

// gitLine runs git and returns its output's first line, trimmed.
func (m *Manager) gitLine(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := m.git(ctx, dir, args...)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line), nil
}

func (m *Manager) gitRun(ctx context.Context, r run) ([]byte, int, error) {
	return m.exec(ctx, m.opts.Git, r)
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func cap0(n int) int {
	if n <= 0 {
		return proc.DefaultMaxCapture
	}
	return n
}

// parseVersion reads "git version 2.39.5" (or "2.39.5.windows.1") into
// comparable numbers.
func parseVersion(out string) ([3]int, string, bool) {
	var v [3]int
	f := strings.Fields(out)
	if len(f) < 3 || f[0] != "git" || f[1] != "version" {
		return v, "", false
	}
	parts := strings.Split(f[2], ".")
	for i := 0; i < 3 && i < len(parts); i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			if i == 0 {
				return v, "", false
			}
			break
		}
		v[i] = n
	}
	return v, f[2], true
}

// atLeast reports whether version have is at least major.minor.
func atLeast(have [3]int, major, minor int) bool {
	return have[0] > major || have[0] == major && have[1] >= minor
}

// splitNul splits NUL-separated output, dropping the empty tail.
func splitNul(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}
