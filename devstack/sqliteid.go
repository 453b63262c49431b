//go:build !noembed

package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // FerretDB's own SQLite driver, registered as "sqlite"
)

// IndexIDs gives every collection of database db an SQLite index on the exact expression
// FerretDB v1.24 uses to find a document by _id (`_ferretdb_sjson->'$._id'`).
//
// FerretDB pushes `{_id: x}` reads and every per-document UPDATE and DELETE down to SQL with
// that expression, but the unique _id index it creates is on `_ferretdb_sjson->"_id"`, a
// different expression text, so SQLite's planner ignores it and scans the whole table
// (EXPLAIN QUERY PLAN: `SCAN` against `SEARCH … USING INDEX`). Every update of one document
// would then cost a scan of its collection, which makes broadcasts quadratic. Measured when
// this was first added: 200 updates by _id in a 50,000-document collection took 21.9 s
// without the index and 0.27 s with it.
//
// This is the one place kehou touches FerretDB's SQLite files, and it only adds an index:
// FerretDB lists indexes from its own metadata, so it never sees this one, and dropping a
// collection drops its table and the index with it. Run IndexIDs after store.EnsureIndexes,
// which creates every collection's table; it is idempotent and cheap when nothing is new.
func (s *Stack) IndexIDs(ctx context.Context, db string) error {
	path := filepath.Join(s.mongoDir, db+".sqlite")
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // nothing created yet
		}
		return fmt.Errorf("index ids: %w", err)
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("index ids: open %s: %w", path, err)
	}
	defer conn.Close()
	tables, err := userTables(ctx, conn)
	if err != nil {
		return fmt.Errorf("index ids: %w", err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_kehou_id_path", t)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index ids: %s: %w", t, err)
		}
	}
	return nil
}

// userTables lists the tables that hold collections: every table but FerretDB's metadata
// and SQLite's own.
func userTables(ctx context.Context, conn *sql.DB) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE '\_ferretdb\_%' ESCAPE '\' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		tables = append(tables, name)
	}
	return tables, rows.Err()
}
