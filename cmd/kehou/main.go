// Command kehou is the whole backend in one binary:
//
//	kehou run      HTTP API, workers and scheduler in one process (embedded stand-ins by default)
//	kehou api      only the HTTP API (needs KEHOU_MONGO_URI and KEHOU_REDIS_ADDR)
//	kehou worker   only the asynq workers and the periodic scheduler (same)
//	kehou seed     load the demo city into an empty database
//	kehou recount  rebuild the monthly report's counters from the data
//	kehou verify-draw <draw.json or URL> [code]   recompute a published course-selection draw
//	kehou version  print the version
//
// main parses the configuration once and calls run; everything else is wired in app.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"kehou/config"
	"kehou/models"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: kehou <command>

commands:
  run      start the API, workers and scheduler in one process
  api      start only the HTTP API
  worker   start only the workers and the periodic scheduler
  seed     load the demo city into an empty database
  recount  rebuild the monthly report's counters from the data (stop api and worker first)
  verify-draw <draw.json or URL> [code]
           recompute a published course-selection draw from its public data
  version  print the version

Configuration is read from KEHOU_* environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kehou:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) >= 1 && args[0] == "verify-draw" {
		return verifyDraw(ctx, args[1:], stdout)
	}
	if len(args) != 1 {
		fmt.Fprint(stderr, usage)
		return errors.New("expected one command")
	}
	cmd := args[0]
	if cmd == "version" {
		fmt.Fprintln(stdout, version)
		return nil
	}
	cfg, err := config.Load(getenv)
	if err == nil {
		err = checkPasswords(cfg)
	}
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "run", "api", "worker":
		if cmd != "run" && cfg.Embedded() {
			return fmt.Errorf("%s needs KEHOU_MONGO_URI and KEHOU_REDIS_ADDR: with the embedded stand-ins use `kehou run`", cmd)
		}
		log.Info("starting", append([]any{"command", cmd, "version", version}, cfg.LogValues()...)...)
		return serve(ctx, cfg, log, stdout, cmd)
	case "seed":
		return seedCommand(ctx, cfg, log, stdout)
	case "recount":
		return recountCommand(ctx, cfg, log, stdout)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Production() {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// checkPasswords holds KEHOU_ADMIN_PASSWORD and KEHOU_DEMO_PASSWORD to the rule of every staff
// password (models.PasswordProblem: 10+ characters with letters and digits, not only spaces),
// so that a start with a weak one stops, naming the variable, instead of creating an account
// whose password could not be set through the API. (config may not import models.)
func checkPasswords(cfg *config.Config) error {
	var errs []error
	for env, pw := range map[string]string{"KEHOU_ADMIN_PASSWORD": cfg.AdminPassword, "KEHOU_DEMO_PASSWORD": cfg.DemoPassword} {
		if pw != "" && models.PasswordProblem(pw) != "" {
			errs = append(errs, fmt.Errorf("%s: must be %s", env, models.PasswordRule))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}
