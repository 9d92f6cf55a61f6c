package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The limits.
const (
	MaxFileLines = 600 // per non-test .go file
	MaxFuncLines = 100 // per function, from its func keyword to its closing brace
)

// allowed lists the functions that may be longer than MaxFuncLines, keyed
// "path/from/root.go:Name" (Name as in Finding.Func), each with the reason
// it is allowed. Keep it short; every entry must still match a function
// over the limit.
var allowed = map[string]string{
	// The JSON scanner's value skipper is one hand-written state machine
	// on the hot path of every agent line; split into functions it would
	// pass its state through calls on every byte.
	"stream/scan.go:skipValue": "one state machine on the hot path",
}

// Finding is one offence.
type Finding struct {
	Path  string // slash-separated, relative to the root
	Line  int
	Func  string // "" for a file; Name, Recv.Name, or Outer.funcN for a literal
	Lines int
	Stale bool // an allowlist entry that matches no function over the limit
}

func (f Finding) String() string {
	switch {
	case f.Stale:
		return fmt.Sprintf("%s: allowlist entry %q matches no function over %d lines: remove it", f.Path, f.Func, MaxFuncLines)
	case f.Func == "":
		return fmt.Sprintf("%s: %d lines (at most %d outside tests)", f.Path, f.Lines, MaxFileLines)
	}
	return fmt.Sprintf("%s:%d: function %s is %d lines (at most %d)", f.Path, f.Line, f.Func, f.Lines, MaxFuncLines)
}

// Check walks the Go files below root and returns every offence, sorted by
// path and line. allow is the allowlist (see allowed).
func Check(root string, allow map[string]string) ([]Finding, error) {
	var out []Finding
	used := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "node_modules" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found, err := checkFile(filepath.ToSlash(rel), src)
		if err != nil {
			return err
		}
		for _, f := range found {
			key := f.Path + ":" + f.Func
			if f.Func != "" && allow[key] != "" {
				used[key] = true
				continue
			}
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for key := range allow {
		if !used[key] {
			path, fn, _ := strings.Cut(key, ":")
			out = append(out, Finding{Path: path, Func: fn, Stale: true})
		}
	}
	slices.SortFunc(out, func(a, b Finding) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Func, b.Func)
	})
	return out, nil
}

// checkFile returns the offences of one file; path is only reported. Test
// files are not checked: a table-driven test may be long and stays
// readable.
func checkFile(path string, src []byte) ([]Finding, error) {
	if strings.HasSuffix(path, "_test.go") {
		return nil, nil
	}
	var out []Finding
	if n := lineCount(src); n > MaxFileLines {
		out = append(out, Finding{Path: path, Lines: n})
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	span := func(n ast.Node) (line, lines int) {
		start, end := fset.Position(n.Pos()).Line, fset.Position(n.End()).Line
		return start, end - start + 1
	}
	for _, decl := range file.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := funcName(fd)
		if line, n := span(fd); n > MaxFuncLines {
			out = append(out, Finding{Path: path, Line: line, Func: name, Lines: n})
		}
		out = append(out, literals(path, name, fd.Body, span)...)
	}
	// Literals outside functions (in var declarations).
	for _, decl := range file.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok {
			out = append(out, literals(path, "init", gd, span)...)
		}
	}
	return out, nil
}

// literals returns the function literals over the limit inside n, named
// outer.func1, outer.func2, ... in source order, as the Go toolchain names
// them (nested ones outer.func1.1, ...).
func literals(path, outer string, n ast.Node, span func(ast.Node) (int, int)) []Finding {
	if n == nil {
		return nil
	}
	var out []Finding
	i := 0
	ast.Inspect(n, func(c ast.Node) bool {
		lit, ok := c.(*ast.FuncLit)
		if !ok {
			return true
		}
		i++
		name := outer + ".func" + strconv.Itoa(i)
		if strings.Contains(outer, ".func") {
			name = outer + "." + strconv.Itoa(i)
		}
		if line, lines := span(lit); lines > MaxFuncLines {
			out = append(out, Finding{Path: path, Line: line, Func: name, Lines: lines})
		}
		out = append(out, literals(path, name, lit.Body, span)...)
		return false // its own literals were counted above
	})
	return out
}

// funcName is Name for a function and Recv.Name for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fd.Name.Name
		}
		return fd.Name.Name
	}
}

// lineCount counts lines as wc -l does, plus a last line without a
// newline.
func lineCount(src []byte) int {
	n := bytes.Count(src, []byte{'\n'})
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return n
}
