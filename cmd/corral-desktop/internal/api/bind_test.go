package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"

	facade "github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/cmd/corral-desktop/internal/api/gen/source"
	"github.com/corral-dev/corral/session"
)

// TestBoundMethodsEqualFacade is the desktop half of the contract check:
// every method the window can call is a facade method and every facade
// method can be called from the window, with the one shape Wails needs.
func TestBoundMethodsEqualFacade(t *testing.T) {
	typ := reflect.TypeFor[*App]()
	var bound []string
	want := reflect.TypeFor[func(*App, json.RawMessage) (any, error)]()
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		bound = append(bound, m.Name)
		if m.Type != want {
			t.Errorf("App.%s has type %v, want %v", m.Name, m.Type, want)
		}
	}
	slices.Sort(bound)
	if names := facade.MethodNames(); !slices.Equal(bound, names) {
		t.Fatalf("bound methods differ from the facade (run go generate in cmd/corral-desktop/internal/api):\nbound  %v\nfacade %v", bound, names)
	}
	// The package and type names are what the page sees: window.go.api.App.
	if got := typ.Elem().String(); got != "api.App" {
		t.Fatalf("bound type is %s; the frontend looks for window.go.api.App", got)
	}
}

func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := source.Generate(facade.MethodNames())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("app_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("app_gen.go is stale: run go generate in cmd/corral-desktop/internal/api")
	}
}

func TestGenerateRejectsBadNames(t *testing.T) {
	for _, n := range []string{"lower", "Two Words", ""} {
		if _, err := source.Generate([]string{n}); err == nil {
			t.Errorf("Generate(%q) succeeded", n)
		}
	}
}

// fakeSessions implements the facade's Sessions; methods the tests do not
// use are left to the embedded nil interface and would panic if called.
type fakeSessions struct {
	facade.Sessions
	agents  []session.AgentInfo
	created []session.CreateOptions
	ctxs    []context.Context
}

func (f *fakeSessions) Agents(ctx context.Context) ([]session.AgentInfo, error) {
	f.ctxs = append(f.ctxs, ctx)
	return f.agents, nil
}

func (f *fakeSessions) Create(ctx context.Context, o session.CreateOptions) (session.Info, error) {
	f.created = append(f.created, o)
	if o.Agent == "missing" {
		return session.Info{}, session.ErrNotFound
	}
	return session.Info{ID: "s1", Agent: o.Agent, Cwd: o.Cwd}, nil
}

type ctxKey struct{}

func TestCallsDispatchThroughTheFacade(t *testing.T) {
	fs := &fakeSessions{agents: []session.AgentInfo{{Name: "fake", Command: "fake-agent", Status: "ok"}}}
	ctx := context.WithValue(context.Background(), ctxKey{}, "app")
	b := New(facade.New(fs, nil), func() context.Context { return ctx })

	got, err := b.ListAgents(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := got.([]session.AgentInfo); !ok || len(l) != 1 || l[0].Name != "fake" {
		t.Fatalf("ListAgents = %#v", got)
	}
	if len(fs.ctxs) != 1 || fs.ctxs[0].Value(ctxKey{}) != "app" {
		t.Fatal("the call did not run under the application's context")
	}
	// undefined params from the page arrive as null: same as an empty body
	if _, err := b.ListAgents(json.RawMessage(`null`)); err != nil {
		t.Fatalf("ListAgents(null): %v", err)
	}

	info, err := b.CreateSession(json.RawMessage(`{"agent":"fake","cwd":"/tmp"}`))
	if err != nil {
		t.Fatal(err)
	}
	if info.(session.Info).ID != "s1" || fs.created[0].Cwd != "/tmp" {
		t.Fatalf("CreateSession = %#v, sent %#v", info, fs.created)
	}
}

func TestErrorsMatchTheHTTPTransport(t *testing.T) {
	fs := &fakeSessions{}
	b := New(facade.New(fs, nil), nil)
	cases := []struct {
		name   string
		call   func() (any, error)
		code   string
		noCall bool
	}{
		// strict decoding, like POST /api/call: unknown fields are refused
		{"unknown field", func() (any, error) { return b.CreateSession(json.RawMessage(`{"agent":"a","cwd":"/","bogus":1}`)) }, facade.CodeInvalidArgument, true},
		{"wrong type", func() (any, error) { return b.CreateSession(json.RawMessage(`{"agent":5}`)) }, facade.CodeInvalidArgument, true},
		{"missing field", func() (any, error) { return b.CreateSession(json.RawMessage(`{"agent":"a"}`)) }, facade.CodeInvalidArgument, true},
		{"backend error", func() (any, error) { return b.CreateSession(json.RawMessage(`{"agent":"missing","cwd":"/"}`)) }, facade.CodeNotFound, false},
		{"no process service", func() (any, error) { return b.ListProcesses(nil) }, facade.CodeInternal, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(fs.created)
			_, err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			if facade.AsError(err).Code != c.code {
				t.Fatalf("err = %v, want code %s", err, c.code)
			}
			// The page receives the formatted error as an Error's message:
			// it must be a string holding the HTTP transport's error object.
			s, ok := FormatError(err).(string)
			if !ok {
				t.Fatalf("FormatError = %#v, want a string", FormatError(err))
			}
			var wire struct{ Code, Message string }
			if json.Unmarshal([]byte(s), &wire) != nil || wire.Code != c.code || wire.Message == "" {
				t.Fatalf("wire form %s", s)
			}
			want, _ := json.Marshal(facade.AsError(err))
			if s != string(want) {
				t.Fatalf("wire form %s differs from the HTTP transport's %s", s, want)
			}
			if c.noCall && len(fs.created) != before {
				t.Fatal("the backend was called despite invalid parameters")
			}
		})
	}
}

func TestUnknownMethodIsNotFound(t *testing.T) {
	b := New(facade.New(&fakeSessions{}, nil), nil)
	_, err := b.call("NoSuchMethod", nil)
	var fe *facade.Error
	if !errors.As(err, &fe) || fe.Code != facade.CodeNotFound {
		t.Fatalf("err = %v", err)
	}
}
