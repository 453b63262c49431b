// Package console holds the staff console's built files. The sources are the Vue application
// beside this file; `make console` (npm ci, then vite build) writes the build into dist/, which
// is not committed (only dist/.keep is, so that a plain `go build` still compiles). A binary
// built before the console was built serves a page at /console/ that says how to build it.
package console

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files returns the built console, or nil when this binary was built without it.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil
	}
	return sub
}
