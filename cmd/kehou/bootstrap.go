package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"

	"kehou/config"
	"kehou/models"
	"kehou/store"
)

// bootstrap makes a fresh database usable: it creates the city administrator, and in sandbox
// mode loads the demo city when there are no counties yet.
func bootstrap(ctx context.Context, cfg *config.Config, in *infra, log *slog.Logger, stdout io.Writer) error {
	if err := ensureAdmin(ctx, cfg, in.store, log, stdout); err != nil {
		return err
	}
	if cfg.Sandbox() && cfg.Seed {
		seeded, err := seedDemo(ctx, cfg, in.store)
		if err != nil {
			return fmt.Errorf("seed demo city: %w", err)
		}
		if seeded {
			log.Info("demo city loaded (sandbox); see README for its accounts")
		}
	}
	return nil
}

// ensureAdmin creates the city administrator "admin" when the database has no staff. Several
// API replicas may race here; the unique username lets exactly one win, and only the winner
// prints a generated password.
func ensureAdmin(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger, stdout io.Writer) error {
	n, err := st.CountStaff(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	password, generated := cfg.AdminPassword, false
	if password == "" {
		password, generated = randomPassword(16), true
	}
	hash, err := models.HashPassword(password)
	if err != nil {
		return err
	}
	admin := models.Staff{Username: "admin", Name: "市级管理员", PasswordHash: hash, Role: models.RoleCity}
	if err := st.CreateStaff(ctx, &admin); errors.Is(err, store.ErrConflict) {
		return nil
	} else if err != nil {
		return fmt.Errorf("create city admin: %w", err)
	}
	if generated {
		// Printed once, to the console rather than the log, and never stored in the clear.
		fmt.Fprintf(stdout, "\n  City administrator created.\n    username: admin\n    password: %s\n  Write it down: it is not shown again. Set KEHOU_ADMIN_PASSWORD to choose it yourself.\n\n", password)
	}
	log.Info("city administrator created", "username", "admin", "password_from", map[bool]string{true: "generated", false: "KEHOU_ADMIN_PASSWORD"}[generated])
	return nil
}

// randomPassword draws until the password meets the staff rule (letters and digits).
func randomPassword(n int) string {
	for {
		if p := drawPassword(n); models.PasswordProblem(p) == "" {
			return p
		}
	}
}

func drawPassword(n int) string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		x, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[x.Int64()]
	}
	return string(b)
}
