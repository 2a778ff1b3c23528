// Package storage opens the tracker's store from a DSN: a postgres:// or
// postgresql:// URL selects PostgreSQL (tracker/postgres), anything else is
// a SQLite file path (tracker/sqlite).
package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/postgres"
	"github.com/minitwit-cd/kit/tracker/sqlite"
)

// Open opens and migrates the store dsn names.
func Open(ctx context.Context, dsn string) (model.Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres store: %w", err)
		}
		return s, nil
	}
	if dsn == "" {
		return nil, fmt.Errorf("open store: empty database path")
	}
	s, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", dsn, err)
	}
	return s, nil
}
