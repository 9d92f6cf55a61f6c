//go:build !desktop

package main

import (
	"fmt"
	"os"
)

// Without the desktop tag there is no window toolkit in the binary; say how
// to build the real thing instead of failing obscurely at run time.
func main() {
	fmt.Fprintln(os.Stderr, "corral-desktop was built without the desktop tag; build it with\n"+
		"  CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 ./cmd/corral-desktop\n"+
		"(scripts/install-desktop-deps.sh installs the GTK and WebKitGTK packages it needs)")
	os.Exit(2)
}
