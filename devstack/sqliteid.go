//go:build !noembed

package devstack

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"

	_ "modernc.org/sqlite" // FerretDB's own SQLite driver, registered as "sqlite"
)

// dropLegacyIDIndexes removes, from the SQLite files in dir, the extra `_id` indexes that
// kehou added to every collection before it built FerretDB from third_party/ferretdb.
//
// Upstream FerretDB v1.24 looked documents up by `_ferretdb_sjson->'$._id'` while the unique
// index it gives every collection is on `_ferretdb_sjson->"_id"`; SQLite's planner does not
// match the two, so every read, update and delete by _id scanned its table. kehou used to add
// an index on the lookup's expression (`<table>_kehou_id_path`). The patched FerretDB looks
// up by the unique index's own expression (third_party/ferretdb/README.md), so that extra
// index only cost every insert and update (about 12 % of an insert). It runs before FerretDB
// opens the files; a directory without such indexes is left as it is.
func dropLegacyIDIndexes(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return err
	}
	for _, path := range files {
		if err := dropIndexesIn(ctx, path); err != nil {
			return fmt.Errorf("drop legacy _id indexes in %s: %w", filepath.Base(path), err)
		}
	}
	return nil
}

func dropIndexesIn(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%\_kehou\_id\_path' ESCAPE '\'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP INDEX IF EXISTS %q`, name)); err != nil {
			return err
		}
	}
	return nil
}
