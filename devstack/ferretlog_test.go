//go:build !noembed

package devstack

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// FerretDB's loggers apply their attributes and groups only to records that pass, in the
// order they were added, and drop its Debug lines and failed-reply dumps.
func TestFerretLogHandler(t *testing.T) {
	var buf bytes.Buffer
	h := ferretLogHandler{min: slog.LevelWarn, next: slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})}
	l := slog.New(h).With("component", "ferretdb").WithGroup("conn").With("id", 7)
	l.With("args", []any{`{"_id":"x"}`}).Debug(">>> INSERT")
	l.Warn("Response message: ok 0")
	l.Warn("slow query", "ms", 120)
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want only the slow query logged, got:\n%s", out)
	}
	for _, want := range []string{"component=ferretdb", "conn.id=7", "conn.ms=120", `msg="slow query"`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in %s", want, out)
		}
	}
}
