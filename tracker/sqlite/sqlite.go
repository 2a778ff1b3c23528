// Package sqlite implements model.Store on SQLite (mattn/go-sqlite3): WAL,
// a busy timeout, foreign keys, one writer connection beside a pool of
// readers, and embedded ordered migrations.
package sqlite

import (
	"context"
	"errors"

	"github.com/minitwit-cd/kit/tracker/model"
)

// Open opens (creating if needed) and migrates the SQLite database at path.
func Open(ctx context.Context, path string) (model.Store, error) {
	return nil, errors.New("sqlite store: not implemented yet")
}
