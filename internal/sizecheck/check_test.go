package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fn returns the source of a function of exactly lines lines.
func fn(head string, lines int) string {
	return head + " {\n" + strings.Repeat("\tx++\n", lines-2) + "}\n"
}

// write creates the files of tree (path → source) below a new directory.
func write(t *testing.T, tree map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, src := range tree {
		full := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCheckFindsLongFilesAndFunctions(t *testing.T) {
	long := fn("func long()", MaxFuncLines+1)
	root := write(t, map[string]string{
		// Exactly at the limits: allowed.
		"ok/limit.go": "package ok\n\nvar x int\n\n" + fn("func atLimit()", MaxFuncLines) +
			strings.Repeat("\n", MaxFileLines-4-MaxFuncLines),
		"big/big.go": "package big\n" + strings.Repeat("\n", MaxFileLines),
		"f/f.go": "package f\n\nvar x int\n\n" + long + "\ntype T struct{}\n\n" +
			fn("func (t *T) Method()", MaxFuncLines+2) + "\n" +
			// A function holding a short and a long literal: both the
			// function and the long literal are reported.
			"func outer2() {\n\t_ = func() {}\n\t_ = " + fn("func()", MaxFuncLines+3) + "}\n\n" +
			"var v = " + fn("func()", MaxFuncLines+1),
		// Neither tests, nor node_modules, nor testdata, nor hidden
		// directories are checked.
		"f/f_test.go":             "package f\n\n" + fn("func TestLong(t *testing.T)", 3*MaxFuncLines) + strings.Repeat("\n", MaxFileLines),
		"web/node_modules/x/x.go": "package x\n\n" + long + strings.Repeat("\n", MaxFileLines),
		"f/testdata/x.go":         "package x\n\n" + long,
		".hidden/x.go":            "package x\n\n" + long,
		"notes.txt":               strings.Repeat("\n", 2*MaxFileLines),
		"allowed/a.go":            "package allowed\n\n" + fn("func kept()", MaxFuncLines+1),
	})
	found, err := Check(root, map[string]string{
		"allowed/a.go:kept": "a state machine",
		"allowed/a.go:gone": "was split",
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, f.String())
	}
	want := []string{
		`allowed/a.go: allowlist entry "gone" matches no function over 100 lines: remove it`,
		"big/big.go: 601 lines (at most 600 outside tests)",
		"f/f.go:5: function long is 101 lines (at most 100)",
		"f/f.go:109: function T.Method is 102 lines (at most 100)",
		"f/f.go:212: function outer2 is 106 lines (at most 100)",
		"f/f.go:214: function outer2.func2 is 103 lines (at most 100)",
		"f/f.go:319: function init.func1 is 101 lines (at most 100)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A nested literal is named as the toolchain names it, and counted once.
func TestCheckNamesNestedLiterals(t *testing.T) {
	src := "package n\n\nfunc f() {\n\t_ = func() {\n\t\t_ = " + fn("func()", MaxFuncLines+1) + "\t}\n}\n"
	found, err := checkFile("n.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range found {
		names = append(names, f.Func)
	}
	if !slices.Equal(names, []string{"f", "f.func1", "f.func1.1"}) {
		t.Fatalf("names %v", names)
	}
}

func TestCheckReportsUnparsableFiles(t *testing.T) {
	root := write(t, map[string]string{"bad/bad.go": "package bad\n\nfunc {\n"})
	if _, err := Check(root, nil); err == nil {
		t.Fatal("a file that does not parse passed")
	}
}

// The allowlist of the repository names real functions, each with a reason.
func TestAllowlistEntriesHaveReasons(t *testing.T) {
	for key, why := range allowed {
		path, name, ok := strings.Cut(key, ":")
		if !ok || !strings.HasSuffix(path, ".go") || name == "" || strings.TrimSpace(why) == "" {
			t.Errorf("allowlist entry %q (%q) is not path.go:Name with a reason", key, why)
		}
	}
}
