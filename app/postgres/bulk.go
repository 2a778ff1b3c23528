package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/storage/bulk"
)

// BulkLoad inserts a generated batch with COPY in one transaction (all or
// nothing). Meant for seeding benchmark databases; the users it creates
// must not exist yet (ECONFLICT otherwise).
func (db *DB) BulkLoad(ctx context.Context, d *bulk.Data) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: bulk load: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if err := loadAll(ctx, tx, d); err != nil {
		if pgCode(err) == codeUnique {
			return minitwit.Errorf(minitwit.ECONFLICT, "bulk load: some of the users already exist")
		}
		return fmt.Errorf("postgres: bulk load: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: bulk load: commit: %w", err)
	}
	// Statistics, so the planner picks the indexes right away, and the
	// visibility map, so the home timeline's index-only scans need not
	// visit the heap, without waiting for autovacuum. (Not in a
	// transaction: VACUUM cannot run in one.)
	if _, err := db.pool.Exec(ctx, `VACUUM (ANALYZE) "user", message, follower`); err != nil {
		return fmt.Errorf("postgres: bulk load: vacuum: %w", err)
	}
	d.Report(d.Total())
	return nil
}

func loadAll(ctx context.Context, tx pgx.Tx, d *bulk.Data) error {
	// COPY cannot return the IDs it assigns, so take them from the
	// identity sequence first and copy them in explicitly.
	ids := make([]int64, 0, len(d.Users))
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('"user"', 'user_id')) FROM generate_series(1, $1)`, len(d.Users))
	if err != nil {
		return fmt.Errorf("user ids: %w", err)
	}
	ids, err = pgx.AppendRows(ids, rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("user ids: %w", err)
	}
	done := 0
	tick := func() {
		done++
		if done%10000 == 0 {
			d.Report(done)
		}
	}

	i := 0
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"user"}, []string{"user_id", "username", "email", "pw_hash"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(d.Users) {
				return nil, nil
			}
			u := d.Users[i]
			row := []any{ids[i], u.Username, u.Email, u.PwHash}
			i++
			tick()
			return row, nil
		})); err != nil {
		return fmt.Errorf("users: %w", err)
	}

	// message_id and follower.seq come from their sequences in COPY's row
	// order: the posting and following order.
	i = 0
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"message"}, []string{"author_id", "text", "pub_date"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == d.Messages {
				return nil, nil
			}
			a, text, pub, err := d.CheckedMessage(i)
			if err != nil {
				return nil, err
			}
			i++
			tick()
			return []any{ids[a], text, pub}, nil
		})); err != nil {
		return fmt.Errorf("messages: %w", err)
	}

	i = 0
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"follower"}, []string{"who_id", "whom_id"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(d.Follows) {
				return nil, nil
			}
			f, err := d.CheckedFollow(i)
			if err != nil {
				return nil, err
			}
			i++
			tick()
			return []any{ids[f[0]], ids[f[1]]}, nil
		})); err != nil {
		return fmt.Errorf("follows: %w", err)
	}
	return nil
}
