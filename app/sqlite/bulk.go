package sqlite

import (
	"context"
	"database/sql"
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
	// A large page cache while loading keeps the author index in memory;
	// the pragma applies to the one writer connection.
	if _, err := db.w.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
		return fmt.Errorf("sqlite: bulk load: %w", err)
	}
	defer func() {
		if _, e := db.w.ExecContext(context.Background(), "PRAGMA cache_size = -16000"); e != nil && err == nil {
			err = fmt.Errorf("sqlite: bulk load: %w", e)
		}
	}()
	tx, err := db.w.BeginTx(ctx, nil)
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
			a, text, pub := d.Message(i)
			if a < 0 || a >= len(ids) {
				return fmt.Errorf("message %d: author index %d out of range", i, a)
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
			f := d.Follows[i]
			if f[0] < 0 || f[0] >= len(ids) || f[1] < 0 || f[1] >= len(ids) {
				return fmt.Errorf("follow %d: user index out of range", i)
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
