// Package storage opens the tracker's store from a DSN, read by
// internal/dsn as every program reads --db: a postgres:// or
// postgresql:// URL selects PostgreSQL (tracker/postgres), anything else
// is a SQLite file path (tracker/sqlite), optionally written sqlite:PATH,
// sqlite://PATH or file:PATH.
package storage

import (
	"context"
	"fmt"

	"github.com/minitwit-cd/kit/internal/dsn"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/postgres"
	"github.com/minitwit-cd/kit/tracker/sqlite"
)

// Open opens and migrates the store dsn names.
func Open(ctx context.Context, d string) (model.Store, error) {
	kind, target, err := dsn.Parse(d)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if kind == dsn.KindPostgres {
		s, err := postgres.Open(ctx, target)
		if err != nil {
			return nil, fmt.Errorf("open postgres store: %w", err)
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", target, err)
	}
	return s, nil
}
