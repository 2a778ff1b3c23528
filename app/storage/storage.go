// Package storage picks MiniTwit's store from a DSN, and seeds stores with
// generated data for benchmarks.
//
// The DSN is read by internal/dsn: a postgres:// or postgresql:// URL
// opens PostgreSQL; anything else is an SQLite file path, optionally
// written sqlite:PATH, sqlite://PATH or file:PATH.
package storage

import (
	"context"
	"fmt"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/postgres"
	"github.com/minitwit-cd/kit/app/sqlite"
	"github.com/minitwit-cd/kit/internal/dsn"
)

// Open opens the store the DSN names. Errors name the DSN with any
// password redacted.
func Open(ctx context.Context, d string) (minitwit.Store, error) {
	kind, target, err := dsn.Parse(d)
	if err != nil {
		return nil, fmt.Errorf("open %w", err)
	}
	switch kind {
	case dsn.KindPostgres:
		s, err := postgres.Open(ctx, target)
		if err != nil {
			// The postgres package's errors never include the password,
			// so wrapping keeps the chain and stays safe to log.
			return nil, fmt.Errorf("open database %s: %w", dsn.Redact(d), err)
		}
		return s, nil
	default:
		s, err := sqlite.Open(ctx, target)
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", d, err)
		}
		return s, nil
	}
}
