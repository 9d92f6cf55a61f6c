// Command sizecheck enforces the size rules of the repository: no Go file
// longer than 600 lines and no function, declared (FuncDecl) or literal
// (FuncLit), longer than 100 lines, outside tests (_test.go files are not
// checked). It walks the module from the current directory (or the
// directory given as its only argument), skipping node_modules, testdata
// and hidden directories, prints every offence as "path:line: what" and
// exits 1 when there is one. Only the commented allowlist in check.go
// exempts a function; an entry that matches nothing is an offence too, so
// the list only shrinks.
//
// Run it from the module root: go run ./internal/sizecheck
package main

import (
	"fmt"
	"os"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	found, err := Check(root, allowed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sizecheck:", err)
		os.Exit(2)
	}
	for _, f := range found {
		fmt.Println(f)
	}
	if len(found) > 0 {
		fmt.Printf("sizecheck: %d offences (files: at most %d lines outside tests; functions: at most %d lines)\n", len(found), MaxFileLines, MaxFuncLines)
		os.Exit(1)
	}
}
