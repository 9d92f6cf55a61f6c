// Command gen writes app_gen.go: one method on App per contract method of
// the facade, in the facade's order (sorted by name).
//
// Usage (from cmd/corral-desktop/internal/api): go run ./gen -o app_gen.go
package main

import (
	"flag"
	"fmt"
	"os"

	facade "github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/cmd/corral-desktop/internal/api/gen/source"
)

func main() {
	out := flag.String("o", "app_gen.go", "output `file`")
	flag.Parse()
	src, err := source.Generate(facade.MethodNames())
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
