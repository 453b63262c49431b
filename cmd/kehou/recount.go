package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"kehou/config"
)

// recountCommand rebuilds the monthly report's counters from the data (store.RecountReports):
// once after upgrading a database written before the counters existed, or after a process was
// killed between storing something and counting it. Stop the API and workers first; a write
// made during the recount may be counted twice. Reports already stored do not change.
func recountCommand(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) error {
	in, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer in.close(log)
	start := time.Now()
	if err := in.store.RecountReports(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Report counters rebuilt in %s.\n", time.Since(start).Round(time.Millisecond))
	return nil
}
