package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// authTTL bounds how long a successful token check is remembered.
const authTTL = time.Minute

// CreateToken implements model.Store.
func (db *DB) CreateToken(ctx context.Context, org string) (string, error) {
	id, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return "", fmt.Errorf("sqlstore: create token for %s: %w", org, err)
	}
	token, err := model.NewToken()
	if err != nil {
		return "", fmt.Errorf("sqlstore: create token for %s: %w", org, err)
	}
	if _, err := db.W.ExecContext(ctx, db.q(`INSERT INTO tokens (hash, org_id, created_at) VALUES (?, ?, ?)`), model.HashToken(token), id, micro(time.Now())); err != nil {
		return "", fmt.Errorf("insert token: %w", err)
	}
	return token, nil
}

// Authenticate implements model.Store.
func (db *DB) Authenticate(ctx context.Context, org, token string) error {
	id, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return fmt.Errorf("sqlstore: authenticate to %s: %w", org, err)
	}
	if token == "" {
		return model.Errorf(model.EUNAUTHORIZED, "missing API token for org %s", org)
	}
	hash := model.HashToken(token)
	key := strconv.FormatInt(id, 10) + ":" + hash
	if v, ok := db.authed.Load(key); ok && time.Now().Before(v.(time.Time)) {
		return nil
	}
	var n int
	if err := db.R.QueryRowContext(ctx, db.q(`SELECT count(*) FROM tokens WHERE hash = ? AND org_id = ?`), hash, id).Scan(&n); err != nil {
		return fmt.Errorf("check token: %w", err)
	}
	if n == 0 {
		return model.Errorf(model.EUNAUTHORIZED, "invalid API token for org %s", org)
	}
	db.authed.Store(key, time.Now().Add(authTTL))
	return nil
}
