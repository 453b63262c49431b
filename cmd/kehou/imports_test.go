package main

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// allowedImports is the import direction of docs/architecture.md, by top-level folder: what each
// part's own (non-test) code may import of ours besides its own sub-packages (an entry is a
// top-level folder, or one package by its path). config and
// rediskeys are leaves holding shared names; cmd and bench wire everything. A new top-level
// package must be given its place here.
var allowedImports = map[string][]string{
	"models":    {},
	"bots":      {},
	"config":    {},
	"rediskeys": {},
	"wechat":    {},
	"console":   {},               // the built staff console's files
	"devstack":  {"store/engine"}, // the engine switches' positions; a leaf that imports nothing
	"store":     {"models"},
	"report":    {"store", "models"},
	"jobs":      {"store", "models", "bots", "config", "rediskeys"},
	"server":    {"store", "models", "jobs", "wechat", "config", "rediskeys"},
	"cmd":       nil, // everything
	"bench":     nil, // everything
}

// importViolations reads the imports of every package under root (with and without the
// production build tag) and lists those that point the wrong way; it also says how many
// packages it read.
func importViolations(root string) ([]string, int, error) {
	var bad []string
	read := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		for _, tags := range [][]string{nil, {"noembed"}} {
			ctx := build.Default
			ctx.BuildTags = tags
			pkg, err := ctx.ImportDir(path, 0)
			var noGo *build.NoGoError
			if errors.As(err, &noGo) {
				return nil
			} else if err != nil {
				return fmt.Errorf("read %s: %w", rel, err)
			}
			read++
			part := strings.Split(rel, "/")[0]
			allowed, known := allowedImports[part]
			if !known {
				bad = append(bad, fmt.Sprintf("%s: top-level package %q has no place in allowedImports", rel, part))
				continue
			}
			for _, imp := range pkg.Imports { // test files' imports are left out: tests may wire as cmd does
				ours, ok := strings.CutPrefix(imp, "kehou/")
				to := strings.Split(ours, "/")[0]
				if ok && allowed != nil && to != part && !slices.ContainsFunc(allowed, func(a string) bool { return ours == a || to == a }) {
					bad = append(bad, fmt.Sprintf("%s imports %s (tags %v); %s may import only %v of ours", rel, imp, tags, part, allowed))
				}
			}
		}
		return nil
	})
	return bad, read, err
}

// TestImportDirection: no package imports against docs/architecture.md's direction (server or store
// importing bots, server or jobs importing report, models importing anything of ours).
func TestImportDirection(t *testing.T) {
	bad, read, err := importViolations(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
	if read < 40 { // about 30 packages, each read twice
		t.Fatalf("only %d packages read; the walk is broken", read)
	}
}

// TestImportDirectionCatchesAWrongImport: a store that imports bots, and a package in a folder
// without a rule, are reported.
func TestImportDirectionCatchesAWrongImport(t *testing.T) {
	root := t.TempDir()
	for path, src := range map[string]string{
		"store/outbox.go":   "package store\n\nimport _ \"kehou/bots\"\n",
		"store/ok.go":       "package store\n\nimport _ \"kehou/models\"\n",
		"gadgets/gadget.go": "package gadgets\n",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, path), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bad, _, err := importViolations(root)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(bad, "\n")
	if !strings.Contains(joined, "store imports kehou/bots") || !strings.Contains(joined, `"gadgets" has no place`) || strings.Contains(joined, "kehou/models") {
		t.Fatalf("violations found:\n%s", joined)
	}
}
