// Package web holds the built browser frontend of corral.
//
// The files under dist/ are produced by `npm ci && npm run build` in this
// directory and are committed, so `go build` needs no Node toolchain. Both the
// browser server and the desktop shell serve the same files.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS returns the built frontend rooted at dist/: it contains index.html and
// the content-hashed bundles under assets/.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path literal, a programming error.
		panic(err)
	}
	return sub
}
