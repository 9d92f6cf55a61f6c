package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The shipped corral binary links no test double and no benchmark harness
// (those live in cmd/corral-bench), on every OS it is built for: no
// internal/fakeagent, internal/mockllm or stream/streambench, no package
// of the module named *test*, and not the standard testing packages.
// (scripts/test.sh runs this in its go-static step.)
func TestShippedBinaryLinksNoHarness(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list corral's dependencies: %v", err)
	}
	for _, goos := range []string{"linux", "windows", "darwin"} {
		cmd := exec.Command(goTool, "list", "-deps", "-f", "{{if .Standard}}std {{end}}{{.ImportPath}}", ".")
		cmd.Env = append(os.Environ(), "GOOS="+goos)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GOOS=%s go list -deps: %v\n%s", goos, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			std := strings.HasPrefix(line, "std ")
			if bad, why := forbiddenDep(strings.TrimPrefix(line, "std "), std); bad {
				t.Errorf("GOOS=%s: corral links %s: %s", goos, strings.TrimPrefix(line, "std "), why)
			}
		}
	}
}

// module is the import path of corral's module.
const module = "github.com/corral-dev/corral"

// forbiddenDep reports whether the shipped binary must not link the
// package importPath (std: a standard-library package), and why.
func forbiddenDep(importPath string, std bool) (bool, string) {
	if std {
		// internal/testlog and internal/synctest are runtime plumbing that
		// os and sync link into every program; the testing packages are not.
		if importPath == "testing" || strings.HasPrefix(importPath, "testing/") || importPath == "net/http/httptest" {
			return true, "a standard testing package"
		}
		return false, ""
	}
	for _, harness := range []string{"internal/fakeagent", "internal/mockllm", "stream/streambench"} {
		if importPath == module+"/"+harness || strings.HasPrefix(importPath, module+"/"+harness+"/") {
			return true, "a test double or benchmark harness"
		}
	}
	if strings.Contains(path.Base(importPath), "test") {
		return true, "a package named *test*"
	}
	return false, ""
}

func TestForbiddenDep(t *testing.T) {
	for _, c := range []struct {
		path string
		std  bool
		bad  bool
	}{
		{module + "/internal/fakeagent", false, true},
		{module + "/internal/mockllm", false, true},
		{module + "/stream/streambench", false, true},
		{module + "/internal/proctest", false, true},
		{module + "/internal/clitest/sessioncontract", false, false},
		{module + "/internal/clitest", false, true},
		{"github.com/stretchr/testify/assert", false, false},
		{"github.com/stretchr/testify", false, true},
		{"go.uber.org/goleak", false, false},
		{module + "/stream", false, false},
		{module + "/session", false, false},
		{"testing", true, true},
		{"testing/fstest", true, true},
		{"net/http/httptest", true, true},
		{"internal/testlog", true, false},
		{"internal/synctest", true, false},
		{"os", true, false},
	} {
		if bad, _ := forbiddenDep(c.path, c.std); bad != c.bad {
			t.Errorf("forbiddenDep(%q, std=%v) = %v, want %v", c.path, c.std, bad, c.bad)
		}
	}
}

// No init function of corral calls os.Exit: whatever the environment,
// the binary runs its own main (a re-executed role, like the fake agent,
// belongs to corral-bench or to a test binary's TestMain).
func TestNoInitExits(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range initExits(t, f, src) {
			t.Errorf("%s: init calls os.Exit", at)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no Go file of cmd/corral found")
	}
}

// initExits returns the positions in the Go source src (named name) where
// a package-level init function calls os.Exit, under whatever name the
// file imports os.
func initExits(t *testing.T, name string, src []byte) []token.Position {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	osName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "os" {
			osName = "os"
			if imp.Name != nil {
				osName = imp.Name.Name
			}
		}
	}
	var at []token.Position
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || fd.Name.Name != "init" || fd.Body == nil || osName == "" {
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Exit" {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == osName {
				at = append(at, fset.Position(sel.Pos()))
			}
			return true
		})
	}
	return at
}

func TestInitExits(t *testing.T) {
	for src, want := range map[string]int{
		"package main\nimport \"os\"\nfunc init() { if x() { os.Exit(1) } }":               1,
		"package main\nimport sys \"os\"\nfunc init() { go func() { sys.Exit(fn()) }() }":  1,
		"package main\nimport \"os\"\nfunc init() { register() }\nfunc f() { os.Exit(2) }": 0,
		"package main\nimport \"os\"\ntype T struct{}\nfunc (T) init() { os.Exit(2) }":     0,
		"package main\nfunc init() { exit := os{}; exit.Exit() }":                          0,
	} {
		if got := len(initExits(t, "x.go", []byte(src))); got != want {
			t.Errorf("%q: %d calls found, want %d", src, got, want)
		}
	}
}
