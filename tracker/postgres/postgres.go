// Package postgres implements model.Store on PostgreSQL through pgx, for a
// shared or replicated deployment.
package postgres

import (
	"context"
	"errors"

	"github.com/minitwit-cd/kit/tracker/model"
)

// Open connects to and migrates the PostgreSQL database at url.
func Open(ctx context.Context, url string) (model.Store, error) {
	return nil, errors.New("postgres store: not implemented yet")
}
