package agent_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// Deadlines of the contract tests. They protect against hangs; they are
// not speed assertions.
const (
	testDeadline = 3 * time.Minute
	turnIdle     = 90 * time.Second
)

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	t.Cleanup(cancel)
	return ctx
}

func mock(t *testing.T, sc mockllm.Scenario) *mockllm.Server {
	t.Helper()
	s, err := mockllm.Start(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// startProc starts an adapter's process and stops it when the test ends.
func startProc(t *testing.T, ad agent.Adapter, opts agent.SessionOptions, turn *agent.Turn) *agenttest.Proc {
	t.Helper()
	p, err := agenttest.Start(ad, opts, turn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(5 * time.Second)
		if t.Failed() {
			t.Logf("stderr of %s:\n%s", ad.Name(), tailString(p.StderrText(), 4000))
		}
	})
	return p
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// record saves the raw stdout of a contract run as a decoder fixture when
// CORRAL_RECORD_FIXTURES=1: agent/testdata/<cli>-<version>/<name>.jsonl.
func record(t *testing.T, cli clitest.CLI, name string, lines [][]byte) {
	t.Helper()
	if os.Getenv("CORRAL_RECORD_FIXTURES") != "1" {
		return
	}
	dir := filepath.Join("testdata", cli.Name+"-"+cli.Version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// cliDirs returns the pinned binary of cli (skipping the test unless the
// real-CLI tests are enabled), a fresh HOME and a working directory
// inside it.
func cliDirs(t *testing.T, cli clitest.CLI) (bin, home, cwd string) {
	t.Helper()
	bin = clitest.Require(t, cli)
	home = clitest.Home(t)
	cwd = filepath.Join(home, "work")
	mkdir(t, cwd)
	return bin, home, cwd
}

// cliSetup prepares a run of cli against a mock serving sc: env builds
// the CLI's environment from the HOME and the mock's URL. The returned
// options name the binary, the working directory and that environment.
func cliSetup(t *testing.T, cli clitest.CLI, sc mockllm.Scenario, env func(home, url string) []string) (*mockllm.Server, agent.SessionOptions) {
	t.Helper()
	bin, home, cwd := cliDirs(t, cli)
	m := mock(t, sc)
	return m, agent.SessionOptions{Program: bin, Cwd: cwd, Env: env(home, m.URL)}
}

// slowReply streams twelve words slowly enough to interrupt midway.
func slowReply() mockllm.Scenario {
	return mockllm.Slow("one two three four five six seven eight nine ten eleven twelve", 400*time.Millisecond)
}

// touch asks for a shell command creating name, then answers in text.
func touch(name string) mockllm.Scenario {
	return mockllm.ToolThenText(mockllm.Shell("touch " + name))
}

// apiErrorCases are the HTTP failures of the model API and the turn
// error code each must end a turn with.
var apiErrorCases = []struct {
	status int
	code   string
}{{500, agent.CodeAPI}, {429, agent.CodeRateLimit}, {401, agent.CodeAuth}}

func send(t *testing.T, p *agenttest.Proc, text string) {
	t.Helper()
	if err := p.Conn.SendUserTurn(text); err != nil {
		t.Fatal(err)
	}
}

// sendTurn sends text as a user turn and waits for the turn to end; a
// turn that ends in error fails the test.
func sendTurn(t *testing.T, ctx context.Context, p *agenttest.Proc, text string) agenttest.Turn {
	t.Helper()
	send(t, p, text)
	tr, err := p.WaitTurn(ctx, turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// awaitPermission sends text as a user turn and waits for the first
// permission.request; it returns the events up to and including it and
// the request.
func awaitPermission(t *testing.T, ctx context.Context, p *agenttest.Proc, text string) ([]event.Event, agent.PermissionRequestData) {
	t.Helper()
	send(t, p, text)
	evs, err := p.Until(ctx, turnIdle, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	if err != nil {
		t.Fatal(err)
	}
	return evs, agenttest.Data[agent.PermissionRequestData](evs[len(evs)-1])
}

func answer(t *testing.T, p *agenttest.Proc, a agent.PermissionAnswer) {
	t.Helper()
	if err := p.Conn.RespondPermission(a); err != nil {
		t.Fatal(err)
	}
}

// answerPermission sends "make a file", answers the first permission
// request (allowing or refusing it, with msg as the reason) and waits for
// the turn to end. It returns the request and the turn as WaitTurn ended
// it.
func answerPermission(t *testing.T, p *agenttest.Proc, allow bool, msg string) (agent.PermissionRequestData, agenttest.Turn, error) {
	t.Helper()
	ctx := deadline(t)
	_, req := awaitPermission(t, ctx, p, "make a file")
	answer(t, p, agent.PermissionAnswer{RequestID: req.RequestID, Allow: allow, Message: msg})
	tr, err := p.WaitTurn(ctx, turnIdle)
	return req, tr, err
}

// wantToolResult checks that the turn holds exactly one tool.result and
// whether it reports an error.
func wantToolResult(t *testing.T, tr agenttest.Turn, isError bool) {
	t.Helper()
	res := tr.Kinds(event.ToolResult)
	if len(res) != 1 || agenttest.Data[agent.ToolResultData](res[0]).IsError != isError {
		t.Fatalf("tool results %v, want one with error %v", res, isError)
	}
}

// wantModelSawResult checks that the model's latest request carries a
// tool result and whether that result is an error.
func wantModelSawResult(t *testing.T, m *mockllm.Server, isError bool) {
	t.Helper()
	if last, ok := lastToolResult(m); !ok || last.IsError != isError {
		t.Fatalf("model saw %+v (found %v), want error %v", last, ok, isError)
	}
}

// wantNoSuchRequest checks that answering id again is refused: the
// request is no longer pending.
func wantNoSuchRequest(t *testing.T, p *agenttest.Proc, id string) {
	t.Helper()
	if err := p.Conn.RespondPermission(agent.PermissionAnswer{RequestID: id, Allow: true}); !errors.Is(err, agent.ErrNoSuchRequest) {
		t.Fatalf("answer to a request no longer pending: %v", err)
	}
}

func wantInterrupted(t *testing.T, err error) {
	t.Helper()
	var te *agent.TurnError
	if !errors.As(err, &te) || te.Code != agent.CodeInterrupted {
		t.Fatalf("want interrupted, got %v", err)
	}
}

func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var te *agent.TurnError
	if !errors.As(err, &te) || te.Code != code || te.HTTPStatus != status {
		t.Fatalf("want %s/%d, got %v", code, status, err)
	}
}

func wantIdleTimeout(t *testing.T, err error) {
	t.Helper()
	var idle *agenttest.IdleTimeoutError
	if !errors.As(err, &idle) {
		t.Fatalf("want idle timeout, got %v", err)
	}
}

// wantFile checks whether name exists in dir.
func wantFile(t *testing.T, dir, name string, exists bool) {
	t.Helper()
	if got := fileExists(filepath.Join(dir, name)); got != exists {
		t.Fatalf("%s exists %v, want %v", name, got, exists)
	}
}

// lastToolResult is the last tool result the model saw in its latest
// request.
func lastToolResult(m *mockllm.Server) (mockllm.ToolResult, bool) {
	reqs := m.ModelRequests()
	return reqs[len(reqs)-1].LastToolResult()
}

// textDelta matches a streamed piece of assistant text.
func textDelta(ev event.Event) bool {
	return ev.Kind == event.AssistantText && agenttest.Data[agent.TextData](ev).Delta
}

// anyText matches any assistant text, streamed or whole.
func anyText(ev event.Event) bool { return ev.Kind == event.AssistantText }

// checkInterruptSlowStream sends a turn answered by slowReply, interrupts
// once first matches an event, and checks the turn ends interrupted
// before the whole reply arrived. p must run against slowReply.
func checkInterruptSlowStream(t *testing.T, p *agenttest.Proc, first func(event.Event) bool) {
	t.Helper()
	ctx := deadline(t)
	send(t, p, "talk slowly")
	if _, err := p.Until(ctx, turnIdle, first); err != nil {
		t.Fatal(err)
	}
	if err := p.Conn.Interrupt(); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	wantInterrupted(t, err)
	if strings.Contains(tr.Text(), "twelve") {
		t.Fatal("the whole reply streamed despite the interrupt")
	}
}

// checkStall sends a turn to a mock that never answers and checks the
// turn ends by the idle timeout.
func checkStall(t *testing.T, p *agenttest.Proc) {
	t.Helper()
	send(t, p, "hi")
	_, err := p.WaitTurn(deadline(t), 5*time.Second)
	wantIdleTimeout(t, err)
}

// checkInterruptPendingPermission interrupts while the permission for
// "touch name" is pending: the turn ends interrupted, the request is
// withdrawn by one permission.resolved, a late answer is refused and the
// command never runs. ended, when not nil, runs as soon as the turn has
// ended, before the checks. p must run against touch(name).
func checkInterruptPendingPermission(t *testing.T, p *agenttest.Proc, cwd, name string, ended func()) {
	t.Helper()
	ctx := deadline(t)
	_, req := awaitPermission(t, ctx, p, "make a file")
	if err := p.Conn.Interrupt(); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(ctx, turnIdle)
	if ended != nil {
		ended()
	}
	wantInterrupted(t, err)
	wantFile(t, cwd, name, false)
	res := tr.Kinds(event.PermissionResolved)
	if len(res) != 1 || agenttest.Data[agent.PermissionResolvedData](res[0]).RequestID != req.RequestID {
		t.Fatalf("permission.resolved %v", res)
	}
	wantNoSuchRequest(t, p, req.RequestID)
}

// checkRememberedPermission allows "touch name" for the rest of the
// session: the command runs, and the same command in the next turn runs
// without a new permission request. p must run against touch(name).
func checkRememberedPermission(t *testing.T, p *agenttest.Proc, cwd, name string) {
	t.Helper()
	ctx := deadline(t)
	_, req := awaitPermission(t, ctx, p, "make a file")
	answer(t, p, agent.PermissionAnswer{RequestID: req.RequestID, Allow: true, Remember: true})
	if _, err := p.WaitTurn(ctx, turnIdle); err != nil {
		t.Fatal(err)
	}
	wantFile(t, cwd, name, true)
	tr := sendTurn(t, ctx, p, "again")
	if n := len(tr.Kinds(event.PermissionRequest)); n != 0 {
		t.Fatalf("%d permission requests after a remembered allow", n)
	}
	if len(tr.Kinds(event.ToolResult)) != 1 {
		t.Fatal("the command did not run in the second turn")
	}
}

// resumeAfterExit runs a turn, closes the CLI's stdin and waits for it
// to exit, then starts it again resuming that session and runs a second
// turn. It returns the first session's id, the second process and its
// turn. p must run against mockllm.Echo().
func resumeAfterExit(t *testing.T, p *agenttest.Proc, ad agent.Adapter, opts agent.SessionOptions) (string, *agenttest.Proc, agenttest.Turn) {
	t.Helper()
	ctx := deadline(t)
	sendTurn(t, ctx, p, "remember the word apple")
	id := p.Conn.SessionID()
	p.CloseStdin()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("exit after stdin closed: %v", err)
	}
	opts.ResumeID = id
	p2 := startProc(t, ad, opts, nil)
	return id, p2, sendTurn(t, ctx, p2, "what was the word")
}

func http(status int) string { return "http" + itoa(status) }

func itoa(i int) string { return strconv.Itoa(i) }

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
