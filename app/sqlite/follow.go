package sqlite

import (
	"context"
	"fmt"

	"github.com/mattn/go-sqlite3"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// Follow makes who follow whom. Following again keeps the one edge and its
// original position in Following; ENOTFOUND when either user is missing.
func (db *DB) Follow(ctx context.Context, who, whom int64) error {
	if _, err := db.write(ctx, db.insFollow, who, whom); err != nil {
		if sqliteCode(err) == sqlite3.ErrConstraintForeignKey {
			return minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user")
		}
		return fmt.Errorf("sqlite: follow %d -> %d: %w", who, whom, err)
	}
	return nil
}

// Unfollow removes the edge, if there is one.
func (db *DB) Unfollow(ctx context.Context, who, whom int64) error {
	if _, err := db.write(ctx, db.delFollow, who, whom); err != nil {
		return fmt.Errorf("sqlite: unfollow %d -> %d: %w", who, whom, err)
	}
	return nil
}

// IsFollowing reports whether who follows whom.
func (db *DB) IsFollowing(ctx context.Context, who, whom int64) (bool, error) {
	var n int
	if err := db.isFollowing.QueryRowContext(ctx, who, whom).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: is %d following %d: %w", who, whom, err)
	}
	return n > 0, nil
}

// Following returns the usernames whom who follows, at most limit (< 1:
// none), in the order the follows were made.
func (db *DB) Following(ctx context.Context, who int64, limit int) ([]string, error) {
	names := []string{}
	if limit < 1 {
		return names, nil
	}
	rows, err := db.following.QueryContext(ctx, who, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: following of %d: %w", who, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: following of %d: %w", who, err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: following of %d: %w", who, err)
	}
	return names, nil
}
