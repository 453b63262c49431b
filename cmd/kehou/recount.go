package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"kehou/config"
)

// recountCommand rebuilds the monthly report's counters from the data (store.RecountReports).
// The write path counts every answer, binding and confirmation exactly once, even across
// crashes and retries, so this checks the figures, or repairs them after data was written around
// the store (a restore, a bulk load). Stop the API, and stop the workers once no task waits to be retried; a
// write made during the recount may be counted twice. Reports already stored do not change.
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
