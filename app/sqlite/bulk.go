package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/mattn/go-sqlite3"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/storage/bulk"
)

// bulkRows is the number of rows per multi-row INSERT: each statement
// execution is one cgo round trip, so batching rows is what makes a
// million messages load in seconds.
const bulkRows = 200

// BulkLoad inserts a generated batch in one transaction (all or nothing),
// with prepared multi-row inserts. Meant for seeding benchmark databases;
// the users it creates must not exist yet (ECONFLICT otherwise).
func (db *DB) BulkLoad(ctx context.Context, d *bulk.Data) (err error) {
	// Hold the one writer connection throughout, so that no other write
	// runs with this load's settings.
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: bulk load: %w", err)
	}
	defer conn.Close()
	// A large page cache while loading keeps the author index in memory.
	// Foreign keys are checked here in Go (every index is in range), not
	// by a lookup per row. Both pragmas must be set outside a transaction.
	for _, p := range []string{"PRAGMA cache_size = -262144", "PRAGMA foreign_keys = OFF"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("sqlite: bulk load: %s: %w", p, err)
		}
	}
	defer func() {
		for _, p := range []string{"PRAGMA cache_size = " + cacheSize, "PRAGMA foreign_keys = ON"} {
			if _, e := conn.ExecContext(context.Background(), p); e != nil {
				// The connection must not go back to the pool like this.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				if err == nil {
					err = fmt.Errorf("sqlite: bulk load: %s: %w", p, e)
				}
			}
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: bulk load: begin: %w", err)
	}
	defer tx.Rollback()
	defer db.cache.invalidate()
	if err := loadAll(ctx, tx, d); err != nil {
		return fmt.Errorf("sqlite: bulk load: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: bulk load: commit: %w", err)
	}
	// Fold the batch into the database file now, so that readers do not
	// look pages up in a huge WAL until the next automatic checkpoint.
	// Best effort: busy readers may keep part of it for later.
	_, _ = conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	d.Report(d.Total())
	return nil
}

func loadAll(ctx context.Context, tx *sql.Tx, d *bulk.Data) error {
	done := 0
	ids := make([]int64, len(d.Users))
	insUser, err := tx.PrepareContext(ctx, `INSERT INTO user (username, email, pw_hash) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insUser.Close()
	for i, u := range d.Users {
		res, err := insUser.ExecContext(ctx, u.Username, u.Email, u.PwHash)
		if err != nil {
			if sqliteCode(err) == sqlite3.ErrConstraintUnique {
				return minitwit.Errorf(minitwit.ECONFLICT, "user %q already exists", u.Username)
			}
			return fmt.Errorf("user %q: %w", u.Username, err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return err
		}
		done++
		if done%10000 == 0 {
			d.Report(done)
		}
	}

	err = batched(ctx, tx, "INSERT INTO message (author_id, text, pub_date) VALUES ", "(?, ?, ?)", 3, d.Messages,
		func(i int, args []any) error {
			a, text, pub, err := d.CheckedMessage(i)
			if err != nil {
				return err
			}
			args[0], args[1], args[2] = ids[a], text, pub
			return nil
		}, func(n int) { done += n; d.Report(done) })
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}

	// The batch's users are new, so their follows number from 1.
	seq := make(map[int]int64)
	err = batched(ctx, tx, "INSERT INTO follower (who_id, whom_id, seq) VALUES ", "(?, ?, ?)", 3, len(d.Follows),
		func(i int, args []any) error {
			f, err := d.CheckedFollow(i)
			if err != nil {
				return err
			}
			seq[f[0]]++
			args[0], args[1], args[2] = ids[f[0]], ids[f[1]], seq[f[0]]
			return nil
		}, func(n int) { done += n; d.Report(done) })
	if err != nil {
		return fmt.Errorf("follows: %w", err)
	}
	return nil
}

// batched inserts n rows, bulkRows per statement, filling each row's
// arguments with fill and reporting progress after each statement.
func batched(ctx context.Context, tx *sql.Tx, head, row string, cols, n int,
	fill func(i int, args []any) error, progress func(n int)) error {
	var full *sql.Stmt
	args := make([]any, bulkRows*cols)
	pending := 0
	for start := 0; start < n; start += bulkRows {
		k := min(bulkRows, n-start)
		st := full
		if st == nil || k < bulkRows {
			var err error
			st, err = tx.PrepareContext(ctx, head+strings.TrimSuffix(strings.Repeat(row+",", k), ","))
			if err != nil {
				return err
			}
			if k == bulkRows {
				full = st
				defer full.Close()
			} else {
				defer st.Close()
			}
		}
		for j := 0; j < k; j++ {
			if err := fill(start+j, args[j*cols:(j+1)*cols]); err != nil {
				return err
			}
		}
		if _, err := st.ExecContext(ctx, args[:k*cols]...); err != nil {
			return err
		}
		pending += k
		if pending >= 10000 || start+k == n {
			progress(pending)
			pending = 0
		}
	}
	return nil
}
